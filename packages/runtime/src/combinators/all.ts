/**
 * `all(inputs)`: every input's value, in input order. The first failure
 * cancels the siblings that are still running and rejects with that failure
 * (unlike `Promise.all`, which leaves them running). `allSettled` waits for
 * every input and never rejects.
 *
 * @example
 * ```ts
 * import { all } from "@zsync/runtime";
 * declare function fetchA(): Promise<string>;
 * declare function fetchB(): Promise<number>;
 * const [a, b] = await all([() => fetchA(), () => fetchB()]);
 * ```
 * @module
 */
import { CancelledError } from "../errors.js";
import { Future, type Settled } from "../future.js";
import { type Awaitable, type AwaitedOf, cancelOthers, toFutures } from "./input.js";

type Values<I extends readonly unknown[]> = { -readonly [K in keyof I]: AwaitedOf<I[K]> };
type Outcomes<I extends readonly unknown[]> = { -readonly [K in keyof I]: Settled<AwaitedOf<I[K]>> };

/** All values in order; fail-fast with sibling cancellation. */
export function all<const I extends readonly Awaitable<unknown>[]>(inputs: I): Future<Values<I>> {
  const futures = toFutures(inputs as readonly Awaitable<unknown>[], "all");
  const { future, resolve, reject } = Future.withResolvers<Values<I>>({
    onCancel: (error) => cancelOthers(futures, undefined, error),
  });
  const values = new Array<unknown>(futures.length);
  let remaining = futures.length;
  if (remaining === 0) resolve([] as unknown as Values<I>);
  const siblingFailed = new CancelledError(undefined, "a sibling failed");
  futures.forEach((input, index) => {
    input.onComplete((result) => {
      if (future.settled) return;
      if (result.status === "rejected") {
        reject(result.reason);
        cancelOthers(futures, input, siblingFailed);
        return;
      }
      values[index] = result.value;
      if (--remaining === 0) resolve(values as Values<I>);
    });
  });
  return future;
}

/** Every outcome in order, once all inputs have settled. Never rejects (unless cancelled). */
export function allSettled<const I extends readonly Awaitable<unknown>[]>(inputs: I): Future<Outcomes<I>> {
  const futures = toFutures(inputs as readonly Awaitable<unknown>[], "allSettled");
  const { future, resolve } = Future.withResolvers<Outcomes<I>>({
    onCancel: (error) => cancelOthers(futures, undefined, error),
  });
  const outcomes = new Array<Settled<unknown>>(futures.length);
  let remaining = futures.length;
  if (remaining === 0) resolve([] as unknown as Outcomes<I>);
  futures.forEach((input, index) => {
    input.onComplete((result) => {
      outcomes[index] = result;
      if (--remaining === 0) resolve(outcomes as Outcomes<I>);
    });
  });
  return future;
}
