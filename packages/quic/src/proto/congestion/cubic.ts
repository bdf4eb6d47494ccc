/**
 * CUBIC congestion control, RFC 9438, inside the QUIC recovery framework of
 * RFC 9002 (recovery periods, minimum window, persistent congestion).
 *
 * Windows are kept in bytes; the cubic function works in segments of
 * max_datagram_size and seconds, as RFC 9438 §4.1 defines it, and is
 * converted at the edges. Implemented: the window increase function and
 * its target clamp [cwnd, 1.5 cwnd] (§4.2), the Reno-friendly estimate
 * W_est with alpha switching to 1 once W_est reaches prior_cwnd (§4.3),
 * concave and convex regions (§4.4, §4.5), multiplicative decrease by
 * beta = 0.7 computed from cwnd (§4.6), fast convergence (§4.7, on by
 * default; a lone flow may disable it), the post-timeout stage with K = 0
 * (§4.8, after persistent congestion), Reno slow start (§4.10 allows it
 * where HyStart++ is not used), and no growth while application-limited,
 * with the limited period excluded from the cubic clock (§5.8).
 *
 * @example
 * ```ts
 * import { Cubic, LossDetection } from "@zsync/quic/proto";
 * const cc = new Cubic({ maxDatagramSize: 1200 });
 * const ld = new LossDetection(cc, { isServer: false });
 * ```
 * @module
 */
import type { CongestionRtt } from "./controller.js";
import { WindowController } from "./window-controller.js";

/** C, RFC 9438 §5: segments / second^3. */
export const CUBIC_C = 0.4;
/** beta_cubic, RFC 9438 §4.6. */
export const CUBIC_BETA = 0.7;
/** alpha_cubic = 3 (1 - beta) / (1 + beta), RFC 9438 §4.3. */
export const CUBIC_ALPHA = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);

/** Options of {@link Cubic}. */
export interface CubicOptions {
  /** The path's maximum datagram size (default 1200). */
  readonly maxDatagramSize?: number;
  /** Fast convergence (RFC 9438 §4.7), default true. */
  readonly fastConvergence?: boolean;
}

/** The RFC 9438 controller; see the module comment. */
export class Cubic extends WindowController {
  readonly #fastConvergence: boolean;
  /** W_max in bytes; undefined before the first congestion event or after a timeout. */
  #wMax: number | undefined;
  /** K in seconds. */
  #k = 0;
  /** epoch_start in ms; undefined until the current congestion avoidance stage sees its first ACK. */
  #epochStart: number | undefined;
  /** W_est in bytes. */
  #wEst = 0;
  #priorCwnd = 0;
  #alpha = CUBIC_ALPHA;

  constructor(options: CubicOptions = {}) {
    super(options.maxDatagramSize);
    this.#fastConvergence = options.fastConvergence ?? true;
  }

  /** W_max in bytes (for tests and stats); undefined when no congestion event set it. */
  get wMax(): number | undefined {
    return this.#wMax;
  }

  /** K in seconds, the time the cubic function takes to return to W_max. */
  get k(): number {
    return this.#k;
  }

  protected override appLimitedPeriodEnded(duration: number): void {
    // §5.8: t must not include application-limited periods.
    if (this.#epochStart !== undefined) this.#epochStart += duration;
  }

  protected override reduceWindow(): void {
    const cwnd = this.window;
    this.#wMax = this.#fastConvergence && this.#wMax !== undefined && cwnd < this.#wMax ? (cwnd * (1 + CUBIC_BETA)) / 2 : cwnd;
    this.#priorCwnd = cwnd;
    this.ssthresh = Math.max(cwnd * CUBIC_BETA, this.minimumWindow);
    this.window = this.ssthresh;
    this.#epochStart = undefined;
  }

  protected override restartAfterCollapse(): void {
    // §4.8: like a timeout: the next stage starts with K = 0 and W_max = cwnd at its start.
    this.#wMax = undefined;
    this.#epochStart = undefined;
  }

  /** W_cubic(t) in bytes, t in seconds (RFC 9438 eq. 1). */
  #wCubic(t: number): number {
    const d = t - this.#k;
    return CUBIC_C * d * d * d * this.maxDatagramSize + (this.#wMax as number);
  }

  protected override congestionAvoidance(ackedBytes: number, now: number, rtt: CongestionRtt): void {
    const mds = this.maxDatagramSize;
    if (this.#epochStart === undefined) {
      this.#epochStart = now;
      this.#wEst = this.window;
      if (this.#wMax === undefined || this.#wMax <= this.window) {
        // No loss yet (slow start ended by ssthresh) or after a timeout: K = 0, W_max = cwnd_start (§4.8, §4.10).
        if (this.#wMax === undefined) this.#priorCwnd = this.window;
        this.#wMax = this.window;
        this.#k = 0;
      } else {
        this.#k = Math.cbrt((this.#wMax - this.window) / mds / CUBIC_C);
      }
      this.#alpha = this.#wEst >= this.#priorCwnd ? 1 : CUBIC_ALPHA;
    }
    const t = (now - this.#epochStart) / 1000;
    // W_est in bytes: alpha * segments_acked / cwnd(segments), times mds (§4.3 eq. 4).
    this.#wEst += (this.#alpha * ackedBytes * mds) / this.window;
    if (this.#wEst >= this.#priorCwnd) this.#alpha = 1;
    const cubic = this.#wCubic(t);
    if (cubic < this.#wEst) {
      this.window = Math.max(this.window, this.#wEst); // Reno-friendly region
      return;
    }
    const target = Math.min(Math.max(this.#wCubic(t + rtt.smoothedRtt / 1000), this.window), 1.5 * this.window);
    this.window += ((target - this.window) / this.window) * ackedBytes;
  }
}
