/**
 * `sleep(ms, { signal })`: a cancellable delay.
 *
 * @example
 * ```ts
 * import { sleep } from "@zsync/runtime";
 * const controller = new AbortController();
 * setTimeout(() => controller.abort("stop"), 10);
 * await sleep(1000, { signal: controller.signal }); // rejects with CancelledError after ~10 ms
 * ```
 * @module
 */
import { cancelledAlready, watchCancellation } from "../internal/cancel.js";
import { currentScope } from "../internal/context.js";

/** Options accepted by every cancellable wait. */
export interface WaitOptions {
  /** Aborting it rejects the wait with `CancelledError`. */
  readonly signal?: AbortSignal;
}

/** Validates a delay argument. */
export function assertDelay(ms: number, name = "ms"): void {
  if (typeof ms !== "number" || Number.isNaN(ms))
    throw new TypeError(`${name} must be a number, got ${typeof ms === "number" ? "NaN" : typeof ms}`);
  if (ms < 0) throw new RangeError(`${name} must be >= 0, got ${ms}`);
}

/**
 * Resolves after `ms` milliseconds. Rejects with `CancelledError` if `signal`
 * aborts or the calling task is cancelled first; the timer is cleared either way.
 */
export function sleep(ms: number, options?: WaitOptions): Promise<void> {
  assertDelay(ms);
  const signal = options?.signal;
  const token = currentScope()?.token;
  const already = cancelledAlready(signal, token);
  if (already !== undefined) return Promise.reject(already);
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      dispose?.();
      resolve();
    }, ms);
    const dispose = watchCancellation(signal, token, (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
