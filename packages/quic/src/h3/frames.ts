/**
 * HTTP/3 frames (RFC 9114 §7): the frame layout (type and length varints,
 * then the payload), a streaming reader and the writers.
 *
 * The reader never holds more than one frame header (at most 16 bytes) plus
 * the payload of a frame its owner asked it to buffer, and that only after
 * the owner saw the announced length and accepted it: DATA payloads and
 * frames of unknown or reserved types (§7.2.8, §9) pass through in pieces as
 * they arrive, so a peer announcing a 2^62-byte frame costs nothing. What to
 * do with each type is the owner's decision (`FrameDecision`), taken once per
 * frame, when its header is complete: the control stream and the request
 * streams allow different types.
 *
 * @example
 * ```ts
 * import { FrameReader, FrameType, type FrameItem } from "@zsync/quic/h3";
 * const reader = new FrameReader((type, length) => (type === FrameType.DATA ? "stream" : "buffer"));
 * const items: FrameItem[] = [];
 * reader.push(new Uint8Array([0x00, 0x02, 0x68, 0x69]), items); // DATA "hi"
 * reader.finish(); // throws Http3FrameError when the stream ended inside a frame
 * ```
 * @module
 */
import { decodeVarint, VARINT_LIMIT, varintLength, varintLengthOfFirstByte, writeVarint } from "../proto/wire/varint.js";
import { Http3FrameError } from "./errors.js";

/** Frame types of RFC 9114 §7.2. */
export const FrameType = {
  DATA: 0x00,
  HEADERS: 0x01,
  CANCEL_PUSH: 0x03,
  SETTINGS: 0x04,
  PUSH_PROMISE: 0x05,
  GOAWAY: 0x07,
  MAX_PUSH_ID: 0x0d,
} as const;

/** HTTP/2 frame types with no HTTP/3 meaning (PRIORITY, PING, WINDOW_UPDATE, CONTINUATION): receiving one is H3_FRAME_UNEXPECTED (§7.2.8). */
export function isHttp2FrameType(type: number): boolean {
  return type === 0x02 || type === 0x06 || type === 0x08 || type === 0x09;
}

/** Reserved ("grease") frame, setting, stream and error identifiers: `0x1f * N + 0x21` (§7.2.8, §6.2.3, §8.1). */
export function isReservedId(id: number): boolean {
  return id >= 0x21 && (id - 0x21) % 0x1f === 0;
}

/** What the reader does with a frame whose header it just read. `buffer`: hold the payload and hand it over whole; `stream`: hand it over in pieces; `skip`: drop it. */
export type FrameDecision = "buffer" | "stream" | "skip";

/** What {@link FrameReader.push} produces, in stream order. */
export type FrameItem =
  /** A whole frame the decision buffered (payload copied out of the input). */
  | { readonly kind: "frame"; readonly type: number; readonly payload: Uint8Array }
  /** A piece of a streamed frame's payload (a view into the input). `last`: the frame's final piece. */
  | { readonly kind: "piece"; readonly type: number; readonly bytes: Uint8Array; readonly last: boolean };

/** The largest frame header: two 8-byte varints. */
const MAX_HEADER = 16;

/** Reads a stream of frames incrementally: see the module comment. */
export class FrameReader {
  readonly #decide: (type: number, length: number) => FrameDecision;
  readonly #header = new Uint8Array(MAX_HEADER);
  #headerLength = 0;
  /** The current frame, once its header is complete; -1 between frames. */
  #type = -1;
  #remaining = 0;
  #decision: FrameDecision = "skip";
  #payload: Uint8Array | undefined;
  #payloadLength = 0;

  /**
   * @param decide called once per frame with its type and announced length,
   *   before any of its payload is held; may throw the error the frame causes.
   */
  constructor(decide: (type: number, length: number) => FrameDecision) {
    this.#decide = decide;
  }

  /** True while a frame has begun and not ended (its header or payload is incomplete). */
  get midFrame(): boolean {
    return this.#headerLength > 0 || this.#type >= 0;
  }

  /** Parses `bytes`, appending what they complete to `out`. */
  push(bytes: Uint8Array, out: FrameItem[]): void {
    let at = 0;
    while (at < bytes.length) {
      if (this.#type < 0) {
        // Collect the header: type varint then length varint.
        const header = this.#header;
        while (at < bytes.length) {
          header[this.#headerLength++] = bytes[at++]!;
          const typeLength = varintLengthOfFirstByte(header[0]!);
          if (this.#headerLength <= typeLength) continue;
          const lengthLength = varintLengthOfFirstByte(header[typeLength]!);
          if (this.#headerLength < typeLength + lengthLength) continue;
          this.#begin(decodeVarint(header, 0, typeLength), decodeVarint(header, typeLength, typeLength + lengthLength), out);
          break;
        }
        continue;
      }
      const n = Math.min(this.#remaining, bytes.length - at);
      const piece = bytes.subarray(at, at + n);
      at += n;
      this.#remaining -= n;
      this.#take(piece, out);
    }
  }

  /** The stream ended: throws {@link Http3FrameError} if it ended inside a frame (§7.1). */
  finish(): void {
    if (this.midFrame) throw new Http3FrameError("the stream ended inside a frame");
  }

  #begin(type: number, length: number, out: FrameItem[]): void {
    this.#headerLength = 0;
    const decision = this.#decide(type, length);
    this.#type = type;
    this.#remaining = length;
    this.#decision = decision;
    if (decision === "buffer") {
      this.#payload = new Uint8Array(length);
      this.#payloadLength = 0;
    }
    if (length === 0) this.#take(new Uint8Array(0), out);
  }

  #take(piece: Uint8Array, out: FrameItem[]): void {
    const last = this.#remaining === 0;
    const type = this.#type;
    if (this.#decision === "buffer") {
      this.#payload!.set(piece, this.#payloadLength);
      this.#payloadLength += piece.length;
      if (last) {
        out.push({ kind: "frame", type, payload: this.#payload! });
        this.#payload = undefined;
      }
    } else if (this.#decision === "stream" && (piece.length > 0 || last)) {
      out.push({ kind: "piece", type, bytes: piece, last });
    }
    if (last) this.#type = -1;
  }
}

/** A frame's header: type and length varints. */
export function encodeFrameHeader(type: number, length: number): Uint8Array {
  const out = new Uint8Array(varintLength(type) + varintLength(length));
  writeVarint(out, writeVarint(out, 0, type), length);
  return out;
}

/** A whole frame. */
export function encodeFrame(type: number, payload: Uint8Array): Uint8Array {
  const header = encodeFrameHeader(type, payload.length);
  const out = new Uint8Array(header.length + payload.length);
  out.set(header);
  out.set(payload, header.length);
  return out;
}

/** GOAWAY, MAX_PUSH_ID or CANCEL_PUSH: a frame whose payload is one id. */
export function encodeIdFrame(type: number, id: number): Uint8Array {
  if (!Number.isSafeInteger(id) || id < 0 || id >= VARINT_LIMIT) throw new RangeError(`id: ${id} is not a varint`);
  const payload = new Uint8Array(varintLength(id));
  writeVarint(payload, 0, id);
  return encodeFrame(type, payload);
}

/** The id of a GOAWAY, MAX_PUSH_ID or CANCEL_PUSH payload, which must be exactly one varint (else H3_FRAME_ERROR, §7.1). */
export function parseIdPayload(payload: Uint8Array, frameName: string): number {
  const id = decodeVarint(payload, 0);
  if (id < 0 || payload.length === 0 || varintLengthOfFirstByte(payload[0]!) !== payload.length) {
    throw new Http3FrameError(`${frameName} payload is not exactly one varint`);
  }
  return id;
}
