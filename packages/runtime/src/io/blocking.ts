/**
 * `BlockingIo`: runs work on the calling thread, immediately, inside
 * `async()`. A synchronous function's future is already settled when
 * `async()` returns (no event-loop turn); a function that returns a promise
 * has already run up to its first `await`, and its future follows the promise.
 * For CLIs and tests (`Config.forCli()`), and for CPU-bound code where a
 * worker hop would cost more than the work.
 *
 * @example
 * ```ts
 * import { BlockingIo } from "@zsync/runtime";
 * const io = new BlockingIo();
 * const f = io.async((a: number, b: number) => a + b, 2, 3);
 * f.poll(); // { status: "fulfilled", value: 5 }
 * ```
 * @module
 */
import { Future, isThenable } from "../future.js";
import type { Io, Runnable } from "./io.js";
import { unwrapTransferMarker } from "./transfer-marker.js";

/** The `Io` that runs each task synchronously on the calling thread. */
export class BlockingIo implements Io {
  readonly kind = "blocking" as const;

  /**
   * Runs `task(...args)` now. A `WorkerTask` runs through its `local`
   * function (a blocking call cannot wait for a module import); without one
   * this throws a `TypeError`. A thrown error becomes a rejected future.
   */
  async<A extends readonly unknown[], T>(task: Runnable<A, T>, ...args: A): Future<Awaited<T>> {
    let fn: (...args: A) => T | PromiseLike<T>;
    if (typeof task === "function") fn = task;
    else if (typeof task === "object" && task !== null && task.kind === "worker-task") {
      if (task.local === undefined) {
        throw new TypeError(
          `BlockingIo: workerTask ${task.module}#${task.exportName} has no local function; pass it as workerTask(url, name, fn)`,
        );
      }
      fn = task.local;
    } else throw new TypeError("BlockingIo.async: task must be a function or a WorkerTask");
    let result: T | PromiseLike<T>;
    try {
      result = fn(...args);
    } catch (error) {
      return Future.rejected(error);
    }
    if (isThenable<T>(result)) return Future.from(Promise.resolve(result).then(unwrapTransferMarker)) as Future<Awaited<T>>;
    return Future.resolved(unwrapTransferMarker(result) as Awaited<T>);
  }
}
