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
import {
  type CongestionController,
  type CongestionPacket,
  type CongestionRtt,
  checkMaxDatagramSize,
  initialWindow,
  K_LOSS_REDUCTION_FACTOR,
  MIN_MAX_DATAGRAM_SIZE,
  minimumWindow,
} from "./controller.js";

/** Options of {@link NewReno}. */
export interface NewRenoOptions {
  /** The path's maximum datagram size (default and minimum 1200, RFC 9000 §14). */
  readonly maxDatagramSize?: number;
}

/** The RFC 9002 NewReno controller; see the module comment. */
export class NewReno implements CongestionController {
  window: number;
  bytesInFlight = 0;
  ssthresh = Number.POSITIVE_INFINITY;
  appLimited = false;
  #mds: number;
  /** `congestion_recovery_start_time`; `-Infinity` when no recovery happened yet (the RFC's 0). */
  #recoveryStart = Number.NEGATIVE_INFINITY;
  /** Bytes acknowledged in congestion avoidance since the window last grew (RFC 3465). */
  #bytesAcked = 0;

  constructor(options: NewRenoOptions = {}) {
    const mds = options.maxDatagramSize ?? MIN_MAX_DATAGRAM_SIZE;
    checkMaxDatagramSize(mds);
    this.#mds = mds;
    this.window = initialWindow(mds);
  }

  get minimumWindow(): number {
    return minimumWindow(this.#mds);
  }

  /** The maximum datagram size the window is counted in. */
  get maxDatagramSize(): number {
    return this.#mds;
  }

  /** True while packets sent at or before the recovery start are being acknowledged (Appendix B.5). */
  inRecovery(sentTime: number): boolean {
    return sentTime <= this.#recoveryStart;
  }

  onPacketSent(sentBytes: number, _now: number): void {
    this.bytesInFlight += sentBytes;
  }

  onPacketAcked(packet: CongestionPacket, _now: number, _rtt: CongestionRtt): void {
    if (!packet.inFlight) return;
    this.bytesInFlight = Math.max(0, this.bytesInFlight - packet.sentBytes);
    if (this.appLimited) return;
    if (this.inRecovery(packet.timeSent)) return;
    if (this.window < this.ssthresh) {
      this.window += packet.sentBytes;
      return;
    }
    this.#bytesAcked += packet.sentBytes;
    if (this.#bytesAcked >= this.window) {
      this.#bytesAcked -= this.window;
      this.window += this.#mds;
    }
  }

  onPacketLost(packet: CongestionPacket): void {
    if (packet.inFlight) this.bytesInFlight = Math.max(0, this.bytesInFlight - packet.sentBytes);
  }

  onCongestionEvent(sentTime: number, now: number): void {
    if (this.inRecovery(sentTime)) return;
    this.#recoveryStart = now;
    this.ssthresh = this.window * K_LOSS_REDUCTION_FACTOR;
    this.window = Math.max(this.ssthresh, this.minimumWindow);
    this.#bytesAcked = 0;
  }

  onPersistentCongestion(_now: number): void {
    this.window = this.minimumWindow;
    this.#recoveryStart = Number.NEGATIVE_INFINITY;
    this.#bytesAcked = 0;
  }

  onPacketDiscarded(packet: CongestionPacket): void {
    if (packet.inFlight) this.bytesInFlight = Math.max(0, this.bytesInFlight - packet.sentBytes);
  }

  /**
   * RFC 9002 §7.2: a window still at its initial value is recomputed with
   * the new size, and a shrinking size resets the window to the new initial
   * window. The window never falls below the new minimum.
   */
  setMaxDatagramSize(maxDatagramSize: number): void {
    checkMaxDatagramSize(maxDatagramSize);
    const atInitial = this.window === initialWindow(this.#mds);
    const shrank = maxDatagramSize < this.#mds;
    this.#mds = maxDatagramSize;
    if (shrank || atInitial) this.window = initialWindow(maxDatagramSize);
    this.window = Math.max(this.window, this.minimumWindow);
  }
}
