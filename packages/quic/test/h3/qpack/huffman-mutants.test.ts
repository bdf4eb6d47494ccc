/**
 * The Huffman decoder's tables are built from RFC 7541's code when the module
 * loads. A broken build throws at load (the tree must have exactly 256
 * internal nodes), which fails every suite that imports the module but no
 * single test; this file imports it inside a test, so that a broken table is
 * a failing test, and checks the built tables against the code itself.
 */
import { describe, expect, test } from "vitest";
import { ByteWriter } from "../../../src/h3/qpack/byte-writer.js";
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from "../../../src/h3/qpack/huffman-table.js";
import { fail } from "./support.js";

describe("the Huffman decoder built at load", () => {
  test("loads, and decodes every symbol's code, alone and after every other symbol", async () => {
    const { huffmanDecode, huffmanEncode } = await import("../../../src/h3/qpack/huffman.js");
    const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    for (let sym = 0; sym < 256; sym++) {
      // The code written by hand from the table, padded with ones, decodes to the symbol.
      const len = HUFFMAN_LENGTHS[sym]!;
      const bytes = Math.ceil(len / 8);
      const padded = BigInt(HUFFMAN_CODES[sym]!) * (1n << BigInt(bytes * 8 - len)) + ((1n << BigInt(bytes * 8 - len)) - 1n);
      const input = new Uint8Array(bytes);
      for (let i = 0; i < bytes; i++) input[i] = Number((padded >> BigInt(8 * (bytes - 1 - i))) & 0xffn);
      expect(huffmanDecode(input, 0, bytes, 4, fail)).toBe(String.fromCharCode(sym));
    }
    const out = new ByteWriter();
    huffmanEncode(out, all + all.split("").reverse().join(""));
    expect(huffmanDecode(out.view(), 0, out.length, 512, fail)).toBe(all + all.split("").reverse().join(""));
  });
});
