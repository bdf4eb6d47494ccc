/**
 * The sending half of a stream, RFC 9000 §3.1: the states Ready, Send,
 * DataSent, DataRecvd, ResetSent and ResetRecvd, and the retransmission
 * bookkeeping of what was written, sent, acknowledged and lost.
 *
 * Written bytes are copied into chunks (the application may reuse its
 * buffer) and released once acknowledged from the front. Two
 * {@link RangeSet}s carry the state of each byte: `pending` (to send: new
 * or declared lost, so retransmissions go first because they sit lower)
 * and `acked`. A lost range is re-queued minus whatever was acknowledged
 * since, so data is never sent again after the peer confirmed it.
 * `nextChunk` hands out a view into one chunk (no copy) sized to the room
 * left in a packet and to flow-control credit; only bytes above the
 * highest offset ever sent consume credit (RFC 9000 §4.1).
 *
 * @example
 * ```ts
 * import { type SendCredit, SendStream } from "@zsync/quic/proto";
 * declare const connCredit: SendCredit;
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * const tx = new SendStream({ peerMaxStreamData: 65536 });
 * tx.write(bytes("hello"));
 * tx.finish();
 * const chunk = tx.nextChunk(1200, connCredit.available)!; // { offset: 0, data: "hello", fin: true, newBytes: 5 }
 * connCredit.consume(chunk.newBytes);
 * tx.onAcked(0, 5, true); // state "DataRecvd"
 * ```
 * @module
 */
import { RangeSet } from "../wire/range-set.js";
import { SendCredit } from "./flow-control.js";

/** Send-side states, RFC 9000 §3.1. */
export type SendStreamState = "Ready" | "Send" | "DataSent" | "DataRecvd" | "ResetSent" | "ResetRecvd";

/** Options of {@link SendStream}. */
export interface SendStreamOptions {
  /** The peer's initial_max_stream_data for this stream type. */
  readonly peerMaxStreamData: number;
  /** Most unacknowledged bytes buffered before `write` pushes back (default 1 MiB). */
  readonly maxBuffered?: number;
}

/** A piece of stream data to put in a STREAM frame. Valid until the next call on the stream. */
export interface StreamChunk {
  offset: number;
  /** A view of the stream's buffer: encode it before calling the stream again. */
  data: Uint8Array;
  fin: boolean;
  /** Bytes above the highest offset sent before: charge them to connection credit. */
  newBytes: number;
}

/** A RESET_STREAM frame to send. */
export interface ResetFrame {
  errorCode: number;
  finalSize: number;
}

const EMPTY = new Uint8Array(0);

/** The sending half of a stream; see the module comment. */
export class SendStream {
  /** Current state (RFC 9000 §3.1). */
  state: SendStreamState = "Ready";
  /** The peer's per-stream limit (MAX_STREAM_DATA). */
  readonly credit: SendCredit;
  /** The application error code of our RESET_STREAM, once reset. */
  resetCode: number | undefined;
  readonly #maxBuffered: number;
  readonly #chunks: Uint8Array[] = [];
  readonly #chunkStarts: number[] = [];
  #written = 0;
  readonly #pending = new RangeSet();
  readonly #acked = new RangeSet();
  #sentEnd = 0;
  #finRequested = false;
  #finPending = false;
  #finAcked = false;
  #resetPending = false;
  #finalSize: number | undefined;
  readonly #chunk: StreamChunk = { offset: 0, data: EMPTY, fin: false, newBytes: 0 };

  constructor(options: SendStreamOptions) {
    this.credit = new SendCredit(options.peerMaxStreamData);
    this.#maxBuffered = options.maxBuffered ?? 1 << 20;
  }

  /** Bytes written and not yet acknowledged (what `maxBuffered` bounds). */
  get buffered(): number {
    return this.#written - this.#ackedPrefix();
  }

  /** Bytes `write` would accept now. */
  get writable(): number {
    if (this.#finRequested || this.#isReset()) return 0;
    return Math.max(0, this.#maxBuffered - this.buffered);
  }

  /** The final size once FIN was requested or the stream reset. */
  get finalSize(): number | undefined {
    return this.#finalSize;
  }

  /** True when something is waiting to be sent: data within credit, a FIN, or a RESET_STREAM. */
  get wantsToSend(): boolean {
    if (this.#resetPending) return true;
    if (this.#isReset()) return false;
    if (this.#finPending && this.#pending.isEmpty) return true;
    const lowest = this.#pending.min;
    return lowest !== undefined && (lowest < this.#sentEnd || this.credit.available > 0);
  }

  /**
   * True when written bytes wait above the highest offset sent and the
   * peer's MAX_STREAM_DATA allows none of them: the stream is blocked by
   * flow control (RFC 9000 §4.1) and a STREAM_DATA_BLOCKED is in order.
   */
  get flowBlocked(): boolean {
    return !this.#isReset() && this.#written > this.#sentEnd && this.credit.available === 0;
  }

  /** True when written bytes wait above the highest offset sent (they need stream and connection credit). */
  get hasUnsentData(): boolean {
    return !this.#isReset() && this.#written > this.#sentEnd;
  }

  /**
   * The limit to put in a STREAM_DATA_BLOCKED frame (RFC 9000 §19.13), once
   * per limit: undefined when not blocked or already reported at this
   * limit. Marks it reported.
   */
  takeBlocked(): number | undefined {
    if (!this.flowBlocked || !this.credit.shouldSendBlocked()) return undefined;
    this.credit.onBlockedSent();
    return this.credit.limit;
  }

  /**
   * Copies as much of `data` as the send buffer accepts; returns the count
   * (less than `data.length` means back-pressure: wait for acknowledgments).
   */
  write(data: Uint8Array): number {
    if (this.#finRequested) throw new TypeError("write after finish()");
    if (this.#isReset()) throw new TypeError("write on a reset stream");
    const n = Math.min(data.length, this.writable);
    if (n === 0) return 0;
    this.#chunks.push(data.slice(0, n));
    this.#chunkStarts.push(this.#written);
    this.#pending.insert(this.#written, this.#written + n);
    this.#written += n;
    return n;
  }

  /** Ends the stream after the data written so far (a FIN will be sent). */
  finish(): void {
    if (this.#finRequested || this.#isReset()) return;
    this.#finRequested = true;
    this.#finPending = true;
    this.#finalSize = this.#written;
  }

  /**
   * The next STREAM frame's content: the lowest pending range, at most
   * `maxLength` bytes, within one chunk, new bytes limited by stream credit
   * and `connectionCredit`. Undefined when there is nothing to send. The
   * returned object is reused.
   */
  nextChunk(maxLength: number, connectionCredit: number): StreamChunk | undefined {
    if (this.#isReset() || maxLength < 0) return undefined;
    const out = this.#chunk;
    const start = this.#pending.min;
    if (start === undefined) {
      if (!this.#finPending) return undefined;
      out.offset = this.#written;
      out.data = EMPTY;
      out.fin = true;
      out.newBytes = 0;
      this.#finPending = false;
      this.#afterSend();
      return out;
    }
    let end = Math.min(this.#pending.endAt(0), start + maxLength);
    if (end > this.#sentEnd) {
      const credit = Math.min(this.credit.limit, this.#sentEnd + connectionCredit);
      end = Math.min(end, Math.max(this.#sentEnd, credit));
      if (end <= start) return undefined;
    }
    const c = this.#chunkIndex(start);
    const chunkStart = this.#chunkStarts[c] as number;
    const chunk = this.#chunks[c] as Uint8Array;
    end = Math.min(end, chunkStart + chunk.length);
    if (end <= start) return undefined;
    out.offset = start;
    out.data = chunk.subarray(start - chunkStart, end - chunkStart);
    out.newBytes = Math.max(0, end - this.#sentEnd);
    out.fin = this.#finPending && end === this.#written;
    if (out.fin) this.#finPending = false;
    this.#pending.remove(start, end);
    if (out.newBytes > 0) {
      this.credit.consume(out.newBytes);
      this.#sentEnd = end;
    }
    this.#afterSend();
    return out;
  }

  /** A STREAM frame `[offset, offset + length)` (with `fin`) was acknowledged. */
  onAcked(offset: number, length: number, fin: boolean): void {
    if (this.#isReset()) return;
    if (length > 0) this.#acked.insert(offset, offset + length);
    if (fin) this.#finAcked = true;
    this.#releaseAcked();
    if (this.state === "DataSent" && this.#finAcked && this.#ackedPrefix() === this.#written) this.state = "DataRecvd";
  }

  /** A STREAM frame was declared lost: re-queue its bytes not acknowledged since, and the FIN. */
  onLost(offset: number, length: number, fin: boolean): void {
    if (this.#isReset() || this.state === "DataRecvd") return;
    const end = offset + length;
    if (length > 0) {
      this.#pending.insert(offset, end);
      const acked = this.#acked;
      for (let i = 0; i < acked.rangeCount; i++) {
        const a = acked.startAt(i);
        if (a >= end) break;
        const b = acked.endAt(i);
        if (b > offset) this.#pending.remove(Math.max(a, offset), Math.min(b, end));
      }
    }
    if (fin && !this.#finAcked) this.#finPending = true;
  }

  /**
   * Abandons the stream with an application error code (RFC 9000 §3.1):
   * buffered data is dropped and a RESET_STREAM carrying the final size
   * (the highest offset sent, §4.5) becomes due. No-op once reset or all
   * data is acknowledged.
   */
  reset(errorCode: number): void {
    if (this.#isReset() || this.state === "DataRecvd") return;
    this.state = "ResetSent";
    this.resetCode = errorCode;
    this.#finalSize = this.#sentEnd;
    this.#resetPending = true;
    this.#chunks.length = 0;
    this.#chunkStarts.length = 0;
    this.#pending.clear();
    this.#finPending = false;
  }

  /**
   * STOP_SENDING from the peer (RFC 9000 §3.5): answer with RESET_STREAM,
   * copying its error code. Returns true when that reset was started.
   */
  onStopSending(errorCode: number): boolean {
    if (this.#isReset() || this.state === "DataRecvd") return false;
    this.reset(errorCode);
    return true;
  }

  /** The RESET_STREAM to send, if one is due; marks it sent. */
  takeResetFrame(): ResetFrame | undefined {
    if (!this.#resetPending) return undefined;
    this.#resetPending = false;
    return { errorCode: this.resetCode ?? 0, finalSize: this.#finalSize ?? this.#sentEnd };
  }

  /** Our RESET_STREAM was acknowledged: ResetSent -> ResetRecvd. */
  onResetAcked(): void {
    if (this.state === "ResetSent") this.state = "ResetRecvd";
  }

  /** Our RESET_STREAM was lost: it is due again. */
  onResetLost(): void {
    if (this.state === "ResetSent") this.#resetPending = true;
  }

  /** MAX_STREAM_DATA from the peer; returns true when it raised the limit. */
  onMaxStreamData(limit: number): boolean {
    return this.credit.onMaxData(limit);
  }

  /** True in a terminal state (DataRecvd or ResetRecvd). */
  get isClosed(): boolean {
    return this.state === "DataRecvd" || this.state === "ResetRecvd";
  }

  #isReset(): boolean {
    return this.state === "ResetSent" || this.state === "ResetRecvd";
  }

  #afterSend(): void {
    if (this.state === "Ready") this.state = "Send";
    if (this.state === "Send" && this.#finRequested && !this.#finPending && this.#pending.isEmpty) this.state = "DataSent";
  }

  #ackedPrefix(): number {
    const a = this.#acked;
    return !a.isEmpty && a.startAt(0) === 0 ? a.endAt(0) : 0;
  }

  /** Drops chunks entirely below the acknowledged prefix. */
  #releaseAcked(): void {
    const prefix = this.#ackedPrefix();
    let k = 0;
    while (k < this.#chunks.length && (this.#chunkStarts[k] as number) + (this.#chunks[k] as Uint8Array).length <= prefix) k++;
    if (k > 0) {
      this.#chunks.splice(0, k);
      this.#chunkStarts.splice(0, k);
    }
  }

  /** Index of the chunk holding `offset` (which must be buffered). */
  #chunkIndex(offset: number): number {
    const starts = this.#chunkStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
