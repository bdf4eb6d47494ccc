/**
 * The encoded field section prefix (RFC 9204 §4.5.1): the Required Insert
 * Count, encoded modulo twice the table's maximum number of entries
 * (§4.5.1.1), and the Base as a sign bit and a delta from it (§4.5.1.2).
 *
 * `maxEntries` is floor(MaxTableCapacity / 32), where MaxTableCapacity is the
 * decoder's SETTINGS_QPACK_MAX_TABLE_CAPACITY: the encoder uses the value it
 * received, not the (possibly smaller) capacity it chose.
 *
 * @example
 * ```ts
 * import { ByteWriter } from "./byte-writer.js";
 * import { FieldSectionPrefix, readFieldSectionPrefix, writeFieldSectionPrefix } from "./field-section-prefix.js";
 * const out = new ByteWriter();
 * writeFieldSectionPrefix(out, 2, 0, 6); // 03 81 (RFC 9204 B.2: Required Insert Count 2, Base 0)
 * const fail = (reason: string): never => { throw new Error(reason); };
 * const prefix = new FieldSectionPrefix();
 * readFieldSectionPrefix(out.view(), 0, out.length, 6, 2, prefix, fail); // 2; prefix.requiredInsertCount 2, prefix.base 0
 * ```
 * @module
 */
import type { ByteWriter } from "./byte-writer.js";
import type { Fail } from "./errors.js";
import { decodeInteger, encodeInteger, INCOMPLETE, INTEGER_OVERFLOW, IntegerResult } from "./integer.js";

/** The encoded form of a Required Insert Count (§4.5.1.1). */
export function encodeRequiredInsertCount(requiredInsertCount: number, maxEntries: number): number {
  return requiredInsertCount === 0 ? 0 : (requiredInsertCount % (2 * maxEntries)) + 1;
}

/**
 * The Required Insert Count an encoded value stands for, given the decoder's
 * total number of inserts (§4.5.1.1); calls `fail` for a value no conformant
 * encoder produces.
 */
export function decodeRequiredInsertCount(encoded: number, maxEntries: number, totalInserts: number, fail: Fail): number {
  if (encoded === 0) return 0;
  const fullRange = 2 * maxEntries;
  if (encoded > fullRange) fail(`encoded Required Insert Count ${encoded} exceeds ${fullRange}`);
  const maxValue = totalInserts + maxEntries;
  const maxWrapped = Math.floor(maxValue / fullRange) * fullRange;
  let required = maxWrapped + encoded - 1;
  if (required > maxValue) {
    if (required <= fullRange) fail(`encoded Required Insert Count ${encoded} is beyond the inserts possible`);
    required -= fullRange;
  }
  if (required === 0) fail("Required Insert Count 0 encoded as non-zero");
  return required;
}

/** Writes the prefix; `base` may be below, at or above `requiredInsertCount`. */
export function writeFieldSectionPrefix(out: ByteWriter, requiredInsertCount: number, base: number, maxEntries: number): void {
  encodeInteger(out, 0, 8, encodeRequiredInsertCount(requiredInsertCount, maxEntries));
  if (base >= requiredInsertCount) encodeInteger(out, 0x00, 7, base - requiredInsertCount);
  else encodeInteger(out, 0x80, 7, requiredInsertCount - base - 1);
}

/** What {@link readFieldSectionPrefix} read. */
export class FieldSectionPrefix {
  requiredInsertCount = 0;
  base = 0;
}

const integer = new IntegerResult();

/**
 * Reads the prefix at `bytes[offset]`; returns the offset of the first field
 * line. A section is complete when it arrives, so truncation fails too.
 */
export function readFieldSectionPrefix(
  bytes: Uint8Array,
  offset: number,
  end: number,
  maxEntries: number,
  totalInserts: number,
  out: FieldSectionPrefix,
  fail: Fail,
): number {
  let next = decodeInteger(bytes, offset, end, 8, integer);
  if (next === INTEGER_OVERFLOW) fail("Required Insert Count exceeds 2^62 - 1");
  if (next === INCOMPLETE) fail("field section prefix truncated");
  const required = decodeRequiredInsertCount(integer.value, maxEntries, totalInserts, fail);
  const negative = next < end && (bytes[next]! & 0x80) !== 0;
  next = decodeInteger(bytes, next, end, 7, integer);
  if (next === INTEGER_OVERFLOW) fail("Delta Base exceeds 2^62 - 1");
  if (next === INCOMPLETE) fail("field section prefix truncated");
  const delta = integer.value;
  if (negative && delta >= required) fail(`negative Base: Required Insert Count ${required}, Delta Base -${delta + 1}`);
  out.requiredInsertCount = required;
  out.base = negative ? required - delta - 1 : required + delta;
  return next;
}
