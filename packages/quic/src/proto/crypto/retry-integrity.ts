/**
 * The Retry Integrity Tag (RFC 9001 §5.8, RFC 9369 §3.3.3): AES-128-GCM
 * with a fixed, published key and nonce per version over the Retry
 * pseudo-packet (the original Destination Connection ID, prefixed by its
 * length, followed by the Retry packet without its tag). It protects
 * against corruption and proves the sender saw the client's Initial; it is
 * not secret. Retry is rare, so these functions allocate.
 *
 * @example
 * ```ts
 * import { getProvider } from "@zsync/crypto";
 * import { QuicVersion, verifyRetryIntegrity, writeRetryHeader, writeRetryIntegrityTag } from "@zsync/quic/proto";
 * declare const clientScid: Uint8Array, newScid: Uint8Array, token: Uint8Array, originalDcid: Uint8Array;
 * declare const datagram: Uint8Array;
 * const provider = getProvider();
 * const version = QuicVersion.V1;
 * const buf = new Uint8Array(1200);
 * const tagOffset = writeRetryHeader(buf, 0, version, clientScid, newScid, token);
 * writeRetryIntegrityTag(provider, version, originalDcid, buf, 0, tagOffset);
 * // client side:
 * verifyRetryIntegrity(provider, version, originalDcid, datagram); // boolean
 * ```
 * @module
 */
import type { CryptoProvider } from "@zsync/crypto";
import { versionConstants } from "./labels.js";

const EMPTY = new Uint8Array(0);

function pseudoPacket(originalDcid: Uint8Array, retryWithoutTag: Uint8Array): Uint8Array {
  if (originalDcid.length > 255) throw new RangeError(`originalDcid must be at most 255 bytes, got ${originalDcid.length}`);
  const pseudo = new Uint8Array(1 + originalDcid.length + retryWithoutTag.length);
  pseudo[0] = originalDcid.length;
  pseudo.set(originalDcid, 1);
  pseudo.set(retryWithoutTag, 1 + originalDcid.length);
  return pseudo;
}

/** The 16-byte tag of a Retry packet `retryWithoutTag` answering an Initial sent to `originalDcid`. */
export function retryIntegrityTag(
  provider: CryptoProvider,
  version: number,
  originalDcid: Uint8Array,
  retryWithoutTag: Uint8Array,
): Uint8Array {
  const constants = versionConstants(version);
  return provider.aead("aes-128-gcm", constants.retryKey).seal(constants.retryNonce, EMPTY, pseudoPacket(originalDcid, retryWithoutTag));
}

/**
 * Computes the tag of `buffer[start, tagOffset)` and writes it at
 * `tagOffset`; returns the end of the Retry packet.
 */
export function writeRetryIntegrityTag(
  provider: CryptoProvider,
  version: number,
  originalDcid: Uint8Array,
  buffer: Uint8Array,
  start: number,
  tagOffset: number,
): number {
  if (tagOffset + 16 > buffer.length || start < 0 || tagOffset < start)
    throw new RangeError("buffer too short for the Retry integrity tag");
  buffer.set(retryIntegrityTag(provider, version, originalDcid, buffer.subarray(start, tagOffset)), tagOffset);
  return tagOffset + 16;
}

/**
 * True when `retryPacket` (a whole Retry packet, tag included) carries a
 * valid tag for `originalDcid`. A client discards a Retry that fails
 * (RFC 9000 §17.2.5.2).
 */
export function verifyRetryIntegrity(
  provider: CryptoProvider,
  version: number,
  originalDcid: Uint8Array,
  retryPacket: Uint8Array,
): boolean {
  if (retryPacket.length < 16) return false;
  const expected = retryIntegrityTag(provider, version, originalDcid, retryPacket.subarray(0, retryPacket.length - 16));
  let difference = 0;
  for (let i = 0; i < 16; i++) difference |= (expected[i] as number) ^ (retryPacket[retryPacket.length - 16 + i] as number);
  return difference === 0;
}
