/**
 * `timeout(work, ms)`: rejects with `TimeoutError` if `work` has not settled
 * within `ms`, and cancels the work (its signal aborts with the
 * `TimeoutError` as reason). A plain promise cannot be cancelled; only the
 * wait for it ends, and if it later fulfils with a disposable value (a lock
 * guard, a permit) that value is disposed so it does not leak.
 *
 * @example
 * ```ts
 * import { timeout, sleep, TimeoutError } from "@zsync/runtime";
 * await timeout(async () => { await sleep(1000); }, 50); // TimeoutError after 50 ms; the sleep is cancelled
 * ```
 * @module
 */

import { type Awaitable, disposeIfFulfilled, toFuture } from "../combinators/input.js";
import { TimeoutError } from "../errors.js";
import { Future } from "../future.js";
import { cancelledAlready, watchCancellation } from "../internal/cancel.js";
import { currentScope } from "../internal/context.js";
import type { WaitOptions } from "./sleep.js";
import { assertDelay, clearTimer, setTimer, type Timer } from "./timer.js";

/**
 * Settles like `work`, or rejects with {@link TimeoutError} after `ms` and
 * cancels `work`. `ms = Infinity` never times out (only cancellation ends the wait early).
 */
export function timeout<T>(work: Awaitable<T>, ms: number, options?: WaitOptions): Future<T> {
  assertDelay(ms);
  const inner = toFuture(work, 0, "timeout");
  const signal = options?.signal;
  const token = currentScope()?.token;
  const already = cancelledAlready(signal, token);
  if (already !== undefined) {
    inner.cancel(already);
    return Future.rejected(already);
  }
  let timer: Timer | undefined;
  let dispose: (() => void) | undefined;
  const cleanup = (): void => {
    clearTimer(timer);
    dispose?.();
  };
  const { future, resolve, reject } = Future.withResolvers<T>({
    onCancel: (error) => {
      cleanup();
      inner.cancel(error);
      disposeIfFulfilled(inner);
    },
  });
  timer = setTimer(() => {
    dispose?.();
    const error = new TimeoutError(ms);
    reject(error);
    inner.cancel(error);
    disposeIfFulfilled(inner);
  }, ms);
  dispose = watchCancellation(signal, token, (error) => future.cancel(error));
  inner.onComplete((result) => {
    cleanup();
    if (result.status === "fulfilled") resolve(result.value);
    else reject(result.reason);
  });
  return future;
}
