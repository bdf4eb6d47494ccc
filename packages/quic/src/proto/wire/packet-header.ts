/**
 * Packet headers (RFC 9000 §17, RFC 9369 §3.2, RFC 8999): parsing a
 * datagram into its coalesced packets, and writing long, short, Retry and
 * Version Negotiation headers.
 *
 * Parsing stops where cryptography begins: the packet number and the low
 * bits of the first byte are still under header protection, so the parser
 * returns the offsets the protection layer needs (`pnOffset`, `end`) and
 * leaves the bytes untouched. Anything malformed throws
 * {@link PacketDecodeError}: the packet is dropped, never the connection
 * (§12.2). For a version this stack does not speak, only the invariants of
 * RFC 8999 are read (version and connection IDs, up to 255 bytes each), so
 * an endpoint can answer with Version Negotiation.
 *
 * The result is written into a caller-owned {@link PacketHeader} so the
 * receive path can reuse one object; byte strings in it are views into the
 * datagram.
 *
 * @example
 * ```ts
 * import { PacketHeader, parsePacketHeader } from "@zsync/quic/proto";
 * declare const datagram: Uint8Array;
 * declare const localCidLength: number;
 * declare function handle(header: PacketHeader): void;
 * const header = new PacketHeader();
 * let offset = 0;
 * while (offset < datagram.length) {
 *   parsePacketHeader(datagram, offset, localCidLength, header);
 *   handle(header); // remove protection of datagram[header.start, header.end)
 *   if (header.end === datagram.length) break;
 *   offset = header.end;
 * }
 * ```
 * @module
 */
import { PacketDecodeError } from "../errors.js";
import { writePacketNumber } from "./packet-number.js";
import { decodeVarint, varintLengthOfFirstByte, writeVarintWithLength } from "./varint.js";
import { isSupportedVersion, QuicVersion } from "./version.js";

/** Largest connection ID of QUIC v1/v2 (RFC 9000 §17.2). RFC 8999 allows 255 for other versions. */
export const MAX_CID_LENGTH = 20;

/**
 * The packet kinds: the four long-header types, the short-header (1-RTT)
 * packet, Version Negotiation, and a long header of a version this stack
 * does not speak (only its invariant fields are known).
 */
export type PacketType = "initial" | "0rtt" | "handshake" | "retry" | "1rtt" | "version-negotiation" | "unsupported-version";

/** Long-header packet types that carry a Length field and a packet number. */
export type LongPacketType = "initial" | "0rtt" | "handshake";

const V1_TYPES: readonly PacketType[] = ["initial", "0rtt", "handshake", "retry"];
const V2_TYPES: readonly PacketType[] = ["retry", "initial", "0rtt", "handshake"];

/** The 2-bit long packet type field for `type` in `version` (RFC 9000 §17.2, RFC 9369 §3.2). */
export function longTypeBits(type: "initial" | "0rtt" | "handshake" | "retry", version: number): number {
  const bits = version === QuicVersion.V2 ? V2_TYPES.indexOf(type) : V1_TYPES.indexOf(type);
  if (bits < 0) throw new RangeError(`not a long packet type: ${String(type)}`);
  return bits;
}

const EMPTY = new Uint8Array(0);

/** A parsed header; reusable (every field is overwritten by each parse). Views alias the datagram. */
export class PacketHeader {
  type: PacketType = "1rtt";
  /** True for the long header form (first bit set). */
  long = false;
  /** The Version field; 0 for short headers and Version Negotiation. */
  version = 0;
  /** Destination Connection ID. */
  dcid: Uint8Array = EMPTY;
  /** Source Connection ID (empty for short headers). */
  scid: Uint8Array = EMPTY;
  /** Initial: the Token field; Retry: the Retry Token. Empty otherwise. */
  token: Uint8Array = EMPTY;
  /** Retry: the 16-byte Retry Integrity Tag. */
  retryIntegrityTag: Uint8Array = EMPTY;
  /** Version Negotiation: the Supported Version list, 4 bytes per version (see {@link negotiationVersions}). */
  supportedVersions: Uint8Array = EMPTY;
  /** Offset of the packet's first byte in the datagram. */
  start = 0;
  /** Offset of the (protected) packet number; -1 for packets without one. */
  pnOffset = -1;
  /** Offset one past the packet: the next coalesced packet starts here. */
  end = 0;
}

/** The versions listed in a Version Negotiation header. */
export function negotiationVersions(header: PacketHeader): number[] {
  const list = header.supportedVersions;
  const versions: number[] = [];
  for (let i = 0; i + 4 <= list.length; i += 4) {
    versions.push(
      (list[i] as number) * 0x100_0000 + (((list[i + 1] as number) << 16) | ((list[i + 2] as number) << 8) | (list[i + 3] as number)),
    );
  }
  return versions;
}

function drop(reason: string): PacketDecodeError {
  return new PacketDecodeError(reason);
}

/**
 * Parses the header of the packet starting at `offset` in `datagram` into
 * `out`. `localCidLength` is the length of the connection IDs this endpoint
 * issues (short headers do not carry it). Throws {@link PacketDecodeError}
 * for a malformed header.
 */
export function parsePacketHeader(
  datagram: Uint8Array,
  offset: number,
  localCidLength: number,
  out: PacketHeader = new PacketHeader(),
): PacketHeader {
  const length = datagram.length;
  if (offset >= length) throw drop("empty packet");
  const first = datagram[offset] as number;
  out.start = offset;
  out.token = EMPTY;
  out.retryIntegrityTag = EMPTY;
  out.supportedVersions = EMPTY;
  out.pnOffset = -1;
  if ((first & 0x80) === 0) {
    // Short header (§17.3.1): no length, extends to the end of the datagram.
    if ((first & 0x40) === 0) throw drop("fixed bit is 0");
    let p = offset + 1;
    if (p + localCidLength > length) throw drop("short header truncated in the connection ID");
    out.type = "1rtt";
    out.long = false;
    out.version = 0;
    out.dcid = datagram.subarray(p, p + localCidLength);
    out.scid = EMPTY;
    p += localCidLength;
    out.pnOffset = p;
    out.end = length;
    return out;
  }
  out.long = true;
  let p = offset + 1;
  if (p + 5 > length) throw drop("long header truncated");
  const version =
    (datagram[p] as number) * 0x100_0000 +
    (((datagram[p + 1] as number) << 16) | ((datagram[p + 2] as number) << 8) | (datagram[p + 3] as number));
  p += 4;
  out.version = version;
  const supported = isSupportedVersion(version);
  const cidLimit = supported ? MAX_CID_LENGTH : 255;
  const dcidLength = datagram[p++] as number;
  if (dcidLength > cidLimit) throw drop(`destination connection ID of ${dcidLength} bytes exceeds ${cidLimit}`);
  if (p + dcidLength + 1 > length) throw drop("long header truncated in the destination connection ID");
  out.dcid = datagram.subarray(p, p + dcidLength);
  p += dcidLength;
  const scidLength = datagram[p++] as number;
  if (scidLength > cidLimit) throw drop(`source connection ID of ${scidLength} bytes exceeds ${cidLimit}`);
  if (p + scidLength > length) throw drop("long header truncated in the source connection ID");
  out.scid = datagram.subarray(p, p + scidLength);
  p += scidLength;

  if (version === QuicVersion.NEGOTIATION) {
    // §17.2.1: the rest is a list of 32-bit versions; it cannot be coalesced.
    const rest = length - p;
    if (rest === 0 || rest % 4 !== 0) throw drop(`version negotiation list of ${rest} bytes is not a non-empty multiple of 4`);
    out.type = "version-negotiation";
    out.supportedVersions = datagram.subarray(p, length);
    out.end = length;
    return out;
  }
  if (!supported) {
    // RFC 8999: nothing after the connection IDs is known; the datagram is one packet to us.
    out.type = "unsupported-version";
    out.end = length;
    return out;
  }
  if ((first & 0x40) === 0) throw drop("fixed bit is 0");
  const type = (version === QuicVersion.V2 ? V2_TYPES : V1_TYPES)[(first >>> 4) & 0x03] as PacketType;
  out.type = type;
  if (type === "retry") {
    // §17.2.5: Retry Token fills the packet up to the 16-byte integrity tag.
    if (length - p < 16) throw drop("retry packet shorter than its integrity tag");
    out.token = datagram.subarray(p, length - 16);
    out.retryIntegrityTag = datagram.subarray(length - 16, length);
    out.end = length;
    return out;
  }
  if (type === "initial") {
    const tokenLength = decodeVarint(datagram, p, length);
    if (tokenLength < 0) throw drop("initial header truncated in the token length");
    p += varintLengthOfFirstByte(datagram[p] as number);
    if (tokenLength > length - p) throw drop("initial token runs past the datagram");
    out.token = datagram.subarray(p, p + tokenLength);
    p += tokenLength;
  }
  const payloadLength = decodeVarint(datagram, p, length);
  if (payloadLength < 0) throw drop("long header truncated in the length field");
  p += varintLengthOfFirstByte(datagram[p] as number);
  if (payloadLength > length - p) throw drop(`length field ${payloadLength} runs past the datagram (${length - p} bytes left)`);
  out.pnOffset = p;
  out.end = p + payloadLength;
  return out;
}

/**
 * Splits a datagram into the headers of its coalesced packets (§12.2).
 * Stops at the first malformed packet (its end, hence the next packet's
 * start, is unknown) and at a packet whose Destination Connection ID
 * differs from the first one (receivers SHOULD ignore those). Allocates one
 * header per packet: the receive path may prefer calling
 * {@link parsePacketHeader} in a loop.
 */
export function splitDatagram(datagram: Uint8Array, localCidLength: number): PacketHeader[] {
  const headers: PacketHeader[] = [];
  let offset = 0;
  while (offset < datagram.length) {
    let header: PacketHeader;
    try {
      header = parsePacketHeader(datagram, offset, localCidLength);
    } catch (error) {
      if (error instanceof PacketDecodeError && headers.length > 0) break;
      throw error;
    }
    const firstDcid = headers[0]?.dcid;
    if (firstDcid !== undefined && !equalBytes(firstDcid, header.dcid)) break;
    headers.push(header);
    offset = header.end;
  }
  return headers;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function checkCid(cid: Uint8Array, name: string): void {
  if (cid.length > MAX_CID_LENGTH) throw new RangeError(`${name} must be at most ${MAX_CID_LENGTH} bytes, got ${cid.length}`);
}

/** What a long header with a packet number needs. */
export interface LongHeaderFields {
  readonly type: LongPacketType;
  readonly version: number;
  readonly dcid: Uint8Array;
  readonly scid: Uint8Array;
  /** Initial only: the address-validation token (empty when none). */
  readonly token?: Uint8Array;
  readonly packetNumber: number;
  readonly packetNumberLength: 1 | 2 | 3 | 4;
  /** The Length field: packet number + payload + AEAD tag. */
  readonly length: number;
  /**
   * Bytes used for the Length varint (default 2, enough for 16383): a
   * fixed width lets a builder write the header first and patch Length
   * with {@link writeVarintWithLength} once the payload is known.
   */
  readonly lengthFieldSize?: 1 | 2 | 4 | 8;
}

/**
 * Writes an Initial, 0-RTT or Handshake header with its (unprotected)
 * packet number at `offset`; returns the offset of the payload. The
 * reserved bits are 0. Throws `RangeError` when it does not fit.
 */
export function writeLongHeader(buffer: Uint8Array, offset: number, fields: LongHeaderFields): number {
  if (!isSupportedVersion(fields.version)) throw new RangeError(`version 0x${fields.version.toString(16)} is not supported`);
  checkCid(fields.dcid, "dcid");
  checkCid(fields.scid, "scid");
  const token = fields.token ?? EMPTY;
  if (token.length > 0 && fields.type !== "initial") throw new RangeError("only Initial packets carry a token");
  const pnLength = fields.packetNumberLength;
  const lengthFieldSize = fields.lengthFieldSize ?? 2;
  const tokenLengthSize = fields.type === "initial" ? (token.length < 0x40 ? 1 : token.length < 0x4000 ? 2 : 4) : 0;
  const size = 7 + fields.dcid.length + fields.scid.length + tokenLengthSize + token.length + lengthFieldSize + pnLength;
  if (offset < 0 || offset + size > buffer.length) throw new RangeError(`buffer too short for a ${size}-byte long header`);
  let p = offset;
  buffer[p++] = 0xc0 | (longTypeBits(fields.type, fields.version) << 4) | (pnLength - 1);
  p = writeU32(buffer, p, fields.version);
  buffer[p++] = fields.dcid.length;
  buffer.set(fields.dcid, p);
  p += fields.dcid.length;
  buffer[p++] = fields.scid.length;
  buffer.set(fields.scid, p);
  p += fields.scid.length;
  if (fields.type === "initial") {
    p = writeVarintWithLength(buffer, p, token.length, tokenLengthSize as 1 | 2 | 4);
    buffer.set(token, p);
    p += token.length;
  }
  p = writeVarintWithLength(buffer, p, fields.length, lengthFieldSize);
  return writePacketNumber(buffer, p, fields.packetNumber, pnLength);
}

/** What a short (1-RTT) header needs. */
export interface ShortHeaderFields {
  readonly dcid: Uint8Array;
  readonly packetNumber: number;
  readonly packetNumberLength: 1 | 2 | 3 | 4;
  /** Key Phase bit (RFC 9001 §6). */
  readonly keyPhase: boolean;
  /** Latency Spin Bit (RFC 9000 §17.4); false when not spinning. */
  readonly spin?: boolean;
}

/** Writes a 1-RTT header with its (unprotected) packet number; returns the offset of the payload. */
export function writeShortHeader(buffer: Uint8Array, offset: number, fields: ShortHeaderFields): number {
  checkCid(fields.dcid, "dcid");
  const pnLength = fields.packetNumberLength;
  const size = 1 + fields.dcid.length + pnLength;
  if (offset < 0 || offset + size > buffer.length) throw new RangeError(`buffer too short for a ${size}-byte short header`);
  buffer[offset] = 0x40 | (fields.spin === true ? 0x20 : 0) | (fields.keyPhase ? 0x04 : 0) | (pnLength - 1);
  buffer.set(fields.dcid, offset + 1);
  return writePacketNumber(buffer, offset + 1 + fields.dcid.length, fields.packetNumber, pnLength);
}

/**
 * Writes a Retry packet without its integrity tag (§17.2.5); returns the
 * offset where the 16-byte tag goes (see `retryIntegrityTag` in crypto/).
 * `unused` fills the 4 unused low bits (senders should randomise them).
 */
export function writeRetryHeader(
  buffer: Uint8Array,
  offset: number,
  version: number,
  dcid: Uint8Array,
  scid: Uint8Array,
  token: Uint8Array,
  unused = 0,
): number {
  if (!isSupportedVersion(version)) throw new RangeError(`version 0x${version.toString(16)} is not supported`);
  checkCid(dcid, "dcid");
  checkCid(scid, "scid");
  const size = 7 + dcid.length + scid.length + token.length;
  if (offset < 0 || offset + size + 16 > buffer.length) throw new RangeError(`buffer too short for a ${size + 16}-byte Retry packet`);
  let p = offset;
  buffer[p++] = 0xc0 | (longTypeBits("retry", version) << 4) | (unused & 0x0f);
  p = writeU32(buffer, p, version);
  buffer[p++] = dcid.length;
  buffer.set(dcid, p);
  p += dcid.length;
  buffer[p++] = scid.length;
  buffer.set(scid, p);
  p += scid.length;
  buffer.set(token, p);
  return p + token.length;
}

/**
 * Writes a Version Negotiation packet (§17.2.1) answering a packet whose
 * connection IDs were `peerDcid`/`peerScid`: the IDs are echoed swapped, as
 * RFC 9000 requires. `unused` supplies the 7 arbitrary low bits of the
 * first byte (a random value, from the caller since the core has no RNG).
 * Returns the offset after the packet.
 */
export function writeVersionNegotiation(
  buffer: Uint8Array,
  offset: number,
  peerDcid: Uint8Array,
  peerScid: Uint8Array,
  versions: readonly number[],
  unused = 0,
): number {
  if (peerDcid.length > 255 || peerScid.length > 255) throw new RangeError("connection IDs must be at most 255 bytes");
  if (versions.length === 0) throw new RangeError("versions must not be empty");
  const size = 7 + peerDcid.length + peerScid.length + 4 * versions.length;
  if (offset < 0 || offset + size > buffer.length) throw new RangeError(`buffer too short for a ${size}-byte Version Negotiation packet`);
  let p = offset;
  buffer[p++] = 0x80 | (unused & 0x7f);
  p = writeU32(buffer, p, 0);
  buffer[p++] = peerScid.length;
  buffer.set(peerScid, p);
  p += peerScid.length;
  buffer[p++] = peerDcid.length;
  buffer.set(peerDcid, p);
  p += peerDcid.length;
  for (const version of versions) p = writeU32(buffer, p, version);
  return p;
}

function writeU32(buffer: Uint8Array, p: number, value: number): number {
  buffer[p] = value >>> 24;
  buffer[p + 1] = (value >>> 16) & 0xff;
  buffer[p + 2] = (value >>> 8) & 0xff;
  buffer[p + 3] = value & 0xff;
  return p + 4;
}
