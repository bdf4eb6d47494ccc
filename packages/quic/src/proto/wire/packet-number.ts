/**
 * Packet number truncation (RFC 9000 §17.1): a packet carries only the 1 to
 * 4 least significant bytes of its 62-bit packet number, enough for the
 * receiver to recover it from the largest number it has already processed.
 * The sender picks the length from how many packets may still be
 * unacknowledged (Appendix A.2); the receiver rebuilds the full number as
 * the candidate closest to the next expected one (Appendix A.3).
 *
 * Packet numbers are numbers (exact to 2^53: at a million packets a second
 * that is 285 years of one connection).
 *
 * @example
 * ```ts
 * import { decodePacketNumber, packetNumberLength } from "@zsync/quic/proto";
 * packetNumberLength(0xac5c02, 0xabe8b3); // 2
 * decodePacketNumber(0xa82f30ea, 0x9b32, 2); // 0xa82f9b32
 * ```
 * @module
 */

const PN_LIMIT = 2 ** 62;

/**
 * The number of bytes (1-4) to encode `packetNumber` with, given the
 * largest packet number the peer has acknowledged in this space (-1 when
 * none): enough bits to represent twice the unacknowledged range (A.2).
 * Throws `RangeError` when more than 2^31 packets are unacknowledged, which
 * no sender should allow.
 */
export function packetNumberLength(packetNumber: number, largestAcked: number): 1 | 2 | 3 | 4 {
  if (!Number.isSafeInteger(packetNumber) || packetNumber < 0)
    throw new RangeError(`packetNumber must be a non-negative integer, got ${packetNumber}`);
  if (!Number.isSafeInteger(largestAcked) || largestAcked < -1 || largestAcked >= packetNumber)
    throw new RangeError(`largestAcked must be -1 or below packetNumber (${packetNumber}), got ${largestAcked}`);
  // num_unacked = full_pn - largest_acked (or full_pn + 1 when nothing is acknowledged: largestAcked = -1).
  const twiceUnacked = 2 * (packetNumber - largestAcked);
  if (twiceUnacked <= 0x100) return 1;
  if (twiceUnacked <= 0x1_0000) return 2;
  if (twiceUnacked <= 0x100_0000) return 3;
  if (twiceUnacked <= 0x1_0000_0000) return 4;
  throw new RangeError(`${packetNumber - largestAcked} unacknowledged packet numbers cannot be encoded in 4 bytes`);
}

/** Writes the `length` low bytes of `packetNumber` big-endian at `offset`; returns the offset after them. */
export function writePacketNumber(buffer: Uint8Array, offset: number, packetNumber: number, length: 1 | 2 | 3 | 4): number {
  if (offset < 0 || offset + length > buffer.length)
    throw new RangeError(`buffer too short for a ${length}-byte packet number at ${offset}`);
  const low = packetNumber % 0x1_0000_0000;
  for (let i = length - 1; i >= 0; i--) buffer[offset + length - 1 - i] = (low / 2 ** (8 * i)) & 0xff;
  return offset + length;
}

/** Reads a `length`-byte truncated packet number at `offset` (the caller has checked the bounds). */
export function readTruncatedPacketNumber(buffer: Uint8Array, offset: number, length: number): number {
  let value = 0;
  for (let i = 0; i < length; i++) value = value * 256 + (buffer[offset + i] as number);
  return value;
}

/**
 * Recovers the full packet number from its `length`-byte truncation, given
 * the largest packet number successfully processed in the space (-1 when
 * none): RFC 9000 Appendix A.3, in float-safe arithmetic.
 */
export function decodePacketNumber(largestPn: number, truncatedPn: number, length: number): number {
  const expected = largestPn + 1;
  const window = 2 ** (8 * length);
  const halfWindow = window / 2;
  // (expected & ~mask) | truncated, without 32-bit bit operators.
  const candidate = expected - (expected % window) + truncatedPn;
  if (candidate <= expected - halfWindow && candidate < PN_LIMIT - window) return candidate + window;
  if (candidate > expected + halfWindow && candidate >= window) return candidate - window;
  return candidate;
}
