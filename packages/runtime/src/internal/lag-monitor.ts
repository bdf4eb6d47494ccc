/**
 * Samples event-loop lag: a timer asks to fire every `intervalMs` and
 * records how late it fired. The timer is unref'd so it never keeps a Node
 * process alive.
 * @internal
 */
import { clearTimer, setTimer, type Timer } from "../time/timer.js";
import { now, unrefTimer } from "./clock.js";

export interface LagSummary {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly samples: number;
}

const CAPACITY = 1024;

export class LagMonitor {
  readonly #samples = new Float64Array(CAPACITY);
  #count = 0;
  #timer: Timer | undefined;
  #running = false;

  constructor(readonly intervalMs: number) {}

  start(): void {
    if (this.#running || this.intervalMs <= 0) return;
    this.#running = true;
    let expected = now() + this.intervalMs;
    const tick = (): void => {
      if (!this.#running) return;
      const t = now();
      this.#samples[this.#count++ % CAPACITY] = Math.max(0, t - expected);
      expected = t + this.intervalMs;
      this.#timer = setTimer(tick, this.intervalMs);
      unrefTimer(this.#timer);
    };
    this.#timer = setTimer(tick, this.intervalMs);
    unrefTimer(this.#timer);
  }

  stop(): void {
    this.#running = false;
    clearTimer(this.#timer);
    this.#timer = undefined;
  }

  summary(): LagSummary {
    const n = Math.min(this.#count, CAPACITY);
    if (n === 0) return { p50: 0, p99: 0, max: 0, samples: 0 };
    const sorted = Array.from(this.#samples.subarray(0, n)).sort((a, b) => a - b);
    const at = (p: number): number => sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))] as number;
    return { p50: at(0.5), p99: at(0.99), max: sorted[n - 1] as number, samples: this.#count };
  }
}
