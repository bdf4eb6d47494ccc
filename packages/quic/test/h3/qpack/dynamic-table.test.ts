import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { DynamicTable, entrySize } from "../../../src/h3/qpack/dynamic-table.js";

describe("dynamic table (RFC 9204 §3.2)", () => {
  test("entry size is name + value + 32 bytes (§3.2.1)", () => {
    expect(entrySize(":authority", "www.example.com")).toBe(57);
    expect(entrySize("", "")).toBe(32);
  });

  test("absolute, encoder-relative, field-relative and post-Base indexing (§3.2.4-3.2.6)", () => {
    const table = new DynamicTable();
    table.setCapacity(1000);
    for (let i = 0; i < 5; i++) table.insert(`n${i}`, `v${i}`);
    expect(table.insertCount).toBe(5);
    expect(table.encoderRelative(0)).toBe(4); // the newest
    expect(table.encoderRelative(4)).toBe(0);
    expect(table.fieldRelative(0, 3)).toBe(2); // Base - 1
    expect(table.get(2)).toEqual({ name: "n2", value: "v2" });
    expect(table.get(5)).toBeUndefined(); // not yet inserted
    expect(table.get(-1)).toBeUndefined();
    expect(table.get(1.5)).toBeUndefined();
  });

  test("eviction from the oldest end on insert and on a lower capacity (§3.2.2)", () => {
    const table = new DynamicTable();
    table.setCapacity(3 * 34);
    const evicted: number[] = [];
    table.onEvict = (index) => evicted.push(index);
    for (let i = 0; i < 4; i++) table.insert(`n`, `${i}`); // 34 bytes each
    expect(evicted).toEqual([0]);
    expect(table.firstIndex).toBe(1);
    expect(table.size).toBe(102);
    expect(table.evictionsFor(34)).toBe(1);
    expect(table.evictionsFor(68)).toBe(2);
    expect(table.evictionsFor(103)).toBe(-1);
    expect(table.setCapacity(40)).toBe(2);
    expect(evicted).toEqual([0, 1, 2]);
    expect(table.get(3)).toEqual({ name: "n", value: "3" });
    expect(table.setCapacity(0)).toBe(1);
    expect(table.length).toBe(0);
    expect(table.firstIndex).toBe(4);
    expect(() => table.insert("", "")).toThrow(RangeError);
  });

  test("evictionsFor counts from the oldest live entry, and an entry of exactly the capacity fits", () => {
    const table = new DynamicTable();
    table.setCapacity(100);
    table.insert("a", ""); // 33
    table.insert("bb", ""); // 34
    table.insert("ccc", ""); // 35: evicts a
    expect(table.firstIndex).toBe(1);
    expect(table.evictionsFor(31)).toBe(0); // 100 - 69 = 31 free
    expect(table.evictionsFor(32)).toBe(1); // bb (34) goes
    expect(table.evictionsFor(65)).toBe(1);
    expect(table.evictionsFor(66)).toBe(2);
    expect(table.evictionsFor(100)).toBe(2);
    expect(table.evictionsFor(101)).toBe(-1);
    table.insert("x".repeat(68), "");
    expect(table.length).toBe(1);
    expect(table.size).toBe(100);
  });

  test("an insert may name the entry it evicts: the strings are taken first", () => {
    const table = new DynamicTable();
    table.setCapacity(34);
    table.insert("n", "0");
    const name = table.get(table.encoderRelative(0))!.name;
    table.insert(name, "1");
    expect(table.get(1)).toEqual({ name: "n", value: "1" });
    expect(table.get(0)).toBeUndefined();
  });

  test("size and indices stay consistent over long random runs (compaction included)", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ maxLength: 40 }), fc.integer({ min: 0, max: 400 })), { maxLength: 500 }), (ops) => {
        const table = new DynamicTable();
        table.setCapacity(300);
        const model: { name: string; value: string; index: number }[] = [];
        let inserted = 0;
        for (const op of ops) {
          if (typeof op === "number") {
            table.setCapacity(op);
          } else if (entrySize("k", op) <= table.capacity) {
            expect(table.insert("k", op)).toBe(inserted);
            model.push({ name: "k", value: op, index: inserted++ });
          }
          let size = model.reduce((s, e) => s + entrySize(e.name, e.value), 0);
          while (size > table.capacity) size -= entrySize(model[0]!.name, model.shift()!.value);
          expect(table.size).toBe(size);
          expect(table.length).toBe(model.length);
          for (const e of model) expect(table.get(e.index)).toEqual({ name: e.name, value: e.value });
          expect(table.get(table.firstIndex - 1)).toBeUndefined();
        }
      }),
      { numRuns: 200 },
    );
  });
});
