/**
 * The interface between loss detection and a congestion controller
 * (RFC 9002 §7), so that NewReno, CUBIC or a test double can be swapped
 * without touching recovery.
 *
 * Loss detection owns the sent-packet records and calls the controller once
 * per packet event (sent, acknowledged, lost, discarded) and once per
 * congestion signal; the controller owns `bytesInFlight` and the window. The
 * calls are per packet rather than per batch so that no array is built on the
 * hot path. The connection reads `window` and `bytesInFlight` to decide
 * whether it may send (probe packets bypass that check, RFC 9002 §7.5) and
 * sets `appLimited` when it had less to send than the window allowed
 * (§7.8: the window must not grow on acknowledgments of an underused window).
 *
 * @example
 * ```ts
 * import { type CongestionController, NewReno } from "@zsync/quic/proto";
 * declare const size: number;
 * declare function sendPacket(): void;
 * const cc: CongestionController = new NewReno({ maxDatagramSize: 1200 });
 * if (cc.bytesInFlight + size <= cc.window) sendPacket();
 * ```
 * @module
 */

/** What a controller needs to know about one packet (a subset of the loss-detection record). */
export interface CongestionPacket {
  /** Bytes of the packet, QUIC header and AEAD tag included, UDP/IP excluded. */
  readonly sentBytes: number;
  /** Send time in ms. */
  readonly timeSent: number;
  /** Counted in bytes in flight: the packet carried something other than ACK (and CONNECTION_CLOSE). */
  readonly inFlight: boolean;
}

/** The RTT figures a controller may use (CUBIC and pacing need them; NewReno does not). */
export interface CongestionRtt {
  readonly smoothedRtt: number;
  readonly minRtt: number;
  readonly latestRtt: number;
}

/**
 * A congestion controller, RFC 9002 §7 and Appendix B. All times are ms, all
 * sizes bytes.
 */
export interface CongestionController {
  /** The congestion window: the most bytes that may be in flight. */
  readonly window: number;
  /** Bytes of in-flight packets neither acknowledged, declared lost nor discarded. */
  readonly bytesInFlight: number;
  /** Slow-start threshold (`Infinity` until the first congestion event). */
  readonly ssthresh: number;
  /** Smallest window the controller ever falls to (kMinimumWindow). */
  readonly minimumWindow: number;
  /**
   * Set by the sender when it is application- or flow-control-limited; the
   * window does not grow while true (RFC 9002 §7.8, Appendix B.5).
   */
  appLimited: boolean;
  /** An in-flight packet was sent (Appendix B.4). Called only for in-flight packets. */
  onPacketSent(sentBytes: number, now: number): void;
  /** A packet was newly acknowledged (Appendix B.5). */
  onPacketAcked(packet: CongestionPacket, now: number, rtt: CongestionRtt): void;
  /** A packet was declared lost: removes it from bytes in flight (first loop of Appendix B.8). */
  onPacketLost(packet: CongestionPacket): void;
  /**
   * Loss (or an ECN-CE increase) of a packet sent at `sentTime`: enter
   * recovery unless already in it (Appendix B.6).
   */
  onCongestionEvent(sentTime: number, now: number): void;
  /** Persistent congestion was established (RFC 9002 §7.6.2): collapse to the minimum window. */
  onPersistentCongestion(now: number): void;
  /** A packet's space was discarded: remove it from flight without any signal (Appendix B.9). */
  onPacketDiscarded(packet: CongestionPacket): void;
  /** The path's maximum datagram size changed (RFC 9002 §7.2). */
  setMaxDatagramSize(maxDatagramSize: number): void;
}

/** kLossReductionFactor, RFC 9002 §7.3.2. */
export const K_LOSS_REDUCTION_FACTOR = 0.5;

/** kPersistentCongestionThreshold, RFC 9002 §7.6.1. */
export const K_PERSISTENT_CONGESTION_THRESHOLD = 3;

/** The smallest maximum datagram size QUIC allows (RFC 9000 §14). */
export const MIN_MAX_DATAGRAM_SIZE = 1200;

/** kInitialWindow, RFC 9002 §7.2: `min(10 * mds, max(14720, 2 * mds))`. */
export function initialWindow(maxDatagramSize: number): number {
  return Math.min(10 * maxDatagramSize, Math.max(14720, 2 * maxDatagramSize));
}

/** kMinimumWindow, RFC 9002 §7.2: `2 * mds`. */
export function minimumWindow(maxDatagramSize: number): number {
  return 2 * maxDatagramSize;
}

/** Validates a maximum datagram size argument (an integer >= 1200). */
export function checkMaxDatagramSize(maxDatagramSize: number): void {
  if (!Number.isSafeInteger(maxDatagramSize) || maxDatagramSize < MIN_MAX_DATAGRAM_SIZE) {
    throw new RangeError(`maxDatagramSize must be an integer >= ${MIN_MAX_DATAGRAM_SIZE}, got ${maxDatagramSize}`);
  }
}
