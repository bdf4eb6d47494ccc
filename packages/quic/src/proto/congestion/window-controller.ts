/**
 * The RFC 9002 §7 framework both NewReno and CUBIC run inside: bytes in
 * flight, the recovery period (Appendix B.5, B.6), slow start, no growth
 * while application-limited (§7.8), collapse to kMinimumWindow on
 * persistent congestion (§7.6.2) and the window's response to a new
 * maximum datagram size (§7.2). A subclass supplies only what differs:
 * congestion avoidance and the reduction on entering recovery.
 *
 * @module
 */
import {
  type CongestionController,
  type CongestionPacket,
  type CongestionRtt,
  checkMaxDatagramSize,
  initialWindow,
  MIN_MAX_DATAGRAM_SIZE,
  minimumWindow,
} from "./controller.js";

/** A {@link CongestionController} whose window grows by slow start, then by the subclass's congestion avoidance. */
export abstract class WindowController implements CongestionController {
  window: number;
  bytesInFlight = 0;
  ssthresh = Number.POSITIVE_INFINITY;
  appLimited = false;
  #mds: number;
  /** `congestion_recovery_start_time`; `-Infinity` when no recovery happened yet (the RFC's 0). */
  #recoveryStart = Number.NEGATIVE_INFINITY;
  /** When acknowledgments started arriving while application-limited. */
  #appLimitedSince: number | undefined;

  protected constructor(maxDatagramSize: number = MIN_MAX_DATAGRAM_SIZE) {
    checkMaxDatagramSize(maxDatagramSize);
    this.#mds = maxDatagramSize;
    this.window = initialWindow(maxDatagramSize);
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

  onPacketAcked(packet: CongestionPacket, now: number, rtt: CongestionRtt): void {
    if (!packet.inFlight) return;
    this.bytesInFlight = Math.max(0, this.bytesInFlight - packet.sentBytes);
    if (this.appLimited) {
      if (this.#appLimitedSince === undefined) this.#appLimitedSince = now;
      return;
    }
    if (this.#appLimitedSince !== undefined) {
      this.appLimitedPeriodEnded(Math.max(0, now - this.#appLimitedSince));
      this.#appLimitedSince = undefined;
    }
    if (this.inRecovery(packet.timeSent)) return;
    if (this.window < this.ssthresh) {
      this.window += packet.sentBytes;
      return;
    }
    this.congestionAvoidance(packet.sentBytes, now, rtt);
  }

  onPacketLost(packet: CongestionPacket): void {
    if (packet.inFlight) this.bytesInFlight = Math.max(0, this.bytesInFlight - packet.sentBytes);
  }

  onCongestionEvent(sentTime: number, now: number): void {
    if (this.inRecovery(sentTime)) return;
    this.#recoveryStart = now;
    this.reduceWindow();
  }

  onPersistentCongestion(_now: number): void {
    this.window = this.minimumWindow;
    this.#recoveryStart = Number.NEGATIVE_INFINITY;
    this.restartAfterCollapse();
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

  /** An acknowledgment outside recovery, with the window at or above ssthresh, of `ackedBytes`. */
  protected abstract congestionAvoidance(ackedBytes: number, now: number, rtt: CongestionRtt): void;

  /** Entering recovery (Appendix B.6): set ssthresh and the reduced window. */
  protected abstract reduceWindow(): void;

  /** After persistent congestion put the window at its minimum: forget the growth state. */
  protected abstract restartAfterCollapse(): void;

  /** The first acknowledgment after an application-limited period of `duration` ms; nothing by default. */
  protected appLimitedPeriodEnded(_duration: number): void {}
}
