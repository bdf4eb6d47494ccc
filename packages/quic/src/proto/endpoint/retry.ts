/**
 * Retry (RFC 9000 §8.1.2, §17.2.5; RFC 9001 §5.8): the stateless packets a
 * server sends in answer to a client Initial, and the client's acceptance
 * rules for a Retry.
 *
 * Server side, everything here is stateless and allocates per call
 * (Retries are answers to new connection attempts, not per-packet work):
 * {@link writeRetryPacket} builds a Retry carrying a token and a fresh
 * Source Connection ID, with the version's integrity tag;
 * {@link writeInvalidTokenClose} builds the Initial with CONNECTION_CLOSE
 * INVALID_TOKEN that §8.1.2 asks for when a Retry token does not validate
 * (a client that already followed a Retry will not accept another).
 *
 * Client side, {@link isAcceptableRetry} holds the checks of §17.2.5.2
 * that do not depend on connection state: the version, a non-empty token,
 * a Source Connection ID different from the DCID the client used, and the
 * integrity tag computed over the client's original Destination
 * Connection ID. The connection adds the stateful ones (only one Retry,
 * none after an Initial or Handshake packet was processed) and then
 * follows it (connection.ts `#onRetry`).
 *
 * @module
 */
import type { CryptoProvider } from "@zsync/crypto";
import { createPacketKeys, initialSecrets } from "../crypto/packet-keys.js";
import { minimumPayloadLength, sealPacket, TAG_LENGTH } from "../crypto/packet-protection.js";
import { verifyRetryIntegrity, writeRetryIntegrityTag } from "../crypto/retry-integrity.js";
import { TransportErrorCode } from "../errors.js";
import { writeConnectionCloseFrame } from "../wire/frame.js";
import { type PacketHeader, writeLongHeader, writeRetryHeader } from "../wire/packet-header.js";
import { writeVarintWithLength } from "../wire/varint.js";
import { Writer } from "../wire/writer.js";

const EMPTY = new Uint8Array(0);

/**
 * Writes a Retry answering the client Initial `initial` (its header, as
 * parsed): DCID = the client's SCID, SCID = `retrySourceCid`, the token,
 * then the integrity tag over the client's original DCID. `unused` fills
 * the four unused bits (random, from the caller). Returns the length.
 */
export function writeRetryPacket(
  provider: CryptoProvider,
  buffer: Uint8Array,
  initial: PacketHeader,
  retrySourceCid: Uint8Array,
  token: Uint8Array,
  unused: number,
): number {
  const tagOffset = writeRetryHeader(buffer, 0, initial.version, initial.scid, retrySourceCid, token, unused);
  return writeRetryIntegrityTag(provider, initial.version, initial.dcid, buffer, 0, tagOffset);
}

/**
 * Writes a server Initial carrying CONNECTION_CLOSE(INVALID_TOKEN)
 * answering `initial` (§8.1.2, §10.2.3), protected with the Initial keys
 * of the client's DCID; the server keeps no state for it. `scid` is any
 * connection ID of ours (the client cannot answer anyway). Returns the
 * length. The datagram is far below 3x the client's 1200 bytes (§8.1).
 */
export function writeInvalidTokenClose(provider: CryptoProvider, buffer: Uint8Array, initial: PacketHeader, scid: Uint8Array): number {
  const secrets = initialSecrets(provider, initial.version, initial.dcid);
  const keys = createPacketKeys(provider, initial.version, "aes-128-gcm", secrets.server);
  const pnLength = 1;
  const payloadStart = writeLongHeader(buffer, 0, {
    type: "initial",
    version: initial.version,
    dcid: initial.scid,
    scid,
    packetNumber: 0,
    packetNumberLength: pnLength,
    length: 0,
    lengthFieldSize: 2,
  });
  const pnOffset = payloadStart - pnLength;
  const w = new Writer(buffer, payloadStart, buffer.length - TAG_LENGTH);
  writeConnectionCloseFrame(w, false, TransportErrorCode.INVALID_TOKEN, 0, EMPTY);
  const end = Math.max(w.position, payloadStart + minimumPayloadLength(pnLength));
  buffer.fill(0, w.position, end); // PADDING up to the header-protection sample
  writeVarintWithLength(buffer, pnOffset - 2, end + TAG_LENGTH - pnOffset, 2);
  return sealPacket(keys, buffer, 0, pnOffset, pnLength, 0, end);
}

/**
 * The stateless checks a client applies to a Retry (§17.2.5.2, RFC 9001
 * §5.8) before following it: same version as its Initial, a non-empty
 * token, a new Source Connection ID (equal to the DCID it used would be a
 * reflected packet), and a valid integrity tag over `originalDcid`.
 * `header` is the parsed Retry inside `datagram`.
 */
export function isAcceptableRetry(
  provider: CryptoProvider,
  version: number,
  originalDcid: Uint8Array,
  datagram: Uint8Array,
  header: PacketHeader,
): boolean {
  if (header.type !== "retry" || header.version !== version) return false;
  if (header.token.length === 0) return false; // §17.2.5.2: a zero-length token is discarded
  if (bytesEqual(header.scid, originalDcid)) return false;
  return verifyRetryIntegrity(provider, version, originalDcid, datagram.subarray(header.start, header.end));
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
