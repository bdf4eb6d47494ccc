/**
 * Flow-control credit, RFC 9000 §4: one {@link ReceiveCredit} per receiving
 * stream and one for the connection (what we allow the peer to send), one
 * {@link SendCredit} per sending stream and one for the connection (what
 * the peer allows us).
 *
 * The receive side auto-tunes its window as quinn and Chromium do: when the
 * application consumes a window's worth of credit within two round trips of
 * the previous update, the window (not just the limit) doubles, up to a
 * maximum. A fast reader on a long path thus reaches the bandwidth-delay
 * product without starting every stream at the maximum memory.
 *
 * @example
 * ```ts
 * import { ReceiveCredit } from "@zsync/quic/proto";
 * declare const end: number, n: number, now: number, srtt: number;
 * declare function send(frame: unknown): void;
 * declare function MAX_STREAM_DATA(limit: number): unknown;
 * const rx = new ReceiveCredit({ initialWindow: 65536, maxWindow: 16 << 20 });
 * rx.onReceived(end);               // throws FLOW_CONTROL_ERROR past the limit
 * rx.onConsumed(n);                 // the application read n bytes
 * if (rx.shouldUpdate()) send(MAX_STREAM_DATA(rx.takeUpdate(now, srtt)));
 * ```
 * @module
 */
import { TransportError, TransportErrorCode } from "../errors.js";
import { MAX_VARINT } from "../wire/varint.js";

/** Options of {@link ReceiveCredit}. */
export interface ReceiveCreditOptions {
  /** Credit advertised at first (initial_max_data / initial_max_stream_data_*). */
  readonly initialWindow: number;
  /** Ceiling of auto-tuning (defaults to `initialWindow`: no tuning). */
  readonly maxWindow?: number;
  /** Frame type reported with FLOW_CONTROL_ERROR (e.g. 0x08 STREAM, 0x04 RESET_STREAM). */
  readonly frameType?: number;
}

/** What we allow the peer to send; see the module comment. */
export class ReceiveCredit {
  /** The limit last advertised (absolute offset or byte total). */
  limit: number;
  /** Highest offset (stream) or total of highest offsets (connection) the peer reached. */
  received = 0;
  /** Bytes the application consumed (read, or discarded). */
  consumed = 0;
  #window: number;
  readonly #maxWindow: number;
  readonly #frameType: number | undefined;
  #lastUpdate: number | undefined;

  constructor(options: ReceiveCreditOptions) {
    const { initialWindow } = options;
    if (!Number.isSafeInteger(initialWindow) || initialWindow < 0)
      throw new RangeError(`initialWindow must be a non-negative integer, got ${initialWindow}`);
    const max = options.maxWindow ?? initialWindow;
    if (!Number.isSafeInteger(max) || max < initialWindow)
      throw new RangeError(`maxWindow must be an integer >= initialWindow, got ${max}`);
    this.limit = initialWindow;
    this.#window = initialWindow;
    this.#maxWindow = max;
    this.#frameType = options.frameType;
  }

  /** The current window (grows by auto-tuning). */
  get window(): number {
    return this.#window;
  }

  /**
   * The peer reached `end` (highest offset for a stream). Throws
   * FLOW_CONTROL_ERROR beyond the advertised limit (RFC 9000 §4.1).
   */
  onReceived(end: number, frameType = this.#frameType): void {
    if (end > this.limit) {
      throw new TransportError(TransportErrorCode.FLOW_CONTROL_ERROR, `peer sent up to ${end}, limit ${this.limit}`, frameType);
    }
    if (end > this.received) this.received = end;
  }

  /** Adds `delta` newly received bytes (the connection-level sum of stream highest offsets). */
  onReceivedDelta(delta: number, frameType = this.#frameType): void {
    this.onReceived(this.received + delta, frameType);
  }

  /** The application consumed `n` more bytes. */
  onConsumed(n: number): void {
    this.consumed += n;
  }

  /**
   * True when a MAX_DATA / MAX_STREAM_DATA should go out: less than half a
   * window of credit remains (RFC 9000 §4.2 leaves the policy open; half a
   * window keeps the sender busy for a round trip).
   */
  shouldUpdate(): boolean {
    return this.limit < MAX_VARINT && this.limit - this.consumed < this.#window / 2;
  }

  /**
   * Computes the new limit (`consumed + window`, after auto-tuning), records
   * it as advertised and returns it. `srtt` in ms; `now` in ms.
   */
  takeUpdate(now: number, srtt: number): number {
    if (this.#lastUpdate !== undefined && now - this.#lastUpdate < 2 * srtt && this.#window < this.#maxWindow) {
      this.#window = Math.min(this.#window * 2, this.#maxWindow);
    }
    this.#lastUpdate = now;
    const next = Math.min(this.consumed + this.#window, MAX_VARINT);
    if (next > this.limit) this.limit = next;
    return this.limit;
  }
}

/** What the peer allows us to send; see the module comment. */
export class SendCredit {
  /** The peer's limit (absolute offset or byte total). */
  limit: number;
  /** Highest offset (stream) or bytes of new data (connection) sent. */
  used = 0;
  #blockedSentAt = -1;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Credit left. */
  get available(): number {
    return Math.max(0, this.limit - this.used);
  }

  /**
   * MAX_DATA / MAX_STREAM_DATA from the peer; lower values are ignored
   * (RFC 9000 §4.1). Returns true when the limit rose.
   */
  onMaxData(limit: number): boolean {
    if (limit <= this.limit) return false;
    this.limit = limit;
    return true;
  }

  /** Charges `n` bytes of new data. */
  consume(n: number): void {
    if (n > this.available) throw new RangeError(`cannot use ${n} bytes of credit, ${this.available} available`);
    this.used += n;
  }

  /**
   * True when we are blocked at the current limit and have not yet said so:
   * send DATA_BLOCKED / STREAM_DATA_BLOCKED with `limit` (RFC 9000 §4.1,
   * §19.12), then call {@link onBlockedSent}.
   */
  shouldSendBlocked(): boolean {
    return this.used >= this.limit && this.#blockedSentAt !== this.limit;
  }

  /** A *_BLOCKED frame for the current limit was sent. */
  onBlockedSent(): void {
    this.#blockedSentAt = this.limit;
  }

  /** A *_BLOCKED frame was lost: it may be sent again if still blocked. */
  onBlockedLost(limit: number): void {
    if (limit === this.#blockedSentAt) this.#blockedSentAt = -1;
  }
}
