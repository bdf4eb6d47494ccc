/**
 * `WaitGroup`: waits for a counted set of activities to finish, as Go's
 * `sync.WaitGroup`. `add(n)` before starting n activities, `done()` as each
 * finishes, `wait()` resolves when the counter is zero.
 *
 * The counter may never go negative: an `add`/`done` that would make it so
 * throws `RangeError` and leaves it unchanged (in Go it panics), because it
 * means some activity was counted out twice.
 *
 * @example
 * ```ts
 * import { WaitGroup } from "@zsync/runtime";
 * const wg = new WaitGroup();
 * const finished: number[] = [];
 * for (const ms of [30, 10, 20]) {
 *   wg.add();
 *   setTimeout(() => { finished.push(ms); wg.done(); }, ms);
 * }
 * await wg.wait();
 * console.log(finished); // [10, 20, 30]
 * ```
 * @module
 */
import { cancelledAlready } from "../internal/cancel.js";
import type { WaitOptions } from "../time/sleep.js";
import { ambientToken, WaitQueue } from "../wait/wait-queue.js";
import { checkCount } from "./check-count.js";

/**
 * A counter of outstanding activities that can be awaited down to zero.
 *
 * @example
 * ```ts
 * import { WaitGroup } from "@zsync/runtime";
 * const wg = new WaitGroup();
 * wg.add(2);
 * setTimeout(() => wg.done(), 10);
 * setTimeout(() => wg.done(), 20);
 * await wg.wait(); // after about 20 ms
 * ```
 */
export class WaitGroup {
  #count = 0;
  readonly #queue = new WaitQueue<void>();

  /** The number of outstanding activities. */
  get count(): number {
    return this.#count;
  }

  /** How many `wait()` calls are pending. */
  get waiting(): number {
    return this.#queue.size;
  }

  /**
   * Adds `delta` (default 1; may be negative) to the counter. Reaching zero
   * wakes every waiter.
   *
   * @throws {TypeError} if `delta` is not a number.
   * @throws {RangeError} if `delta` is not an integer or the counter would go
   *   negative or past `Number.MAX_SAFE_INTEGER`; the counter is unchanged.
   */
  add(delta = 1): void {
    if (typeof delta !== "number") throw new TypeError(`delta must be a number, got ${typeof delta}`);
    if (!Number.isSafeInteger(delta)) throw new RangeError(`delta must be an integer, got ${delta}`);
    const next = this.#count + delta;
    if (next < 0) throw new RangeError(`WaitGroup counter would go negative (${this.#count} + ${delta})`);
    checkCount("WaitGroup counter", next, 0);
    this.#count = next;
    if (next === 0) this.#queue.grantAll(() => undefined);
  }

  /**
   * Marks one activity finished (`add(-1)`).
   * @throws {RangeError} if the counter is already zero.
   */
  done(): void {
    this.add(-1);
  }

  /**
   * Resolves when the counter is zero: at once if it already is.
   *
   * Rejects with `CancelledError` (and stops waiting) when `options.signal`
   * aborts or the ambient task is cancelled, including when either already
   * is at the call. Cancelling a wait does not touch the counter.
   */
  wait(options?: WaitOptions): Promise<void> {
    const signal = options?.signal;
    const token = ambientToken();
    const cancelled = cancelledAlready(signal, token);
    if (cancelled !== undefined) return Promise.reject(cancelled);
    if (this.#count === 0) return Promise.resolve();
    return this.#queue.park(0, signal, token);
  }
}
