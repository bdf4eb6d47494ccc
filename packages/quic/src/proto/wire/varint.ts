/**
 * QUIC variable-length integers (RFC 9000 §16): the two high bits of the
 * first byte give the length (1, 2, 4 or 8 bytes), the rest is the value in
 * network byte order, so values run from 0 to 2^62-1.
 *
 * Values are JavaScript numbers, the fast path for everything the transport
 * does arithmetic on. Numbers are exact up to 2^53-1; an 8-byte encoding
 * above that decodes to the nearest double that is still below 2^62 (so it
 * re-encodes as a valid varint). Use {@link decodeVarintBigInt} /
 * {@link writeVarintBigInt} where all 62 bits must survive (application
 * error codes chosen by a peer, for instance).
 *
 * Non-minimal encodings are valid (§16: "values do not need to be encoded on
 * the minimum number of bytes"); only frame types must be minimal (§12.4),
 * which the frame parser checks.
 *
 * The functions take `(buffer, offset)` and return numbers, never objects:
 * they run several times per frame.
 *
 * @example
 * ```ts
 * import { decodeVarint, varintLengthOfFirstByte, writeVarint } from "@zsync/quic/proto";
 * const buf = new Uint8Array(8);
 * const end = writeVarint(buf, 0, 494878333); // 4 bytes: 9d 7f 3e 7d
 * decodeVarint(buf, 0, end); // 494878333
 * varintLengthOfFirstByte(buf[0] ?? 0); // 4
 * ```
 * @module
 */

/** 2^62, one past the largest varint. */
export const VARINT_LIMIT = 2 ** 62;
/** The largest varint value as a bigint (2^62-1). */
export const MAX_VARINT_BIGINT = (1n << 62n) - 1n;
/** The largest number that encodes as a varint without rounding: the largest double below 2^62. */
export const MAX_VARINT = VARINT_LIMIT - 512;

const TWO_POW_32 = 0x1_0000_0000;

/** Encoded length (1, 2, 4 or 8) announced by a varint's first byte. */
export function varintLengthOfFirstByte(firstByte: number): 1 | 2 | 4 | 8 {
  return (1 << (firstByte >>> 6)) as 1 | 2 | 4 | 8;
}

/** The minimal encoded length of `value`; throws `RangeError` outside [0, 2^62). */
export function varintLength(value: number): 1 | 2 | 4 | 8 {
  if (value < 0x40 && value >= 0) return 1;
  if (value < 0x4000 && value >= 0) return 2;
  if (value < 0x4000_0000 && value >= 0) return 4;
  if (value < VARINT_LIMIT && value >= 0) return 8;
  throw new RangeError(`varint value must be in [0, 2^62), got ${value}`);
}

/**
 * Decodes the varint at `offset`; returns -1 when it runs past `end`
 * (callers turn that into the error their context demands).
 */
export function decodeVarint(buffer: Uint8Array, offset: number, end: number = buffer.length): number {
  if (offset >= end) return -1;
  const first = buffer[offset] as number;
  switch (first >>> 6) {
    case 0:
      return first;
    case 1:
      if (offset + 2 > end) return -1;
      return ((first & 0x3f) << 8) | (buffer[offset + 1] as number);
    case 2:
      if (offset + 4 > end) return -1;
      return (
        (first & 0x3f) * 0x100_0000 +
        (((buffer[offset + 1] as number) << 16) | ((buffer[offset + 2] as number) << 8) | (buffer[offset + 3] as number))
      );
    default: {
      if (offset + 8 > end) return -1;
      const high =
        (first & 0x3f) * 0x100_0000 +
        (((buffer[offset + 1] as number) << 16) | ((buffer[offset + 2] as number) << 8) | (buffer[offset + 3] as number));
      const low =
        (buffer[offset + 4] as number) * 0x100_0000 +
        (((buffer[offset + 5] as number) << 16) | ((buffer[offset + 6] as number) << 8) | (buffer[offset + 7] as number));
      const value = high * TWO_POW_32 + low;
      // The double nearest to a value just below 2^62 can be 2^62 itself: keep it encodable.
      return value >= VARINT_LIMIT ? MAX_VARINT : value;
    }
  }
}

/** Decodes the varint at `offset` exactly, as a bigint; -1n when truncated. */
export function decodeVarintBigInt(buffer: Uint8Array, offset: number, end: number = buffer.length): bigint {
  if (offset >= end) return -1n;
  const length = varintLengthOfFirstByte(buffer[offset] as number);
  if (offset + length > end) return -1n;
  let value = BigInt((buffer[offset] as number) & 0x3f);
  for (let i = 1; i < length; i++) value = (value << 8n) | BigInt(buffer[offset + i] as number);
  return value;
}

/**
 * Writes `value` at `offset` in exactly `length` bytes (1, 2, 4 or 8; a
 * non-minimal length is legal, e.g. a 2-byte Length field patched after the
 * payload is known). Returns the offset after it. Throws `RangeError` when
 * the value does not fit `length` or the buffer is too short.
 */
export function writeVarintWithLength(buffer: Uint8Array, offset: number, value: number, length: 1 | 2 | 4 | 8): number {
  if (!Number.isInteger(value) || value < 0 || value >= VARINT_LIMIT)
    throw new RangeError(`varint value must be an integer in [0, 2^62), got ${value}`);
  if (offset < 0 || offset + length > buffer.length)
    throw new RangeError(`buffer too short for a ${length}-byte varint at offset ${offset}`);
  switch (length) {
    case 1:
      if (value >= 0x40) throw new RangeError(`value ${value} does not fit a 1-byte varint`);
      buffer[offset] = value;
      return offset + 1;
    case 2:
      if (value >= 0x4000) throw new RangeError(`value ${value} does not fit a 2-byte varint`);
      buffer[offset] = 0x40 | (value >>> 8);
      buffer[offset + 1] = value & 0xff;
      return offset + 2;
    case 4:
      if (value >= 0x4000_0000) throw new RangeError(`value ${value} does not fit a 4-byte varint`);
      buffer[offset] = 0x80 | (value >>> 24);
      buffer[offset + 1] = (value >>> 16) & 0xff;
      buffer[offset + 2] = (value >>> 8) & 0xff;
      buffer[offset + 3] = value & 0xff;
      return offset + 4;
    case 8: {
      const high = Math.floor(value / TWO_POW_32);
      const low = value >>> 0;
      buffer[offset] = 0xc0 | (high >>> 24);
      buffer[offset + 1] = (high >>> 16) & 0xff;
      buffer[offset + 2] = (high >>> 8) & 0xff;
      buffer[offset + 3] = high & 0xff;
      buffer[offset + 4] = low >>> 24;
      buffer[offset + 5] = (low >>> 16) & 0xff;
      buffer[offset + 6] = (low >>> 8) & 0xff;
      buffer[offset + 7] = low & 0xff;
      return offset + 8;
    }
    default:
      throw new RangeError(`varint length must be 1, 2, 4 or 8, got ${String(length)}`);
  }
}

/** Writes `value` minimally at `offset`; returns the offset after it. */
export function writeVarint(buffer: Uint8Array, offset: number, value: number): number {
  return writeVarintWithLength(buffer, offset, value, varintLength(value));
}

/** Writes a bigint varint minimally (exact over all 62 bits); returns the offset after it. */
export function writeVarintBigInt(buffer: Uint8Array, offset: number, value: bigint): number {
  if (value < 0n || value > MAX_VARINT_BIGINT) throw new RangeError(`varint value must be in [0, 2^62), got ${value}`);
  const length = value < 0x40n ? 1 : value < 0x4000n ? 2 : value < 0x4000_0000n ? 4 : 8;
  if (offset < 0 || offset + length > buffer.length)
    throw new RangeError(`buffer too short for a ${length}-byte varint at offset ${offset}`);
  let rest = value;
  for (let i = length - 1; i >= 0; i--) {
    buffer[offset + i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  buffer[offset] = (buffer[offset] as number) | ((31 - Math.clz32(length)) << 6);
  return offset + length;
}
