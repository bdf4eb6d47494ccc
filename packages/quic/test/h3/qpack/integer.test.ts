import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ByteWriter } from "../../../src/h3/qpack/byte-writer.js";
import { decodeInteger, encodeInteger, INCOMPLETE, INTEGER_OVERFLOW, IntegerResult, integerLength } from "../../../src/h3/qpack/integer.js";
import { hex, toHex } from "./support.js";

function encode(high: number, prefix: number, value: number): string {
  const out = new ByteWriter();
  encodeInteger(out, high, prefix, value);
  expect(out.length).toBe(integerLength(prefix, value));
  return toHex(out.take());
}

function decode(bytes: Uint8Array, prefix: number): number {
  const r = new IntegerResult();
  const next = decodeInteger(bytes, 0, bytes.length, prefix, r);
  return next < 0 ? next : r.value;
}

describe("prefixed integers (RFC 9204 §4.1.1, RFC 7541 §5.1)", () => {
  test("RFC 7541 C.1: 10 in a 5-bit prefix, 1337 in a 5-bit prefix, 42 at a byte boundary", () => {
    expect(encode(0, 5, 10)).toBe("0a");
    expect(encode(0, 5, 1337)).toBe("1f9a0a");
    expect(encode(0, 8, 42)).toBe("2a");
    expect(decode(hex("1f9a0a"), 5)).toBe(1337);
    expect(decode(hex("ea"), 5)).toBe(10); // high bits belong to the representation
  });

  test("the prefix's maximum itself takes a continuation byte of 0", () => {
    expect(encode(0xe0, 5, 31)).toBe("ff00");
    expect(decode(hex("ff00"), 5)).toBe(31);
    expect(encode(0, 8, 255)).toBe("ff00");
  });

  test("round-trips every prefix size and values up to 2^53 - 1", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.maxSafeNat(), (prefix, value) => {
        expect(decode(hex(encode(0, prefix, value)), prefix)).toBe(value);
      }),
      { numRuns: 2000 },
    );
  });

  test("2^62 - 1 decodes; 2^62 and beyond are refused, exactly at the boundary", () => {
    // 2^62 - 1 = 127 + rest with a 7-bit prefix; build its continuation bytes with bigint.
    const encodeBig = (value: bigint, prefix: number): Uint8Array => {
      const max = (1n << BigInt(prefix)) - 1n;
      const out = [Number(max)];
      let rest = value - max;
      while (rest >= 128n) {
        out.push(Number(rest % 128n) | 0x80);
        rest /= 128n;
      }
      out.push(Number(rest));
      return Uint8Array.from(out);
    };
    expect(decode(encodeBig((1n << 62n) - 1n, 7), 7)).toBe(2 ** 62);
    expect(decode(encodeBig(1n << 62n, 7), 7)).toBe(INTEGER_OVERFLOW);
    expect(decode(encodeBig((1n << 62n) + 12345n, 3), 3)).toBe(INTEGER_OVERFLOW);
    expect(decode(encodeBig(2n ** 63n, 8), 8)).toBe(INTEGER_OVERFLOW);
  });

  test("truncated integers are incomplete, and endless 0x80 padding is refused after 10 bytes", () => {
    expect(decode(hex(""), 5)).toBe(INCOMPLETE);
    expect(decode(hex("1f"), 5)).toBe(INCOMPLETE);
    expect(decode(hex("1f9a"), 5)).toBe(INCOMPLETE);
    expect(decode(hex("1f808080808080808080"), 5)).toBe(INTEGER_OVERFLOW);
    expect(decode(hex("1f8080808080808080"), 5)).toBe(INCOMPLETE); // 8 continuation bytes: a 9th may still end it
    expect(decode(hex(`1f${"80".repeat(1000)}`), 5)).toBe(INTEGER_OVERFLOW);
    // Zero padding within 62 bits is a valid (if wasteful) encoding.
    expect(decode(hex("1f808000"), 5)).toBe(31);
  });

  test("refuses to encode what is not a non-negative safe integer", () => {
    expect(() => encodeInteger(new ByteWriter(), 0, 5, -1)).toThrow(RangeError);
    expect(() => encodeInteger(new ByteWriter(), 0, 5, 1.5)).toThrow(RangeError);
    expect(() => encodeInteger(new ByteWriter(), 0, 5, 2 ** 53)).toThrow(RangeError);
  });
});
