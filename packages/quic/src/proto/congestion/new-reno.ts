/**
 * NewReno congestion control exactly as RFC 9002 §7 and Appendix B describe
 * it: slow start from kInitialWindow, a recovery period that starts at the
 * congestion event and ends when a packet sent after that moment is
 * acknowledged, halving (kLossReductionFactor) on entry, congestion
 * avoidance, and collapse to kMinimumWindow on persistent congestion.
 *
 * Congestion avoidance uses byte counting (RFC 3465 §2.1, which Appendix B.5
 * suggests for integer windows): acknowledged bytes accumulate and the window
 * grows by one max_datagram_size each time a full window has been
 * acknowledged. That is the per-ack `mds * sent_bytes / cwnd` of Appendix B.5
 * summed over a window, without fractional bytes.
 *
 * @example
 * ```ts
 * import { NewReno } from "@zsync/quic/proto";
 * const cc = new NewReno({ maxDatagramSize: 1200 });
 * cc.window; // 12000: min(10 * 1200, max(14720, 2400))
 * ```
 * @module
 */
import { type CongestionRtt, K_LOSS_REDUCTION_FACTOR } from "./controller.js";
import { WindowController } from "./window-controller.js";

/** Options of {@link NewReno}. */
export interface NewRenoOptions {
  /** The path's maximum datagram size (default and minimum 1200, RFC 9000 §14). */
  readonly maxDatagramSize?: number;
}

/** The RFC 9002 NewReno controller; see the module comment. */
export class NewReno extends WindowController {
  /** Bytes acknowledged in congestion avoidance since the window last grew (RFC 3465). */
  #bytesAcked = 0;

  constructor(options: NewRenoOptions = {}) {
    super(options.maxDatagramSize);
  }

  protected override congestionAvoidance(ackedBytes: number, _now: number, _rtt: CongestionRtt): void {
    this.#bytesAcked += ackedBytes;
    if (this.#bytesAcked >= this.window) {
      this.#bytesAcked -= this.window;
      this.window += this.maxDatagramSize;
    }
  }

  protected override reduceWindow(): void {
    this.ssthresh = this.window * K_LOSS_REDUCTION_FACTOR;
    this.window = Math.max(this.ssthresh, this.minimumWindow);
    this.#bytesAcked = 0;
  }

  protected override restartAfterCollapse(): void {
    this.#bytesAcked = 0;
  }
}
