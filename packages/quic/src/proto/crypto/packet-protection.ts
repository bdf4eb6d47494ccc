/**
 * Packet protection (RFC 9001 §5.3, §5.4): sealing and opening whole
 * packets in place, in the caller's buffer.
 *
 * Sealing: the caller has written the header (with the plain packet
 * number) and the plaintext payload; {@link sealPacket} encrypts the payload
 * with nonce = iv XOR packet number and the header as associated data,
 * appends the 16-byte tag, then masks the low bits of the first byte and
 * the packet number with a mask computed from the ciphertext sampled 4
 * bytes after the start of the packet number field.
 *
 * Opening is two steps because the receiver needs the unprotected first
 * byte (key phase, packet number length) to choose keys and decode the
 * packet number: {@link removeHeaderProtection}, then
 * {@link decryptPayload}. {@link openPacket} does both for the common case.
 * A packet that fails authentication is reported by a return value, not an
 * exception: forged and corrupted packets are routine input (RFC 9001 §5.3
 * says to discard them) and the receive path should not pay for a throw.
 *
 * @example
 * ```ts
 * import { type PacketKeys, sealPacket, writeShortHeader } from "@zsync/quic/proto";
 * declare const keys: PacketKeys;
 * declare const dcid: Uint8Array;
 * declare const packetNumber: number;
 * declare function writeFrames(buf: Uint8Array, offset: number): number;
 * declare function send(datagram: Uint8Array): void;
 * const buf = new Uint8Array(1500);
 * const payloadStart = writeShortHeader(buf, 0, { dcid, packetNumber, packetNumberLength: 2, keyPhase: false });
 * const payloadEnd = writeFrames(buf, payloadStart);
 * const end = sealPacket(keys, buf, 0, payloadStart - 2, 2, packetNumber, payloadEnd);
 * send(buf.subarray(0, end));
 * ```
 * @module
 */
import { AuthenticationError, recordNonce } from "@zsync/crypto";
import { decodePacketNumber, readTruncatedPacketNumber } from "../wire/packet-number.js";
import type { PacketKeys } from "./packet-keys.js";

/** AEAD tag length of every QUIC suite. */
export const TAG_LENGTH = 16;
/** Header-protection sample length. */
export const SAMPLE_LENGTH = 16;

/**
 * The smallest packet-number-plus-payload a packet may carry so that the
 * header-protection sample exists: the sample starts 4 bytes after the
 * packet number and is 16 bytes long (RFC 9001 §5.4.2), so with a 1-byte
 * packet number the plaintext payload needs at least 3 bytes.
 */
export function minimumPayloadLength(packetNumberLength: number): number {
  return Math.max(0, 4 + SAMPLE_LENGTH - TAG_LENGTH - packetNumberLength);
}

/**
 * Seals the packet `buffer[start, payloadEnd)` in place: header =
 * `[start, pnOffset + pnLength)` (already containing the plain packet
 * number and, for long headers, a Length that counts the tag), payload =
 * `[pnOffset + pnLength, payloadEnd)`. Writes the tag at `payloadEnd` and
 * returns the packet's end (`payloadEnd + 16`). Throws `RangeError` when the
 * buffer lacks room for the tag or the payload is too short to sample
 * (pad it: see {@link minimumPayloadLength}).
 */
export function sealPacket(
  keys: PacketKeys,
  buffer: Uint8Array,
  start: number,
  pnOffset: number,
  pnLength: number,
  packetNumber: number,
  payloadEnd: number,
): number {
  const payloadStart = pnOffset + pnLength;
  const end = payloadEnd + TAG_LENGTH;
  if (start < 0 || pnOffset <= start || pnLength < 1 || pnLength > 4 || payloadEnd < payloadStart || end > buffer.length)
    throw new RangeError(
      `invalid packet layout: start ${start}, pnOffset ${pnOffset}, pnLength ${pnLength}, payloadEnd ${payloadEnd}, buffer ${buffer.length}`,
    );
  if (pnOffset + 4 + SAMPLE_LENGTH > end)
    throw new RangeError(
      `payload of ${payloadEnd - payloadStart} bytes is too short to sample: pad to ${minimumPayloadLength(pnLength)} bytes`,
    );
  const nonce = recordNonce(keys.iv, packetNumber, keys.nonce);
  keys.aead.seal(
    nonce,
    buffer.subarray(payloadStart, payloadEnd),
    buffer.subarray(start, payloadStart),
    buffer.subarray(payloadStart, end),
  );
  applyMask(keys, buffer, start, pnOffset, pnLength);
  return end;
}

function applyMask(keys: PacketKeys, buffer: Uint8Array, start: number, pnOffset: number, pnLength: number): void {
  const sampleOffset = pnOffset + 4;
  const mask = keys.headerProtection.mask(buffer.subarray(sampleOffset, sampleOffset + SAMPLE_LENGTH), keys.mask);
  const first = buffer[start] as number;
  // Long headers protect 4 bits (reserved + packet number length), short headers 5 (+ key phase).
  buffer[start] = first ^ ((mask[0] as number) & ((first & 0x80) !== 0 ? 0x0f : 0x1f));
  for (let i = 0; i < pnLength; i++) buffer[pnOffset + i] = (buffer[pnOffset + i] as number) ^ (mask[1 + i] as number);
}

/**
 * Removes header protection of the packet `buffer[start, end)` in place
 * (RFC 9001 §5.4.1) and returns the packet number length (1-4), or -1 when
 * the packet is too short to hold a sample (drop it). Afterwards the first
 * byte shows the key phase (short headers) and the reserved bits; the
 * header-protection key is the same across key updates, so this step does
 * not depend on the key phase.
 */
export function removeHeaderProtection(keys: PacketKeys, buffer: Uint8Array, start: number, pnOffset: number, end: number): number {
  const sampleOffset = pnOffset + 4;
  if (sampleOffset + SAMPLE_LENGTH > end || end > buffer.length || pnOffset <= start) return -1;
  const mask = keys.headerProtection.mask(buffer.subarray(sampleOffset, sampleOffset + SAMPLE_LENGTH), keys.mask);
  const protectedFirst = buffer[start] as number;
  const first = protectedFirst ^ ((mask[0] as number) & ((protectedFirst & 0x80) !== 0 ? 0x0f : 0x1f));
  buffer[start] = first;
  const pnLength = (first & 0x03) + 1;
  for (let i = 0; i < pnLength; i++) buffer[pnOffset + i] = (buffer[pnOffset + i] as number) ^ (mask[1 + i] as number);
  return pnLength;
}

/**
 * Decrypts the payload of a packet whose header protection is removed, in
 * place: ciphertext `[pnOffset + pnLength, end)` becomes plaintext
 * `[pnOffset + pnLength, end - 16)`. Returns the plaintext's end, or -1 when
 * authentication fails (the plaintext region is then unspecified; the
 * header is left unprotected).
 */
export function decryptPayload(
  keys: PacketKeys,
  buffer: Uint8Array,
  start: number,
  pnOffset: number,
  pnLength: number,
  packetNumber: number,
  end: number,
): number {
  const payloadStart = pnOffset + pnLength;
  if (end - payloadStart < TAG_LENGTH) return -1;
  const nonce = recordNonce(keys.iv, packetNumber, keys.nonce);
  try {
    keys.aead.open(
      nonce,
      buffer.subarray(payloadStart, end),
      buffer.subarray(start, payloadStart),
      buffer.subarray(payloadStart, end - TAG_LENGTH),
    );
  } catch (error) {
    if (error instanceof AuthenticationError) return -1;
    throw error;
  }
  return end - TAG_LENGTH;
}

/** The result of {@link openPacket}; reusable. */
export class OpenedPacket {
  /** The unprotected first byte (reserved bits, key phase, packet number length). */
  firstByte = 0;
  /** The full, decoded packet number. */
  packetNumber = 0;
  /** Offset of the plaintext payload (frames). */
  payloadStart = 0;
  /** Offset one past the plaintext payload. */
  payloadEnd = 0;

  /** The Key Phase bit of a short header (RFC 9001 §6). */
  get keyPhase(): boolean {
    return (this.firstByte & 0x84) === 0x04;
  }

  /**
   * The reserved bits, which must be 0 once the packet authenticates
   * (RFC 9000 §17.2, §17.3.1: PROTOCOL_VIOLATION otherwise).
   */
  get reservedBits(): number {
    return this.firstByte & ((this.firstByte & 0x80) !== 0 ? 0x0c : 0x18);
  }
}

/**
 * Removes header protection, decodes the packet number against
 * `largestPacketNumber` (the largest processed in this space, -1 when none)
 * and decrypts, all in place. Returns false when the packet must be dropped
 * (too short, or authentication failed); `out` is filled on success.
 */
export function openPacket(
  keys: PacketKeys,
  buffer: Uint8Array,
  start: number,
  pnOffset: number,
  end: number,
  largestPacketNumber: number,
  out: OpenedPacket,
): boolean {
  const pnLength = removeHeaderProtection(keys, buffer, start, pnOffset, end);
  if (pnLength < 0) return false;
  const packetNumber = decodePacketNumber(largestPacketNumber, readTruncatedPacketNumber(buffer, pnOffset, pnLength), pnLength);
  const payloadEnd = decryptPayload(keys, buffer, start, pnOffset, pnLength, packetNumber, end);
  if (payloadEnd < 0) return false;
  out.firstByte = buffer[start] as number;
  out.packetNumber = packetNumber;
  out.payloadStart = pnOffset + pnLength;
  out.payloadEnd = payloadEnd;
  return true;
}
