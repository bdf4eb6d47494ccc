/**
 * ACK frames at their limits (RFC 9000 §19.3): `ackRangesThatFit` must name
 * exactly the largest number of ranges that `writeAckFrame` can write in the
 * room given (one more must not fit), the decoded range list must answer
 * `has`, `startAt` and `endAt` like the ranges it was written from, and every
 * malformed frame is refused with its own reason. Added for the mutants that
 * survived `pnpm mutate --mutate src/proto/wire/ack-frame.ts`.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AckRangeList,
  type AckRanges,
  ackRangesThatFit,
  type EcnCounts,
  Reader,
  readAckFrame,
  Writer,
  writeAckFrame,
} from "../../src/proto/index.js";
import { hex, transportErrorOf } from "../vectors/support.js";

/** Ascending half-open ranges from a plain list. */
class ListRanges implements AckRanges {
  constructor(readonly list: readonly (readonly [number, number])[]) {}
  get rangeCount(): number {
    return this.list.length;
  }
  startAt(i: number): number {
    return this.list[i]![0];
  }
  endAt(i: number): number {
    return this.list[i]![1];
  }
}

/** Ascending, disjoint, non-adjacent ranges built from (gap, length) pairs; gaps and lengths vary in varint size. */
const rangeLists = fc
  .array(fc.tuple(fc.oneof(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 64, max: 20_000 })), fc.integer({ min: 1, max: 20_000 })), {
    minLength: 1,
    maxLength: 90,
  })
  .map((pairs) => {
    const list: [number, number][] = [];
    let at = 0;
    for (const [gap, length] of pairs) {
      const start = at + (list.length === 0 ? gap - 1 : gap);
      list.push([start, start + length]);
      at = start + length;
    }
    return list;
  });

const ecnCounts = fc.option(fc.record({ ect0: fc.nat({ max: 2 ** 30 }), ect1: fc.nat({ max: 100 }), ce: fc.nat({ max: 2 ** 20 }) }), {
  nil: undefined,
});

function write(room: number, ranges: AckRanges, delay: number, ecn: EcnCounts | undefined, limit: number): Uint8Array {
  const writer = new Writer(new Uint8Array(room));
  writeAckFrame(writer, ranges, delay, ecn, limit);
  return writer.written();
}

function decode(bytes: Uint8Array, list = new AckRangeList()) {
  const reader = new Reader("frame", bytes);
  const type = reader.u8();
  return readAckFrame(reader, type === 0x03, list);
}

describe("ACK frame limits (RFC 9000 §19.3)", () => {
  it("ackRangesThatFit names the most ranges that fit: that many are written and decode back, one more does not fit", () => {
    fc.assert(
      fc.property(
        rangeLists,
        fc.nat({ max: 2 ** 20 }),
        ecnCounts,
        fc.integer({ min: 1, max: 400 }),
        fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
        (list, delay, ecn, room, maxRanges) => {
          const ranges = new ListRanges(list);
          const n = list.length;
          const fit = ackRangesThatFit(ranges, delay, room, ecn, maxRanges);
          const cap = Math.min(n, maxRanges ?? n);
          expect(fit).toBeGreaterThanOrEqual(0);
          expect(fit).toBeLessThanOrEqual(cap);
          if (fit > 0) {
            const frame = decode(write(room, ranges, delay, ecn, fit));
            expect(frame.largest).toBe(list[n - 1]![1] - 1);
            expect(frame.ecn).toEqual(ecn);
            expect(frame.ranges.rangeCount).toBe(fit);
            for (let i = 0; i < fit; i++) {
              expect([frame.ranges.startAt(i), frame.ranges.endAt(i)]).toEqual(list[n - fit + i]);
            }
          }
          if (fit < cap) expect(() => write(room, ranges, delay, ecn, fit + 1)).toThrow(RangeError);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("counts the Range Count field growing to 2 bytes past 63 ranges", () => {
    const list = Array.from({ length: 70 }, (_, i) => [i * 4, i * 4 + 2] as [number, number]);
    const ranges = new ListRanges(list);
    const all = write(1000, ranges, 0, undefined, 70);
    expect(ackRangesThatFit(ranges, 0, all.length)).toBe(70);
    expect(ackRangesThatFit(ranges, 0, all.length - 1)).toBeLessThan(70);
  });

  it("fits exactly at the 1-byte varint boundaries of Largest, First Range, Gap, Range Length and Range Count", () => {
    const cases: (readonly [number, number])[][] = [
      [[0, 63]], // Largest 62, First ACK Range 62
      [
        [0, 1],
        [64, 65],
      ], // Gap 62
      [
        [0, 63],
        [100, 101],
      ], // ACK Range Length 62
      Array.from({ length: 64 }, (_, i) => [i * 2, i * 2 + 1] as const), // Range Count 63
    ];
    for (const list of cases) {
      const ranges = new ListRanges(list);
      const exact = write(1000, ranges, 0, undefined, list.length).length;
      expect(ackRangesThatFit(ranges, 0, exact), `${list.length} ranges in ${exact} bytes`).toBe(list.length);
    }
  });

  it("refuses to acknowledge nothing", () => {
    const none = new ListRanges([]);
    expect(ackRangesThatFit(none, 0, 1000)).toBe(0);
    expect(() => write(64, none, 0, undefined, 0)).toThrow(/cannot acknowledge an empty range set/);
    expect(() => write(64, new ListRanges([[1, 2]]), 0, undefined, 0)).toThrow(/rangeLimit must be at least 1, got 0/);
  });

  it("the decoded range list answers has, startAt, endAt and largest like the ranges written, and refuses other indexes", () => {
    const list: [number, number][] = [
      [0, 3],
      [5, 6],
      [9, 12],
    ];
    const frame = decode(write(64, new ListRanges(list), 7, undefined, 3));
    const r = frame.ranges;
    expect(r.largest).toBe(11);
    for (let pn = 0; pn <= 14; pn++) {
      expect(r.has(pn), String(pn)).toBe(list.some(([s, e]) => pn >= s && pn < e));
    }
    for (const bad of [-1, 3]) {
      expect(() => r.startAt(bad)).toThrow(/range index -?\d out of bounds \(3 ranges\)/);
      expect(() => r.endAt(bad)).toThrow(/range index -?\d out of bounds \(3 ranges\)/);
    }
    expect(new AckRangeList().has(0)).toBe(false);
  });

  it("decoding into a reused range list replaces what it held", () => {
    const list = new AckRangeList();
    decode(
      write(
        64,
        new ListRanges([
          [0, 2],
          [10, 20],
        ]),
        0,
        undefined,
        2,
      ),
      list,
    );
    decode(write(64, new ListRanges([[100, 101]]), 0, undefined, 1), list);
    expect(list.rangeCount).toBe(1);
    expect([list.startAt(0), list.endAt(0)]).toEqual([100, 101]);
    expect(list.has(10)).toBe(false);
  });

  it("refuses malformed ranges with their reason, and accepts a first range that reaches packet 0", () => {
    // Largest 5, first range 5: packets 0..5.
    expect(decode(hex("020500" + "00" + "05")).ranges.startAt(0)).toBe(0);
    expect(transportErrorOf(() => decode(hex("020500" + "00" + "06"))).message).toContain(
      "first ACK range 6 exceeds largest acknowledged 5",
    );
    // Largest 5, first range 1 (4..5), gap 1, length 2: 4 - 1 - 2 = 1, low 1 - 2 < 0.
    expect(transportErrorOf(() => decode(hex("020500" + "01" + "01" + "01" + "02"))).message).toContain("ACK range below packet number 0");
    // Two more ranges announced, two bytes follow: refused before reading them.
    expect(transportErrorOf(() => decode(hex("020a00" + "02" + "00" + "0000"))).message).toContain(
      "ACK announces 2 ranges but only 2 bytes follow",
    );
  });
});
