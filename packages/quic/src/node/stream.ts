/**
 * `QuicStream`: one QUIC stream (RFC 9000 §2-3) as the application sees it.
 *
 * Reads copy into the caller's buffer (`read(buf)`), so a bulk receiver
 * reuses one buffer and allocates nothing per chunk; `for await` and the
 * web/Node stream adapters are conveniences on top that copy. Writes
 * resolve once the core has taken every byte: the core's send buffer is
 * bounded, so `await write()` *is* the back-pressure (it waits for the
 * peer's acknowledgments and credit, via `stream-writable`).
 *
 * Cancellation undoes protocol state, because a half-read or half-written
 * stream left as is would hold the peer's resources until the connection
 * ends: a read cancelled by its signal or its task sends STOP_SENDING, a
 * write sends RESET_STREAM, both with the connection's `cancelCode`.
 *
 * @example
 * ```ts
 * import type { QuicConnection } from "@zsync/quic";
 * declare const conn: QuicConnection;
 * const stream = await conn.openBidirectionalStream();
 * await stream.write(new TextEncoder().encode("ping"));
 * stream.end(); // FIN; `await stream.finished()` waits for the peer's acknowledgment
 * const buf = new Uint8Array(4096);
 * for (let n = await stream.read(buf); n !== null; n = await stream.read(buf)) console.log(buf.subarray(0, n));
 * ```
 * @module
 */
import { Duplex } from "node:stream";
import { type Connection, type StreamDirection, StreamStateError } from "../proto/index.js";
import type { EndpointDriver } from "./driver.js";
import { QuicStreamClosedError, QuicStreamResetError, QuicStreamStoppedError } from "./errors.js";
import { type QuicWaitOptions, throwIfAborted, Waiter } from "./wait.js";

/** What a stream needs from its connection (internal). */
export interface StreamHost {
  readonly core: Connection;
  readonly driver: EndpointDriver;
  /** The connection's end as an error, once it ended. */
  closedError(): Error | undefined;
  /** Error code of RESET_STREAM / STOP_SENDING sent when a wait is cancelled. */
  readonly cancelCode: number;
  /** Both halves are done: the connection can forget the stream. */
  forget(stream: QuicStream): void;
}

/** Size of the chunks `for await` and the adapters read. */
const CHUNK = 64 * 1024;

/** A QUIC stream; see the module comment. */
export class QuicStream implements AsyncIterable<Uint8Array> {
  /** The stream ID (RFC 9000 §2.1: its two low bits say who opened it and its direction). */
  readonly id: number;
  readonly direction: StreamDirection;
  /** True for streams we opened. */
  readonly local: boolean;
  /**
   * Server: the client opened this stream in 0-RTT, or sent on it in 0-RTT
   * (RFC 9001 §4.6.1). Early data can be replayed by an attacker who recorded
   * it (RFC 9001 §9.2, RFC 8446 §8): run only idempotent requests from such a
   * stream at once, and defer the rest until `await conn.established()`
   * (a replay never completes the handshake) or refuse them. Always false for
   * streams we opened and on a client.
   */
  readonly receivedInEarlyData: boolean;
  readonly #host: StreamHost;
  readonly #readWaiter = new Waiter();
  readonly #writeWaiter = new Waiter();
  readonly #finishWaiter = new Waiter();
  /** Receive side done: FIN read, reset seen, stopped by us, or no receive side. */
  #recvDone: boolean;
  /** Send side done: all data acknowledged, reset by us, stopped by the peer, or no send side. */
  #sendDone: boolean;
  #ended = false;
  #finished = false;
  #resetCode: number | undefined;
  #stoppedCode: number | undefined;
  /** Set when we stopped the receive side ourselves (`stopSending`). */
  #recvError: QuicStreamClosedError | undefined;
  /** Set when we abandoned the send side ourselves (`reset`). */
  #sendError: QuicStreamClosedError | undefined;
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;

  /** @internal created by QuicConnection */
  constructor(host: StreamHost, id: number, local: boolean) {
    this.#host = host;
    this.id = id;
    this.local = local;
    this.direction = (id & 2) === 0 ? "bidi" : "uni";
    this.receivedInEarlyData = !local && host.core.streamReceivedInEarlyData(id);
    const uni = this.direction === "uni";
    this.#recvDone = uni && local; // our uni streams have no receive side
    this.#sendDone = uni && !local; // the peer's uni streams have no send side
  }

  /** True while this side may still write. */
  get writableSide(): boolean {
    return !this.#sendDone && !this.#ended;
  }

  /** @internal `end()` was called and the peer has not yet acknowledged everything (nor stopped the stream). */
  get flushing(): boolean {
    return this.#ended && !this.#sendDone;
  }

  /** True while there may be data to read. */
  get readableSide(): boolean {
    return !this.#recvDone;
  }

  // ------------------------------------------------------------------ read

  /**
   * Reads into `buffer`; resolves with the byte count, or `null` at the end
   * of the stream. Rejects with {@link QuicStreamResetError} if the peer
   * reset it, with the connection's close error if it ended, and with
   * `CancelledError` (after sending STOP_SENDING) if cancelled.
   */
  async read(buffer: Uint8Array, options?: QuicWaitOptions): Promise<number | null> {
    throwIfAborted(options);
    if (buffer.length === 0) throw new RangeError("QuicStream.read: empty buffer");
    for (;;) {
      const n = this.#tryRead(buffer);
      if (n !== undefined) return n;
      await this.#readWaiter.wait(options, () => this.stopSending(this.#host.cancelCode));
    }
  }

  /** One non-blocking read: a count, null at the end, undefined when nothing is there yet. */
  #tryRead(buffer: Uint8Array): number | null | undefined {
    if (this.#resetCode !== undefined) throw new QuicStreamResetError(this.id, this.#resetCode);
    if (this.#recvError !== undefined) throw this.#recvError;
    if (this.#recvDone) return null;
    const closed = this.#host.closedError();
    let result: { bytes: number; fin: boolean };
    try {
      result = this.#host.core.streamRead(this.id, buffer);
    } catch (error) {
      if (closed !== undefined) throw closed;
      throw error;
    }
    if (result.bytes > 0 || result.fin) {
      // Reading frees credit: the core may now owe MAX_STREAM_DATA / MAX_DATA.
      this.#host.driver.wake();
      if (result.fin && result.bytes === 0) {
        this.#markRecvDone();
        return null;
      }
      if (result.fin) this.#markRecvDone();
      return result.bytes;
    }
    if (this.#resetCode !== undefined) throw new QuicStreamResetError(this.id, this.#resetCode);
    if (closed !== undefined) throw closed;
    return undefined;
  }

  /** Chunks until the end of the stream (each a fresh copy). */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    const buffer = new Uint8Array(CHUNK);
    for (let n = await this.read(buffer); n !== null; n = await this.read(buffer)) yield buffer.slice(0, n);
  }

  /** Reads everything up to the end (at most `limit` bytes, else RangeError). */
  async readAll(limit = 16 * 1024 * 1024, options?: QuicWaitOptions): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    let total = 0;
    const buffer = new Uint8Array(CHUNK);
    for (let n = await this.read(buffer, options); n !== null; n = await this.read(buffer, options)) {
      total += n;
      if (total > limit) {
        this.stopSending(this.#host.cancelCode);
        throw new RangeError(`QuicStream.readAll: more than ${limit} bytes`);
      }
      chunks.push(buffer.slice(0, n));
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  // ----------------------------------------------------------------- write

  /**
   * Queues all of `data`; resolves when the core holds every byte (waiting
   * for acknowledgments and flow-control credit when its buffer is full).
   * `data` may be reused as soon as this resolves. Rejects with
   * {@link QuicStreamStoppedError} if the peer sent STOP_SENDING, and with
   * `CancelledError` (after sending RESET_STREAM) if cancelled.
   */
  async write(data: Uint8Array, options?: QuicWaitOptions): Promise<void> {
    throwIfAborted(options);
    let offset = 0;
    while (offset < data.length) {
      this.#checkWritable();
      const n = this.#host.core.streamWrite(this.id, offset === 0 ? data : data.subarray(offset));
      if (n > 0) {
        offset += n;
        this.#host.driver.wake();
        continue;
      }
      await this.#writeWaiter.wait(options, () => this.reset(this.#host.cancelCode));
    }
  }

  #checkWritable(): void {
    if (this.#stoppedCode !== undefined) throw new QuicStreamStoppedError(this.id, this.#stoppedCode);
    const closed = this.#host.closedError();
    if (closed !== undefined) throw closed;
    if (this.#sendError !== undefined) throw this.#sendError;
    if (this.#ended) throw new QuicStreamClosedError(this.id, "write after end()");
    if (this.direction === "uni" && !this.local)
      throw new QuicStreamClosedError(this.id, "the peer's unidirectional stream is receive-only");
  }

  /**
   * Half-closes: a FIN follows the data written (RFC 9000 §3.1). Returns at
   * once, like a socket's `end()`; await {@link finished} to know the peer
   * acknowledged everything. Idempotent; a no-op after `reset` or STOP_SENDING.
   */
  end(): void {
    if (this.#ended || this.#stoppedCode !== undefined || this.#sendDone) return;
    this.#checkWritable();
    this.#ended = true;
    this.#host.core.streamFinish(this.id);
    this.#host.driver.wake();
  }

  /** Resolves when all we sent, FIN included, was acknowledged; rejects if the stream was stopped or reset. */
  async finished(options?: QuicWaitOptions): Promise<void> {
    for (;;) {
      if (this.#finished) return;
      if (this.#stoppedCode !== undefined) throw new QuicStreamStoppedError(this.id, this.#stoppedCode);
      if (this.#sendError !== undefined) throw this.#sendError;
      if (this.direction === "uni" && !this.local) return; // the peer's unidirectional stream: nothing of ours to deliver
      const closed = this.#host.closedError();
      if (closed !== undefined) throw closed;
      await this.#finishWaiter.wait(options);
    }
  }

  /** Abandons our sending side (RESET_STREAM with `errorCode`, RFC 9000 §19.4). Idempotent. */
  reset(errorCode: number): void {
    if (this.#sendDone) return;
    this.#sendError = new QuicStreamClosedError(this.id, `reset by us with error ${errorCode}`);
    this.#ignoreClosed(() => this.#host.core.streamReset(this.id, errorCode));
    this.#host.driver.wake();
    this.#markSendDone();
    this.#writeWaiter.fail(this.#sendError);
    this.#finishWaiter.fail(this.#sendError);
  }

  /** Asks the peer to stop sending (STOP_SENDING with `errorCode`, §19.5); later reads end with an error. Idempotent. */
  stopSending(errorCode: number): void {
    if (this.#recvDone) return;
    this.#recvError = new QuicStreamClosedError(this.id, `stopped by us with error ${errorCode}`);
    this.#ignoreClosed(() => this.#host.core.streamStopSending(this.id, errorCode));
    this.#host.driver.wake();
    this.#markRecvDone();
    this.#readWaiter.fail(this.#recvError);
  }

  /** Core calls on a stream the core already forgot (both halves closed) or a closed connection are no-ops. */
  #ignoreClosed(op: () => void): void {
    try {
      op();
    } catch (error) {
      if (!(error instanceof StreamStateError)) throw error;
    }
  }

  // ---------------------------------------------------------------- events

  /** @internal */
  onReadable(): void {
    this.#readWaiter.wake();
  }

  /** @internal */
  onWritable(): void {
    this.#writeWaiter.wake();
  }

  /** @internal */
  onFinished(): void {
    this.#finished = true;
    this.#markSendDone();
    this.#finishWaiter.wake();
  }

  /** @internal */
  onReset(errorCode: number): void {
    this.#resetCode = errorCode;
    // Reads report the reset without asking the core, so tell it the reset was seen (ResetRecvd -> ResetRead):
    // otherwise the core never forgets the stream and a peer's MAX_STREAMS credit for it never comes back.
    this.#ignoreClosed(() => this.#host.core.streamRead(this.id, new Uint8Array(0)));
    this.#host.driver.wake();
    this.#readWaiter.fail(new QuicStreamResetError(this.id, errorCode));
    this.#markRecvDone();
  }

  /** @internal */
  onStopped(errorCode: number): void {
    this.#stoppedCode = errorCode;
    const error = new QuicStreamStoppedError(this.id, errorCode);
    this.#writeWaiter.fail(error);
    this.#finishWaiter.fail(error);
    this.#markSendDone();
  }

  /** @internal the connection ended */
  onClosed(error: Error): void {
    this.#readWaiter.fail(error);
    this.#writeWaiter.fail(error);
    this.#finishWaiter.fail(error);
  }

  #markRecvDone(): void {
    this.#recvDone = true;
    if (this.#sendDone) this.#host.forget(this);
  }

  #markSendDone(): void {
    this.#sendDone = true;
    if (this.#recvDone) this.#host.forget(this);
  }

  // -------------------------------------------------------------- adapters

  /** The receive side as a web `ReadableStream` (cancelling it sends STOP_SENDING). */
  get readable(): ReadableStream<Uint8Array> {
    this.#readable ??= new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          const buffer = new Uint8Array(CHUNK);
          const n = await this.read(buffer);
          if (n === null) controller.close();
          else controller.enqueue(buffer.subarray(0, n));
        },
        cancel: () => this.stopSending(this.#host.cancelCode),
      },
      { highWaterMark: 0 },
    );
    return this.#readable;
  }

  /** The send side as a web `WritableStream` (close = `end()`, abort = `reset`). */
  get writable(): WritableStream<Uint8Array> {
    this.#writable ??= new WritableStream<Uint8Array>({
      write: (chunk) => this.write(chunk),
      close: () => this.end(),
      abort: () => this.reset(this.#host.cancelCode),
    });
    return this.#writable;
  }

  /** A Node `Duplex` over the stream (`end()` half-closes; `destroy(err)` resets and stops). */
  toDuplex(): Duplex {
    const buffer = new Uint8Array(CHUNK);
    let reading = false;
    const duplex: Duplex = new Duplex({
      read: () => {
        if (reading) return;
        reading = true;
        this.read(buffer).then(
          (n) => {
            reading = false;
            if (n === null) duplex.push(null);
            else duplex.push(Buffer.from(buffer.subarray(0, n)));
          },
          (error: unknown) => {
            reading = false;
            duplex.destroy(error as Error);
          },
        );
      },
      write: (chunk: Buffer, _encoding, callback) => {
        this.write(chunk).then(() => callback(), callback);
      },
      final: (callback) => {
        try {
          this.end();
          callback();
        } catch (error) {
          callback(error as Error);
        }
      },
      destroy: (error, callback) => {
        if (error !== null) {
          this.reset(this.#host.cancelCode);
          this.stopSending(this.#host.cancelCode);
        }
        callback(error);
      },
      allowHalfOpen: true,
    });
    if (this.#recvDone) duplex.push(null);
    return duplex;
  }
}
