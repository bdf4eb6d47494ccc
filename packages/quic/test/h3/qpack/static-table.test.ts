import { describe, expect, test } from "vitest";
import { STATIC_TABLE_SIZE, staticEntry, staticIndexOf, staticNameIndexOf } from "../../../src/h3/qpack/static-table.js";

describe("static table (RFC 9204 Appendix A)", () => {
  test("99 entries, first, last and a few in between", () => {
    expect(STATIC_TABLE_SIZE).toBe(99);
    expect(staticEntry(0)).toEqual([":authority", ""]);
    expect(staticEntry(1)).toEqual([":path", "/"]);
    expect(staticEntry(17)).toEqual([":method", "GET"]);
    expect(staticEntry(29)).toEqual(["accept", "*/*"]);
    expect(staticEntry(85)).toEqual(["content-security-policy", "script-src 'none'; object-src 'none'; base-uri 'none'"]);
    expect(staticEntry(98)).toEqual(["x-frame-options", "sameorigin"]);
    expect(staticEntry(99)).toBeUndefined();
    expect(staticEntry(-1)).toBeUndefined();
  });

  test("lookups by field line and by name find the smallest index", () => {
    expect(staticIndexOf(":status", "200")).toBe(25);
    expect(staticIndexOf(":status", "201")).toBe(-1);
    expect(staticNameIndexOf(":status")).toBe(24);
    expect(staticNameIndexOf("content-type")).toBe(44);
    expect(staticNameIndexOf("x-unknown")).toBe(-1);
    for (let i = 0; i < STATIC_TABLE_SIZE; i++) {
      const [name, value] = staticEntry(i)!;
      expect(staticIndexOf(name, value)).toBe(i); // no exact duplicates in the table
      expect(staticNameIndexOf(name)).toBeLessThanOrEqual(i);
    }
  });
});
