/**
 * `Http3Connection`: HTTP/3 (RFC 9114) over one QUIC connection, sans-I/O.
 * It is fed what the QUIC connection delivers (stream bytes, resets,
 * STOP_SENDING) and says what to write, reset or close, and what happened,
 * through two queues; it has no sockets, timers or clock.
 *
 * Driver contract:
 * 1. After constructing it, drain {@link Http3Connection.pollTransmit}: it
 *    asks to open our control stream (SETTINGS) and our QPACK encoder and
 *    decoder streams (§6.2); tell it their QUIC ids with
 *    {@link Http3Connection.bindCriticalStream} once they are open.
 * 2. Feed every peer stream's bytes in order with
 *    {@link Http3Connection.handleStreamData} (fin with the last ones), and
 *    RESET_STREAM / STOP_SENDING with `handleStreamReset` / `handleStopSending`.
 *    Do not feed a request stream while {@link Http3Connection.isBlocked}: its
 *    header section waits for QPACK inserts on the encoder stream, and what
 *    arrives meanwhile must be held (within `maxHeldPerStream`).
 * 3. After each call, drain `pollEvent` and `pollTransmit` (a `data` event's
 *    bytes are a view into the input: consume them before feeding more).
 * 4. Requests: a client opens a bidirectional stream and writes
 *    {@link Http3Connection.sendRequestHeaders}, then DATA frames
 *    ({@link encodeDataFrameHeader} + the bytes), then optionally
 *    {@link Http3Connection.sendTrailers}, then FIN; a server answers with
 *    `sendResponseHeaders` (1xx interim ones first if it likes) the same way.
 *    {@link Http3Connection.releaseStream} forgets a stream both sides are done with.
 * 5. A `close` transmit ends the connection (CONNECTION_CLOSE with its
 *    code); after a connection error the connection ignores its input.
 *
 * Errors: a peer's protocol violation never throws out of the `handle*`
 * methods; it becomes a `stream-error` event (that stream reset) or a
 * `closed` event and `close` transmit (the connection). Bad arguments from
 * the application are `TypeError` / `RangeError`.
 *
 * Bounded memory: frames other than DATA are held only within per-type
 * limits (HEADERS: our SETTINGS_MAX_FIELD_SECTION_SIZE; SETTINGS 4 KiB; ids
 * 8 bytes), unknown frames and DATA pass through, QPACK holds at most
 * `qpackBlockedStreams` blocked sections of at most that size, a blocked
 * stream holds at most `maxHeldPerStream` bytes, and the number of streams is
 * the QUIC connection's MAX_STREAMS.
 *
 * @example
 * ```ts
 * import { Http3Connection } from "@zsync/quic/h3";
 * const client = new Http3Connection({ role: "client" });
 * const server = new Http3Connection({ role: "server" });
 * const headers = client.sendRequestHeaders(0, [
 *   { name: ":method", value: "GET" },
 *   { name: ":scheme", value: "https" },
 *   { name: ":authority", value: "example.com" },
 *   { name: ":path", value: "/" },
 * ]);
 * server.handleStreamData(0, headers, true);
 * server.pollEvent(); // { type: "request", streamId: 0, head: { method: "GET", ... } }
 * ```
 * @module
 */

import { decodeVarint, varintLengthOfFirstByte } from "../proto/wire/varint.js";
import { ControlStreamReader } from "./control-stream.js";
import {
  Http3ClosedCriticalStreamError,
  Http3Error,
  Http3ErrorCode,
  Http3IdError,
  Http3MessageError,
  Http3QpackError,
  Http3RequestRejectedError,
  Http3StreamCreationError,
} from "./errors.js";
import type { CriticalStream, Http3Event, Http3Transmit } from "./events.js";
import { encodeFrame, encodeFrameHeader, encodeIdFrame, FrameType } from "./frames.js";
import { parseRequestFields, parseResponseFields, parseTrailerFields } from "./message.js";
import { QpackDecoder } from "./qpack/decoder.js";
import { QpackEncoder } from "./qpack/encoder.js";
import { QpackError, QpackFieldSectionTooLargeError } from "./qpack/errors.js";
import { type Field, fieldSize } from "./qpack/field.js";
import { RequestStream } from "./request-stream.js";
import { encodeSettingsFrame, type Http3Settings } from "./settings.js";

/** Settings and limits of an {@link Http3Connection}. */
export interface Http3ConnectionOptions {
  readonly role: "client" | "server";
  /** Our SETTINGS_QPACK_MAX_TABLE_CAPACITY, and the largest table our encoder uses (default 4096). */
  readonly qpackMaxTableCapacity?: number;
  /** Our SETTINGS_QPACK_BLOCKED_STREAMS (default 16). */
  readonly qpackBlockedStreams?: number;
  /** Our SETTINGS_MAX_FIELD_SECTION_SIZE: the largest header or trailer section we accept, and HEADERS frame we hold (default 65536). */
  readonly maxFieldSectionSize?: number;
  /** Bytes a request stream may deliver behind a blocked header section (default 65536). */
  readonly maxHeldPerStream?: number;
}

/** How an {@link Http3Connection} uses QPACK's dynamic tables (RFC 9204). */
export interface Http3QpackStats {
  /** Entries our encoder inserted into the peer's table. */
  readonly encoderInserts: number;
  /** Of those, how many the peer's decoder acknowledged. */
  readonly encoderAcknowledged: number;
  readonly encoderTableCapacity: number;
  /** Our streams whose sections may block at the peer now. */
  readonly encoderBlockingStreams: number;
  /** Entries the peer's encoder inserted into our table. */
  readonly decoderInserts: number;
  readonly decoderTableCapacity: number;
  /** Peer streams whose sections wait for inserts now. */
  readonly decoderBlockedStreams: number;
}

/** Stream types of unidirectional streams (§6.2, RFC 9204 §4.2). */
const UniType = { CONTROL: 0x00, PUSH: 0x01, ENCODER: 0x02, DECODER: 0x03 } as const;

type UniState =
  | { kind: "pending"; bytes: Uint8Array }
  | { kind: "control"; reader: ControlStreamReader }
  | { kind: "encoder" }
  | { kind: "decoder" }
  | { kind: "ignored" };

/** The DATA frame header for `length` content bytes (the bytes follow it on the stream). */
export function encodeDataFrameHeader(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`length: ${length} is not a byte count`);
  return encodeFrameHeader(FrameType.DATA, length);
}

function limit(name: string, value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0 || value > max) throw new RangeError(`${name}: ${value} is not an integer in [0, ${max}]`);
  return value;
}

/** See the module comment. */
export class Http3Connection {
  readonly role: "client" | "server";
  readonly #encoder: QpackEncoder;
  readonly #decoder: QpackDecoder;
  readonly #maxFieldSectionSize: number;
  readonly #maxHeld: number;
  readonly #events: Http3Event[] = [];
  readonly #transmits: Http3Transmit[] = [];
  /** Receiving halves of request streams. */
  readonly #streams = new Map<number, RequestStream>();
  /** Sending phase of request streams: whether the final header section and the trailers were sent. */
  readonly #sending = new Map<number, "head" | "body" | "done">();
  /** Request streams we reset or gave up on: their late bytes are ignored until released. */
  readonly #dead = new Set<number>();
  /** Request streams whose receiving side we stopped ({@link Http3Connection.stopReading}) while still sending on them. */
  readonly #stoppedReading = new Set<number>();
  readonly #uni = new Map<number, UniState>();
  readonly #peerCritical = new Set<"control" | "encoder" | "decoder">();
  readonly #ownCritical = new Map<number, CriticalStream>();
  #peerSettings: Http3Settings | undefined;
  #closed: Http3Error | undefined;
  /** GOAWAY received: the id (client: first request stream not processed). */
  #goawayReceived: number | undefined;
  /** GOAWAY sent: the id. */
  #goawaySent: number | undefined;
  /** Server: the next client-initiated bidirectional stream id after the highest seen. */
  #nextRequestId = 0;
  /** What every RequestStream calls back: QPACK decoding (flushing the decoder stream it owes) and event queueing. */
  readonly #host = {
    decodeSection: (streamId: number, payload: Uint8Array): Field[] | undefined => {
      const result = this.#decoder.decodeFieldSection(streamId, payload);
      this.#flushDecoder();
      return result.status === "decoded" ? result.fields : undefined;
    },
    emit: (event: Http3Event): void => {
      this.#events.push(event);
    },
  };

  constructor(options: Http3ConnectionOptions) {
    if (options.role !== "client" && options.role !== "server")
      throw new TypeError(`role: ${String(options.role)} is not client or server`);
    this.role = options.role;
    const capacity = limit("qpackMaxTableCapacity", options.qpackMaxTableCapacity, 4096, 2 ** 30);
    const blocked = limit("qpackBlockedStreams", options.qpackBlockedStreams, 16, 2 ** 16);
    this.#maxFieldSectionSize = limit("maxFieldSectionSize", options.maxFieldSectionSize, 65536, 2 ** 30);
    this.#maxHeld = limit("maxHeldPerStream", options.maxHeldPerStream, 65536, 2 ** 30);
    this.#encoder = new QpackEncoder({ maxTableCapacity: capacity });
    this.#decoder = new QpackDecoder({
      maxTableCapacity: capacity,
      maxBlockedStreams: blocked,
      maxFieldSectionSize: this.#maxFieldSectionSize,
    });
    const settings = encodeSettingsFrame({
      qpackMaxTableCapacity: capacity,
      qpackBlockedStreams: blocked,
      maxFieldSectionSize: this.#maxFieldSectionSize,
    });
    this.#write("control", new Uint8Array([UniType.CONTROL, ...settings]));
    this.#write("encoder", new Uint8Array([UniType.ENCODER]));
    this.#write("decoder", new Uint8Array([UniType.DECODER]));
  }

  /** The peer's SETTINGS, once they arrived. */
  get peerSettings(): Http3Settings | undefined {
    return this.#peerSettings;
  }

  /** The connection error that closed it, if any. */
  get closedError(): Http3Error | undefined {
    return this.#closed;
  }

  /** The id of the peer's latest GOAWAY, if one came. */
  get goawayReceived(): number | undefined {
    return this.#goawayReceived;
  }

  /** The id of our latest GOAWAY, if we sent one. */
  get goawaySent(): number | undefined {
    return this.#goawaySent;
  }

  /** QPACK state, for diagnostics and tests: how the dynamic tables are used. */
  get qpackStats(): Http3QpackStats {
    return {
      encoderInserts: this.#encoder.insertCount,
      encoderAcknowledged: this.#encoder.knownReceivedCount,
      encoderTableCapacity: this.#encoder.tableCapacity,
      encoderBlockingStreams: this.#encoder.blockingStreamCount,
      decoderInserts: this.#decoder.insertCount,
      decoderTableCapacity: this.#decoder.tableCapacity,
      decoderBlockedStreams: this.#decoder.blockedStreamCount,
    };
  }

  /** Request streams with state (receiving or sending), for diagnostics: it goes back to 0 as streams are released. */
  get streamCount(): number {
    return new Set([...this.#streams.keys(), ...this.#sending.keys(), ...this.#dead, ...this.#stoppedReading]).size;
  }

  /** The next event, or undefined. */
  pollEvent(): Http3Event | undefined {
    return this.#events.shift();
  }

  /** The next thing to do on the QUIC connection, or undefined. */
  pollTransmit(): Http3Transmit | undefined {
    return this.#transmits.shift();
  }

  /** Our critical stream `kind` got QUIC stream `streamId` (so a STOP_SENDING on it is recognised). */
  bindCriticalStream(kind: CriticalStream, streamId: number): void {
    this.#ownCritical.set(streamId, kind);
  }

  /**
   * How many bytes written to our encoder stream the transport has not
   * accepted yet (flow control): past a bound, our QPACK encoder stops
   * inserting (RFC 9204 §2.1.3). A driver whose writes to that stream wait
   * reports the bytes still waiting; 0 when they all went out.
   */
  setEncoderStreamBacklog(bytes: number): void {
    this.#encoder.setEncoderStreamBacklog(bytes);
  }

  /** True while a request stream's header section waits for QPACK inserts: feed it no more bytes until it is not. */
  isBlocked(streamId: number): boolean {
    return this.#streams.get(streamId)?.blocked ?? false;
  }

  /** Bytes of a peer stream, in order; `fin` with the last. */
  handleStreamData(streamId: number, bytes: Uint8Array, fin: boolean): void {
    if (this.#closed !== undefined) return;
    try {
      if ((streamId & 0x2) !== 0) this.#uniData(streamId, bytes, fin);
      else this.#requestData(streamId, bytes, fin);
    } catch (error) {
      this.#fail(error, streamId);
    }
  }

  /** The peer reset a stream it sends on. */
  handleStreamReset(streamId: number, errorCode: number): void {
    if (this.#closed !== undefined) return;
    if ((streamId & 0x2) !== 0) {
      const state = this.#uni.get(streamId);
      if (state !== undefined && (state.kind === "control" || state.kind === "encoder" || state.kind === "decoder")) {
        this.#connectionError(new Http3ClosedCriticalStreamError(`the peer reset its ${state.kind} stream`));
        return;
      }
      this.#uni.delete(streamId);
      return;
    }
    if (this.#dead.has(streamId) || this.#stoppedReading.has(streamId)) return;
    const stream = this.#streams.get(streamId);
    // A client's own finished or forgotten requests have nothing to report; a server reports every request stream
    // reset, even one reset before any of it was processed (its driver still holds the stream).
    if (stream === undefined && this.role === "client" && !this.#sending.has(streamId)) return;
    this.#streams.delete(streamId);
    if (stream === undefined || !stream.done) this.#decoderCancel(streamId);
    this.#events.push({ type: "stream-reset", streamId, errorCode });
  }

  /** The peer sent STOP_SENDING for a stream we send on. */
  handleStopSending(streamId: number, errorCode: number): void {
    if (this.#closed !== undefined) return;
    const critical = this.#ownCritical.get(streamId);
    if (critical !== undefined) {
      this.#connectionError(new Http3ClosedCriticalStreamError(`the peer stopped our ${critical} stream`));
      return;
    }
    if ((streamId & 0x2) !== 0 || this.#dead.has(streamId)) return;
    this.#events.push({ type: "stop-sending", streamId, errorCode });
  }

  /**
   * Client: the HEADERS frame of a request on `streamId` (a bidirectional
   * stream we opened). Validates the fields as a request (TypeError
   * otherwise) and refuses a stream at or above the server's GOAWAY id
   * ({@link Http3RequestRejectedError}, §5.2).
   */
  sendRequestHeaders(streamId: number, fields: readonly Field[]): Uint8Array {
    if (this.role !== "client") throw new TypeError("sendRequestHeaders: only a client sends requests");
    if (!this.#isOurRequest(streamId)) throw new RangeError(`streamId: ${streamId} is not a client-initiated bidirectional stream`);
    if (this.#sending.has(streamId) || this.#streams.has(streamId)) throw new TypeError(`stream ${streamId} already carries a request`);
    if (this.#goawayReceived !== undefined && streamId >= this.#goawayReceived) {
      throw new Http3RequestRejectedError(`stream ${streamId} is at or above the server's GOAWAY id ${this.#goawayReceived}`);
    }
    const head = this.#validate(() => parseRequestFields(fields));
    const frame = this.#headersFrame(streamId, fields);
    const stream = new RequestStream(streamId, "client", this.#host, { maxHeaderFrame: this.#maxFieldSectionSize, maxHeld: this.#maxHeld });
    if (head.method === "HEAD") stream.expectNoContent();
    this.#streams.set(streamId, stream);
    this.#sending.set(streamId, "body");
    return frame;
  }

  /** Server: the HEADERS frame of a response (1xx interim responses first, any number; then one final). */
  sendResponseHeaders(streamId: number, fields: readonly Field[]): Uint8Array {
    if (this.role !== "server") throw new TypeError("sendResponseHeaders: only a server sends responses");
    const phase = this.#sending.get(streamId) ?? "head";
    if (phase !== "head") throw new TypeError(`stream ${streamId}: the final response was already sent`);
    const head = this.#validate(() => parseResponseFields(fields));
    const frame = this.#headersFrame(streamId, fields);
    this.#sending.set(streamId, head.status >= 200 ? "body" : "head");
    return frame;
  }

  /** The HEADERS frame of a trailer section, after the content (§4.1). */
  sendTrailers(streamId: number, fields: readonly Field[]): Uint8Array {
    if (this.#sending.get(streamId) !== "body")
      throw new TypeError(`stream ${streamId}: trailers go after the header section and before the end`);
    this.#validate(() => parseTrailerFields(fields));
    const frame = this.#headersFrame(streamId, fields);
    this.#sending.set(streamId, "done");
    return frame;
  }

  /**
   * We abandon a request stream (cancelled, or its response no longer
   * wanted): asks for RESET_STREAM and STOP_SENDING with `errorCode`
   * (default H3_REQUEST_CANCELLED) and cancels its QPACK state.
   */
  cancelStream(streamId: number, errorCode: number = Http3ErrorCode.H3_REQUEST_CANCELLED): void {
    if (this.#closed !== undefined || this.#dead.has(streamId)) return;
    const stream = this.#streams.get(streamId);
    this.#streams.delete(streamId);
    if (stream !== undefined && !stream.done) this.#decoderCancel(streamId);
    this.#dead.add(streamId);
    this.#transmits.push({ type: "stop-sending", streamId, errorCode }, { type: "reset", streamId, errorCode });
  }

  /**
   * We no longer want the rest of what the peer sends on a request stream,
   * but still answer on it: a server that responds before reading the whole
   * request (§4.1.1: STOP_SENDING, H3_NO_ERROR by default, and the complete
   * response follows). Asks for STOP_SENDING only, cancels the stream's
   * QPACK state, and ignores what still arrives (bytes, RESET_STREAM); our
   * sending side is untouched, so the response's frames and FIN still go
   * out. `cancelStream` later abandons the sending side too.
   */
  stopReading(streamId: number, errorCode: number = Http3ErrorCode.H3_NO_ERROR): void {
    if (this.#closed !== undefined || this.#dead.has(streamId) || this.#stoppedReading.has(streamId)) return;
    const stream = this.#streams.get(streamId);
    this.#streams.delete(streamId);
    if (stream !== undefined && !stream.done) this.#decoderCancel(streamId);
    this.#stoppedReading.add(streamId);
    this.#transmits.push({ type: "stop-sending", streamId, errorCode });
  }

  /** Forgets a request stream (both directions finished, or abandoned). */
  releaseStream(streamId: number): void {
    const stream = this.#streams.get(streamId);
    if (stream !== undefined && !stream.done) this.#decoderCancel(streamId);
    this.#streams.delete(streamId);
    this.#sending.delete(streamId);
    this.#dead.delete(streamId);
    this.#stoppedReading.delete(streamId);
    this.#uni.delete(streamId);
  }

  /**
   * Graceful shutdown (§5.2): sends GOAWAY. A server names the first request
   * stream it will not process (one past the highest it has seen) and resets
   * later ones with H3_REQUEST_REJECTED; a client names push id 0 (it allows
   * no pushes). Calling again sends the id again (never a larger one).
   * Returns the id.
   */
  shutdown(): number {
    const id = this.role === "server" ? this.#nextRequestId : 0;
    const next = this.#goawaySent === undefined ? id : Math.min(id, this.#goawaySent);
    this.#goawaySent = next;
    if (this.#closed === undefined) this.#write("control", encodeIdFrame(FrameType.GOAWAY, next));
    return next;
  }

  /** Server: true while a request on `streamId` would still be processed (below our GOAWAY id, if any). */
  acceptsRequest(streamId: number): boolean {
    return this.#goawaySent === undefined || streamId < this.#goawaySent;
  }

  #validate<T>(check: () => T): T {
    try {
      return check();
    } catch (error) {
      if (error instanceof Http3MessageError) throw new TypeError(`fields: ${error.reason}`);
      throw error;
    }
  }

  #headersFrame(streamId: number, fields: readonly Field[]): Uint8Array {
    if (this.#closed !== undefined) throw this.#closed;
    const peerLimit = this.#peerSettings?.maxFieldSectionSize ?? Number.POSITIVE_INFINITY;
    let size = 0;
    for (const f of fields) size += fieldSize(f.name, f.value);
    if (size > peerLimit) throw new RangeError(`fields: ${size} bytes exceed the peer's SETTINGS_MAX_FIELD_SECTION_SIZE ${peerLimit}`);
    const section = this.#encoder.encodeFieldSection(streamId, fields);
    const instructions = this.#encoder.takeEncoderStreamBytes();
    if (instructions.length > 0) this.#write("encoder", instructions);
    return encodeFrame(FrameType.HEADERS, section);
  }

  #write(stream: CriticalStream, bytes: Uint8Array): void {
    this.#transmits.push({ type: "write", stream, bytes });
  }

  #flushDecoder(): void {
    const bytes = this.#decoder.takeDecoderStreamBytes();
    if (bytes.length > 0) this.#write("decoder", bytes);
  }

  #decoderCancel(streamId: number): void {
    this.#decoder.cancelStream(streamId);
    this.#flushDecoder();
  }

  #isOurRequest(streamId: number): boolean {
    return this.role === "client" && (streamId & 0x3) === 0;
  }

  #requestData(streamId: number, bytes: Uint8Array, fin: boolean): void {
    if (this.#dead.has(streamId) || this.#stoppedReading.has(streamId)) return;
    let stream = this.#streams.get(streamId);
    if (stream === undefined) {
      if (this.role === "client") {
        // Server-initiated bidirectional streams have no meaning in HTTP/3 (§6.1); our own finished ones are ignored.
        if ((streamId & 0x1) === 1) throw new Http3StreamCreationError(`the server opened bidirectional stream ${streamId}`);
        return;
      }
      if ((streamId & 0x1) === 1) return; // never: a server opens no bidirectional streams
      if (streamId + 4 > this.#nextRequestId) this.#nextRequestId = streamId + 4;
      if (!this.acceptsRequest(streamId)) {
        // §5.2: at or above our GOAWAY id: not processed, safe for the client to retry.
        this.#dead.add(streamId);
        this.#transmits.push(
          { type: "stop-sending", streamId, errorCode: Http3ErrorCode.H3_REQUEST_REJECTED },
          { type: "reset", streamId, errorCode: Http3ErrorCode.H3_REQUEST_REJECTED },
        );
        return;
      }
      stream = new RequestStream(streamId, "server", this.#host, { maxHeaderFrame: this.#maxFieldSectionSize, maxHeld: this.#maxHeld });
      this.#streams.set(streamId, stream);
    }
    stream.receive(bytes, fin);
    if (stream.done) this.#streams.delete(streamId);
  }

  #uniData(streamId: number, bytes: Uint8Array, fin: boolean): void {
    let state = this.#uni.get(streamId);
    let body = bytes;
    if (state === undefined || state.kind === "pending") {
      const held = state === undefined ? bytes : new Uint8Array([...state.bytes, ...bytes]);
      const type = decodeVarint(held, 0);
      if (type < 0) {
        // The type varint is incomplete (at most 7 bytes held); a stream that ends here is tolerated (§6.2).
        if (fin) this.#uni.delete(streamId);
        else this.#uni.set(streamId, { kind: "pending", bytes: held.slice() });
        return;
      }
      body = held.subarray(varintLengthOfFirstByte(held[0]!));
      state = this.#openUni(streamId, type);
      this.#uni.set(streamId, state);
    }
    switch (state.kind) {
      case "control":
        if (body.length > 0) state.reader.receive(body);
        break;
      case "encoder":
        if (body.length > 0) this.#encoderStream(body);
        break;
      case "decoder":
        if (body.length > 0) this.#encoder.receiveDecoderStream(body);
        break;
      default:
        break;
    }
    if (fin) {
      if (state.kind === "control" || state.kind === "encoder" || state.kind === "decoder") {
        throw new Http3ClosedCriticalStreamError(`the peer ended its ${state.kind} stream`);
      }
      this.#uni.delete(streamId);
    }
  }

  #openUni(streamId: number, type: number): UniState {
    const critical =
      type === UniType.CONTROL ? "control" : type === UniType.ENCODER ? "encoder" : type === UniType.DECODER ? "decoder" : undefined;
    if (critical !== undefined) {
      if (this.#peerCritical.has(critical)) throw new Http3StreamCreationError(`a second ${critical} stream`);
      this.#peerCritical.add(critical);
      if (critical === "control")
        return { kind: "control", reader: new ControlStreamReader(this.role, (event) => this.#controlEvent(event)) };
      return { kind: critical };
    }
    if (type === UniType.PUSH) {
      if (this.role === "server") throw new Http3StreamCreationError("a client opened a push stream");
      throw new Http3IdError("a push stream, but we never sent MAX_PUSH_ID");
    }
    // Unknown and reserved types are ignored (§6.2.3, §9), and we ask the peer to stop sending on them.
    this.#transmits.push({ type: "stop-sending", streamId, errorCode: Http3ErrorCode.H3_STREAM_CREATION_ERROR });
    return { kind: "ignored" };
  }

  #controlEvent(event: Http3Event): void {
    if (event.type === "settings") {
      this.#peerSettings = event.settings;
      this.#encoder.applyPeerSettings({
        maxTableCapacity: event.settings.qpackMaxTableCapacity,
        blockedStreams: event.settings.qpackBlockedStreams,
      });
      const instructions = this.#encoder.takeEncoderStreamBytes();
      if (instructions.length > 0) this.#write("encoder", instructions);
    } else if (event.type === "goaway") {
      this.#goawayReceived = event.id;
      if (this.role === "client") {
        // Requests at or above the id were not processed (§5.2): they fail as rejected, safe to retry elsewhere.
        for (const streamId of [...this.#streams.keys()]) {
          if (streamId < event.id) continue;
          this.#streamError(
            streamId,
            new Http3RequestRejectedError(`the server's GOAWAY (id ${event.id}) did not cover stream ${streamId}`),
            Http3ErrorCode.H3_REQUEST_CANCELLED,
          );
        }
      }
    }
    this.#events.push(event);
  }

  #encoderStream(bytes: Uint8Array): void {
    const done = this.#decoder.receiveEncoderStream(bytes);
    this.#flushDecoder();
    for (const section of done) {
      const stream = this.#streams.get(section.streamId);
      if (stream === undefined) continue;
      try {
        if (section.error !== undefined) throw section.error;
        stream.unblocked(section.fields);
        if (stream.done) this.#streams.delete(section.streamId);
      } catch (error) {
        this.#fail(error, section.streamId);
        if (this.#closed !== undefined) return;
      }
    }
  }

  /** Routes an error thrown while handling `streamId`: a stream error resets that stream, anything else closes the connection. */
  #fail(error: unknown, streamId: number): void {
    if (error instanceof QpackFieldSectionTooLargeError) {
      this.#streamError(streamId, new Http3MessageError(error.reason, streamId));
    } else if (error instanceof QpackError) {
      this.#connectionError(new Http3QpackError(error.h3ErrorCode, error.reason, { cause: error }));
    } else if (error instanceof Http3Error) {
      if (error.scope === "stream" && (streamId & 0x2) === 0) this.#streamError(streamId, error);
      else this.#connectionError(error);
    } else {
      throw error;
    }
  }

  #streamError(streamId: number, error: Http3Error, code = error.h3ErrorCode): void {
    const stream = this.#streams.get(streamId);
    this.#streams.delete(streamId);
    if (stream === undefined || !stream.done) this.#decoderCancel(streamId);
    this.#dead.add(streamId);
    this.#transmits.push({ type: "stop-sending", streamId, errorCode: code }, { type: "reset", streamId, errorCode: code });
    this.#events.push({ type: "stream-error", streamId, error });
  }

  #connectionError(error: Http3Error): void {
    if (this.#closed !== undefined) return;
    this.#closed = error;
    this.#transmits.push({ type: "close", errorCode: error.h3ErrorCode, reason: error.reason.slice(0, 256) });
    this.#events.push({ type: "closed", error });
  }
}
