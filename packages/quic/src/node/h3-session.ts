/**
 * One HTTP/3 connection over the QUIC Node API: drives the sans-I/O
 * `Http3Connection` (h3/connection.ts) with a `QuicConnection`. Shared by
 * `Http3Server` and `Http3Client`; internal.
 *
 * - Our control and QPACK streams open on the core's first write to each, and
 *   their writes are chained in order.
 * - The peer's unidirectional streams are read as fast as they arrive (their
 *   content is bounded by the core: SETTINGS and ids are small, QPACK
 *   instructions hold at most one entry).
 * - Request streams are read only when their consumer asks
 *   ({@link MessageChannel.next}), and not at all while QPACK blocks them:
 *   a slow body reader leaves bytes in QUIC's receive window, which stops
 *   crediting the peer (RFC 9000 §4): back-pressure end to end.
 *
 * @internal
 * @module
 */
import { Http3Connection, type Http3ConnectionOptions } from "../h3/connection.js";
import { Http3ConnectionClosedError, type Http3Error, Http3ErrorCode, Http3RequestResetError } from "../h3/errors.js";
import type { CriticalStream, Http3Event } from "../h3/events.js";
import type { QuicConnection } from "./connection.js";
import { QuicApplicationClosedError, QuicConnectionClosedError, QuicStreamResetError, QuicStreamStoppedError } from "./errors.js";
import type { QuicStream } from "./stream.js";

/** Bytes read from a request stream per read. */
const READ_CHUNK = 16 * 1024;

/** An error for whatever ended a connection, as HTTP/3 names it. */
export function connectionClosedError(error: unknown): Http3Error {
  if (error instanceof Http3ConnectionClosedError) return error;
  if (error instanceof QuicApplicationClosedError) {
    return new Http3ConnectionClosedError(error.errorCode, `connection closed (${error.remote ? "by the peer" : "by us"})`, {
      cause: error,
    });
  }
  if (error instanceof QuicConnectionClosedError)
    return new Http3ConnectionClosedError(Http3ErrorCode.H3_NO_ERROR, error.message, { cause: error });
  return new Http3ConnectionClosedError(Http3ErrorCode.H3_INTERNAL_ERROR, error instanceof Error ? error.message : String(error), {
    cause: error,
  });
}

/** The receiving side of one request stream, pulled by its consumer. */
export class MessageChannel {
  readonly stream: QuicStream;
  readonly #session: Http3Session;
  readonly #events: Http3Event[] = [];
  #wake: (() => void) | undefined;
  #failure: Error | undefined;
  #finRead = false;

  constructor(session: Http3Session, stream: QuicStream) {
    this.#session = session;
    this.stream = stream;
  }

  /** True once the stream's FIN was read from QUIC. */
  get finRead(): boolean {
    return this.#finRead;
  }

  /** @internal an event of this stream from the core */
  push(event: Http3Event): void {
    this.#events.push(event);
    this.#notify();
  }

  /** @internal the stream (or connection) failed */
  fail(error: Error): void {
    this.#failure ??= error;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** The next event of this stream: reads from QUIC only when none is queued and QPACK does not block the stream. */
  async next(): Promise<Http3Event> {
    for (;;) {
      const event = this.#events.shift();
      if (event !== undefined) return event;
      if (this.#failure !== undefined) throw this.#failure;
      if (this.#finRead || this.#session.core.isBlocked(this.stream.id)) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        continue;
      }
      const buffer = new Uint8Array(READ_CHUNK);
      let n: number | null;
      try {
        n = await this.stream.read(buffer);
      } catch (error) {
        if (error instanceof QuicStreamResetError) {
          // The receiving side is over: never read it again (a read would only fail the same way).
          this.#finRead = true;
          this.#session.core.handleStreamReset(this.stream.id, error.errorCode);
          this.#session.flush();
          if (this.#events.length === 0) this.fail(resetError(error.errorCode));
          continue;
        }
        this.fail(this.#session.closedError() ?? (error as Error));
        continue;
      }
      if (n === null) this.#finRead = true;
      this.#session.core.handleStreamData(this.stream.id, n === null ? new Uint8Array(0) : buffer.subarray(0, n), n === null);
      this.#session.flush();
    }
  }
}

/** See the module comment. */
export class Http3Session {
  readonly conn: QuicConnection;
  readonly core: Http3Connection;
  readonly #critical = new Map<CriticalStream, Promise<QuicStream | undefined>>();
  readonly #channels = new Map<number, MessageChannel>();
  readonly #requestStreams = new Map<number, QuicStream>();
  #closedError: Http3Error | undefined;
  #goaway: number | undefined;
  /** Called (server) with each request stream the peer opens. */
  onRequestStream: ((channel: MessageChannel) => void) | undefined;
  /** Called when the peer sends GOAWAY. */
  onGoaway: ((id: number) => void) | undefined;
  /** Resolves when the QUIC connection has closed. */
  readonly closed: Promise<void>;

  constructor(conn: QuicConnection, options: Http3ConnectionOptions) {
    this.conn = conn;
    this.core = new Http3Connection(options);
    this.closed = conn.closed.then(
      () => this.#onClosed(),
      () => this.#onClosed(),
    );
    this.flush();
    void this.#acceptLoop();
  }

  /** The error that ended the connection, once it ended. */
  closedError(): Http3Error | undefined {
    if (this.#closedError !== undefined) return this.#closedError;
    const quic = this.conn.closedError();
    return quic === undefined ? undefined : connectionClosedError(quic);
  }

  /** The peer's GOAWAY id, if it sent one. */
  get goaway(): number | undefined {
    return this.#goaway;
  }

  /** True while new requests may go out on this connection (client). */
  get usable(): boolean {
    return this.closedError() === undefined && this.#goaway === undefined && this.core.closedError === undefined && this.conn.isActive;
  }

  /** Requests in flight (streams with a channel or a response being written). */
  get inFlight(): number {
    return this.#requestStreams.size;
  }

  /** Registers a request stream whose events go to `channel`. */
  track(channel: MessageChannel): void {
    this.#channels.set(channel.stream.id, channel);
    this.#requestStreams.set(channel.stream.id, channel.stream);
  }

  /** Forgets a request stream (both directions are over). */
  release(streamId: number): void {
    this.#channels.delete(streamId);
    this.#requestStreams.delete(streamId);
    this.core.releaseStream(streamId);
    this.flush();
    this.#idleWaiter?.();
  }

  #idleWaiter: (() => void) | undefined;

  /** Resolves when no request is in flight (or the connection closed). */
  async idle(): Promise<void> {
    while (this.#requestStreams.size > 0 && this.closedError() === undefined) {
      await Promise.race([
        new Promise<void>((resolve) => {
          this.#idleWaiter = resolve;
        }),
        this.closed,
      ]);
    }
  }

  /** Drains the core's transmits and events. */
  flush(): void {
    for (let t = this.core.pollTransmit(); t !== undefined; t = this.core.pollTransmit()) {
      switch (t.type) {
        case "write":
          this.#writeCritical(t.stream, t.bytes);
          break;
        case "reset":
          this.#requestStreams.get(t.streamId)?.reset(t.errorCode);
          break;
        case "stop-sending":
          (this.#requestStreams.get(t.streamId) ?? this.#uniStreams.get(t.streamId))?.stopSending(t.errorCode);
          break;
        case "close":
          this.#closedError ??= new Http3ConnectionClosedError(t.errorCode, t.reason);
          void this.conn.close(t.errorCode, t.reason).catch(() => undefined);
          break;
      }
    }
    for (let e = this.core.pollEvent(); e !== undefined; e = this.core.pollEvent()) {
      switch (e.type) {
        case "settings":
          break;
        case "goaway":
          this.#goaway = e.id;
          this.onGoaway?.(e.id);
          break;
        case "closed":
          this.#closedError ??= e.error;
          for (const channel of this.#channels.values()) channel.fail(e.error);
          break;
        default:
          this.#channels.get(e.streamId)?.push(e);
      }
    }
  }

  readonly #uniStreams = new Map<number, QuicStream>();
  #encoderBacklog = 0;

  #writeCritical(kind: CriticalStream, bytes: Uint8Array): void {
    let chain = this.#critical.get(kind);
    if (chain === undefined) {
      chain = this.conn.openUnidirectionalStream().then((stream) => {
        this.core.bindCriticalStream(kind, stream.id);
        return stream;
      });
    }
    // Writes to one critical stream go out in order; a failure means the connection is ending. Encoder-stream
    // bytes still waiting for flow control hold the QPACK encoder back from inserting (RFC 9204 §2.1.3).
    const encoder = kind === "encoder";
    if (encoder) {
      this.#encoderBacklog += bytes.length;
      this.core.setEncoderStreamBacklog(this.#encoderBacklog);
    }
    const next = chain.then(async (stream) => {
      if (stream === undefined) return undefined;
      try {
        await stream.write(bytes);
        if (encoder) {
          this.#encoderBacklog -= bytes.length;
          this.core.setEncoderStreamBacklog(this.#encoderBacklog);
        }
        return stream;
      } catch (error) {
        if (error instanceof QuicStreamStoppedError) {
          this.core.handleStopSending(stream.id, error.errorCode);
          this.flush();
        }
        return undefined;
      }
    });
    next.catch(() => undefined);
    this.#critical.set(kind, next);
  }

  async #acceptLoop(): Promise<void> {
    try {
      for await (const stream of this.conn) {
        if (stream.direction === "uni") {
          this.#uniStreams.set(stream.id, stream);
          void this.#pumpUni(stream);
          continue;
        }
        if (this.core.role === "client") {
          // A server-initiated bidirectional stream: the core closes the connection (H3_STREAM_CREATION_ERROR).
          this.core.handleStreamData(stream.id, new Uint8Array(0), false);
          this.flush();
          continue;
        }
        const channel = new MessageChannel(this, stream);
        this.track(channel);
        this.onRequestStream?.(channel);
      }
    } catch {
      // The connection ended; `closed` reports it.
    }
  }

  async #pumpUni(stream: QuicStream): Promise<void> {
    const buffer = new Uint8Array(READ_CHUNK);
    try {
      for (;;) {
        const n = await stream.read(buffer);
        this.core.handleStreamData(stream.id, n === null ? new Uint8Array(0) : buffer.subarray(0, n), n === null);
        this.flush();
        if (n === null) break;
      }
    } catch (error) {
      if (error instanceof QuicStreamResetError) {
        this.core.handleStreamReset(stream.id, error.errorCode);
        this.flush();
      }
    } finally {
      this.#uniStreams.delete(stream.id);
      this.core.releaseStream(stream.id);
    }
  }

  #onClosed(): void {
    const error = this.closedError() ?? new Http3ConnectionClosedError(Http3ErrorCode.H3_NO_ERROR, "connection closed");
    for (const channel of this.#channels.values()) channel.fail(error);
    this.#idleWaiter?.();
  }
}

/** The error a request sees when its stream was reset by the peer with `errorCode`. */
export function resetError(errorCode: number): Http3RequestResetError {
  return new Http3RequestResetError(errorCode, `the peer reset the stream with 0x${errorCode.toString(16)}`);
}
