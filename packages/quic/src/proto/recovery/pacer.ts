/**
 * Pacing, RFC 9002 §7.7: spread a congestion window's packets over a round
 * trip instead of sending them in one burst, which would overflow shallow
 * router buffers and cause the very losses congestion control reacts to.
 *
 * A token bucket refills at `N * cwnd / smoothed_rtt` with N = 1.25 (the
 * RFC's example, so that the window is not underused when the estimate is
 * noisy). Its depth is the bytes the rate allows in `burstInterval` (2 ms),
 * clamped to [minBurst, maxBurst] datagrams (10 and 256): a sans-I/O core
 * cannot ask its driver for sub-millisecond timers, so it must allow a
 * burst per timer tick to reach high rates, while bounding that burst as
 * quinn does. The pacer never blocks a packet for the window: it only says
 * when the next one may go.
 *
 * @example
 * ```ts
 * import { type CongestionController, Pacer, type RttEstimator } from "@zsync/quic/proto";
 * declare const now: number;
 * declare const cc: CongestionController;
 * declare const rtt: RttEstimator;
 * declare function send(): void;
 * declare function armTimer(at: number): void;
 * const pacer = new Pacer();
 * const at = pacer.delay(now, 1200, cc.window, rtt.smoothedRtt, 1200);
 * if (at === undefined) { send(); pacer.onSent(1200); } else armTimer(at);
 * ```
 * @module
 */

/** N of RFC 9002 §7.7. */
export const PACING_GAIN = 1.25;

/** Options of {@link Pacer}. */
export interface PacerOptions {
  /** Time whose worth of the pacing rate may leave in one burst, in ms (default 2). */
  readonly burstInterval?: number;
  /** Smallest bucket depth in datagrams (default 10, the initial window). */
  readonly minBurst?: number;
  /** Largest bucket depth in datagrams (default 256). */
  readonly maxBurst?: number;
}

/** A token-bucket pacer; see the module comment. */
export class Pacer {
  readonly #burstInterval: number;
  readonly #minBurst: number;
  readonly #maxBurst: number;
  #tokens: number | undefined;
  #last = 0;

  constructor(options: PacerOptions = {}) {
    this.#burstInterval = options.burstInterval ?? 2;
    this.#minBurst = options.minBurst ?? 10;
    this.#maxBurst = options.maxBurst ?? 256;
    if (!(this.#burstInterval > 0) || !(this.#minBurst >= 1) || !(this.#maxBurst >= this.#minBurst)) {
      throw new RangeError("Pacer: burstInterval > 0 and 1 <= minBurst <= maxBurst are required");
    }
  }

  /** Bytes per ms the window allows: `N * cwnd / smoothed_rtt` (Infinity with no RTT). */
  static rate(window: number, smoothedRtt: number): number {
    return smoothedRtt > 0 ? (PACING_GAIN * window) / smoothedRtt : Number.POSITIVE_INFINITY;
  }

  /** Depth of the bucket in bytes for this window, RTT and datagram size. */
  capacity(window: number, smoothedRtt: number, maxDatagramSize: number): number {
    const burst = Pacer.rate(window, smoothedRtt) * this.#burstInterval;
    return Math.min(Math.max(burst, this.#minBurst * maxDatagramSize), this.#maxBurst * maxDatagramSize);
  }

  /**
   * When a packet of `bytes` may be sent: undefined for now, else the time
   * in ms at which the bucket will hold enough tokens.
   */
  delay(now: number, bytes: number, window: number, smoothedRtt: number, maxDatagramSize: number): number | undefined {
    const capacity = this.capacity(window, smoothedRtt, maxDatagramSize);
    const rate = Pacer.rate(window, smoothedRtt);
    if (this.#tokens === undefined) {
      this.#tokens = capacity;
    } else if (now > this.#last) {
      this.#tokens = Math.min(capacity, this.#tokens + (now - this.#last) * rate);
    } else {
      this.#tokens = Math.min(capacity, this.#tokens);
    }
    this.#last = Math.max(this.#last, now);
    const need = Math.min(bytes, capacity);
    if (this.#tokens >= need) return undefined;
    return now + (need - this.#tokens) / rate;
  }

  /** A packet of `bytes` left: take its tokens (the bucket may go negative for probes). */
  onSent(bytes: number): void {
    if (this.#tokens !== undefined) this.#tokens -= bytes;
  }
}
