/**
 * Round-trip time estimation, RFC 9002 §5.
 *
 * Loss detection (time threshold, §6.1.2), the probe timeout (§6.2) and
 * persistent congestion (§7.6) all derive from three figures kept here:
 * `minRtt` (the lowest raw sample, never adjusted for ack delay, so a peer
 * cannot talk it down), `smoothedRtt` (an EWMA of ack-delay-adjusted samples)
 * and `rttvar` (their mean deviation). The estimator holds no clock: the
 * caller passes the sample it measured (`ack_time - send_time`).
 *
 * @example
 * ```ts
 * import { RttEstimator } from "@zsync/quic/proto";
 * const rtt = new RttEstimator(); // kInitialRtt = 333 ms
 * rtt.update(40, 5, { handshakeConfirmed: true, maxAckDelay: 25 });
 * rtt.smoothedRtt; // 40 (the first sample resets the estimator)
 * rtt.ptoBase(); // 40 + max(4 * 20, 1) = 120
 * ```
 * @module
 */

/** kGranularity, RFC 9002 §6.1.2: the timer granularity assumed for the local clock, in ms. */
export const K_GRANULARITY = 1;

/** kInitialRtt, RFC 9002 §6.2.2: the RTT assumed before the first sample, in ms. */
export const K_INITIAL_RTT = 333;

/** How a sample's acknowledgment delay is to be treated (RFC 9002 §5.3). */
export interface AckDelayContext {
  /** Handshake confirmed (RFC 9001 §4.1.2): from then on the delay is capped by `maxAckDelay`. */
  readonly handshakeConfirmed: boolean;
  /** The peer's max_ack_delay transport parameter, in ms. */
  readonly maxAckDelay: number;
}

/** RTT state of one path, RFC 9002 §5. All figures in milliseconds. */
export class RttEstimator {
  /** The most recent raw sample (`latest_rtt`). */
  latestRtt = 0;
  /** Lowest raw sample seen (`min_rtt`); 0 until the first sample. */
  minRtt = 0;
  /** Ack-delay-adjusted EWMA (`smoothed_rtt`). */
  smoothedRtt: number;
  /** Mean deviation of samples (`rttvar`). */
  rttvar: number;
  /** True once one sample has been taken (the estimator then holds no initial-RTT history). */
  hasSample = false;
  readonly #initialRtt: number;

  /** @param initialRtt kInitialRtt in ms (RFC 9002 §6.2.2 recommends 333; a resumed connection MAY use a remembered value). */
  constructor(initialRtt = K_INITIAL_RTT) {
    if (!(initialRtt > 0) || !Number.isFinite(initialRtt))
      throw new RangeError(`initialRtt must be a positive number of ms, got ${initialRtt}`);
    this.#initialRtt = initialRtt;
    this.smoothedRtt = initialRtt;
    this.rttvar = initialRtt / 2;
  }

  /**
   * Takes one RTT sample (RFC 9002 §5.3).
   *
   * @param latestRtt `ack_time - send_time_of_largest_acked`, in ms.
   * @param ackDelay the peer-reported ACK Delay decoded to ms (pass 0 to ignore it, as §5.3 allows for Initial packets).
   */
  update(latestRtt: number, ackDelay: number, context: AckDelayContext): void {
    const sample = Math.max(0, latestRtt);
    this.latestRtt = sample;
    if (!this.hasSample) {
      // §5.3: the first sample resets the estimator.
      this.hasSample = true;
      this.minRtt = sample;
      this.smoothedRtt = sample;
      this.rttvar = sample / 2;
      return;
    }
    this.minRtt = Math.min(this.minRtt, sample);
    let delay = Math.max(0, ackDelay);
    if (context.handshakeConfirmed) delay = Math.min(delay, context.maxAckDelay);
    // Never subtract the delay below min_rtt: limits what a misreporting peer can do.
    const adjusted = sample >= this.minRtt + delay ? sample - delay : sample;
    this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.smoothedRtt - adjusted);
    this.smoothedRtt = 0.875 * this.smoothedRtt + 0.125 * adjusted;
  }

  /**
   * The PTO period without max_ack_delay and backoff:
   * `smoothed_rtt + max(4 * rttvar, kGranularity)` (RFC 9002 §6.2.1).
   */
  ptoBase(): number {
    return this.smoothedRtt + Math.max(4 * this.rttvar, K_GRANULARITY);
  }

  /**
   * After persistent congestion the endpoint SHOULD set min_rtt to the newest
   * sample (RFC 9002 §5.2), so that a raised path RTT does not keep declaring
   * persistent congestion.
   */
  onPersistentCongestion(): void {
    if (this.hasSample) this.minRtt = this.latestRtt;
  }

  /** Forgets every sample (a new path, RFC 9000 §9.4): back to the initial RTT. */
  reset(): void {
    this.hasSample = false;
    this.latestRtt = 0;
    this.minRtt = 0;
    this.smoothedRtt = this.#initialRtt;
    this.rttvar = this.#initialRtt / 2;
  }
}
