/**
 * String literals: what the mutation run of `string-literal.ts` found
 * untested: Huffman coding by default, and the offset an incomplete string
 * must wait for.
 */
import { describe, expect, test } from "vitest";
import { ByteWriter } from "../../../src/h3/qpack/byte-writer.js";
import { INCOMPLETE } from "../../../src/h3/qpack/integer.js";
import { decodeStringLiteral, encodeStringLiteral, StringResult, stringLiteralLength } from "../../../src/h3/qpack/string-literal.js";
import { fail, hex, toHex } from "./support.js";

describe("string literal defaults and waiting", () => {
  test("Huffman coding is the default when shorter (RFC 7541 C.4.1)", () => {
    const out = new ByteWriter();
    encodeStringLiteral(out, 0, 8, "www.example.com");
    expect(toHex(out.view())).toBe("8cf1e3c2e5f23a6ba0ab90f4ff");
    expect(stringLiteralLength(8, "www.example.com")).toBe(13);
  });

  test("an incomplete body waits for the offset where the string ends, counted from where it starts", () => {
    const r = new StringResult();
    expect(r.value).toBe("");
    const b = hex("00 00 0f 7777");
    expect(decodeStringLiteral(b, 2, b.length, 8, 4096, r, fail)).toBe(INCOMPLETE);
    expect(r.needed).toBe(18);
    // A length not yet complete: 0, whatever an earlier call left there.
    expect(decodeStringLiteral(hex("7f"), 0, 1, 8, 4096, r, fail)).toBe(INCOMPLETE);
    expect(r.needed).toBe(0);
  });
});
