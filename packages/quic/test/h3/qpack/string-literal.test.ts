import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ByteWriter } from "../../../src/h3/qpack/byte-writer.js";
import { INCOMPLETE } from "../../../src/h3/qpack/integer.js";
import { decodeStringLiteral, encodeStringLiteral, StringResult, stringLiteralLength } from "../../../src/h3/qpack/string-literal.js";
import { fail, hex, toHex } from "./support.js";

function encode(high: number, prefix: number, s: string, huffman = true): string {
  const out = new ByteWriter();
  encodeStringLiteral(out, high, prefix, s, huffman);
  expect(out.length).toBe(stringLiteralLength(prefix, s, huffman));
  return toHex(out.take());
}

function decode(bytes: Uint8Array, prefix: number, max = 4096): string | number {
  const r = new StringResult();
  const next = decodeStringLiteral(bytes, 0, bytes.length, prefix, max, r, fail);
  return next < 0 ? next : r.value;
}

describe("string literals (RFC 9204 §4.1.2, RFC 7541 §5.2)", () => {
  test("RFC 7541 C.4.1 and C.3.1: Huffman when shorter, raw otherwise", () => {
    expect(encode(0, 8, "www.example.com")).toBe("8cf1e3c2e5f23a6ba0ab90f4ff");
    expect(decode(hex("8cf1e3c2e5f23a6ba0ab90f4ff"), 8)).toBe("www.example.com");
    expect(decode(hex("0f7777772e6578616d706c652e636f6d"), 8)).toBe("www.example.com");
    // "{{" takes 30 bits Huffman-coded: raw is shorter.
    expect(encode(0, 8, "{{")).toBe("027b7b");
    expect(encode(0, 8, "www.example.com", false)).toBe("0f7777772e6578616d706c652e636f6d");
  });

  test("RFC 9204 B.3: a 6-bit prefix name after the '01' of Insert with Literal Name", () => {
    expect(encode(0x40, 6, "custom-key", false)).toBe("4a637573746f6d2d6b6579");
    expect(encode(0x40, 6, "custom-key")).toBe("6825a849e95ba97d7f"); // H set, 8 bytes of RFC 7541's code
    expect(decode(hex("4a637573746f6d2d6b6579"), 6)).toBe("custom-key");
  });

  test("round-trips byte strings with every prefix size 2-8", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8 }), fc.uint8Array({ maxLength: 200 }), (prefix, b) => {
        const s = String.fromCharCode(...b);
        expect(decode(hex(encode(0, prefix, s)), prefix)).toBe(s);
      }),
      { numRuns: 1000 },
    );
  });

  test("a body not yet arrived is incomplete, and so is a truncated length", () => {
    expect(decode(hex("0f7777"), 8)).toBe(INCOMPLETE);
    expect(decode(hex("7f"), 8)).toBe(INCOMPLETE);
    expect(decode(hex(""), 8)).toBe(INCOMPLETE);
  });

  test("a length over the limit fails before any byte of the string arrives", () => {
    // 2^61 bytes announced, raw and Huffman: refused at once, not waited for.
    expect(() => decode(hex("7fffffffffffffffff1f"), 8)).toThrow(/exceeds the limit of 4096/);
    expect(() => decode(hex("ffffffffffffffffff1f"), 8)).toThrow(/at least .* exceeds the limit/);
    expect(() => decode(hex("0a"), 8, 9)).toThrow(/10 bytes exceeds the limit of 9/);
    expect(decode(hex("0a"), 8, 10)).toBe(INCOMPLETE);
    // A Huffman length whose shortest decoding (30-bit codes) fits is waited for.
    expect(decode(hex("88"), 8, 2)).toBe(INCOMPLETE);
  });

  test("a length of 2^62 or more fails as an oversized integer", () => {
    expect(() => decode(hex("7fffffffffffffffffff7f"), 8)).toThrow(/2\^62/);
  });

  test("bad Huffman padding fails through the caller's fail", () => {
    expect(() => decode(hex("81ff"), 8)).toThrow(/padding/);
  });

  test("long Huffman strings carry their length in the (N-1)-bit prefix with continuation bytes", () => {
    const text = "www.example.com/".repeat(20); // 320 characters, Huffman-coded in 240 bytes
    for (let prefix = 2; prefix <= 8; prefix++) {
      const coded = hex(encode(0, prefix, text));
      expect(coded[0]! & (1 << (prefix - 1))).not.toBe(0); // H
      expect(decode(coded, prefix)).toBe(text);
    }
  });

  test("a Huffman length is refused when even 30-bit codes would decode past the limit", () => {
    // 60 bytes decode to at least ceil((480 - 7) / 30) = 16 characters.
    expect(() => decode(hex("bc"), 8, 15)).toThrow(/at least 16 bytes exceeds the limit of 15/);
    expect(decode(hex("bc"), 8, 16)).toBe(INCOMPLETE);
  });
});
