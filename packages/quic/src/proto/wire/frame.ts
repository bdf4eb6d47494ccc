/**
 * Frames (RFC 9000 §19, DATAGRAM from RFC 9221 §4): decoding from a packet's
 * plaintext, encoding into a caller's buffer, and the per-packet-type rules
 * of §12.4 (Table 3).
 *
 * Decoding reads one frame at a time from a {@link Reader} over the
 * payload. Byte strings (STREAM and CRYPTO data, tokens, reasons,
 * connection IDs) are views into the packet, not copies. Errors are
 * {@link TransportError}s: FRAME_ENCODING_ERROR for anything malformed or an
 * unknown type (§12.4), PROTOCOL_VIOLATION for a frame the packet type does
 * not permit (§12.4) or a non-minimal frame-type encoding (§12.4 allows
 * it), with the frame type attached for CONNECTION_CLOSE. Runs of PADDING
 * decode as one frame, so a padded 1200-byte Initial is a handful of
 * frames, not a thousand.
 *
 * Checks that need connection state (stream direction, whether the peer
 * is a client, flow-control limits) belong to the connection, not here.
 *
 * @example
 * ```ts
 * import { readFrame, Reader } from "@zsync/quic/proto";
 * declare const payload: Uint8Array;
 * declare const streams: { receive(id: number, offset: number, data: Uint8Array, fin: boolean): void };
 * const reader = new Reader("frame", payload);
 * while (reader.remaining > 0) {
 *   const frame = readFrame(reader, "1rtt");
 *   if (frame.kind === "stream") streams.receive(frame.streamId, frame.offset, frame.data, frame.fin);
 * }
 * ```
 * @module
 */
import { TransportErrorCode } from "../errors.js";
import { type AckFrame, AckRangeList, type EcnCounts, readAckFrame, writeAckFrame } from "./ack-frame.js";
import type { Reader } from "./reader.js";
import { decodeVarintBigInt, MAX_VARINT, MAX_VARINT_BIGINT, varintLength } from "./varint.js";
import type { Writer } from "./writer.js";

/** Frame type values (§19, §12.4 Table 3; RFC 9221 §4). */
export const FrameType = {
  PADDING: 0x00,
  PING: 0x01,
  ACK: 0x02,
  ACK_ECN: 0x03,
  RESET_STREAM: 0x04,
  STOP_SENDING: 0x05,
  CRYPTO: 0x06,
  NEW_TOKEN: 0x07,
  /** 0x08-0x0f: STREAM with OFF (0x04), LEN (0x02) and FIN (0x01) bits. */
  STREAM: 0x08,
  MAX_DATA: 0x10,
  MAX_STREAM_DATA: 0x11,
  MAX_STREAMS_BIDI: 0x12,
  MAX_STREAMS_UNI: 0x13,
  DATA_BLOCKED: 0x14,
  STREAM_DATA_BLOCKED: 0x15,
  STREAMS_BLOCKED_BIDI: 0x16,
  STREAMS_BLOCKED_UNI: 0x17,
  NEW_CONNECTION_ID: 0x18,
  RETIRE_CONNECTION_ID: 0x19,
  PATH_CHALLENGE: 0x1a,
  PATH_RESPONSE: 0x1b,
  CONNECTION_CLOSE: 0x1c,
  CONNECTION_CLOSE_APPLICATION: 0x1d,
  HANDSHAKE_DONE: 0x1e,
  /** DATAGRAM without a Length field (extends to the end of the packet). */
  DATAGRAM: 0x30,
  DATAGRAM_WITH_LENGTH: 0x31,
} as const;

/** Largest stream count MAX_STREAMS and STREAMS_BLOCKED may carry (§19.11, §19.14). */
export const MAX_STREAMS_LIMIT = 2 ** 60;
const MAX_STREAMS_LIMIT_BIGINT = 1n << 60n;

export type { AckFrame, EcnCounts };

/** Every frame, as a discriminated union on `kind`. */
export type Frame =
  | { readonly kind: "padding" /** Bytes of the PADDING run. */; readonly length: number }
  | { readonly kind: "ping" }
  | AckFrame
  | { readonly kind: "reset-stream"; readonly streamId: number; readonly errorCode: number; readonly finalSize: number }
  | { readonly kind: "stop-sending"; readonly streamId: number; readonly errorCode: number }
  | { readonly kind: "crypto"; readonly offset: number; readonly data: Uint8Array }
  | { readonly kind: "new-token"; readonly token: Uint8Array }
  | { readonly kind: "stream"; readonly streamId: number; readonly offset: number; readonly data: Uint8Array; readonly fin: boolean }
  | { readonly kind: "max-data"; readonly maximum: number }
  | { readonly kind: "max-stream-data"; readonly streamId: number; readonly maximum: number }
  | { readonly kind: "max-streams"; readonly bidirectional: boolean; readonly maximum: number }
  | { readonly kind: "data-blocked"; readonly limit: number }
  | { readonly kind: "stream-data-blocked"; readonly streamId: number; readonly limit: number }
  | { readonly kind: "streams-blocked"; readonly bidirectional: boolean; readonly limit: number }
  | {
      readonly kind: "new-connection-id";
      readonly sequenceNumber: number;
      readonly retirePriorTo: number;
      readonly connectionId: Uint8Array;
      readonly statelessResetToken: Uint8Array;
    }
  | { readonly kind: "retire-connection-id"; readonly sequenceNumber: number }
  | { readonly kind: "path-challenge"; readonly data: Uint8Array }
  | { readonly kind: "path-response"; readonly data: Uint8Array }
  | {
      readonly kind: "connection-close";
      /** True for type 0x1d (application error), false for 0x1c (transport error). */
      readonly application: boolean;
      readonly errorCode: number;
      /** Transport variant only: the frame type that caused the error (0 when unknown). */
      readonly frameType: number;
      /** Reason Phrase bytes (UTF-8 by convention, not validated: §19.19). */
      readonly reason: Uint8Array;
    }
  | { readonly kind: "handshake-done" }
  | { readonly kind: "datagram"; readonly data: Uint8Array };

/** The `kind` strings. */
export type FrameKind = Frame["kind"];

/** Packet types that carry frames. */
export type FramePacketType = "initial" | "0rtt" | "handshake" | "1rtt";

// §12.4 Table 3, one bit per packet type: Initial, Handshake, 0-RTT, 1-RTT.
const I = 1;
const H = 2;
const Z = 4;
const O = 8;
const ALLOWED: readonly number[] = (() => {
  const table = new Array<number>(0x20).fill(0);
  const set = (from: number, to: number, mask: number) => {
    for (let t = from; t <= to; t++) table[t] = mask;
  };
  set(0x00, 0x01, I | H | Z | O); // PADDING, PING
  set(0x02, 0x03, I | H | O); // ACK: not in 0-RTT
  set(0x04, 0x05, Z | O); // RESET_STREAM, STOP_SENDING
  set(0x06, 0x06, I | H | O); // CRYPTO
  set(0x07, 0x07, O); // NEW_TOKEN
  set(0x08, 0x1a, Z | O); // STREAM ... PATH_CHALLENGE
  set(0x1b, 0x1b, O); // PATH_RESPONSE
  set(0x1c, 0x1c, I | H | Z | O); // CONNECTION_CLOSE (transport)
  set(0x1d, 0x1d, Z | O); // CONNECTION_CLOSE (application): "ih" = only 0x1c in Initial/Handshake
  set(0x1e, 0x1e, O); // HANDSHAKE_DONE
  return table;
})();
const PACKET_BIT: Readonly<Record<FramePacketType, number>> = { initial: I, handshake: H, "0rtt": Z, "1rtt": O };

/**
 * True when a frame of `frameType` may appear in a packet of `packetType`
 * (§12.4 Table 3; DATAGRAM in 0-RTT and 1-RTT per RFC 9221 §4). Unknown
 * types return false.
 */
export function frameAllowedIn(frameType: number, packetType: FramePacketType): boolean {
  const bit = PACKET_BIT[packetType];
  if (frameType === FrameType.DATAGRAM || frameType === FrameType.DATAGRAM_WITH_LENGTH) return (bit & (Z | O)) !== 0;
  return ((ALLOWED[frameType] ?? 0) & bit) !== 0;
}

/**
 * True when a packet containing this frame must be acknowledged: every
 * frame but ACK, PADDING and CONNECTION_CLOSE (§13.2, Table 3 "N").
 */
export function isAckEliciting(kind: FrameKind): boolean {
  return kind !== "ack" && kind !== "padding" && kind !== "connection-close";
}

/** True for the probing frames of §9.1 (Table 3 "P"): PATH_CHALLENGE, PATH_RESPONSE, NEW_CONNECTION_ID, PADDING. */
export function isProbingFrame(kind: FrameKind): boolean {
  return kind === "path-challenge" || kind === "path-response" || kind === "new-connection-id" || kind === "padding";
}

/**
 * Decodes the next frame. With `packetType`, also enforces §12.4 Table 3
 * (PROTOCOL_VIOLATION). `ackRanges` lets the caller reuse one range list
 * for every ACK (the returned frame then aliases it).
 */
export function readFrame(reader: Reader, packetType?: FramePacketType, ackRanges?: AckRangeList): Frame {
  reader.frameType = undefined;
  const start = reader.position;
  const type = reader.varint();
  reader.frameType = type;
  if (reader.position - start !== varintLength(type)) {
    throw reader.fail(`frame type 0x${type.toString(16)} is not minimally encoded`, TransportErrorCode.PROTOCOL_VIOLATION);
  }
  if (packetType !== undefined && !frameAllowedIn(type, packetType)) {
    if (type > FrameType.HANDSHAKE_DONE && type !== FrameType.DATAGRAM && type !== FrameType.DATAGRAM_WITH_LENGTH) {
      throw reader.fail(`unknown frame type 0x${type.toString(16)}`);
    }
    throw reader.fail(`frame type 0x${type.toString(16)} is not allowed in ${packetType} packets`, TransportErrorCode.PROTOCOL_VIOLATION);
  }
  switch (type) {
    case FrameType.PADDING: {
      const buffer = reader.buffer;
      let p = reader.position;
      while (p < reader.end && buffer[p] === 0) p++;
      const length = p - start;
      reader.position = p;
      return { kind: "padding", length };
    }
    case FrameType.PING:
      return { kind: "ping" };
    case FrameType.ACK:
    case FrameType.ACK_ECN:
      return readAckFrame(reader, type === FrameType.ACK_ECN, ackRanges ?? new AckRangeList());
    case FrameType.RESET_STREAM:
      return { kind: "reset-stream", streamId: reader.varint(), errorCode: reader.varint(), finalSize: reader.varint() };
    case FrameType.STOP_SENDING:
      return { kind: "stop-sending", streamId: reader.varint(), errorCode: reader.varint() };
    case FrameType.CRYPTO: {
      const offsetPosition = reader.position;
      const offset = reader.varint();
      const data = reader.bytes(reader.varint());
      // §19.6: offset + length beyond 2^62-1 is FRAME_ENCODING_ERROR (or CRYPTO_BUFFER_EXCEEDED).
      if (endsBeyondLimit(reader, offsetPosition, offset, data.length)) throw reader.fail("CRYPTO frame ends beyond 2^62-1");
      return { kind: "crypto", offset, data };
    }
    case FrameType.NEW_TOKEN: {
      const length = reader.varint();
      if (length === 0) throw reader.fail("NEW_TOKEN with an empty token");
      return { kind: "new-token", token: reader.bytes(length) };
    }
    case FrameType.MAX_DATA:
      return { kind: "max-data", maximum: reader.varint() };
    case FrameType.MAX_STREAM_DATA:
      return { kind: "max-stream-data", streamId: reader.varint(), maximum: reader.varint() };
    case FrameType.MAX_STREAMS_BIDI:
    case FrameType.MAX_STREAMS_UNI: {
      // Read exactly: 2^60 + 1 is not representable as a number, and must be rejected.
      const maximum = reader.varintBigInt();
      if (maximum > MAX_STREAMS_LIMIT_BIGINT) throw reader.fail(`MAX_STREAMS of ${maximum} exceeds 2^60`);
      return { kind: "max-streams", bidirectional: type === FrameType.MAX_STREAMS_BIDI, maximum: Number(maximum) };
    }
    case FrameType.DATA_BLOCKED:
      return { kind: "data-blocked", limit: reader.varint() };
    case FrameType.STREAM_DATA_BLOCKED:
      return { kind: "stream-data-blocked", streamId: reader.varint(), limit: reader.varint() };
    case FrameType.STREAMS_BLOCKED_BIDI:
    case FrameType.STREAMS_BLOCKED_UNI: {
      const limit = reader.varintBigInt();
      if (limit > MAX_STREAMS_LIMIT_BIGINT) throw reader.fail(`STREAMS_BLOCKED of ${limit} exceeds 2^60`);
      return { kind: "streams-blocked", bidirectional: type === FrameType.STREAMS_BLOCKED_BIDI, limit: Number(limit) };
    }
    case FrameType.NEW_CONNECTION_ID: {
      const sequenceNumber = reader.varint();
      const retirePriorTo = reader.varint();
      if (retirePriorTo > sequenceNumber) throw reader.fail(`Retire Prior To ${retirePriorTo} exceeds Sequence Number ${sequenceNumber}`);
      const length = reader.u8();
      if (length < 1 || length > 20) throw reader.fail(`connection ID length ${length} is outside 1..20`);
      const connectionId = reader.bytes(length);
      return { kind: "new-connection-id", sequenceNumber, retirePriorTo, connectionId, statelessResetToken: reader.bytes(16) };
    }
    case FrameType.RETIRE_CONNECTION_ID:
      return { kind: "retire-connection-id", sequenceNumber: reader.varint() };
    case FrameType.PATH_CHALLENGE:
      return { kind: "path-challenge", data: reader.bytes(8) };
    case FrameType.PATH_RESPONSE:
      return { kind: "path-response", data: reader.bytes(8) };
    case FrameType.CONNECTION_CLOSE: {
      const errorCode = reader.varint();
      const frameType = reader.varint();
      return { kind: "connection-close", application: false, errorCode, frameType, reason: reader.bytes(reader.varint()) };
    }
    case FrameType.CONNECTION_CLOSE_APPLICATION: {
      const errorCode = reader.varint();
      return { kind: "connection-close", application: true, errorCode, frameType: 0, reason: reader.bytes(reader.varint()) };
    }
    case FrameType.HANDSHAKE_DONE:
      return { kind: "handshake-done" };
    case FrameType.DATAGRAM:
      return { kind: "datagram", data: reader.bytes(reader.remaining) };
    case FrameType.DATAGRAM_WITH_LENGTH:
      return { kind: "datagram", data: reader.bytes(reader.varint()) };
    default: {
      if (type >= FrameType.STREAM && type <= 0x0f) {
        const streamId = reader.varint();
        const offsetPosition = reader.position;
        const offset = (type & 0x04) !== 0 ? reader.varint() : 0;
        const data = reader.bytes((type & 0x02) !== 0 ? reader.varint() : reader.remaining);
        // §19.8: the largest offset of a stream cannot exceed 2^62-1.
        if (endsBeyondLimit(reader, offsetPosition, offset, data.length)) throw reader.fail("STREAM frame ends beyond 2^62-1");
        return { kind: "stream", streamId, offset, data, fin: (type & 0x01) !== 0 };
      }
      throw reader.fail(`unknown frame type 0x${type.toString(16)}`);
    }
  }
}

/**
 * True when data at `offset` (a varint read at `offsetPosition`) of
 * `length` bytes would end beyond 2^62-1. Exact: numbers lose precision above
 * 2^53, so such offsets are re-read as bigints (rare, hostile input only).
 */
function endsBeyondLimit(reader: Reader, offsetPosition: number, offset: number, length: number): boolean {
  if (offset + length <= Number.MAX_SAFE_INTEGER) return false;
  return decodeVarintBigInt(reader.buffer, offsetPosition, reader.end) + BigInt(length) > MAX_VARINT_BIGINT;
}

/**
 * Bytes of a STREAM frame header for this stream, offset and data length
 * (`withLength`: false when the frame runs to the end of the packet). The
 * packet builder subtracts it from the room left to size the data.
 */
export function streamFrameOverhead(streamId: number, offset: number, dataLength: number, withLength = true): number {
  return 1 + varintLength(streamId) + (offset > 0 ? varintLength(offset) : 0) + (withLength ? varintLength(dataLength) : 0);
}

/** Bytes of a CRYPTO frame header. */
export function cryptoFrameOverhead(offset: number, dataLength: number): number {
  return 1 + varintLength(offset) + varintLength(dataLength);
}

/** Writes a STREAM frame; `withLength` false omits Length (the frame must then end the packet). */
export function writeStreamFrame(
  writer: Writer,
  streamId: number,
  offset: number,
  data: Uint8Array,
  fin: boolean,
  withLength = true,
): void {
  if (offset + data.length > MAX_VARINT) throw new RangeError("STREAM frame would end beyond 2^62-1");
  writer.u8(FrameType.STREAM | (offset > 0 ? 0x04 : 0) | (withLength ? 0x02 : 0) | (fin ? 0x01 : 0)).varint(streamId);
  if (offset > 0) writer.varint(offset);
  if (withLength) writer.varint(data.length);
  writer.bytes(data);
}

/** Writes a CRYPTO frame. */
export function writeCryptoFrame(writer: Writer, offset: number, data: Uint8Array): void {
  writer.u8(FrameType.CRYPTO).varint(offset).varint(data.length).bytes(data);
}

/** Writes a CONNECTION_CLOSE frame (0x1d when `application`, else 0x1c with the offending frame type). */
export function writeConnectionCloseFrame(
  writer: Writer,
  application: boolean,
  errorCode: number,
  frameType: number,
  reason: Uint8Array,
): void {
  writer.u8(application ? FrameType.CONNECTION_CLOSE_APPLICATION : FrameType.CONNECTION_CLOSE).varint(errorCode);
  if (!application) writer.varint(frameType);
  writer.varint(reason.length).bytes(reason);
}

/** Writes a DATAGRAM frame (with Length unless it ends the packet). */
export function writeDatagramFrame(writer: Writer, data: Uint8Array, withLength = true): void {
  if (withLength) writer.u8(FrameType.DATAGRAM_WITH_LENGTH).varint(data.length);
  else writer.u8(FrameType.DATAGRAM);
  writer.bytes(data);
}

function checkFixed(data: Uint8Array, length: number, name: string): void {
  if (data.length !== length) throw new RangeError(`${name} must be ${length} bytes, got ${data.length}`);
}

/**
 * Writes any frame (STREAM, DATAGRAM and padding as decoded: STREAM and
 * DATAGRAM with a Length field). Throws `RangeError` for values the wire
 * cannot carry or when the writer runs out of room.
 */
export function writeFrame(writer: Writer, frame: Frame): void {
  switch (frame.kind) {
    case "padding":
      if (frame.length < 1) throw new RangeError("padding length must be at least 1");
      writer.zeros(frame.length);
      return;
    case "ping":
      writer.u8(FrameType.PING);
      return;
    case "ack":
      writeAckFrame(writer, frame.ranges, frame.ackDelay, frame.ecn);
      return;
    case "reset-stream":
      writer.u8(FrameType.RESET_STREAM).varint(frame.streamId).varint(frame.errorCode).varint(frame.finalSize);
      return;
    case "stop-sending":
      writer.u8(FrameType.STOP_SENDING).varint(frame.streamId).varint(frame.errorCode);
      return;
    case "crypto":
      writeCryptoFrame(writer, frame.offset, frame.data);
      return;
    case "new-token":
      if (frame.token.length === 0) throw new RangeError("NEW_TOKEN token must not be empty");
      writer.u8(FrameType.NEW_TOKEN).varint(frame.token.length).bytes(frame.token);
      return;
    case "stream":
      writeStreamFrame(writer, frame.streamId, frame.offset, frame.data, frame.fin);
      return;
    case "max-data":
      writer.u8(FrameType.MAX_DATA).varint(frame.maximum);
      return;
    case "max-stream-data":
      writer.u8(FrameType.MAX_STREAM_DATA).varint(frame.streamId).varint(frame.maximum);
      return;
    case "max-streams":
      if (frame.maximum > MAX_STREAMS_LIMIT) throw new RangeError("MAX_STREAMS maximum must be at most 2^60");
      writer.u8(frame.bidirectional ? FrameType.MAX_STREAMS_BIDI : FrameType.MAX_STREAMS_UNI).varint(frame.maximum);
      return;
    case "data-blocked":
      writer.u8(FrameType.DATA_BLOCKED).varint(frame.limit);
      return;
    case "stream-data-blocked":
      writer.u8(FrameType.STREAM_DATA_BLOCKED).varint(frame.streamId).varint(frame.limit);
      return;
    case "streams-blocked":
      if (frame.limit > MAX_STREAMS_LIMIT) throw new RangeError("STREAMS_BLOCKED limit must be at most 2^60");
      writer.u8(frame.bidirectional ? FrameType.STREAMS_BLOCKED_BIDI : FrameType.STREAMS_BLOCKED_UNI).varint(frame.limit);
      return;
    case "new-connection-id":
      if (frame.connectionId.length < 1 || frame.connectionId.length > 20) throw new RangeError("connectionId must be 1..20 bytes");
      if (frame.retirePriorTo > frame.sequenceNumber) throw new RangeError("retirePriorTo must not exceed sequenceNumber");
      checkFixed(frame.statelessResetToken, 16, "statelessResetToken");
      writer
        .u8(FrameType.NEW_CONNECTION_ID)
        .varint(frame.sequenceNumber)
        .varint(frame.retirePriorTo)
        .u8(frame.connectionId.length)
        .bytes(frame.connectionId)
        .bytes(frame.statelessResetToken);
      return;
    case "retire-connection-id":
      writer.u8(FrameType.RETIRE_CONNECTION_ID).varint(frame.sequenceNumber);
      return;
    case "path-challenge":
      checkFixed(frame.data, 8, "PATH_CHALLENGE data");
      writer.u8(FrameType.PATH_CHALLENGE).bytes(frame.data);
      return;
    case "path-response":
      checkFixed(frame.data, 8, "PATH_RESPONSE data");
      writer.u8(FrameType.PATH_RESPONSE).bytes(frame.data);
      return;
    case "connection-close":
      writeConnectionCloseFrame(writer, frame.application, frame.errorCode, frame.frameType, frame.reason);
      return;
    case "handshake-done":
      writer.u8(FrameType.HANDSHAKE_DONE);
      return;
    case "datagram":
      writeDatagramFrame(writer, frame.data);
      return;
    default:
      throw new TypeError(`unknown frame kind ${String((frame as { kind: unknown }).kind)}`);
  }
}
