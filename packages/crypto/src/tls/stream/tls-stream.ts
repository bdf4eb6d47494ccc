/**
 * `TlsStream`: TLS 1.3 over the runtime's `TcpStream`, with pull-style
 * `read()`/`write()`, `for await`, `await using`, and a Node `Duplex`
 * adapter. `TlsListener` accepts TLS connections. Small writes issued
 * together are coalesced into full records; records carry no padding.
 *
 * Cancellation: `read`, `write`, `connect` and `accept` take `{ signal,
 * timeoutMs }`. A cancelled read consumes nothing. A cancelled handshake
 * closes the TCP connection (a half-done handshake cannot be resumed).
 * A cancelled write stops waiting: if it was still queued, nothing of it is
 * sent; if it was already sealed, its whole records still go out (the
 * rejection's `bytesWritten` says which), so the stream never has a torn
 * record and goes on.
 *
 * @example
 * ```ts
 * import { TlsStream } from "@zsync/crypto/tls";
 * declare const caPem: string;
 * await using tls = await TlsStream.connect({ host: "localhost", port: 8443, ca: caPem, alpnProtocols: ["http/1.1"] });
 * await tls.write(new TextEncoder().encode("GET / HTTP/1.1\r\nhost: localhost\r\n\r\n"));
 * for await (const chunk of tls) process.stdout.write(chunk);
 * ```
 * @module
 */
import { Duplex } from "node:stream";
import { CancelledError, currentTask, TimeoutError } from "@zsync/runtime";
import { TcpListener, TcpStream, type TimedWaitOptions as WaitOptions } from "@zsync/runtime/node";
import { resolveProvider } from "../../primitives/providers/select.js";
import { TlsClosedError, TlsProtocolError, TlsTruncatedError, TlsWriteCancelledError } from "../errors.js";
import type { CipherSuite } from "../handshake/cipher-suites.js";
import { TlsClientEngine, type TlsClientOptions } from "../handshake/client.js";
import type { HandshakeInfo, TlsSession } from "../handshake/engine.js";
import { TlsServerEngine, type TlsServerOptions } from "../handshake/server.js";
import { SessionTicketer } from "../handshake/session-tickets.js";
import { type OpenedBatch, RecordWorker, SEAL_BATCH_BYTES } from "../record/record-worker.js";
import { AlertDescription, ContentType, MAX_CIPHERTEXT, MAX_PLAINTEXT } from "../wire/constants.js";
import { plaintextDelivered } from "./plaintext-scavenge.js";
import { TlsConnection, type TlsConnectionOptions } from "./tls-connection.js";
import { CancellableWrite, type WithdrawWrite } from "./write-request.js";

/** Options of both ends of a {@link TlsStream}. */
export interface TlsStreamOptions {
  /**
   * Seal and open bulk application data on a worker thread (default false).
   * Writes of at least 256 KiB are sealed there in batches of up to 64
   * records, and whole records received faster than they are read (128 KiB
   * or more buffered) are opened there in batches of up to 64, two at a
   * time, so the event loop mostly frames and copies. A read waiting for a
   * batch on the worker is not cut short by its `signal`/`timeoutMs`
   * (the batch takes a millisecond or so). The thread is
   * shared by every stream of the process and uses node:crypto whatever
   * `provider` says. Records keep their order and numbering; a record that
   * fails authentication is still fatal before any later plaintext is
   * returned. It spends more CPU per byte than sealing and opening inline
   * (measured: about 0.5 s/GiB more on the receiving side), in exchange for a
   * second thread's share of a busy host; see the README's "Record worker"
   * section and "TLS 1.3 bulk and handshakes" under Performance.
   */
  readonly recordWorker?: boolean | undefined;
  /**
   * Let this stream's reads feed the process-wide scavenge assist (default
   * true). On Node 20 a fast reader that drops each chunk can set off a full
   * collection every ~40 MiB; the assist watches for that and, once it has
   * seen it, runs one minor collection per 8 MiB read (docs/performance-notes.md,
   * "Full collections on the receiver, and the scavenge assist"). `false`: reads
   * of this stream are never counted and never run a collection, for
   * applications that manage their own collection policy.
   */
  readonly collectionAssist?: boolean | undefined;
}

/** Options of {@link TlsStream.connect}. */
export interface TlsConnectOptions extends TlsClientOptions, TlsConnectionOptions, TlsStreamOptions, WaitOptions {
  readonly host?: string;
  readonly port: number;
  /** Sent as 0-RTT data when `session` allows it, else right after the handshake. */
  readonly earlyData?: boolean | undefined;
  readonly earlyDataBytes?: Uint8Array | undefined;
}

/** Options of {@link TlsStream.accept} and {@link TlsListener.bind}. */
export interface TlsAcceptOptions extends TlsServerOptions, TlsConnectionOptions, TlsStreamOptions, WaitOptions {}

const COALESCE_LIMIT = 256 * 1024;
/** Smallest write sealed on the record worker (smaller ones cost more in the hand-off than they save). */
const WORKER_MIN_WRITE = 256 * 1024;
/** Fewest received bytes (128 KiB: 8 full records) worth a batch on the record worker; fewer are opened here. */
const WORKER_MIN_BYTES = 128 * 1024;
/** Fewest records in a batch (a run of tiny records is cheaper here). */
const WORKER_MIN_RECORDS = 4;
const WORKER_MAX_RECORDS = 64;
/** Record batches being opened on the worker at once (one opening while the next is framed). */
const WORKER_READ_DEPTH = 2;
/** Room for 64 records of the largest legal size, each after up to 7 bytes of alignment gap. */
const OPEN_BATCH_BYTES = WORKER_MAX_RECORDS * (5 + MAX_CIPHERTEXT + 7);
/** Reusable staging buffers kept per stream, per kind. */
const MAX_SPARE_BUFFERS = 3;
const EMPTY = new Uint8Array(0);

/** Records `[from, to)` of a batch (at `offsets` in `data`), back to back in owned memory. */
function recordsFrom(data: Uint8Array, offsets: Uint32Array, from: number, to: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = from; i < to; i++) {
    const at = offsets[i] as number;
    parts.push(data.subarray(at, at + 5 + (((data[at + 3] as number) << 8) | (data[at + 4] as number))));
  }
  return Buffer.concat(parts);
}

/** A batch of records handed to the record worker to open. */
interface OpeningBatch {
  readonly count: number;
  readonly result: Promise<OpenedBatch>;
}

/** Settles one write: its promise's own functions, or a {@link CancellableWrite} that ignores them once given up. */
interface WriteWaiter {
  resolve(): void;
  reject(error: unknown): void;
}

interface Deadline {
  readonly at: number;
  readonly ms: number;
}

function deadlineOf(options: WaitOptions | undefined): Deadline | undefined {
  return options?.timeoutMs === undefined ? undefined : { at: Date.now() + options.timeoutMs, ms: options.timeoutMs };
}

function remaining(deadline: Deadline | undefined, signal: AbortSignal | undefined): WaitOptions {
  if (deadline === undefined) return signal === undefined ? {} : { signal };
  const left = Math.max(0, deadline.at - Date.now());
  if (left === 0) throw new TimeoutError(deadline.ms, `TLS handshake timed out after ${deadline.ms} ms`);
  return signal === undefined ? { timeoutMs: left } : { signal, timeoutMs: left };
}

/** A TLS 1.3 connection over TCP. */
export class TlsStream implements AsyncDisposable, AsyncIterable<Uint8Array> {
  readonly #tcp: TcpStream;
  readonly #conn: TlsConnection;
  #reading: Promise<unknown> = Promise.resolve();
  /** Data of the writes not sealed yet (a withdrawn write's entry is emptied), and their waiters. */
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #flushWaiters: WriteWaiter[] = [];
  /** How many times the flush has taken `#pending`: a cancellable write queued under an older count is sealed. */
  #taken = 0;
  readonly #withdraw: WithdrawWrite = (write) => {
    if (write.queue !== this.#taken) return false;
    this.#pending[write.index] = EMPTY;
    this.#pendingBytes -= write.length;
    return true;
  };
  #flushScheduled = false;
  #flushing: Promise<void> | undefined;
  /** The last batch of application data handed to the socket and not yet released by it. */
  #inFlight: Promise<void> | undefined;
  #eof = false;
  #closed = false;
  readonly #useWorker: boolean;
  #worker: RecordWorker | undefined;
  /** Resolves once every batch queued so far has been handed to the socket; undefined when none waits for the worker. */
  #ordered: Promise<void> | undefined;
  #sendFailure: unknown;
  /** Batches on the worker being opened, oldest first. */
  #opening: OpeningBatch[] = [];
  #spareSealInput: ArrayBuffer[] = [];
  #spareSealOutput: ArrayBuffer[] = [];
  #spareOpenInput: SharedArrayBuffer[] = [];
  /** The read path already yielded one turn for more chunks to arrive before opening a short run here. */
  #waitedTurn = false;
  /** Reads report to the scavenge assist (`collectionAssist`). */
  readonly #assist: boolean;
  /** The last `#readMoreOnWorker` call, which the next one waits for. */
  #workerReads: Promise<unknown> = Promise.resolve();

  private constructor(tcp: TcpStream, conn: TlsConnection, options: TlsStreamOptions) {
    this.#tcp = tcp;
    this.#conn = conn;
    this.#useWorker = options.recordWorker === true;
    this.#assist = options.collectionAssist !== false;
  }

  /** Connects over TCP and completes a client handshake. */
  static async connect(options: TlsConnectOptions): Promise<TlsStream> {
    if (typeof options !== "object" || options === null || typeof options.port !== "number")
      throw new TypeError("TlsStream.connect: options.port must be a number");
    const deadline = deadlineOf(options);
    const tcp = await TcpStream.connect({ host: options.host ?? "127.0.0.1", port: options.port, ...remaining(deadline, options.signal) });
    return TlsStream.connectOver(tcp, { ...options, serverName: options.serverName ?? options.host ?? "localhost" }, deadline);
  }

  /**
   * Runs a client handshake over an already-connected TcpStream (closed on
   * failure). The stream is the TLS stream's from then on: each chunk it
   * reads is freed once its records are processed, so nothing else may read
   * the TcpStream or keep its chunks.
   */
  static async connectOver(
    tcp: TcpStream,
    options: Omit<TlsConnectOptions, "port" | "host">,
    deadline = deadlineOf(options),
  ): Promise<TlsStream> {
    let stream: TlsStream;
    try {
      const engine = new TlsClientEngine(options);
      stream = new TlsStream(tcp, new TlsConnection(engine, options), options);
      stream.#conn.start();
      const early = options.earlyDataBytes;
      if (early !== undefined && engine.earlyDataOffered) stream.#conn.writeApplicationData(early);
      await stream.#handshake(deadline, options.signal);
      if (early !== undefined && !engine.earlyDataOffered && !stream.#conn.earlyDataRejected) {
        stream.#conn.writeApplicationData(early);
        await stream.#flushOutgoing();
      }
    } catch (error) {
      await tcp.close();
      throw error;
    }
    return stream;
  }

  /** Runs a server handshake over an accepted TcpStream (closed on failure; owned from then on, as in `connectOver`). */
  static async accept(tcp: TcpStream, options: TlsAcceptOptions): Promise<TlsStream> {
    const stream = new TlsStream(tcp, new TlsConnection(new TlsServerEngine(options), options), options);
    try {
      await stream.#handshake(deadlineOf(options), options.signal);
    } catch (error) {
      await tcp.close();
      throw error;
    }
    return stream;
  }

  async #handshake(deadline: Deadline | undefined, signal: AbortSignal | undefined): Promise<void> {
    while (!this.#conn.handshakeComplete) {
      await this.#flushOutgoing();
      const chunk = await this.#tcp.read(remaining(deadline, signal));
      if (chunk === null) throw this.#conn.error ?? new TlsClosedError("peer closed the connection during the handshake");
      this.#receive(chunk);
    }
    await this.#flushOutgoing();
  }

  #receive(chunk: Uint8Array): void {
    try {
      // A TCP chunk is this stream's alone (TcpStream hands each out once): the connection frees it when done.
      this.#conn.receive(chunk, chunk.length > 0);
    } catch (error) {
      // Send the alert we owe, then drop the connection; the caller sees the typed error.
      const out = this.#conn.takeOutgoing();
      if (out.length > 0)
        // Behind any batch still on the record worker: the alert is numbered after its records.
        void (this.#ordered === undefined ? this.#tcp.write(Buffer.concat(out)) : this.#enqueue(out, () => {}))
          .then(() => this.#tcp.end())
          .catch(() => {})
          .finally(() => void this.#tcp.close());
      else void this.#tcp.close();
      throw error;
    }
  }

  async #flushOutgoing(): Promise<void> {
    const out = this.#conn.takeOutgoing();
    if (out.length === 0) return;
    // Behind worker batches whose records are numbered before these.
    if (this.#ordered !== undefined) return this.#enqueue(out, () => {});
    await this.#tcp.write(out.length === 1 ? (out[0] as Uint8Array) : Buffer.concat(out));
  }

  /** Negotiated parameters. */
  get info(): HandshakeInfo {
    return this.#conn.info as HandshakeInfo;
  }
  get alpnProtocol(): string | undefined {
    return this.#conn.info?.alpnProtocol;
  }
  get cipherSuite(): CipherSuite {
    return (this.#conn.info as HandshakeInfo).cipherSuite;
  }
  /** The sans-I/O connection underneath (for inspection in tests and diagnostics). */
  get connection(): TlsConnection {
    return this.#conn;
  }
  get remoteAddress(): string | undefined {
    return this.#tcp.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.#tcp.remotePort;
  }

  /** Client: session tickets received so far (newest last); store one to resume later. */
  takeSessions(): TlsSession[] {
    return this.#conn.takeSessions();
  }

  /**
   * Client: waits until at least one session ticket has arrived (servers send
   * them right after the handshake), reading application data into the
   * buffer meanwhile. Resolves undefined if the stream ends first.
   */
  async waitForSession(options?: WaitOptions): Promise<TlsSession | undefined> {
    for (;;) {
      const sessions = this.#conn.takeSessions();
      if (sessions.length > 0) return sessions[sessions.length - 1];
      if (this.#eof || this.#conn.peerClosed) return undefined;
      await this.#readMore(options);
    }
  }

  /** Receives one TCP chunk into the connection; false at end of stream. */
  async #readMore(options?: WaitOptions): Promise<boolean> {
    if (this.#useWorker && this.#conn.handshakeComplete) {
      // One at a time (read() and waitForSession() may both call this): batches must be applied in order.
      const run = this.#workerReads.then(() => this.#readMoreOnWorker(options));
      this.#workerReads = run.catch(() => {});
      return run;
    }
    const chunk = await this.#tcp.read(options);
    if (chunk === null) {
      this.#eof = true;
      return false;
    }
    this.#receive(chunk);
    // Usually nothing to answer (no KeyUpdate, ticket or alert): skip the await per chunk.
    if (this.#conn.outgoingBytes > 0) await this.#flushOutgoing();
    return true;
  }

  /**
   * `#readMore` with the record worker: keeps up to two batches of whole
   * records opening there and applies the oldest; a run too short to batch
   * (or records the worker declined) is processed here, one by one.
   */
  async #readMoreOnWorker(options?: WaitOptions): Promise<boolean> {
    this.#dispatchReads();
    const batch = this.#opening[0];
    if (batch !== undefined) {
      this.#waitedTurn = false;
      await this.#applyOldest(batch);
      if (this.#conn.outgoingBytes > 0) await this.#flushOutgoing();
      return true;
    }
    // Too little for a batch. A reader behind its sender gets a chunk per socket read while it
    // waits in read(); yielding one turn lets that turn's chunks collect in TcpStream instead.
    if (!this.#waitedTurn && !this.#eof && this.#conn.canBatchRead) {
      this.#waitedTurn = true;
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.#tcp.bufferedBytes > 0) return true;
    }
    this.#waitedTurn = false;
    const before = this.#conn.bufferedRecordBytes;
    if (before > 0) {
      this.#receive(EMPTY);
      if (this.#conn.outgoingBytes > 0) await this.#flushOutgoing();
      if (this.#conn.bufferedRecordBytes < before) return true;
    }
    if (this.#eof) return false;
    const chunk = await this.#tcp.read(options);
    if (chunk === null) {
      this.#eof = true;
      return false;
    }
    this.#conn.pushReceived(chunk, true);
    return true;
  }

  /** Frames whole records (from the connection's buffer, then from chunks TCP already holds) into batches for the worker. */
  #dispatchReads(): void {
    while (this.#opening.length < WORKER_READ_DEPTH && this.#conn.canBatchRead) {
      if (this.#conn.bufferedRecordBytes + this.#tcp.bufferedBytes < WORKER_MIN_BYTES) return;
      const keys = this.#conn.readKeys;
      if (keys === undefined) return;
      const dest = new Uint8Array(this.#spareOpenInput.pop() ?? new SharedArrayBuffer(OPEN_BATCH_BYTES));
      const offsets = new Uint32Array(WORKER_MAX_RECORDS);
      let { records, end } = this.#conn.takeReadBatch(dest, 0, WORKER_MAX_RECORDS, offsets, 0);
      // Bounded: the connection buffers at most about one batch beyond what it could frame.
      while (records < WORKER_MAX_RECORDS && !this.#eof && this.#conn.bufferedRecordBytes < OPEN_BATCH_BYTES) {
        const chunk = this.#tcp.tryRead();
        if (chunk === undefined) break;
        if (chunk === null) {
          this.#eof = true;
          break;
        }
        this.#conn.pushReceived(chunk, true);
        const more = this.#conn.takeReadBatch(dest, end, WORKER_MAX_RECORDS - records, offsets, records);
        records += more.records;
        end = more.end;
      }
      if (records < WORKER_MIN_RECORDS) {
        // Too few to be worth a hand-off: back in front, for the inline path.
        this.#conn.acceptReadBatch(0, EMPTY, new Uint32Array(0), recordsFrom(dest, offsets, 0, records));
        this.#spareOpenInput.push(dest.buffer as SharedArrayBuffer);
        return;
      }
      let sequence = keys.sequence;
      for (const b of this.#opening) sequence += b.count;
      this.#worker ??= RecordWorker.shared();
      const result = this.#worker.open({ ...keys, sequence }, dest, offsets, records);
      result.catch(() => {}); // surfaced by #applyOldest
      this.#opening.push({ count: records, result });
    }
  }

  /**
   * Delivers the oldest batch. If the worker stopped early (a record that
   * failed, or one that is not application data: KeyUpdate, ticket,
   * alert), the batches after it were opened under an assumption that no
   * longer holds: their results are dropped unseen, and their records and
   * the rest of this batch go back to the connection, which handles them
   * one by one (and fails on the bad record before anything after it).
   */
  async #applyOldest(batch: OpeningBatch): Promise<void> {
    let opened: OpenedBatch;
    try {
      opened = await batch.result;
    } catch (error) {
      this.#opening = [];
      this.#workerFailed(error);
    }
    this.#opening.shift();
    if (opened.opened === batch.count) {
      this.#conn.acceptReadBatch(opened.opened, opened.plaintext, opened.lengths, EMPTY);
      if (this.#spareOpenInput.length < MAX_SPARE_BUFFERS) this.#spareOpenInput.push(opened.records.buffer as SharedArrayBuffer);
      return;
    }
    const parts = [recordsFrom(opened.records, opened.offsets, opened.opened, batch.count)];
    const later = this.#opening;
    this.#opening = [];
    for (const b of later) {
      try {
        const r = await b.result;
        parts.push(recordsFrom(r.records, r.offsets, 0, b.count));
      } catch (error) {
        this.#workerFailed(error);
      }
    }
    this.#conn.acceptReadBatch(
      opened.opened,
      opened.plaintext,
      opened.lengths,
      parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts),
    );
    try {
      this.#receive(EMPTY);
    } catch {
      // The connection has failed (its alert is on the way); reads return the authentic data before
      // the bad record first and then this error, as when the records are opened here.
    }
  }

  /** The worker thread failed: the connection cannot continue (records are lost or out of order). */
  #workerFailed(error: unknown): never {
    const failure = new TlsProtocolError(AlertDescription.internal_error, "TLS record worker failed", { cause: error });
    this.#conn.abort(failure);
    void this.#tcp.close();
    throw failure;
  }

  /**
   * The next chunk of application data, or `null` after the peer's
   * close_notify. Rejects with `TlsTruncatedError` if TCP ends without
   * close_notify, or with the `TlsError` that ended the connection.
   */
  read(options?: WaitOptions): Promise<Uint8Array | null> {
    const ready = this.#conn.readApplicationData();
    if (ready !== undefined) {
      if (this.#assist) plaintextDelivered(ready.length);
      return Promise.resolve(ready);
    }
    const next = this.#reading.then(() => this.#readSlow(options));
    this.#reading = next.catch(() => {});
    return next;
  }

  async #readSlow(options?: WaitOptions): Promise<Uint8Array | null> {
    for (;;) {
      const ready = this.#conn.readApplicationData();
      if (ready !== undefined) {
        if (this.#assist) plaintextDelivered(ready.length);
        return ready;
      }
      if (this.#conn.error !== undefined) throw this.#conn.error;
      if (this.#conn.peerClosed) return null;
      if (this.#eof && this.#opening.length === 0) {
        // With the worker, whole records may still be buffered: take them before deciding.
        if (this.#useWorker && this.#conn.bufferedRecordBytes > 0) {
          const before = this.#conn.bufferedRecordBytes;
          this.#receive(EMPTY);
          if (this.#conn.bufferedRecordBytes < before) continue;
        }
        throw new TlsTruncatedError();
      }
      await this.#readMore(options);
    }
  }

  /**
   * Writes `data` (not copied: do not modify it until the promise settles).
   * Writes made in the same tick, or while an earlier write waits for the
   * socket, are sealed together into full records. Resolves once its
   * records are handed to the socket and the batch before them has left it,
   * so a writer seals its next batch while the previous one is on the wire
   * (the socket holds at most this flush and the one before it). Sealed
   * batches of up to 1 MiB are written with
   * `TcpStream.writeFlushed` and their buffers reused once the socket has
   * released them.
   *
   * Cancellation: `signal` or the calling runtime task (already cancelled,
   * or cancelled while the write waits) rejects with
   * `TlsWriteCancelledError`, `timeoutMs` (counted from this call) with
   * `TlsWriteTimeoutError`; both are the runtime's `CancelledError` /
   * `TimeoutError`. A write is sealed all at once, so its `bytesWritten` is
   * 0 (it was still queued behind an earlier batch: withdrawn, nothing of it
   * is sent) or its whole length (sealed into whole records, which still go
   * out in order). No record is torn either way, the stream stays usable,
   * and `data` is free again once the promise settles.
   */
  write(data: Uint8Array | string, options?: WaitOptions): Promise<void> {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    if (!(bytes instanceof Uint8Array)) return Promise.reject(new TypeError("write: data must be a Uint8Array or string"));
    const timeoutMs = options?.timeoutMs;
    if (timeoutMs !== undefined && (typeof timeoutMs !== "number" || !(timeoutMs >= 0)))
      return Promise.reject(new RangeError(`timeoutMs must be a non-negative number, got ${timeoutMs}`));
    if (this.#conn.error !== undefined) return Promise.reject(this.#conn.error);
    if (this.#closed || this.#conn.closeSent) return Promise.reject(new TlsClosedError("TLS stream closed for writing"));
    // The calling runtime task's cancellation counts too, as it does for reads.
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(new TlsWriteCancelledError(signal.reason, 0));
    const task = currentTask();
    if (task?.cancelled) return Promise.reject(new TlsWriteCancelledError(task.signal.reason, 0));
    let done: Promise<void>;
    if (signal === undefined && timeoutMs === undefined && task === undefined)
      done = new Promise<void>((resolve, reject) => this.#flushWaiters.push({ resolve, reject }));
    else {
      const position = { queue: this.#taken, index: this.#pending.length };
      const write = new CancellableWrite(bytes.length, position, options, task !== undefined, this.#withdraw);
      this.#flushWaiters.push(write);
      done = write.promise;
    }
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
    if (this.#pendingBytes >= COALESCE_LIMIT && this.#flushing === undefined) this.#startFlush();
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => {
        this.#flushScheduled = false;
        if (this.#flushing === undefined) this.#startFlush();
      });
    }
    return done;
  }

  #startFlush(): void {
    this.#flushing = this.#flushLoop().finally(() => {
      this.#flushing = undefined;
    });
  }

  async #flushLoop(): Promise<void> {
    while (this.#pending.length > 0) {
      // Everything taken here is sealed below, in this turn: a cancellation from now on finds it sealed.
      const parts = this.#pending;
      const waiters = this.#flushWaiters;
      this.#pending = [];
      this.#pendingBytes = 0;
      this.#flushWaiters = [];
      this.#taken++;
      try {
        // Pack small writes into full records instead of one record each.
        let batch: Uint8Array[] = [];
        let batchBytes = 0;
        const emit = (): void => {
          if (batchBytes === 0) return;
          this.#conn.writeApplicationData(batch.length === 1 ? (batch[0] as Uint8Array) : Buffer.concat(batch, batchBytes));
          batch = [];
          batchBytes = 0;
        };
        let sealing: Promise<void> | undefined;
        for (const part of parts) {
          if (part.length >= MAX_PLAINTEXT) {
            emit();
            if (this.#useWorker && part.length >= WORKER_MIN_WRITE) sealing = this.#sealOnWorker(part) ?? sealing;
            else this.#conn.writeApplicationData(part);
          } else {
            batch.push(part);
            batchBytes += part.length;
            if (batchBytes >= MAX_PLAINTEXT) emit();
          }
        }
        emit();
        // Double-buffered: this batch goes to the socket while the previous one may still be in
        // flight; the writers resume (and seal the next batch) once that previous one is out.
        const out = this.#conn.takeOutgoing();
        const flushed = out.length === 0 && sealing !== undefined ? sealing : this.#sendOwned(out);
        const previous = this.#inFlight;
        this.#inFlight = flushed;
        await previous;
        for (const w of waiters) w.resolve();
      } catch (error) {
        for (const w of waiters) w.reject(error);
      }
    }
  }

  /**
   * Writes sealed batches and gives their buffers back to the connection
   * for reuse once the socket has released them (not merely queued them).
   */
  #sendOwned(out: Uint8Array[]): Promise<void> {
    if (out.length === 0) return this.#ordered ?? Promise.resolve();
    return this.#enqueue(out, (buffers) => this.#conn.recycle(buffers));
  }

  /**
   * Hands `batch` to the socket once everything queued before it has been
   * handed over (at once when nothing waits for the worker) and resolves
   * when the socket has released it, after `release(batch)`.
   */
  #enqueue(batch: Uint8Array[] | Promise<Uint8Array[]>, release: (buffers: Uint8Array[]) => void): Promise<void> {
    const previous = this.#ordered;
    if (previous === undefined && Array.isArray(batch)) {
      const flushed = this.#tcp.writeFlushed(batch).then(() => release(batch));
      flushed.catch(() => {}); // reported to whoever awaits it next (a later write, end or close)
      return flushed;
    }
    let flushed: Promise<void> = Promise.resolve();
    const handed = (async () => {
      const buffers = await batch;
      await previous;
      if (this.#sendFailure !== undefined) throw this.#sendFailure;
      flushed = this.#tcp.writeFlushed(buffers).then(() => release(buffers));
    })();
    const settled = handed.catch((error: unknown) => {
      if (this.#sendFailure === undefined) {
        this.#sendFailure = error;
        // Records after a lost batch would be out of sequence: the connection cannot go on.
        if (!(error instanceof TlsProtocolError)) {
          this.#conn.abort(new TlsProtocolError(AlertDescription.internal_error, "TLS record worker failed", { cause: error }));
          void this.#tcp.close();
        }
      }
    });
    this.#ordered = settled;
    void settled.then(() => {
      if (this.#ordered === settled) this.#ordered = undefined;
    });
    const result = handed.then(() => flushed);
    result.catch(() => {});
    return result;
  }

  /**
   * Seals `data` on the record worker, batch by batch (sequence numbers
   * reserved here, in order, before anything else is sealed), and queues
   * each batch for the socket in that order. Returns the last batch's
   * flush, or undefined if everything was sealed here (handshake not done).
   */
  #sealOnWorker(data: Uint8Array): Promise<void> | undefined {
    let last: Promise<void> | undefined;
    for (let at = 0; at < data.length; ) {
      const batch = this.#conn.reserveWriteBatch(data, at);
      if (batch === undefined) {
        this.#conn.writeApplicationData(data.subarray(at));
        return last;
      }
      // A KeyUpdate sealed by the reservation goes first (its record is numbered before the batch).
      const before = this.#conn.takeOutgoing();
      if (before.length > 0) last = this.#sendOwned(before);
      const input = new Uint8Array(this.#spareSealInput.pop() ?? new ArrayBuffer(SEAL_BATCH_BYTES), 0, batch.end - at);
      input.set(data.subarray(at, batch.end));
      this.#worker ??= RecordWorker.shared();
      const sealed = this.#worker
        .seal(batch.keys, ContentType.ApplicationData, input, this.#spareSealOutput.pop())
        .then(({ records, input }) => {
          if (this.#spareSealInput.length < MAX_SPARE_BUFFERS) this.#spareSealInput.push(input);
          return [records];
        });
      last = this.#enqueue(sealed, (buffers) => {
        const memory = (buffers[0] as Uint8Array).buffer as ArrayBuffer;
        if (this.#spareSealOutput.length < MAX_SPARE_BUFFERS) this.#spareSealOutput.push(memory);
      });
      at = batch.end;
    }
    return last;
  }

  /** Waits until the last application batch left the socket; rethrows its failure. */
  async #drained(): Promise<void> {
    await this.#flushing;
    await this.#ordered;
    const inFlight = this.#inFlight;
    if (inFlight !== undefined) {
      await inFlight;
      if (this.#inFlight === inFlight) this.#inFlight = undefined;
    }
  }

  /** Sends a KeyUpdate; with `requestPeer` (default) the peer updates its key too. */
  async updateKeys(requestPeer = true): Promise<void> {
    this.#conn.updateKeys(requestPeer);
    await this.#flushOutgoing();
  }

  /** Sends close_notify and half-closes TCP; reads continue until the peer closes. */
  async end(): Promise<void> {
    await this.#drained();
    if (this.#conn.closeSent || this.#conn.error !== undefined) return;
    this.#conn.close();
    await this.#flushOutgoing().catch(() => {});
    await this.#tcp.end();
  }

  /** Sends close_notify (if the connection is healthy) and closes TCP. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#drained();
      if (!this.#conn.closeSent && this.#conn.error === undefined) {
        this.#conn.close();
        await this.#flushOutgoing();
        await this.#tcp.end();
      }
    } catch {
      // Closing must not fail because the peer already went away.
    } finally {
      await this.#tcp.close();
    }
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

  /**
   * A Node `Duplex` over this stream, to stand where a `tls.TLSSocket` stands
   * (e.g. `http.request({ createConnection: () => tls.toDuplex() })`).
   * Destroying the duplex closes the stream; `end()` sends close_notify.
   */
  toDuplex(): Duplex & { readonly alpnProtocol: string | false; readonly encrypted: true } {
    const duplex = new Duplex({
      read: () => {
        this.read().then(
          (chunk) => duplex.push(chunk === null ? null : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
          (error: unknown) => duplex.destroy(error instanceof Error ? error : new TlsClosedError(String(error))),
        );
      },
      write: (chunk: Buffer, _encoding, callback) => {
        this.write(chunk).then(() => callback(), callback);
      },
      final: (callback) => {
        this.end().then(() => callback(), callback);
      },
      destroy: (error, callback) => {
        this.close().then(
          () => callback(error),
          () => callback(error),
        );
      },
    });
    Object.defineProperty(duplex, "alpnProtocol", { value: this.alpnProtocol ?? false });
    Object.defineProperty(duplex, "encrypted", { value: true });
    return duplex as Duplex & { readonly alpnProtocol: string | false; readonly encrypted: true };
  }
}

/** Options of {@link TlsListener.bind}. */
export interface TlsListenOptions extends TlsAcceptOptions {
  readonly host?: string;
  readonly port?: number;
  /**
   * Time a client has to complete its handshake, in ms (default 5000). A
   * client that is silent or slow past it is disconnected and counted in
   * `stats.handshakesTimedOut`.
   */
  readonly handshakeTimeoutMs?: number | undefined;
  /**
   * Connections the listener holds at once before it stops taking new ones
   * from the kernel's backlog: handshakes in progress plus completed ones
   * not yet taken by `accept()` (default 64).
   */
  readonly maxPendingHandshakes?: number | undefined;
  /** Told of every failed handshake (already counted in `stats`), e.g. for logging; must not throw. */
  readonly onHandshakeError?: ((error: unknown) => void) | undefined;
}

/** Counters of a {@link TlsListener}, as of the call to `stats`. */
export interface TlsListenerStats {
  /** TCP connections whose handshake began. */
  readonly handshakesStarted: number;
  readonly handshakesCompleted: number;
  /** Handshakes that failed for any reason, timeouts included. */
  readonly handshakesFailed: number;
  /** Of the failed handshakes, those that ran past `handshakeTimeoutMs`. */
  readonly handshakesTimedOut: number;
  /** Handshakes in progress now. */
  readonly pendingHandshakes: number;
  /** Completed connections waiting for `accept()`. */
  readonly readyConnections: number;
}

const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5000;
const DEFAULT_MAX_PENDING_HANDSHAKES = 64;

interface AcceptWaiter {
  readonly resolve: (stream: TlsStream) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Accepts TCP connections and runs the server handshakes concurrently, each
 * bounded by `handshakeTimeoutMs`, so a silent or slow client delays nobody
 * else; `accept()` returns the next connection whose handshake completed.
 * Accepting starts with the first `accept()` call.
 */
export class TlsListener implements AsyncDisposable {
  readonly #tcp: TcpListener;
  readonly #options: TlsAcceptOptions;
  readonly #handshakeTimeoutMs: number;
  readonly #maxPending: number;
  readonly #onHandshakeError: ((error: unknown) => void) | undefined;
  /** Aborted at close: cancels every handshake in progress. */
  readonly #closing = new AbortController();
  #ready: TlsStream[] = [];
  #waiters: AcceptWaiter[] = [];
  #loop: Promise<void> | undefined;
  /** Resolves when a pending slot frees up (the accept loop waits on it when full). */
  #slotFreed: (() => void) | undefined;
  #closed = false;
  #started = 0;
  #completed = 0;
  #failed = 0;
  #timedOut = 0;
  #pending = 0;

  private constructor(tcp: TcpListener, options: TlsAcceptOptions, listen: TlsListenOptions) {
    this.#tcp = tcp;
    this.#options = options;
    this.#handshakeTimeoutMs = listen.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.#maxPending = listen.maxPendingHandshakes ?? DEFAULT_MAX_PENDING_HANDSHAKES;
    this.#onHandshakeError = listen.onHandshakeError;
  }

  /** Binds (default 127.0.0.1, any free port). The options object is shared by all connections (one ticket key). */
  static async bind(options: TlsListenOptions): Promise<TlsListener> {
    if (typeof options !== "object" || options === null || options.credentials === undefined)
      throw new TypeError("TlsListener.bind: options.credentials is required");
    const { handshakeTimeoutMs, maxPendingHandshakes } = options;
    if (handshakeTimeoutMs !== undefined && !(handshakeTimeoutMs > 0))
      throw new RangeError("TlsListener.bind: handshakeTimeoutMs must be a positive number");
    if (maxPendingHandshakes !== undefined && (!Number.isInteger(maxPendingHandshakes) || maxPendingHandshakes < 1))
      throw new RangeError("TlsListener.bind: maxPendingHandshakes must be a positive integer");
    const { signal, timeoutMs: _timeout, handshakeTimeoutMs: _h, maxPendingHandshakes: _m, onHandshakeError: _e, ...rest } = options;
    const tcp = await TcpListener.bind({
      host: options.host ?? "127.0.0.1",
      port: options.port ?? 0,
      ...(signal === undefined ? {} : { signal }),
    });
    // One ticket key for every connection of this listener, so a ticket from one resumes on another.
    const shared: TlsAcceptOptions =
      rest.sessionTickets === undefined ? { ...rest, sessionTickets: new SessionTicketer(resolveProvider(rest.provider)) } : rest;
    return new TlsListener(tcp, shared, options);
  }

  get port(): number {
    return this.#tcp.port;
  }

  /** Handshake counters (a snapshot). */
  get stats(): TlsListenerStats {
    return {
      handshakesStarted: this.#started,
      handshakesCompleted: this.#completed,
      handshakesFailed: this.#failed,
      handshakesTimedOut: this.#timedOut,
      pendingHandshakes: this.#pending,
      readyConnections: this.#ready.length,
    };
  }

  /**
   * The next connection whose handshake completed. Failed handshakes do not
   * reject it (they are counted in `stats` and passed to `onHandshakeError`);
   * `signal` / `timeoutMs` bound the wait. Rejects with `TlsClosedError`
   * once the listener is closed, or with the TCP listener's error.
   */
  accept(options?: WaitOptions): Promise<TlsStream> {
    const ready = this.#ready.shift();
    if (ready !== undefined) {
      this.#wake();
      return Promise.resolve(ready);
    }
    if (this.#closed) return Promise.reject(new TlsClosedError("TLS listener closed"));
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(CancelledError.from(signal.reason));
    this.#loop ??= this.#acceptLoop();
    return new Promise<TlsStream>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle = (): void => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const waiter: AcceptWaiter = {
        resolve: (stream) => {
          settle();
          resolve(stream);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      };
      const onAbort = (): void => waiter.reject(CancelledError.from(signal?.reason));
      signal?.addEventListener("abort", onAbort, { once: true });
      const ms = options?.timeoutMs;
      if (ms !== undefined) timer = setTimeout(() => waiter.reject(new TimeoutError(ms, `TLS accept timed out after ${ms} ms`)), ms);
      this.#waiters.push(waiter);
    });
  }

  /** Takes TCP connections while fewer than `maxPendingHandshakes` are held, starting a handshake on each. */
  async #acceptLoop(): Promise<void> {
    try {
      while (!this.#closed) {
        while (this.#pending + this.#ready.length >= this.#maxPending && !this.#closed)
          await new Promise<void>((resolve) => {
            this.#slotFreed = resolve;
          });
        if (this.#closed) return;
        const tcp = await this.#tcp.accept();
        if (this.#closed) {
          await tcp.close();
          return;
        }
        void this.#handshake(tcp);
      }
    } catch (error) {
      // The TCP listener failed (or closed under us): nobody waiting may hang.
      this.#loop = undefined;
      const reason = this.#closed ? new TlsClosedError("TLS listener closed") : error;
      for (const w of [...this.#waiters]) w.reject(reason);
    }
  }

  async #handshake(tcp: TcpStream): Promise<void> {
    this.#started++;
    this.#pending++;
    try {
      const stream = await TlsStream.accept(tcp, { ...this.#options, timeoutMs: this.#handshakeTimeoutMs, signal: this.#closing.signal });
      this.#completed++;
      if (this.#closed) {
        await stream.close();
        return;
      }
      const waiter = this.#waiters[0];
      if (waiter !== undefined) waiter.resolve(stream);
      else this.#ready.push(stream);
    } catch (error) {
      if (this.#closed) return; // cancelled by close(): not the client's failure
      this.#failed++;
      if (error instanceof TimeoutError) this.#timedOut++;
      try {
        this.#onHandshakeError?.(error);
      } catch {
        // A logging hook must not take the listener down.
      }
    } finally {
      this.#pending--;
      this.#wake();
    }
  }

  #wake(): void {
    const wake = this.#slotFreed;
    this.#slotFreed = undefined;
    wake?.();
  }

  /** Stops listening: cancels handshakes in progress, closes connections not yet accepted, rejects waiting `accept()` calls. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort(new TlsClosedError("TLS listener closed"));
    this.#wake();
    for (const w of [...this.#waiters]) w.reject(new TlsClosedError("TLS listener closed"));
    const ready = this.#ready;
    this.#ready = [];
    await Promise.all([this.#tcp.close(), ...ready.map((s) => s.close())]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
