/**
 * Packets an on-path attacker can make without any secret (RFC 9000 §21):
 * Initial packets, whose keys derive from the client's first Destination
 * Connection ID that anyone on the path reads (RFC 9001 §5.2), and
 * datagrams shaped like a stateless reset (§10.3) but with a token the
 * attacker had to guess.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { getProvider } from "@zsync/crypto";
import { createPacketKeys, initialSecrets } from "../../src/proto/crypto/packet-keys.js";
import { sealPacket, TAG_LENGTH } from "../../src/proto/crypto/packet-protection.js";
import { writeConnectionCloseFrame } from "../../src/proto/wire/frame.js";
import { PacketHeader, parsePacketHeader, writeLongHeader } from "../../src/proto/wire/packet-header.js";
import { QuicVersion } from "../../src/proto/wire/version.js";
import { Writer } from "../../src/proto/wire/writer.js";

/** The connection IDs of a client's first Initial, as an observer reads them off the wire. */
export interface ObservedInitial {
  readonly version: number;
  /** The client's original Destination Connection ID (the Initial keys' input). */
  readonly dcid: Uint8Array;
  /** The client's Source Connection ID (the server's Initials are sent to it). */
  readonly scid: Uint8Array;
}

/** Reads the IDs of a client's first datagram; undefined when it is not a long-header packet. */
export function observeInitial(datagram: Uint8Array): ObservedInitial | undefined {
  if (datagram.length < 7 || ((datagram[0] as number) & 0x80) === 0) return undefined;
  const header = parsePacketHeader(datagram, 0, 0, new PacketHeader());
  return { version: header.version, dcid: header.dcid.slice(), scid: header.scid.slice() };
}

/**
 * An Initial packet carrying CONNECTION_CLOSE (transport, `errorCode`),
 * sealed with the Initial keys of `observed` as `from` would seal it, and
 * padded to 1200 bytes (a client's Initial must be, RFC 9000 §14.1).
 * Before the handshake completes this genuinely closes a connection (the
 * attack §21.2 describes); afterwards both ends have discarded their
 * Initial keys (RFC 9001 §4.9.1) and must drop it.
 */
export function forgedInitialClose(observed: ObservedInitial, from: "client" | "server", errorCode: number): Uint8Array {
  const provider = getProvider();
  const secrets = initialSecrets(provider, observed.version, observed.dcid);
  const keys = createPacketKeys(provider, observed.version, "aes-128-gcm", from === "client" ? secrets.client : secrets.server);
  const buffer = new Uint8Array(1200);
  const pn = 1000 + (randomBytes(1)[0] as number);
  const payloadStart = writeLongHeader(buffer, 0, {
    type: "initial",
    version: observed.version === 0 ? QuicVersion.V1 : observed.version,
    dcid: from === "client" ? observed.dcid : observed.scid,
    scid: from === "client" ? observed.scid : randomBytes(8),
    packetNumber: pn,
    packetNumberLength: 4,
    length: 0,
    lengthFieldSize: 2,
  });
  const writer = new Writer(buffer, payloadStart, buffer.length - TAG_LENGTH);
  writeConnectionCloseFrame(writer, false, errorCode, 0, new TextEncoder().encode("forged by an on-path attacker"));
  const end = buffer.length - TAG_LENGTH; // the rest is PADDING (zero bytes)
  const length = end + TAG_LENGTH - (payloadStart - 4);
  buffer[payloadStart - 6] = 0x40 | (length >> 8);
  buffer[payloadStart - 5] = length & 0xff;
  return buffer.slice(0, sealPacket(keys, buffer, 0, payloadStart - 4, 4, pn, end));
}

/**
 * A datagram shaped like a stateless reset (RFC 9000 §10.3: a short header
 * to `dcid`, unpredictable bytes, 16 bytes of token last) whose token is a
 * guess. A receiver that compared tokens carelessly (or only by length)
 * would drop the connection.
 */
export function resetLookalike(dcid: Uint8Array, length = 64): Uint8Array {
  const out = randomBytes(Math.max(length, 1 + dcid.length + 21));
  out[0] = 0x40 | ((out[0] as number) & 0x3f);
  out.set(dcid, 1);
  return new Uint8Array(out);
}
