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
import type { WaitOptions } from "../wait/options.js";
import { assertDelay, clearTimer, setTimer } from "./timer.js";

export type { WaitOptions } from "../wait/options.js";

export { assertDelay } from "./timer.js";

/**
 * Resolves after `ms` milliseconds (never for `Infinity`; delays above
 * 2^31-1 ms are honoured, see `setTimer`). Rejects with `CancelledError` if `signal`
 * aborts or the calling task is cancelled first; the timer is cleared either way.
 */
export function sleep(ms: number, options?: WaitOptions): Promise<void> {
  assertDelay(ms);
  const signal = options?.signal;
  const token = currentScope()?.token;
  const already = cancelledAlready(signal, token);
  if (already !== undefined) return Promise.reject(already);
  return new Promise<void>((resolve, reject) => {
    const timer = setTimer(() => {
      dispose?.();
      resolve();
    }, ms);
    const dispose = watchCancellation(signal, token, (error) => {
      clearTimer(timer);
      reject(error);
    });
  });
}
