/**
 * `race(inputs)`: settles like the first input to settle; the others are
 * cancelled (unlike `Promise.race`, which leaves them running).
 *
 * @example
 * ```ts
 * import { race, sleep } from "@zsync/runtime";
 * const winner = await race([
 *   async () => { await sleep(10); return "fast"; },
 *   async () => { await sleep(1000); return "slow"; }, // cancelled when "fast" wins
 * ]);
 * ```
 * @module
 */
import { CancelledError } from "../errors.js";
import { Future } from "../future.js";
import { type Awaitable, type AwaitedOf, cancelOthers, toFutures } from "./input.js";

/** The first input to settle wins; losers are cancelled. Empty input never settles (like `Promise.race`) unless cancelled. */
export function race<const I extends readonly Awaitable<unknown>[]>(inputs: I): Future<AwaitedOf<I[number]>> {
  const futures = toFutures(inputs as readonly Awaitable<unknown>[], "race");
  const { future, resolve, reject } = Future.withResolvers<AwaitedOf<I[number]>>({
    onCancel: (error) => cancelOthers(futures, undefined, error),
  });
  const lost = new CancelledError(undefined, "lost a race");
  for (const input of futures) {
    input.onComplete((result) => {
      if (future.settled) return;
      if (result.status === "fulfilled") resolve(result.value as AwaitedOf<I[number]>);
      else reject(result.reason);
      cancelOthers(futures, input, lost);
    });
  }
  return future;
}
