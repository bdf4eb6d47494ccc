/**
 * Encoder-stream instructions (RFC 9204 §4.3): writers for the encoder and an
 * incremental parser for the decoder. The parser reads one instruction at a
 * time from whatever bytes have arrived, returns {@link INCOMPLETE} (with the
 * total length it must wait for in `needed`) when they end inside it, and
 * checks every string's declared length against the limit before waiting
 * for its bytes, so a peer cannot make the decoder buffer more than one
 * table capacity.
 *
 * @example
 * ```ts
 * import { ByteWriter } from "./byte-writer.js";
 * import { EncoderInstruction, parseEncoderInstruction, writeSetCapacity } from "./encoder-instructions.js";
 * const out = new ByteWriter();
 * writeSetCapacity(out, 220); // 3f bd 01 (RFC 9204 B.2)
 * const fail = (reason: string): never => { throw new Error(reason); };
 * const instruction = new EncoderInstruction();
 * parseEncoderInstruction(out.view(), 0, out.length, 4096, instruction, fail); // 3; kind "set-capacity", value 220
 * ```
 * @module
 */
import type { ByteWriter } from "./byte-writer.js";
import type { Fail } from "./errors.js";
import { decodeInteger, encodeInteger, INCOMPLETE, INTEGER_OVERFLOW, IntegerResult } from "./integer.js";
import { decodeStringLiteral, encodeStringLiteral, StringResult } from "./string-literal.js";

/** Set Dynamic Table Capacity: '001' and a 5-bit prefix capacity. */
export function writeSetCapacity(out: ByteWriter, capacity: number): void {
  encodeInteger(out, 0x20, 5, capacity);
}

/** Insert with Name Reference: '1', T (static), a 6-bit prefix name index (static, or relative to the insert count), the value. */
export function writeInsertWithNameReference(out: ByteWriter, isStatic: boolean, index: number, value: string, huffman = true): void {
  encodeInteger(out, isStatic ? 0xc0 : 0x80, 6, index);
  encodeStringLiteral(out, 0, 8, value, huffman);
}

/** Insert with Literal Name: '01', the name as a 6-bit prefix string, the value. */
export function writeInsertWithLiteralName(out: ByteWriter, name: string, value: string, huffman = true): void {
  encodeStringLiteral(out, 0x40, 6, name, huffman);
  encodeStringLiteral(out, 0, 8, value, huffman);
}

/** Duplicate: '000' and a 5-bit prefix relative index (0 = the newest entry). */
export function writeDuplicate(out: ByteWriter, relativeIndex: number): void {
  encodeInteger(out, 0x00, 5, relativeIndex);
}

/** What {@link parseEncoderInstruction} read; reused across calls. */
export class EncoderInstruction {
  kind: "set-capacity" | "insert-static-name" | "insert-dynamic-name" | "insert-literal-name" | "duplicate" = "set-capacity";
  /** The capacity, the static index, or the relative index (per `kind`). */
  value = 0;
  /** The literal name (insert-literal-name only). */
  name = "";
  /** The value string (inserts only). */
  fieldValue = "";
  /** After an {@link INCOMPLETE} return: the offset the input must reach before parsing again can progress. */
  needed = 0;
}

const integer = new IntegerResult();
const str = new StringResult();

/**
 * Parses one instruction at `bytes[offset]`, where `maxString` bounds every
 * string (a table capacity minus the 32-byte entry overhead). Returns the
 * offset after it or {@link INCOMPLETE}; calls `fail` on an oversized
 * integer, an oversized string or a bad Huffman code.
 */
export function parseEncoderInstruction(
  bytes: Uint8Array,
  offset: number,
  end: number,
  maxString: number,
  out: EncoderInstruction,
  fail: Fail,
): number {
  const first = bytes[offset]!;
  let next: number;
  if ((first & 0x80) !== 0) {
    out.kind = (first & 0x40) !== 0 ? "insert-static-name" : "insert-dynamic-name";
    next = readInteger(bytes, offset, end, 6, out, fail);
    if (next < 0) return next;
    out.value = integer.value;
    return readValue(bytes, next, end, maxString, out, fail);
  }
  if ((first & 0x40) !== 0) {
    out.kind = "insert-literal-name";
    next = readString(bytes, offset, end, 6, maxString, out, fail);
    if (next < 0) return next;
    out.name = str.value;
    // Name and value share one entry's budget: a peer cannot make us hold two capacities' worth of strings.
    return readValue(bytes, next, end, maxString - out.name.length, out, fail);
  }
  out.kind = (first & 0x20) !== 0 ? "set-capacity" : "duplicate";
  next = readInteger(bytes, offset, end, 5, out, fail);
  if (next >= 0) out.value = integer.value;
  return next;
}

function readInteger(bytes: Uint8Array, offset: number, end: number, prefix: number, out: EncoderInstruction, fail: Fail): number {
  const next = decodeInteger(bytes, offset, end, prefix, integer);
  if (next === INTEGER_OVERFLOW) fail("integer exceeds 2^62 - 1");
  if (next === INCOMPLETE) out.needed = end + 1;
  return next;
}

function readString(
  bytes: Uint8Array,
  offset: number,
  end: number,
  prefix: number,
  maxString: number,
  out: EncoderInstruction,
  fail: Fail,
): number {
  const next = decodeStringLiteral(bytes, offset, end, prefix, maxString, str, fail);
  if (next === INCOMPLETE) out.needed = Math.max(end + 1, str.needed);
  return next;
}

function readValue(bytes: Uint8Array, offset: number, end: number, maxString: number, out: EncoderInstruction, fail: Fail): number {
  const next = readString(bytes, offset, end, 8, maxString, out, fail);
  if (next >= 0) out.fieldValue = str.value;
  return next;
}
