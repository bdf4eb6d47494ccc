/**
 * `TlsConnection`: TLS over a byte stream, still without I/O. It joins a
 * client or server engine with the record layer: bytes from the transport
 * go in through `receive()`, application data comes out of
 * `readApplicationData()`, and everything to put on the wire collects in
 * `takeOutgoing()`. `TlsStream` runs it over a TcpStream; tests run two of
 * them against each other in memory.
 *
 * @example
 * ```ts
 * import { TlsClientEngine, type TlsCredentials, TlsConnection, TlsServerEngine } from "@zsync/crypto/tls";
 * declare const ca: string;
 * declare const credentials: TlsCredentials;
 * const client = new TlsConnection(new TlsClientEngine({ serverName: "localhost", ca }));
 * const server = new TlsConnection(new TlsServerEngine({ credentials }));
 * client.start();
 * while (!client.handshakeComplete) {
 *   for (const b of client.takeOutgoing()) server.receive(b);
 *   for (const b of server.takeOutgoing()) client.receive(b);
 * }
 * ```
 * @module
 */

import { releaseMemory } from "../../primitives/providers/release-memory.js";
import { TlsClosedError, TlsError, TlsLimitError, TlsPeerAlertError, TlsProtocolError } from "../errors.js";
import type { TlsClientEngine } from "../handshake/client.js";
import type { HandshakeInfo, TlsLevel, TlsSession } from "../handshake/engine.js";
import type { TlsServerEngine } from "../handshake/server.js";
import { RecordLayer } from "../record/record-layer.js";
import type { RecordKeys } from "../record/record-worker.js";
import { AlertDescription, ContentType, MAX_PLAINTEXT } from "../wire/constants.js";

const CCS_RECORD = Uint8Array.of(20, 3, 3, 0, 1, 1);
/** Records sealed into one buffer: 1 MiB of data, one socket write, the unit a recycled buffer holds. */
const BATCH_RECORDS = 64;
/** Largest protected record on the wire: header, 2^14 data, content type, 16-byte tag. */
const SEALING_BUFFER_BYTES = BATCH_RECORDS * (5 + MAX_PLAINTEXT + 1 + 16);
/** Smaller batches are not worth a 1 MiB pooled buffer. */
const POOLED_MIN_BYTES = 64 * 1024;
/** Sealing buffers kept for reuse: enough for the batch being sealed plus two in flight. */
const MAX_SPARE = 3;
const EARLY_DATA_SKIP_BUDGET = 1 << 17;
/**
 * change_cipher_spec records tolerated in a handshake. A peer in
 * compatibility mode sends one (RFC 9846 §D.4); the RFC lets either side
 * send one "at any time during the handshake", so allow a few, not a stream.
 */
export const MAX_CHANGE_CIPHER_SPEC = 4;

/** Options of {@link TlsConnection}. */
export interface TlsConnectionOptions {
  /**
   * Update our write key after this many records (default: the suite's
   * confidentiality limit minus a margin). Lower values exist for tests.
   */
  readonly keyUpdateAfterRecords?: number | undefined;
}

/** TLS 1.3 over a reliable byte stream, as a sans-I/O state object. */
export class TlsConnection {
  readonly engine: TlsClientEngine | TlsServerEngine;
  readonly #records: RecordLayer;
  readonly #keyUpdateAfter: number | undefined;
  #out: Uint8Array[] = [];
  #outBytes = 0;
  #in: Uint8Array[] = [];
  #inHead = 0;
  #inBytes = 0;
  #writeLevel: TlsLevel = "initial";
  #readLevel: TlsLevel = "initial";
  #pendingHandshake: Uint8Array[] = [];
  #info: HandshakeInfo | undefined;
  #sessions: TlsSession[] = [];
  #error: TlsError | undefined;
  #peerClosed = false;
  #closeSent = false;
  #earlyData: Uint8Array[] | undefined;
  #earlyDataRejected = false;
  #changeCipherSpecs = 0;
  #transportParameters: Uint8Array | undefined;
  /** Chunks given with `owned` that the record layer may still read in place. */
  #owned: Uint8Array[] = [];
  /** Recycled sealing buffers, and the memory of those handed out by `takeOutgoing()` and not yet recycled. */
  #spare: Uint8Array[] = [];
  readonly #lent = new WeakSet<ArrayBufferLike>();

  constructor(engine: TlsClientEngine | TlsServerEngine, options: TlsConnectionOptions = {}) {
    this.engine = engine;
    this.#records = new RecordLayer(engine.provider);
    this.#keyUpdateAfter = options.keyUpdateAfterRecords;
    if (this.#keyUpdateAfter !== undefined && (!Number.isInteger(this.#keyUpdateAfter) || this.#keyUpdateAfter < 1))
      throw new RangeError("keyUpdateAfterRecords must be a positive integer");
  }

  /** Client: sends ClientHello. */
  start(): void {
    (this.engine as TlsClientEngine).start();
    this.#drainEvents();
  }

  get handshakeComplete(): boolean {
    return this.#info !== undefined;
  }

  /** Negotiated parameters, once the handshake is complete. */
  get info(): HandshakeInfo | undefined {
    return this.#info;
  }

  /** The error that ended the connection, if any. */
  get error(): TlsError | undefined {
    return this.#error;
  }

  /** The peer sent close_notify: no more application data will arrive. */
  get peerClosed(): boolean {
    return this.#peerClosed;
  }

  /** We sent close_notify: no more application data may be written. */
  get closeSent(): boolean {
    return this.#closeSent;
  }

  /** Whether 0-RTT data was refused by the server (client: it must be re-sent; done automatically). */
  get earlyDataRejected(): boolean {
    return this.#earlyDataRejected;
  }

  /** The peer's QUIC transport parameters, if any (unused over TCP but reported). */
  get peerTransportParameters(): Uint8Array | undefined {
    return this.#transportParameters;
  }

  /** Sessions received so far (client), oldest first; takes them. */
  takeSessions(): TlsSession[] {
    const s = this.#sessions;
    this.#sessions = [];
    return s;
  }

  /** Bytes to write to the transport, in order. */
  takeOutgoing(): Uint8Array[] {
    const out = this.#out;
    this.#out = [];
    this.#outBytes = 0;
    return out;
  }

  /** Records produced so far (handshake, alerts and application data). */
  get recordsSent(): number {
    return this.#recordsSent;
  }

  #recordsSent = 0;

  get outgoingBytes(): number {
    return this.#outBytes;
  }

  /** Application data bytes received and not yet read. */
  get readableBytes(): number {
    return this.#inBytes;
  }

  /** The next chunk of application data, or undefined. */
  readApplicationData(): Uint8Array | undefined {
    if (this.#inHead >= this.#in.length) return undefined;
    const chunk = this.#in[this.#inHead] as Uint8Array;
    this.#in[this.#inHead++] = EMPTY;
    if (this.#inHead === this.#in.length) {
      this.#in = [];
      this.#inHead = 0;
    }
    this.#inBytes -= chunk.length;
    return chunk;
  }

  /**
   * Processes bytes from the transport. Throws the `TlsError` that ended the
   * connection; the alert we owe the peer is already in `takeOutgoing()`.
   * With `owned`, `data` is the connection's from now on (nothing else reads
   * it, and it spans its whole ArrayBuffer, as a TCP chunk does): its memory
   * is freed as soon as the record layer reads it in place no more, instead
   * of counting against V8's heap limit until a collection sweeps it.
   */
  receive(data: Uint8Array, owned = false): void {
    if (this.#error !== undefined) throw this.#error;
    try {
      if (owned) this.#owned.push(data);
      this.#records.push(data);
      for (let record = this.#records.next(); record !== undefined; record = this.#records.next()) {
        this.#onRecord(record.type, record.data);
        if (this.#peerClosed) break;
      }
      if (this.#records.bufferedBytes > 0 && this.#peerClosed)
        throw new TlsProtocolError(AlertDescription.unexpected_message, "data after close_notify");
      this.#freeOwned();
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Frees the owned chunks once the record layer holds none of them (a split record's bytes were copied out). */
  #freeOwned(): void {
    if (this.#owned.length === 0 || this.#records.holdsTransportBytes) return;
    for (const chunk of this.#owned) releaseMemory(chunk);
    this.#owned = [];
  }

  /** The transport reached end of stream; throws `TlsTruncatedError`-style errors are left to the caller. */
  get bufferedRecordBytes(): number {
    return this.#records.bufferedBytes;
  }

  /**
   * Queues application data. Before the handshake completes, a client with
   * 0-RTT offered sends it as early data (kept for a resend if refused);
   * otherwise writing before completion throws.
   */
  writeApplicationData(data: Uint8Array): void {
    if (this.#error !== undefined) throw this.#error;
    if (this.#closeSent) throw new TlsClosedError("cannot write after close_notify was sent");
    if (data.length === 0) return;
    if (this.#info === undefined) {
      if (this.#writeLevel !== "early") throw new TlsClosedError("cannot write application data before the handshake completes");
      if (this.#earlyData === undefined) this.#earlyData = [];
      this.#earlyData.push(data.slice());
    }
    // Full records, sealed in place into one buffer per batch (at most BATCH_RECORDS, none across a key update).
    for (let at = 0; at < data.length; ) {
      this.#maybeUpdateKeys();
      const records = Math.min(Math.ceil((data.length - at) / MAX_PLAINTEXT), this.#recordsBeforeKeyUpdate(), BATCH_RECORDS);
      const end = Math.min(data.length, at + records * MAX_PLAINTEXT);
      const out = this.#sealingBuffer(
        this.#records.sealedSize(MAX_PLAINTEXT) * (records - 1) + this.#records.sealedSize(end - at - (records - 1) * MAX_PLAINTEXT),
      );
      let written = 0;
      for (let start = at; start < end; start += MAX_PLAINTEXT)
        written = this.#records.sealInto(ContentType.ApplicationData, data, start, Math.min(end, start + MAX_PLAINTEXT), out, written);
      this.#push(out, records);
      at = end;
    }
  }

  /**
   * For sealing on a record worker: the next batch of `data[at, …)` as full
   * application_data records, at most 64 and none across a key update. Runs
   * a due KeyUpdate first (its record is then in `takeOutgoing()` and must
   * be sent before the batch), reserves the batch's sequence numbers and
   * returns their keys and the batch's end in `data`. Undefined when the
   * batch must be sealed here instead (before the handshake completes).
   */
  reserveWriteBatch(data: Uint8Array, at: number): { readonly keys: RecordKeys; readonly end: number } | undefined {
    if (this.#error !== undefined) throw this.#error;
    if (this.#closeSent) throw new TlsClosedError("cannot write after close_notify was sent");
    if (this.#info === undefined || this.#writeLevel !== "application") return undefined;
    this.#maybeUpdateKeys();
    const records = Math.min(Math.ceil((data.length - at) / MAX_PLAINTEXT), this.#recordsBeforeKeyUpdate(), BATCH_RECORDS);
    const keys = this.#records.reserveWrite(records);
    this.#recordsSent += records;
    return { keys, end: Math.min(data.length, at + records * MAX_PLAINTEXT) };
  }

  /**
   * For opening on a record worker: whether the next records may be taken
   * with `takeReadBatch` (application keys, no handshake message half
   * received, connection open).
   */
  get canBatchRead(): boolean {
    return (
      this.#error === undefined &&
      !this.#peerClosed &&
      this.#info !== undefined &&
      this.#readLevel === "application" &&
      this.engine.partialMessageBytes === 0
    );
  }

  /** Adds transport bytes without processing them (`receive(EMPTY)` processes what `takeReadBatch` leaves); `owned` as for `receive`. */
  pushReceived(data: Uint8Array, owned = false): void {
    if (owned) this.#owned.push(data);
    this.#records.push(data);
  }

  /** Copies whole protected records into `dest` from `at` (see `RecordLayer.takeProtected`). */
  takeReadBatch(dest: Uint8Array, at: number, maxRecords: number, offsets: Uint32Array, first: number): { records: number; end: number } {
    if (!this.canBatchRead) return { records: 0, end: at };
    const taken = this.#records.takeProtected(dest, at, maxRecords, offsets, first);
    this.#freeOwned();
    return taken;
  }

  /** The read key and next sequence number (see `RecordLayer.readKeys`). */
  get readKeys(): RecordKeys | undefined {
    return this.#records.readKeys();
  }

  /**
   * Takes the result of a batch from `takeReadBatch`, opened by a record
   * worker from sequence number `readKeys.sequence`: queues the opened
   * records' plaintext as application data and puts the rest of the batch
   * (`records` from byte `restAt`, still ciphertext) back in front of the
   * buffered bytes, for `receive()` to process one by one as usual.
   */
  acceptReadBatch(opened: number, plaintext: Uint8Array, lengths: Uint32Array, rest: Uint8Array): void {
    this.#records.acceptOpened(opened);
    let n = 0;
    for (let i = 0; i < opened; i++) n += lengths[i] as number;
    // One chunk for the whole run: the records' contents are back to back.
    if (n > 0) {
      this.#in.push(plaintext.subarray(0, n));
      this.#inBytes += n;
    }
    this.#records.unshift(rest);
  }

  /**
   * Hands back buffers from `takeOutgoing()` once the transport no longer
   * needs them (e.g. after `TcpStream.writeFlushed` resolved), so the next
   * large write seals into them instead of allocating. Only the connection's
   * own sealing buffers are kept, each at most once; anything else is ignored.
   * Never recycle a buffer the transport may still read: it will be overwritten.
   */
  recycle(buffers: readonly Uint8Array[]): void {
    for (const b of buffers) {
      const memory = b.buffer;
      if (!this.#lent.delete(memory)) continue;
      if (this.#spare.length < MAX_SPARE) this.#spare.push(new Uint8Array(memory, 0, SEALING_BUFFER_BYTES));
    }
  }

  /** A batch buffer: a recycled one if any, else new; batches too small to matter are not pooled. */
  #sealingBuffer(length: number): Uint8Array {
    if (length < POOLED_MIN_BYTES || length > SEALING_BUFFER_BYTES) return allocateUnsafe(length);
    const buffer = this.#spare.pop() ?? allocateUnsafe(SEALING_BUFFER_BYTES);
    this.#lent.add(buffer.buffer);
    return buffer.subarray(0, length);
  }

  /** Records we may seal before `#maybeUpdateKeys` would update the write key (at least 1). */
  #recordsBeforeKeyUpdate(): number {
    if (this.#info === undefined || this.#writeLevel !== "application") return Number.POSITIVE_INFINITY;
    const limit = this.#keyUpdateAfter;
    const left = limit !== undefined ? limit - this.#records.writeSequence : this.#records.writeRecordsLeft - 1024;
    return Math.max(1, left);
  }

  /** Sends a KeyUpdate; with `requestPeer`, asks the peer to update its key too. */
  updateKeys(requestPeer = true): void {
    if (this.#error !== undefined) throw this.#error;
    if (this.#info === undefined) throw new TlsClosedError("KeyUpdate before the handshake completes");
    this.engine.updateKeys(requestPeer);
    this.#drainEvents();
  }

  /** Sends close_notify (once). Reading may continue until the peer's close_notify. */
  close(): void {
    if (this.#closeSent || this.#error !== undefined) return;
    this.#closeSent = true;
    this.#push(this.#records.seal(ContentType.Alert, Uint8Array.of(1, AlertDescription.close_notify)));
  }

  /** Aborts with `error`: queues its alert and records it as the connection's error. */
  abort(error: TlsError): void {
    if (this.#error !== undefined) return;
    this.#error = error;
    this.engine.fail(error);
    if (!(error instanceof TlsPeerAlertError)) {
      try {
        this.#push(this.#records.seal(ContentType.Alert, Uint8Array.of(2, error.alert)));
      } catch {
        // The write key may itself be the problem; the transport closes regardless.
      }
    }
  }

  #fail(error: unknown): never {
    const tlsError =
      error instanceof TlsError ? error : new TlsProtocolError(AlertDescription.internal_error, "internal error", { cause: error });
    this.abort(tlsError);
    throw tlsError;
  }

  #maybeUpdateKeys(): void {
    if (this.#info === undefined || this.#writeLevel !== "application") return;
    const limit = this.#keyUpdateAfter;
    const due = limit !== undefined ? this.#records.writeSequence >= limit : this.#records.writeRecordsLeft < 1024;
    if (due) {
      this.engine.updateKeys(false);
      this.#drainEvents();
    }
  }

  #onRecord(type: number, data: Uint8Array): void {
    // RFC 9846 §5.1: a handshake message split over records has nothing else between its parts.
    if (type !== ContentType.Handshake && this.engine.partialMessageBytes > 0)
      throw new TlsProtocolError(
        AlertDescription.unexpected_message,
        `record of type ${type} interleaved with the fragments of a handshake message`,
      );
    switch (type) {
      case ContentType.ChangeCipherSpec:
        // Compatibility mode: a dummy CCS may arrive during the handshake; it carries nothing.
        if (this.#info !== undefined && this.engine.handshakeComplete && this.#readLevel === "application") {
          throw new TlsProtocolError(AlertDescription.unexpected_message, "change_cipher_spec after the handshake");
        }
        if (++this.#changeCipherSpecs > MAX_CHANGE_CIPHER_SPEC)
          throw new TlsLimitError(
            "change-cipher-spec",
            AlertDescription.unexpected_message,
            `more than ${MAX_CHANGE_CIPHER_SPEC} change_cipher_spec records`,
          );
        return;
      case ContentType.Alert: {
        this.#onAlert(data);
        return;
      }
      case ContentType.Handshake:
        this.engine.handle(this.#readLevel, data);
        this.#drainEvents();
        return;
      case ContentType.ApplicationData:
        if (this.#readLevel !== "application" && this.#readLevel !== "early")
          throw new TlsProtocolError(AlertDescription.unexpected_message, "application data before the handshake completed");
        if (data.length > 0) {
          this.#in.push(data);
          this.#inBytes += data.length;
        }
        return;
    }
  }

  #onAlert(data: Uint8Array): void {
    if (data.length !== 2) throw new TlsProtocolError(AlertDescription.decode_error, "alert must be 2 bytes");
    const description = data[1] as number;
    if (description === AlertDescription.close_notify) {
      this.#peerClosed = true;
      return;
    }
    // TLS 1.3: every alert but close_notify (and user_canceled, which precedes one) is fatal.
    if (description === AlertDescription.user_canceled) return;
    const error = new TlsPeerAlertError(description);
    this.abort(error);
    throw error;
  }

  #flushHandshake(): void {
    if (this.#pendingHandshake.length === 0) return;
    const parts = this.#pendingHandshake;
    this.#pendingHandshake = [];
    let n = 0;
    for (const p of parts) n += p.length;
    const joined = parts.length === 1 ? (parts[0] as Uint8Array) : new Uint8Array(n);
    if (parts.length > 1) {
      let at = 0;
      for (const p of parts) {
        joined.set(p, at);
        at += p.length;
      }
    }
    const out: Uint8Array[] = [];
    this.#records.sealAll(ContentType.Handshake, joined, out);
    for (const r of out) this.#push(r);
  }

  #drainEvents(): void {
    for (const event of this.engine.takeEvents()) {
      switch (event.type) {
        case "send":
          if (event.level !== this.#writeLevel)
            throw new TlsProtocolError(AlertDescription.internal_error, `engine sent at ${event.level} while writing ${this.#writeLevel}`);
          this.#pendingHandshake.push(event.data);
          break;
        case "change-cipher-spec":
          this.#flushHandshake();
          this.#push(CCS_RECORD);
          break;
        case "secret":
          if (event.direction === "write") {
            this.#flushHandshake();
            this.#records.setWriteKey(event.suite, event.secret);
            this.#writeLevel = event.level;
          } else {
            // Only a server's handshake key is installed before the peer can know it (see RecordLayer.setReadKey).
            this.#records.setReadKey(event.suite, event.secret, this.engine.side === "server" && event.level === "handshake");
            this.#readLevel = event.level;
          }
          break;
        case "handshake-complete":
          this.#flushHandshake();
          this.#info = event.info;
          if (this.#earlyDataRejected && this.#earlyData !== undefined) {
            const resend = this.#earlyData;
            this.#earlyData = undefined;
            for (const d of resend) this.writeApplicationData(d);
          }
          this.#earlyData = undefined;
          break;
        case "transport-parameters":
          this.#transportParameters = event.data;
          break;
        case "session":
          this.#sessions.push(event.session);
          break;
        case "early-data":
          if (!event.accepted) {
            this.#earlyDataRejected = true;
            // Client refused by a HelloRetryRequest: the second ClientHello goes out in plaintext, and
            // nothing more under the early key (RFC 9846 §4.2.10); the data is re-sent after the handshake.
            if (this.engine.side === "client" && this.#writeLevel === "early" && this.#readLevel === "initial") {
              this.#flushHandshake();
              this.#records.dropWriteKey();
              this.#writeLevel = "initial";
            }
            // Server: the client's 0-RTT records are undecryptable from here on; skip them.
            if (this.engine.side === "server") this.#records.skipEarlyData(EARLY_DATA_SKIP_BUDGET);
          }
          break;
      }
    }
    this.#flushHandshake();
  }

  #push(record: Uint8Array, records = 1): void {
    this.#recordsSent += records;
    this.#out.push(record);
    this.#outBytes += record.length;
  }
}

const EMPTY = new Uint8Array(0);

/** Memory for output that is entirely overwritten; zero-filling large batches is measurable. */
function allocateUnsafe(length: number): Uint8Array {
  if (length < 4096) return new Uint8Array(length);
  const b = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
