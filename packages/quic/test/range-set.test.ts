import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RangeSet } from "../src/proto/wire/range-set.js";

function ranges(set: RangeSet): [number, number][] {
  return [...set];
}

describe("RangeSet", () => {
  it("merges adjacent and overlapping insertions into one range", () => {
    const s = new RangeSet();
    expect(s.insertOne(0)).toBe(true);
    expect(s.insertOne(1)).toBe(true);
    expect(s.insertOne(3)).toBe(true);
    expect(ranges(s)).toEqual([
      [0, 2],
      [3, 4],
    ]);
    expect(s.insertOne(2)).toBe(true);
    expect(ranges(s)).toEqual([[0, 4]]);
    expect(s.insert(1, 3)).toBe(false);
    expect(s.insert(10, 20)).toBe(true);
    expect(s.insert(5, 12)).toBe(true);
    expect(ranges(s)).toEqual([
      [0, 4],
      [5, 20],
    ]);
    expect(s.min).toBe(0);
    expect(s.max).toBe(19);
    expect(s.size).toBe(19);
  });

  it("removes values, splitting a range", () => {
    const s = new RangeSet();
    s.insert(0, 10);
    expect(s.remove(3, 5)).toBe(true);
    expect(ranges(s)).toEqual([
      [0, 3],
      [5, 10],
    ]);
    expect(s.remove(3, 5)).toBe(false);
    s.removeBelow(6);
    expect(ranges(s)).toEqual([[6, 10]]);
  });

  it("walks ranges in descending order, as an ACK frame lists them (RFC 9000 §19.3.1)", () => {
    const s = new RangeSet();
    for (const pn of [9, 8, 5, 1, 2]) s.insertOne(pn);
    expect([...s.descending()]).toEqual([
      [8, 10],
      [5, 6],
      [1, 3],
    ]);
    expect(s.startAt(2)).toBe(8);
    expect(s.endAt(0)).toBe(3);
    expect(() => s.startAt(3)).toThrow(RangeError);
  });

  it("drops the lowest ranges beyond maxRanges (RFC 9000 §13.2.4: old ranges matter least)", () => {
    const s = new RangeSet({ maxRanges: 3 });
    for (let pn = 0; pn < 20; pn += 2) s.insertOne(pn);
    expect(ranges(s)).toEqual([
      [14, 15],
      [16, 17],
      [18, 19],
    ]);
    expect(s.truncatedBelow).toBe(14);
    expect(new RangeSet().truncatedBelow).toBe(0);
  });

  it("rejects negative, fractional or reversed ranges", () => {
    const s = new RangeSet();
    expect(() => s.insert(-1, 2)).toThrow(RangeError);
    expect(() => s.insert(3, 2)).toThrow(RangeError);
    expect(() => s.insert(0.5, 2)).toThrow(RangeError);
    expect(() => new RangeSet({ maxRanges: 0 })).toThrow(RangeError);
  });

  it("behaves as a naive Set of integers under any sequence of operations (property)", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("insert" as const), start: fc.nat(60), len: fc.nat(8) }),
      fc.record({ kind: fc.constant("remove" as const), start: fc.nat(60), len: fc.nat(8) }),
      fc.record({ kind: fc.constant("one" as const), start: fc.nat(70), len: fc.constant(1) }),
      fc.record({ kind: fc.constant("below" as const), start: fc.nat(70), len: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const s = new RangeSet();
        const model = new Set<number>();
        for (const o of ops) {
          const end = o.start + o.len;
          if (o.kind === "insert" || o.kind === "one") {
            let fresh = false;
            for (let v = o.start; v < end; v++) if (!model.has(v)) fresh = true;
            for (let v = o.start; v < end; v++) model.add(v);
            const got = o.kind === "one" ? s.insertOne(o.start) : s.insert(o.start, end);
            expect(got).toBe(fresh);
          } else if (o.kind === "remove") {
            let present = false;
            for (let v = o.start; v < end; v++) if (model.delete(v)) present = true;
            expect(s.remove(o.start, end)).toBe(present);
          } else {
            for (const v of [...model]) if (v < o.start) model.delete(v);
            s.removeBelow(o.start);
          }
          // Invariant: sorted, disjoint, non-adjacent, non-empty ranges.
          const rs = ranges(s);
          for (let i = 0; i < rs.length; i++) {
            const [a, b] = rs[i] as [number, number];
            expect(a).toBeLessThan(b);
            if (i > 0) expect(a).toBeGreaterThan((rs[i - 1] as [number, number])[1]);
          }
        }
        for (let v = 0; v < 80; v++) expect(s.contains(v)).toBe(model.has(v));
        expect(s.size).toBe(model.size);
        for (let a = 0; a < 80; a += 7) {
          for (let b = a; b < a + 12; b++) {
            let all = true;
            for (let v = a; v < b; v++) if (!model.has(v)) all = false;
            expect(s.containsRange(a, b)).toBe(all);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("with a bound never exceeds it, holds only inserted values and keeps the largest (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(200), { maxLength: 100 }), fc.integer({ min: 1, max: 6 }), (values, max) => {
        const bounded = new RangeSet({ maxRanges: max });
        const full = new RangeSet();
        for (const v of values) {
          bounded.insertOne(v);
          full.insertOne(v);
          expect(bounded.rangeCount).toBeLessThanOrEqual(max);
        }
        // Every bounded range is within the full set, and the top range agrees.
        for (const [a, b] of bounded) expect(full.containsRange(a, b)).toBe(true);
        expect(bounded.max).toBe(full.max);
      }),
    );
  });
});
