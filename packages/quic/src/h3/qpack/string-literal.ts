/**
 * String literals (RFC 9204 §4.1.2, RFC 7541 §5.2): an H bit (Huffman-coded
 * or not), the encoded length as an (N-1)-bit prefix integer, then the bytes.
 * QPACK's N-bit prefix strings start mid-byte; `prefixBits` is N (2-8) and
 * `highBits` are the representation's bits above it.
 *
 * The encoder uses Huffman only when it is strictly shorter. The decoder
 * checks a declared length against `maxLength` (the longest decoded string
 * the caller accepts) before it waits for, copies or decodes any of it: a
 * length prefix of 2^61 on the encoder stream fails at once, without
 * buffering.
 *
 * @example
 * ```ts
 * import { ByteWriter } from "./byte-writer.js";
 * import { decodeStringLiteral, encodeStringLiteral, StringResult } from "./string-literal.js";
 * const out = new ByteWriter();
 * encodeStringLiteral(out, 0, 8, "custom-key"); // 88 25a8 49e9 5ba9 7d7f (RFC 7541 C.4.3)
 * const fail = (reason: string): never => { throw new Error(reason); };
 * const result = new StringResult();
 * decodeStringLiteral(out.view(), 0, out.length, 8, 4096, result, fail); // 9; result.value "custom-key"
 * ```
 * @module
 */
import type { ByteWriter } from "./byte-writer.js";
import type { Fail } from "./errors.js";
import { bytesToString, huffmanDecode, huffmanEncode, huffmanEncodedLength } from "./huffman.js";
import { decodeInteger, encodeInteger, INCOMPLETE, INTEGER_OVERFLOW, IntegerResult, integerLength } from "./integer.js";

/** Out-parameter of {@link decodeStringLiteral}. */
export class StringResult {
  value = "";
  /** After an {@link INCOMPLETE} return: the offset where the string ends (0 while its length is incomplete). */
  needed = 0;
}

const scratch = new IntegerResult();

/** The number of bytes {@link encodeStringLiteral} writes for `value`. */
export function stringLiteralLength(prefixBits: number, value: string, huffman = true): number {
  const len = huffman ? Math.min(huffmanEncodedLength(value), value.length) : value.length;
  return integerLength(prefixBits - 1, len) + len;
}

/**
 * Writes `value` (a byte string) as an N-bit prefix string literal,
 * Huffman-coded when `huffman` allows it and that is shorter.
 */
export function encodeStringLiteral(out: ByteWriter, highBits: number, prefixBits: number, value: string, huffman = true): void {
  const huffmanLength = huffman ? huffmanEncodedLength(value) : value.length;
  if (huffmanLength < value.length) {
    encodeInteger(out, highBits | (1 << (prefixBits - 1)), prefixBits - 1, huffmanLength);
    huffmanEncode(out, value);
    return;
  }
  encodeInteger(out, highBits, prefixBits - 1, value.length);
  out.reserve(value.length);
  for (let i = 0; i < value.length; i++) out.byte(value.charCodeAt(i));
}

/**
 * Reads an N-bit prefix string literal at `bytes[offset]`. Returns the offset
 * after it, or {@link INCOMPLETE} when its bytes have not all arrived (only
 * after the declared length passed the `maxLength` check); calls `fail` for an
 * oversized integer or a bad Huffman code, and `tooLong` (default `fail`) for a
 * declared length over `maxLength`.
 */
export function decodeStringLiteral(
  bytes: Uint8Array,
  offset: number,
  end: number,
  prefixBits: number,
  maxLength: number,
  result: StringResult,
  fail: Fail,
  tooLong: Fail | (() => never) = fail,
): number {
  if (offset >= end) {
    result.needed = 0;
    return INCOMPLETE;
  }
  const huffman = (bytes[offset]! & (1 << (prefixBits - 1))) !== 0;
  const next = decodeInteger(bytes, offset, end, prefixBits - 1, scratch);
  if (next === INTEGER_OVERFLOW) fail("string length exceeds 2^62 - 1");
  if (next === INCOMPLETE) {
    result.needed = 0;
    return INCOMPLETE;
  }
  const length = scratch.value;
  // A Huffman code is at most 30 bits a symbol: n bytes decode to at least (8n - 7) / 30 characters.
  const leastDecoded = huffman ? Math.ceil((length * 8 - 7) / 30) : length;
  if (leastDecoded > maxLength) tooLong(`string of ${huffman ? "at least " : ""}${leastDecoded} bytes exceeds the limit of ${maxLength}`);
  if (next + length > end) {
    result.needed = next + length;
    return INCOMPLETE;
  }
  result.value = huffman ? huffmanDecode(bytes, next, next + length, maxLength, fail, tooLong) : bytesToString(bytes, next, next + length);
  return next + length;
}
