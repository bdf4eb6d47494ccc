/**
 * `GreenThreadsIo`: the default model. Each `io.async` call becomes a
 * scheduled task (see `scheduler.ts`): started in priority order, under the
 * cooperative budget, cancellable, attached to the calling task.
 *
 * @example
 * ```ts
 * import { GreenThreadsIo } from "@zsync/runtime";
 * const io = new GreenThreadsIo();
 * const f = io.async((a: number, b: number) => a + b, 1, 2);
 * console.log(await f); // 3
 * ```
 * @module
 */
import type { Future } from "../future.js";
import { currentScope } from "../internal/context.js";
import type { Priority } from "../scheduler.js";
import { spawnInternal } from "../task.js";
import { type Io, isWorkerTask, loadRunnable, type Runnable } from "./io.js";
import { unwrapTransferMarker } from "./transfer-marker.js";

export interface GreenThreadsOptions {
  /** Priority of tasks started through this Io (default `normal`). */
  readonly priority?: Priority;
}

export class GreenThreadsIo implements Io {
  readonly kind = "green-threads" as const;
  readonly #options: { readonly priority: Priority } | undefined;

  constructor(options?: GreenThreadsOptions) {
    this.#options = options?.priority === undefined ? undefined : { priority: options.priority };
  }

  async<A extends readonly unknown[], T>(task: Runnable<A, T>, ...args: A): Future<Awaited<T>> {
    const parent = currentScope()?.token;
    if (isWorkerTask(task)) {
      const run = async (...inner: A): Promise<T> => unwrapTransferMarker(await (await loadRunnable(task))(...inner)) as T;
      return spawnInternal(this.#options, parent, run, args) as Future<Awaited<T>>;
    }
    return spawnInternal(this.#options, parent, task as (...args: A) => T | PromiseLike<T>, args) as Future<Awaited<T>>;
  }
}
