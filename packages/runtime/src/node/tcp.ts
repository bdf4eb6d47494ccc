/**
 * Pull-style TCP over node:net: `TcpStream.connect`, `TcpListener.bind` and
 * `accept()`. Reads return the next chunk (`null` at end of stream) and take
 * a signal and a timeout; a write resolves once the bytes are accepted by the
 * socket, waiting for `drain` when its buffer is full (back-pressure). Both
 * types are async-iterable and close with `await using`.
 *
 * Two write calls, for two ownership contracts: `write` may resolve while
 * the socket still holds the caller's buffer (it only promises the bytes are
 * queued), so the buffer must not change afterwards; `writeFlushed` resolves
 * once the socket has released the buffers, so a caller can recycle one
 * buffer for every write (TLS seals records into reused buffers this way).
 *
 * Incoming data is buffered up to `highWaterMark` bytes, then the socket is
 * paused until the reader catches up, so a slow reader throttles the peer
 * through TCP flow control instead of growing memory.
 *
 * @example
 * ```ts
 * import { TcpListener, TcpStream } from "@zsync/runtime/node";
 * await using listener = await TcpListener.bind({ port: 0 });
 * const client = TcpStream.connect({ port: listener.port });
 * await using server = await listener.accept();
 * await using conn = await client;
 * await conn.write(new TextEncoder().encode("ping"));
 * console.log(new TextDecoder().decode((await server.read()) ?? new Uint8Array()));
 * ```
 * @module
 */
import { createServer, connect as netConnect, type Server, type Socket } from "node:net";
import { ResourceClosedError, toIoError } from "./errors.js";
import { cancellation, PendingWait, type TimedWaitOptions, WaitQueue } from "./pending-wait.js";

export type { TimedWaitOptions } from "./pending-wait.js";

const RESOLVED = Promise.resolve();
const EMPTY = new Uint8Array(0);

export interface TcpConnectOptions extends TimedWaitOptions {
  /** Host name or address (default `127.0.0.1`). */
  readonly host?: string;
  readonly port: number;
  /** Disable Nagle's algorithm (default true: latency over batching). */
  readonly noDelay?: boolean;
  /** Bytes buffered for the reader before the socket is paused (default 1 MiB). */
  readonly highWaterMark?: number;
}

/** A connected TCP socket with pull-style reads. */
export class TcpStream implements AsyncDisposable, AsyncIterable<Uint8Array> {
  readonly #socket: Socket;
  readonly #highWaterMark: number;
  #chunks: Buffer[] = [];
  #head = 0;
  #buffered = 0;
  #ended = false;
  #error: Error | undefined;
  #closed = false;
  readonly #readers = new WaitQueue<Uint8Array | null>();
  readonly #drainWaiters = new WaitQueue<void>();
  /** `writeFlushed` waits, oldest first (the socket completes writes in order). */
  readonly #flushWaiters = new WaitQueue<void>();
  readonly #closedPromise: Promise<void>;

  /**
   * Connects to `host:port`. Rejects with `ConnectionRefusedError` (or another
   * `IoError`), `TimeoutError` after `timeoutMs`, or `CancelledError`; a
   * connect that gave up destroys its socket.
   */
  static connect(options: TcpConnectOptions): Promise<TcpStream> {
    if (typeof options?.port !== "number") throw new TypeError("TcpStream.connect: options.port must be a number");
    const cancelled = cancellation(options);
    if (cancelled !== undefined) return Promise.reject(cancelled);
    // Half-open: the peer ending its side must not end ours (TLS sends
    // close_notify + FIN and may still be reading); `end()`/`close()` end ours.
    const socket = netConnect({
      host: options.host ?? "127.0.0.1",
      port: options.port,
      noDelay: options.noDelay ?? true,
      allowHalfOpen: true,
    });
    const wait = new PendingWait<TcpStream>(options, () => socket.destroy());
    const onError = (error: Error): void => wait.reject(toIoError(error, `connect to ${options.host ?? "127.0.0.1"}:${options.port}`));
    socket.once("error", onError);
    socket.once("connect", () => {
      socket.off("error", onError);
      if (wait.done) return;
      wait.resolve(new TcpStream(socket, options.highWaterMark));
    });
    return wait.promise;
  }

  /** Wraps a connected `net.Socket` (e.g. one accepted by a listener). */
  constructor(socket: Socket, highWaterMark = 1 << 20) {
    this.#socket = socket;
    this.#highWaterMark = highWaterMark;
    this.#closedPromise = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("end", () => {
      this.#ended = true;
      this.#flushReaders();
    });
    socket.on("error", (error) => {
      this.#error ??= toIoError(error, "tcp");
      this.#flushReaders();
      this.#drainWaiters.rejectAll(this.#error);
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#flushReaders();
      this.#drainWaiters.rejectAll(() => this.#error ?? new ResourceClosedError("tcp stream closed"));
      // Once closed, libuv has finished (or cancelled) every write, so no buffer is held any more.
      this.#flushWaiters.rejectAll(() => this.#error ?? new ResourceClosedError("tcp stream closed before the write completed"));
    });
    socket.on("drain", () => {
      for (let wait = this.#drainWaiters.shift(); wait !== undefined; wait = this.#drainWaiters.shift()) wait.resolve();
    });
  }

  get localAddress(): string | undefined {
    return this.#socket.localAddress;
  }
  get localPort(): number | undefined {
    return this.#socket.localPort;
  }
  get remoteAddress(): string | undefined {
    return this.#socket.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.#socket.remotePort;
  }
  /** Bytes received and not yet read. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** The next chunk if one is buffered (`null` at end of stream), else `undefined`; never waits. */
  tryRead(): Uint8Array | null | undefined {
    if (this.#head < this.#chunks.length) return this.#take();
    if (this.#error !== undefined) throw this.#error;
    return this.#ended ? null : undefined;
  }

  /**
   * The next chunk of data, or `null` once the peer ended the stream. Rejects
   * with the connection's `IoError` after buffered data is consumed. A read
   * that is cancelled or times out consumes nothing.
   */
  read(options?: TimedWaitOptions): Promise<Uint8Array | null> {
    if (this.#head < this.#chunks.length) return Promise.resolve(this.#take());
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(null);
    const cancelled = cancellation(options);
    if (cancelled !== undefined) return Promise.reject(cancelled);
    const wait = new PendingWait<Uint8Array | null>(options, (w) => this.#readers.remove(w));
    if (!wait.done) this.#readers.push(wait);
    return wait.promise;
  }

  /**
   * Writes all of `data`. Resolves when the socket has accepted it; if its
   * send buffer is full, waits for `drain`. The bytes are queued whole or not
   * at all: cancelling a write that waits for drain stops the wait, not the bytes.
   */
  write(data: Uint8Array | string, options?: TimedWaitOptions): Promise<void> {
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#closed || this.#socket.writableEnded || this.#socket.destroyed)
      return Promise.reject(new ResourceClosedError("tcp stream closed for writing"));
    const cancelled = cancellation(options);
    if (cancelled !== undefined) return Promise.reject(cancelled);
    if (this.#socket.write(data)) return RESOLVED;
    const wait = new PendingWait<void>(options, (w) => this.#drainWaiters.remove(w));
    if (!wait.done) this.#drainWaiters.push(wait);
    return wait.promise;
  }

  /**
   * Writes `data`, or several buffers as one vectored write (one `writev`
   * system call when the socket is idle), and resolves once the socket has
   * **released** them: the bytes were handed to the kernel and the socket
   * keeps no reference to the buffers, so the caller may overwrite them at
   * once. It waits for the bytes, not merely for room in the socket's queue,
   * so it also applies back-pressure.
   *
   * Writes complete in order: when a `writeFlushed` resolves, the buffers of
   * every earlier `write`/`writeFlushed` are released too. Cancellation
   * (`signal`, `timeoutMs`) stops the wait, not the bytes: they still go out
   * whole, and their buffers stay in use until a later `writeFlushed`
   * resolves or the stream closes. Rejects with `ResourceClosedError` (or the
   * connection's `IoError`) when the stream closes or fails before the write
   * completed; the bytes may then be partly sent, and the buffers are released.
   *
   * @example
   * ```ts
   * import type { TcpStream } from "@zsync/runtime/node";
   * declare const stream: TcpStream;
   * declare const messages: string[];
   * declare function encodeInto(message: string, into: Uint8Array): number;
   * const buffer = new Uint8Array(64 * 1024);
   * for (const message of messages) {
   *   const n = encodeInto(message, buffer);
   *   await stream.writeFlushed(buffer.subarray(0, n)); // buffer is free again
   * }
   * ```
   */
  writeFlushed(data: Uint8Array | readonly Uint8Array[], options?: TimedWaitOptions): Promise<void> {
    const many = Array.isArray(data);
    if (many ? !(data as readonly unknown[]).every((d) => d instanceof Uint8Array) : !(data instanceof Uint8Array))
      return Promise.reject(new TypeError("TcpStream.writeFlushed: data must be a Uint8Array or an array of them"));
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#closed || this.#socket.writableEnded || this.#socket.destroyed)
      return Promise.reject(new ResourceClosedError("tcp stream closed for writing"));
    const cancelled = cancellation(options);
    if (cancelled !== undefined) return Promise.reject(cancelled);
    const wait = new PendingWait<void>(options, (w) => this.#flushWaiters.remove(w));
    this.#flushWaiters.push(wait);
    const done = (error?: Error | null): void => {
      this.#flushWaiters.remove(wait);
      // A write cut short by destroy() is reported as ERR_STREAM_DESTROYED, ECANCELED or (Node 20) success: check the socket.
      if (this.#error !== undefined && (error || this.#socket.destroyed)) wait.reject(this.#error);
      else if (this.#socket.destroyed) wait.reject(new ResourceClosedError("tcp stream closed before the write completed"));
      else if (error) wait.reject(toIoError(error, "tcp write"));
      else wait.resolve();
    };
    const buffers = many ? (data as readonly Uint8Array[]) : [data as Uint8Array];
    const last = buffers.length - 1;
    if (last < 0) {
      // Nothing to send, but the promise still means "earlier writes are released".
      this.#socket.write(EMPTY, done);
      return wait.promise;
    }
    if (last > 0) this.#socket.cork();
    for (let i = 0; i < last; i++) this.#socket.write(buffers[i] as Uint8Array);
    this.#socket.write(buffers[last] as Uint8Array, done);
    if (last > 0) this.#socket.uncork();
    return wait.promise;
  }

  /**
   * Half-closes: sends FIN after queued writes; reads continue until the peer
   * ends. Streams are half-open: the peer ending its side leaves ours open
   * for writing until `end()` or `close()` (or `await using`).
   */
  end(): Promise<void> {
    if (this.#socket.writableEnded || this.#socket.destroyed) return RESOLVED;
    return new Promise((resolve) => this.#socket.end(resolve));
  }

  /** Closes both directions at once and resolves when the socket is closed. Idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#socket.destroy();
    }
    return this.#closedPromise;
  }

  /**
   * Stops managing the socket and returns it, with unread data put back, for
   * protocols that take over the raw socket (e.g. `tls.connect({ socket })`).
   */
  detach(): Socket {
    const socket = this.#socket;
    socket.removeAllListeners("data");
    socket.removeAllListeners("end");
    socket.removeAllListeners("drain");
    socket.pause();
    for (let i = this.#chunks.length - 1; i >= this.#head; i--) socket.unshift(this.#chunks[i] as Buffer);
    this.#chunks = [];
    this.#head = 0;
    this.#buffered = 0;
    this.#readers.rejectAll(() => new ResourceClosedError("tcp stream detached"));
    return socket;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const chunk = await this.read();
      if (chunk === null) return;
      yield chunk;
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #onData(chunk: Buffer): void {
    const reader = this.#readers.shift();
    if (reader !== undefined) {
      reader.resolve(chunk);
      return;
    }
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    if (this.#buffered >= this.#highWaterMark) this.#socket.pause();
  }

  #take(): Buffer {
    const chunk = this.#chunks[this.#head] as Buffer;
    this.#chunks[this.#head++] = undefined as unknown as Buffer;
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    }
    this.#buffered -= chunk.length;
    if (this.#buffered < this.#highWaterMark && this.#socket.isPaused() && !this.#closed) this.#socket.resume();
    return chunk;
  }

  #flushReaders(): void {
    if (this.#head < this.#chunks.length) return;
    for (let reader = this.#readers.shift(); reader !== undefined; reader = this.#readers.shift()) {
      if (this.#error !== undefined) reader.reject(this.#error);
      else reader.resolve(null);
    }
  }
}

export interface TcpBindOptions extends TimedWaitOptions {
  /** Port to listen on (default 0: any free port; read it back from `port`). */
  readonly port?: number;
  /** Address to bind (default `127.0.0.1`). */
  readonly host?: string;
  readonly backlog?: number;
  /** Connections accepted by the OS but not yet by `accept()`; beyond this they are closed and counted in `dropped` (default 128). */
  readonly maxPending?: number;
  /** `highWaterMark` of accepted streams. */
  readonly highWaterMark?: number;
}

/** A listening TCP socket. */
export class TcpListener implements AsyncDisposable, AsyncIterable<TcpStream> {
  readonly #server: Server;
  readonly #maxPending: number;
  readonly #highWaterMark: number | undefined;
  #pending: Socket[] = [];
  readonly #acceptors = new WaitQueue<TcpStream>();
  #closed = false;
  #dropped = 0;
  #closedPromise: Promise<void> | undefined;

  /** Listens on `host:port`. Rejects with `AddressInUseError` (or another `IoError`) or `CancelledError`. */
  static bind(options: TcpBindOptions = {}): Promise<TcpListener> {
    const cancelled = cancellation(options);
    if (cancelled !== undefined) return Promise.reject(cancelled);
    const server = createServer({ noDelay: true, allowHalfOpen: true });
    const listener = new TcpListener(server, options.maxPending ?? 128, options.highWaterMark);
    const wait = new PendingWait<TcpListener>(options, () => server.close());
    const onError = (error: Error): void => wait.reject(toIoError(error, `listen on ${options.host ?? "127.0.0.1"}:${options.port ?? 0}`));
    server.once("error", onError);
    server.listen({ port: options.port ?? 0, host: options.host ?? "127.0.0.1", backlog: options.backlog }, () => {
      server.off("error", onError);
      wait.resolve(listener);
    });
    return wait.promise;
  }

  private constructor(server: Server, maxPending: number, highWaterMark: number | undefined) {
    this.#server = server;
    this.#maxPending = maxPending;
    this.#highWaterMark = highWaterMark;
    server.on("connection", (socket) => this.#onConnection(socket));
  }

  /** The bound port. */
  get port(): number {
    const address = this.#server.address();
    return typeof address === "object" && address !== null ? address.port : 0;
  }

  get address(): { readonly address: string; readonly port: number; readonly family: string } | undefined {
    const address = this.#server.address();
    return typeof address === "object" && address !== null
      ? { address: address.address, port: address.port, family: address.family }
      : undefined;
  }

  /** Connections closed because `maxPending` were already waiting for `accept()`. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * The next incoming connection. Rejects with `ResourceClosedError` once the
   * listener is closed, `CancelledError`/`TimeoutError` on cancel/timeout
   * (no connection is taken).
   */
  accept(options?: TimedWaitOptions): Promise<TcpStream> {
    const socket = this.#pending.shift();
    if (socket !== undefined) return Promise.resolve(this.#wrap(socket));
    if (this.#closed) return Promise.reject(new ResourceClosedError("tcp listener closed"));
    const cancelled = cancellation(options);
    if (cancelled !== undefined) return Promise.reject(cancelled);
    const wait = new PendingWait<TcpStream>(options, (w) => this.#acceptors.remove(w));
    if (!wait.done) this.#acceptors.push(wait);
    return wait.promise;
  }

  /** Stops listening. Pending accepts reject, unaccepted connections are closed; accepted streams stay open. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#acceptors.rejectAll(() => new ResourceClosedError("tcp listener closed"));
      for (const socket of this.#pending) socket.destroy();
      this.#pending = [];
      this.#closedPromise = new Promise((resolve) => this.#server.close(() => resolve()));
    }
    return this.#closedPromise as Promise<void>;
  }

  /** Yields connections until the listener is closed. */
  async *[Symbol.asyncIterator](): AsyncIterator<TcpStream> {
    for (;;) {
      let stream: TcpStream;
      try {
        stream = await this.accept();
      } catch (error) {
        if (error instanceof ResourceClosedError) return;
        throw error;
      }
      yield stream;
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #wrap(socket: Socket): TcpStream {
    return new TcpStream(socket, this.#highWaterMark);
  }

  #onConnection(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    const acceptor = this.#acceptors.shift();
    if (acceptor !== undefined) {
      acceptor.resolve(this.#wrap(socket));
      return;
    }
    if (this.#pending.length >= this.#maxPending) {
      this.#dropped++;
      socket.destroy();
      return;
    }
    // Until accepted, an error on the socket must not crash the process.
    socket.on("error", noopError);
    socket.once("close", () => {
      const index = this.#pending.indexOf(socket);
      if (index >= 0) this.#pending.splice(index, 1);
    });
    this.#pending.push(socket);
  }
}

function noopError(): void {}
