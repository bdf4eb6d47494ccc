import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ByteWriter } from "../../../src/h3/qpack/byte-writer.js";
import { huffmanDecode, huffmanEncode, huffmanEncodedLength } from "../../../src/h3/qpack/huffman.js";
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from "../../../src/h3/qpack/huffman-table.js";
import { fail, hex, toHex, WireFailure } from "./support.js";

/** Every Huffman-coded literal of RFC 7541 Appendix C.4 and C.6, with its text. */
const RFC7541_EXAMPLES: readonly (readonly [string, string])[] = [
  ["www.example.com", "f1e3c2e5f23a6ba0ab90f4ff"],
  ["no-cache", "a8eb10649cbf"],
  ["custom-key", "25a849e95ba97d7f"],
  ["custom-value", "25a849e95bb8e8b4bf"],
  ["302", "6402"],
  ["private", "aec3771a4b"],
  ["Mon, 21 Oct 2013 20:13:21 GMT", "d07abe941054d444a8200595040b8166e082a62d1bff"],
  ["https://www.example.com", "9d29ad171863c78f0b97c8e9ae82ae43d3"],
  ["307", "640eff"],
  ["Mon, 21 Oct 2013 20:13:22 GMT", "d07abe941054d444a8200595040b8166e084a62d1bff"],
  ["gzip", "9bd9ab"],
  [
    "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
    "94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007",
  ],
];

const byteString = fc.uint8Array({ maxLength: 300 }).map((b) => String.fromCharCode(...b));

function encode(s: string): Uint8Array {
  const out = new ByteWriter();
  huffmanEncode(out, s);
  return out.take();
}

function decode(bytes: Uint8Array, max = 10_000): string {
  return huffmanDecode(bytes, 0, bytes.length, max, fail);
}

describe("Huffman code (RFC 7541 §5.2, Appendix B)", () => {
  test("the table is RFC 7541's: 257 prefix-free codes of 5-30 bits, '0' is 00000, EOS is 30 ones", () => {
    expect(HUFFMAN_CODES.length).toBe(257);
    expect(HUFFMAN_CODES[48]).toBe(0x0);
    expect(HUFFMAN_LENGTHS[48]).toBe(5);
    expect(HUFFMAN_CODES[256]).toBe(0x3fffffff);
    expect(HUFFMAN_LENGTHS[256]).toBe(30);
    // Kraft equality: a complete prefix code.
    expect(HUFFMAN_LENGTHS.reduce((sum, len) => sum + 2 ** -len, 0)).toBe(1);
  });

  test.each(RFC7541_EXAMPLES)("RFC 7541 Appendix C: %s", (text, coded) => {
    expect(toHex(encode(text))).toBe(coded);
    expect(huffmanEncodedLength(text)).toBe(coded.length / 2);
    expect(decode(hex(coded))).toBe(text);
  });

  test("round-trips any byte string", () => {
    fc.assert(
      fc.property(byteString, (s) => {
        const coded = encode(s);
        expect(coded.length).toBe(huffmanEncodedLength(s));
        expect(decode(coded)).toBe(s);
      }),
      { numRuns: 1000 },
    );
  });

  test("refuses EOS, even padded to a byte boundary", () => {
    expect(() => decode(hex("ffffffff"))).toThrow(/EOS/); // 30 ones then 2 padding ones
    expect(() => decode(hex("1fffffffff"))).toThrow(/EOS/); // 'a' (00011) then EOS then padding ones
  });

  test("refuses padding longer than 7 bits: a whole byte of ones after a complete code", () => {
    // "0" is 00000; 00000111 is valid, 00000111 11111111 pads with 11 ones.
    expect(decode(hex("07"))).toBe("0");
    expect(() => decode(hex("07ff"))).toThrow(/padding/);
    expect(() => decode(hex("ff"))).toThrow(/padding/);
  });

  test("refuses padding that is not all ones", () => {
    expect(() => decode(hex("06"))).toThrow(/padding/); // 00000 110
    expect(() => decode(hex("00"))).toThrow(WireFailure); // 00000 000: "0" then 3 zero bits
  });

  test("an empty input is the empty string", () => {
    expect(decode(new Uint8Array(0))).toBe("");
  });

  test("a result over the limit fails while decoding", () => {
    const coded = encode("0".repeat(100));
    expect(decode(coded, 100)).toBe("0".repeat(100));
    expect(() => decode(coded, 99)).toThrow(/longer than 99/);
  });

  test("arbitrary bytes decode or fail with the caller's error, nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          const s = decode(bytes);
          expect(toHex(encode(s)).length).toBeLessThanOrEqual(bytes.length * 2);
        } catch (error) {
          expect(error).toBeInstanceOf(WireFailure);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
