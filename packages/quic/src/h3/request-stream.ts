/**
 * The receiving half of one request stream (RFC 9114 §4.1): HEADERS, then
 * DATA*, then optionally trailing HEADERS, then the stream's end; for a
 * client, any number of interim (1xx) responses before the final one.
 *
 * Frame-sequence errors are connection errors (§4.1: H3_FRAME_UNEXPECTED for
 * DATA before HEADERS or anything after trailers; §7.2.5 PUSH_PROMISE, which
 * a client that never sent MAX_PUSH_ID answers with H3_ID_ERROR); a malformed
 * message is a stream error (H3_MESSAGE_ERROR, §4.1.2). A header section
 * whose QPACK references are not there yet blocks the stream (RFC 9204
 * §2.1.2): what follows it is held, within `maxHeld` bytes (a driver that
 * stops reading a blocked stream never comes near it), and replayed in order
 * once {@link RequestStream.unblocked} delivers the fields.
 *
 * @example
 * ```ts
 * import { RequestStream, type RequestStreamHost } from "@zsync/quic/h3";
 * declare const host: RequestStreamHost;
 * const stream = new RequestStream(0, "server", host, { maxHeaderFrame: 65536, maxHeld: 65536 });
 * stream.receive(new Uint8Array([0x01, 0x00]), false); // HEADERS with an empty section: throws Http3MessageError (no :method)
 * ```
 * @module
 */
import {
  Http3ExcessiveLoadError,
  Http3FrameUnexpectedError,
  Http3IdError,
  Http3MessageError,
  Http3RequestIncompleteError,
} from "./errors.js";
import type { Http3Event } from "./events.js";
import { type FrameDecision, type FrameItem, FrameReader, FrameType, isHttp2FrameType } from "./frames.js";
import { BodyLength, parseRequestFields, parseResponseFields, parseTrailerFields } from "./message.js";
import type { Field } from "./qpack/field.js";

/** What a {@link RequestStream} needs from its connection. */
export interface RequestStreamHost {
  /** Decodes a header section: its fields, or `undefined` when it is blocked (QPACK). Throws QPACK errors. */
  decodeSection(streamId: number, payload: Uint8Array): Field[] | undefined;
  emit(event: Http3Event): void;
}

/** Bounds of a {@link RequestStream}. */
export interface RequestStreamLimits {
  /** The largest HEADERS frame payload held (our SETTINGS_MAX_FIELD_SECTION_SIZE). */
  readonly maxHeaderFrame: number;
  /** The most bytes held after a blocked header section. */
  readonly maxHeld: number;
}

type Phase = "head" | "body" | "trailers" | "done";

/** See the module comment. */
export class RequestStream {
  readonly streamId: number;
  /** `server`: this stream carries a request to us; `client`: a response. */
  readonly role: "server" | "client";
  readonly #host: RequestStreamHost;
  readonly #limits: RequestStreamLimits;
  readonly #reader: FrameReader;
  readonly #items: FrameItem[] = [];
  #phase: Phase = "head";
  #length = new BodyLength(undefined);
  #noContent = false;
  /** A blocked header section: the items after it, and whether the stream ended. */
  #held: FrameItem[] | undefined;
  #heldBytes = 0;
  #heldFin = false;
  #blockedTrailers = false;

  constructor(streamId: number, role: "server" | "client", host: RequestStreamHost, limits: RequestStreamLimits) {
    this.streamId = streamId;
    this.role = role;
    this.#host = host;
    this.#limits = limits;
    this.#reader = new FrameReader((type, length) => this.#decide(type, length));
  }

  /** True while a header section waits for QPACK inserts. */
  get blocked(): boolean {
    return this.#held !== undefined;
  }

  /** True once the whole message was received. */
  get done(): boolean {
    return this.#phase === "done";
  }

  /** True until the final header section arrived (the stream may still be cancelled in QPACK's sense). */
  get awaitingHead(): boolean {
    return this.#phase === "head";
  }

  /** Client: the request was HEAD, so the response has no content whatever its content-length says (RFC 9110 §9.3.2). */
  expectNoContent(): void {
    this.#noContent = true;
  }

  /** Takes the next bytes of the stream; `fin` when they are its last. */
  receive(bytes: Uint8Array, fin: boolean): void {
    if (this.#phase === "done") return;
    const items = this.#items;
    items.length = 0;
    this.#reader.push(bytes, items);
    if (fin) this.#reader.finish();
    for (let i = 0; i < items.length; i++) {
      if (this.#held !== undefined) {
        this.#hold(items[i]!);
        continue;
      }
      this.#process(items[i]!);
    }
    items.length = 0;
    if (fin) {
      if (this.#held !== undefined) this.#heldFin = true;
      else this.#end();
    }
  }

  /** The blocked header section decoded to `fields`: processes it and what was held after it. */
  unblocked(fields: Field[]): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    this.#heldBytes = 0;
    if (this.#blockedTrailers) this.#trailers(fields);
    else this.#head(fields);
    for (let i = 0; i < held.length; i++) {
      if (this.#held !== undefined) {
        this.#hold(held[i]!);
        continue;
      }
      this.#process(held[i]!);
    }
    if (this.#heldFin && this.#held === undefined) this.#end();
  }

  #decide(type: number, length: number): FrameDecision {
    switch (type) {
      // The phase only moves forward, and frames are decided (here) before the ones ahead of them in the same
      // input are processed: "after trailers" is certain now, "before HEADERS" only once processed (#process).
      case FrameType.DATA:
        if (this.#phase === "trailers") throw new Http3FrameUnexpectedError(`DATA after trailers on stream ${this.streamId}`);
        return "stream";
      case FrameType.HEADERS:
        if (this.#phase === "trailers") throw new Http3FrameUnexpectedError(`HEADERS after trailers on stream ${this.streamId}`);
        if (length > this.#limits.maxHeaderFrame) {
          throw new Http3MessageError(
            `HEADERS frame of ${length} bytes exceeds the ${this.#limits.maxHeaderFrame}-byte limit`,
            this.streamId,
          );
        }
        return "buffer";
      case FrameType.PUSH_PROMISE:
        if (this.role === "client") throw new Http3IdError("PUSH_PROMISE, but we never sent MAX_PUSH_ID (no push is allowed)");
        throw new Http3FrameUnexpectedError("PUSH_PROMISE from a client");
      case FrameType.SETTINGS:
      case FrameType.GOAWAY:
      case FrameType.MAX_PUSH_ID:
      case FrameType.CANCEL_PUSH:
        throw new Http3FrameUnexpectedError(`frame 0x${type.toString(16)} on a request stream`);
      default:
        if (isHttp2FrameType(type)) throw new Http3FrameUnexpectedError(`HTTP/2 frame type 0x${type.toString(16)}`);
        return "skip";
    }
  }

  #hold(item: FrameItem): void {
    const size = item.kind === "frame" ? item.payload.length : item.bytes.length;
    this.#heldBytes += size;
    if (this.#heldBytes > this.#limits.maxHeld) {
      throw new Http3ExcessiveLoadError("stream", `more than ${this.#limits.maxHeld} bytes behind a blocked header section`);
    }
    // Pieces are views into the driver's buffer: keep a copy.
    this.#held!.push(item.kind === "piece" ? { ...item, bytes: item.bytes.slice() } : item);
  }

  #process(item: FrameItem): void {
    if (this.#phase === "trailers") throw new Http3FrameUnexpectedError(`a frame after trailers on stream ${this.streamId}`);
    if (item.kind === "piece") {
      // Only DATA is streamed.
      if (this.#phase === "head") throw new Http3FrameUnexpectedError(`DATA before HEADERS on stream ${this.streamId}`);
      if (item.bytes.length === 0) return;
      this.#length.add(item.bytes.length);
      this.#host.emit({ type: "data", streamId: this.streamId, bytes: item.bytes });
      return;
    }
    // A HEADERS frame: the head (or an interim response) or the trailers.
    const trailers = this.#phase === "body";
    const fields = this.#host.decodeSection(this.streamId, item.payload);
    if (fields === undefined) {
      this.#held = [];
      this.#blockedTrailers = trailers;
      return;
    }
    if (trailers) this.#trailers(fields);
    else this.#head(fields);
  }

  #head(fields: Field[]): void {
    if (this.role === "server") {
      const head = parseRequestFields(fields);
      this.#length = new BodyLength(head.contentLength);
      this.#phase = "body";
      this.#host.emit({ type: "request", streamId: this.streamId, head });
      return;
    }
    const head = parseResponseFields(fields);
    const interim = head.status < 200;
    if (!interim) {
      this.#phase = "body";
      this.#length = new BodyLength(head.contentLength, this.#noContent || head.status === 204 || head.status === 304);
    }
    this.#host.emit({ type: "response", streamId: this.streamId, head, interim });
  }

  #trailers(fields: Field[]): void {
    const valid = parseTrailerFields(fields);
    this.#phase = "trailers";
    this.#host.emit({ type: "trailers", streamId: this.streamId, fields: valid });
  }

  #end(): void {
    if (this.#phase === "head") {
      if (this.role === "server") throw new Http3RequestIncompleteError("request stream ended before its header section");
      throw new Http3MessageError("response stream ended before a final response", this.streamId);
    }
    this.#length.end();
    this.#phase = "done";
    this.#host.emit({ type: "end", streamId: this.streamId });
  }
}
