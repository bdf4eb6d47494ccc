/**
 * `any(inputs)`: the first value to arrive; the other inputs are cancelled.
 * Rejects with `AllFailedError` (reasons in input order) if every input fails.
 *
 * @example
 * ```ts
 * import { any } from "@zsync/runtime";
 * declare function fetchFrom(mirror: string): Promise<Uint8Array>;
 * const body = await any([() => fetchFrom("a"), () => fetchFrom("b")]);
 * ```
 * @module
 */
import { AllFailedError, CancelledError } from "../errors.js";
import { Future } from "../future.js";
import { type Awaitable, type AwaitedOf, cancelOthers, toFutures } from "./input.js";

/** First fulfilment wins, losers cancelled; all failing rejects with {@link AllFailedError}. */
export function any<const I extends readonly Awaitable<unknown>[]>(inputs: I): Future<AwaitedOf<I[number]>> {
  const futures = toFutures(inputs as readonly Awaitable<unknown>[], "any");
  const { future, resolve, reject } = Future.withResolvers<AwaitedOf<I[number]>>({
    onCancel: (error) => cancelOthers(futures, undefined, error),
  });
  const errors = new Array<unknown>(futures.length);
  let remaining = futures.length;
  if (remaining === 0) reject(new AllFailedError([]));
  const lost = new CancelledError(undefined, "another input won");
  futures.forEach((input, index) => {
    input.onComplete((result) => {
      if (future.settled) return;
      if (result.status === "fulfilled") {
        resolve(result.value as AwaitedOf<I[number]>);
        cancelOthers(futures, input, lost);
        return;
      }
      errors[index] = result.reason;
      if (--remaining === 0) reject(new AllFailedError(errors));
    });
  });
  return future;
}
