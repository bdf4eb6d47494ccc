/**
 * A fixed-size window of the most recent samples, for p50/p99 in pool stats
 * without unbounded memory.
 * @internal
 * @module
 */
export class SampleWindow {
  readonly #values: Float64Array;
  #count = 0;

  constructor(capacity = 2048) {
    this.#values = new Float64Array(capacity);
  }

  add(value: number): void {
    this.#values[this.#count++ % this.#values.length] = value;
  }

  /** Nearest-rank percentile (0..100) of the window; 0 when empty. */
  percentile(p: number): number {
    const n = Math.min(this.#count, this.#values.length);
    if (n === 0) return 0;
    const sorted = this.#values.slice(0, n).sort();
    const rank = Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1));
    return sorted[rank] as number;
  }
}
