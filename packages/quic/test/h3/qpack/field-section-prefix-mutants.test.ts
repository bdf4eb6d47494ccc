/**
 * The field section prefix: what the mutation run of
 * `field-section-prefix.ts` found untested: an oversized Delta Base and the
 * reason given for a negative Base.
 */
import { describe, expect, test } from "vitest";
import { FieldSectionPrefix, readFieldSectionPrefix } from "../../../src/h3/qpack/field-section-prefix.js";
import { fail, hex } from "./support.js";

function read(bytes: string, maxEntries: number, totalInserts: number): FieldSectionPrefix {
  const b = hex(bytes);
  const out = new FieldSectionPrefix();
  readFieldSectionPrefix(b, 0, b.length, maxEntries, totalInserts, out, fail);
  return out;
}

describe("field section prefix refusals", () => {
  test("a Delta Base of 2^62 or more is refused, saying which field", () => {
    expect(() => read("00 7f ffffffffffffffffff 01", 8, 0)).toThrow("Delta Base exceeds 2^62 - 1");
    expect(() => read("00 ff ffffffffffffffffff 01", 8, 0)).toThrow("Delta Base exceeds 2^62 - 1");
  });

  test("a negative Base names the Required Insert Count and the Delta Base as sent", () => {
    // Required Insert Count 2 (encoded 3), sign 1, delta 1: Base 0, fine; delta 2: Base -1.
    expect(read("03 81", 8, 2)).toMatchObject({ requiredInsertCount: 2, base: 0 });
    expect(() => read("03 82", 8, 2)).toThrow("negative Base: Required Insert Count 2, Delta Base -3");
  });
});
