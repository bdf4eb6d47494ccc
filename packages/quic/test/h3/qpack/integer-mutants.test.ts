/**
 * Prefixed integers: what the mutation run of `integer.ts` found untested.
 * A refused value must say which value and why, so that a caller's bug
 * report names it.
 */
import { describe, expect, test } from "vitest";
import { ByteWriter } from "../../../src/h3/qpack/byte-writer.js";
import { encodeInteger } from "../../../src/h3/qpack/integer.js";

describe("encodeInteger refusals", () => {
  test("a negative, fractional or unsafe value is a RangeError naming the value, and nothing is written", () => {
    for (const value of [-1, 1.5, 2 ** 53, Number.NaN]) {
      const out = new ByteWriter();
      expect(() => encodeInteger(out, 0, 5, value)).toThrow(new RangeError(`value: ${value} is not a non-negative safe integer`));
      expect(out.length).toBe(0);
    }
  });
});
