/**
 * Prefixed integers (RFC 9204 §4.1.1, the format of RFC 7541 §5.1): a value
 * in the low `prefixBits` bits of a first byte whose high bits belong to the
 * representation, continued in 7-bit groups, least significant first, when it
 * does not fit.
 *
 * Limits: QPACK must decode integers of up to 62 bits. Values are returned as
 * numbers, exact up to 2^53; everything QPACK counts (lengths, indices,
 * capacities, stream IDs of this transport) is far below that, and callers
 * compare against such limits, so a value between 2^53 and 2^62 only ever
 * fails a limit check. A value of 2^62 or more, or an encoding longer than 62
 * bits of continuation (runs of 0x80 padding included), is refused after at
 * most 10 bytes: bounded work per integer.
 *
 * @example
 * ```ts
 * import { ByteWriter } from "./byte-writer.js";
 * import { decodeInteger, encodeInteger, IntegerResult } from "./integer.js";
 * const out = new ByteWriter();
 * encodeInteger(out, 0x20, 5, 220); // Set Dynamic Table Capacity=220: 3f bd 01
 * const result = new IntegerResult();
 * decodeInteger(out.view(), 0, out.length, 5, result); // 3, with result.value 220
 * ```
 * @module
 */
import type { ByteWriter } from "./byte-writer.js";

/** Returned by decoders when the input ends inside the item: wait for more bytes. */
export const INCOMPLETE = -1;
/** Returned by {@link decodeInteger} for a value of 2^62 or more, or an encoding too long to be one. */
export const INTEGER_OVERFLOW = -2;

/** Continuation bytes after the first that can still carry bits below 2^62 (7 × 9 = 63 ≥ 62). */
const MAX_CONTINUATION = 9;

/** Out-parameter of {@link decodeInteger}, reused to avoid an object per integer. */
export class IntegerResult {
  value = 0;
}

/** The number of bytes {@link encodeInteger} writes. */
export function integerLength(prefixBits: number, value: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) return 1;
  let rest = value - max;
  let n = 2;
  while (rest >= 128) {
    rest = Math.floor(rest / 128);
    n++;
  }
  return n;
}

/**
 * Writes `value` (a non-negative integer below 2^53) with a `prefixBits`-bit
 * prefix (1-8); `highBits` are the representation's bits above the prefix.
 */
export function encodeInteger(out: ByteWriter, highBits: number, prefixBits: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`value: ${value} is not a non-negative safe integer`);
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.byte(highBits | value);
    return;
  }
  out.byte(highBits | max);
  let rest = value - max;
  while (rest >= 128) {
    out.byte((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.byte(rest);
}

/**
 * Reads an integer with a `prefixBits`-bit prefix starting at `bytes[offset]`
 * (the caller has already read the high bits there). Returns the offset after
 * it, {@link INCOMPLETE} when `end` comes first, or {@link INTEGER_OVERFLOW}.
 */
export function decodeInteger(bytes: Uint8Array, offset: number, end: number, prefixBits: number, result: IntegerResult): number {
  if (offset >= end) return INCOMPLETE;
  const max = (1 << prefixBits) - 1;
  const first = bytes[offset]! & max;
  if (first < max) {
    result.value = first;
    return offset + 1;
  }
  let value = max;
  let multiplier = 1;
  for (let i = 1; ; i++) {
    if (i > MAX_CONTINUATION) return INTEGER_OVERFLOW;
    if (offset + i >= end) return INCOMPLETE;
    const b = bytes[offset + i]!;
    value += (b & 0x7f) * multiplier;
    if ((b & 0x80) === 0) {
      // Below 9 continuation bytes the value is under 2^56 + 255: only the longest form can reach 2^62.
      if (i === MAX_CONTINUATION && exceeds62Bits(bytes, offset, i, max)) return INTEGER_OVERFLOW;
      result.value = value;
      return offset + i + 1;
    }
    multiplier *= 128;
  }
}

/**
 * Exact check for the longest encodings, where the float sum above may have
 * rounded a value just under 2^62 up to it (or one just over it down).
 */
function exceeds62Bits(bytes: Uint8Array, offset: number, count: number, max: number): boolean {
  let value = BigInt(max);
  let shift = 0n;
  for (let i = 1; i <= count; i++) {
    value += BigInt(bytes[offset + i]! & 0x7f) << shift;
    shift += 7n;
  }
  return value >= 1n << 62n;
}
