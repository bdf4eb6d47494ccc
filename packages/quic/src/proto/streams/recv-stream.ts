/**
 * The receiving half of a stream, RFC 9000 §3.2: the states Recv,
 * SizeKnown, DataRecvd, DataRead, ResetRecvd and ResetRead, with the final
 * size rules of §4.5 and per-stream flow control of §4.1.
 *
 * A STREAM or RESET_STREAM frame is checked before anything is stored:
 * data past a known final size, a FIN or RESET_STREAM changing it, or a
 * final size below data already received is FINAL_SIZE_ERROR; data past
 * the advertised limit is FLOW_CONTROL_ERROR. Each frame returns how far it
 * moved the stream's highest offset, which the connection adds to its own
 * credit (connection flow control counts highest offsets, §4.1).
 *
 * @example
 * ```ts
 * import { RecvStream, type ReceiveCredit } from "@zsync/quic/proto";
 * declare const connectionCredit: ReceiveCredit;
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * const buf = new Uint8Array(16);
 * const rx = new RecvStream({ window: 65536 });
 * const delta = rx.onStreamFrame(0, bytes("hi"), true);
 * connectionCredit.onReceivedDelta(delta);
 * rx.read(buf); // { bytes: 2, fin: true }; rx.state === "DataRead"
 * ```
 * @module
 */
import { TransportError, TransportErrorCode } from "../errors.js";
import { MAX_VARINT } from "../wire/varint.js";
import { Assembler } from "./assembler.js";
import { ReceiveCredit } from "./flow-control.js";

/** Receive-side states, RFC 9000 §3.2. */
export type RecvStreamState = "Recv" | "SizeKnown" | "DataRecvd" | "DataRead" | "ResetRecvd" | "ResetRead";

/** Options of {@link RecvStream}. */
export interface RecvStreamOptions {
  /** Initial receive window (the initial_max_stream_data we advertised for this stream type). */
  readonly window: number;
  /** Auto-tuning ceiling (default: `window`, no tuning). */
  readonly maxWindow?: number;
}

/** Result of {@link RecvStream.read}. */
export interface ReadResult {
  /** Bytes copied into the caller's buffer. */
  bytes: number;
  /** The stream ended and everything was read. */
  fin: boolean;
}

const STREAM_FRAME = 0x08;
const RESET_STREAM_FRAME = 0x04;

/** The receiving half of a stream; see the module comment. */
export class RecvStream {
  /** Current state (RFC 9000 §3.2). */
  state: RecvStreamState = "Recv";
  /** Per-stream flow control (the MAX_STREAM_DATA we advertise). */
  readonly credit: ReceiveCredit;
  /** The final size, once known. */
  finalSize: number | undefined;
  /** The peer's application error code, after RESET_STREAM. */
  resetCode: number | undefined;
  /** The application asked the peer to stop sending (STOP_SENDING): data is discarded. */
  stopped = false;
  readonly #data: Assembler;
  #consumedReported = 0;
  readonly #result: ReadResult = { bytes: 0, fin: false };

  constructor(options: RecvStreamOptions) {
    this.credit = new ReceiveCredit({ initialWindow: options.window, maxWindow: options.maxWindow, frameType: STREAM_FRAME });
    // The assembler's bound follows the credit: it can never hold more than was advertised.
    this.#data = new Assembler({
      window: Math.max(1, options.maxWindow ?? options.window),
      errorCode: TransportErrorCode.FLOW_CONTROL_ERROR,
      frameType: STREAM_FRAME,
    });
  }

  /** Bytes readable now. */
  get readable(): number {
    return this.#data.readable;
  }

  /** Bytes held for the application (received, not read); bounded by the advertised credit. */
  get buffered(): number {
    return this.#data.buffered;
  }

  /** Offset of the next byte the application reads. */
  get readOffset(): number {
    return this.#data.readOffset;
  }

  /** True when a read would make progress: data, the end of the stream, or a reset to report. */
  get isReadable(): boolean {
    return this.readable > 0 || this.state === "DataRecvd" || this.state === "ResetRecvd";
  }

  /**
   * A STREAM frame (RFC 9000 §19.8). Returns the increase of the highest
   * received offset, for connection-level flow control.
   *
   * @throws TransportError FINAL_SIZE_ERROR or FLOW_CONTROL_ERROR (§4.5, §4.1).
   */
  onStreamFrame(offset: number, data: Uint8Array, fin: boolean): number {
    const end = offset + data.length;
    if (end > MAX_VARINT) {
      throw new TransportError(TransportErrorCode.FRAME_ENCODING_ERROR, `stream data ends beyond 2^62 - 1`, STREAM_FRAME);
    }
    this.#checkFinalSize(end, fin, STREAM_FRAME);
    const before = this.credit.received;
    this.credit.onReceived(end, STREAM_FRAME);
    const delta = this.credit.received - before;
    if (this.state === "ResetRecvd" || this.state === "ResetRead" || this.state === "DataRead") return delta;
    if (fin && this.finalSize === undefined) {
      this.finalSize = end;
      if (this.state === "Recv") this.state = "SizeKnown";
    }
    if (this.stopped) {
      this.#discardUpTo(this.credit.received);
    } else {
      this.#data.insert(offset, data);
    }
    if (this.state === "SizeKnown" && this.#allReceived()) this.state = "DataRecvd";
    return delta;
  }

  /**
   * A RESET_STREAM frame (RFC 9000 §19.4). Returns the increase of the
   * highest offset (up to the final size) for connection flow control.
   *
   * @throws TransportError FINAL_SIZE_ERROR or FLOW_CONTROL_ERROR.
   */
  onResetStream(errorCode: number, finalSize: number): number {
    this.#checkFinalSize(finalSize, true, RESET_STREAM_FRAME);
    const before = this.credit.received;
    this.credit.onReceived(finalSize, RESET_STREAM_FRAME);
    const delta = this.credit.received - before;
    this.finalSize = finalSize;
    if (this.state === "Recv" || this.state === "SizeKnown" || this.state === "DataRecvd") {
      this.state = "ResetRecvd";
      this.resetCode = errorCode;
      // Unread data is released; the credit it held counts as consumed for the connection.
      this.#release();
    }
    return delta;
  }

  /**
   * Copies readable data into `out`. `fin` is true once the whole stream was
   * read (DataRecvd -> DataRead). After a reset, returns 0 bytes and moves
   * ResetRecvd -> ResetRead; check `resetCode`.
   */
  read(out: Uint8Array): ReadResult {
    const r = this.#result;
    r.bytes = 0;
    r.fin = false;
    if (this.state === "ResetRecvd") {
      this.state = "ResetRead";
      return r;
    }
    if (this.state === "ResetRead" || this.state === "DataRead") {
      r.fin = this.state === "DataRead";
      return r;
    }
    r.bytes = this.#data.readInto(out);
    this.credit.onConsumed(r.bytes);
    if (this.state === "DataRecvd" && this.#data.readOffset === this.finalSize) {
      this.state = "DataRead";
      r.fin = true;
    }
    return r;
  }

  /**
   * The application will not read any more (it will send STOP_SENDING,
   * RFC 9000 §3.5): buffered data is released and later data discarded,
   * while credit keeps flowing so that the peer is not stalled before it
   * sees the STOP_SENDING.
   */
  stopSending(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.#discardUpTo(this.credit.received);
  }

  /**
   * Bytes consumed (read, or released by a reset or STOP_SENDING) since the
   * last call: the connection adds them to its own consumed count so that
   * MAX_DATA advances (RFC 9000 §4.1 counts a reset stream's final size).
   */
  takeConsumed(): number {
    const n = this.credit.consumed - this.#consumedReported;
    this.#consumedReported = this.credit.consumed;
    return n;
  }

  /** True when the stream is finished on this side (DataRead or ResetRead). */
  get isClosed(): boolean {
    return this.state === "DataRead" || this.state === "ResetRead";
  }

  #allReceived(): boolean {
    return this.finalSize !== undefined && this.#data.readOffset + this.#data.readable === this.finalSize;
  }

  #checkFinalSize(end: number, fin: boolean, frameType: number): void {
    const known = this.finalSize;
    if (known !== undefined) {
      if (end > known)
        throw new TransportError(TransportErrorCode.FINAL_SIZE_ERROR, `data to ${end} beyond final size ${known}`, frameType);
      if (fin && end !== known)
        throw new TransportError(TransportErrorCode.FINAL_SIZE_ERROR, `final size changed from ${known} to ${end}`, frameType);
    } else if (fin && end < this.credit.received) {
      throw new TransportError(
        TransportErrorCode.FINAL_SIZE_ERROR,
        `final size ${end} below data already received (${this.credit.received})`,
        frameType,
      );
    }
  }

  /** Skips (as consumed) everything received so far. */
  #discardUpTo(offset: number): void {
    const skipped = offset - this.#data.readOffset;
    if (skipped <= 0) return;
    this.#data.skipTo(offset);
    this.credit.onConsumed(skipped);
    if (this.state === "SizeKnown" && this.#allReceived()) this.state = "DataRecvd";
  }

  #release(): void {
    const end = this.finalSize ?? this.credit.received;
    const skipped = end - this.#data.readOffset;
    if (skipped > 0) this.credit.onConsumed(skipped);
    this.#data.clear();
  }
}
