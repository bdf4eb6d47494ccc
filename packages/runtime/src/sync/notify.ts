/**
 * `Notify`: wakes waiting tasks without carrying data, with Tokio's
 * semantics.
 *
 * - `notifyOne()` wakes the longest-waiting caller of `notified()`; if no one
 *   waits, it stores a single permit instead, so the next `notified()`
 *   returns at once. Permits do not accumulate: two calls store one.
 * - `notifyWaiters()` wakes everyone waiting at that moment and stores
 *   nothing.
 *
 * A waiter is registered when `notified()` is called, not when its promise is
 * awaited, so a `notifyWaiters()` between the call and the `await` is not
 * missed. The flip side: a `notified()` promise that is dropped unawaited
 * stays registered and can absorb a `notifyOne()`; give it a `signal` and
 * abort it instead of dropping it.
 *
 * @example
 * ```ts
 * import { Notify } from "@zsync/runtime";
 * const ready = new Notify();
 * const jobs: string[] = [];
 * async function nextJob(): Promise<string> {
 *   for (;;) {
 *     const job = jobs.shift();
 *     if (job !== undefined) return job;
 *     await ready.notified(); // a notifyOne() sent before this is stored, not lost
 *   }
 * }
 * jobs.push("compile");
 * ready.notifyOne();
 * console.log(await nextJob()); // "compile"
 * ```
 * @module
 */
import { cancelledAlready } from "../internal/cancel.js";
import type { WaitOptions } from "../time/sleep.js";
import { ambientToken, WaitQueue } from "../wait/wait-queue.js";

/**
 * A wake-up primitive for tasks.
 *
 * @example
 * ```ts
 * import { Notify } from "@zsync/runtime";
 * const n = new Notify();
 * n.notifyOne();       // nobody waits: a permit is stored
 * await n.notified();  // consumes it and returns at once
 * ```
 */
export class Notify {
  #permit = false;
  readonly #queue = new WaitQueue<void>();

  /** How many `notified()` calls are waiting. */
  get waiting(): number {
    return this.#queue.size;
  }

  /** Whether a `notifyOne()` permit is stored. */
  get hasPermit(): boolean {
    return this.#permit;
  }

  /**
   * Resolves on the next notification meant for this caller: at once if a
   * permit is stored (consuming it), else at a `notifyOne()` that picks this
   * caller or a `notifyWaiters()`.
   *
   * Rejects with `CancelledError` (and leaves the queue) when
   * `options.signal` aborts or the ambient task is cancelled, including when
   * either already is at the call; a stored permit is then left in place.
   * A `notifyOne()` never picks a waiter whose cancellation has happened: the
   * notification goes to the next waiter, or is stored.
   */
  notified(options?: WaitOptions): Promise<void> {
    const signal = options?.signal;
    const token = ambientToken();
    const cancelled = cancelledAlready(signal, token);
    if (cancelled !== undefined) return Promise.reject(cancelled);
    if (this.#permit) {
      this.#permit = false;
      return Promise.resolve();
    }
    return this.#queue.park(0, signal, token);
  }

  /** Wakes the longest waiter, or stores a permit if none waits. */
  notifyOne(): void {
    const waiter = this.#queue.nextLive();
    if (waiter === null) this.#permit = true;
    else this.#queue.grant(waiter, undefined);
  }

  /** Wakes every current waiter. Stores no permit and leaves a stored one alone. */
  notifyWaiters(): void {
    this.#queue.pruneCancelled();
    this.#queue.grantAll(() => undefined);
  }
}
