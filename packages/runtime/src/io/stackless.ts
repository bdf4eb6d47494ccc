/**
 * `StacklessIo`: the portable model. Every `io.async` body is an ordinary
 * async function (a stackless coroutine compiled by the JS engine) started
 * immediately on the caller's stack, with no run queue, no priorities and no
 * host-specific APIs: only what browsers, Deno, Bun, workers and Node all
 * have. Futures are still cancellable, and the body sees its own task scope,
 * so runtime waits inside it are cancelled with it.
 *
 * Use it where the scheduler's ordering is not wanted or in minimal hosts; use
 * `GreenThreadsIo` for servers (priorities, fairness budget).
 *
 * @example
 * ```ts
 * import { StacklessIo } from "@zsync/runtime";
 * const io = new StacklessIo();
 * console.log(await io.async(async (x: number) => x * 2, 21)); // 42
 * ```
 * @module
 */
import type { Future } from "../future.js";
import { currentScope } from "../internal/context.js";
import { TaskHandle } from "../task.js";
import { type Io, isWorkerTask, loadRunnable, type Runnable } from "./io.js";
import { unwrapTransferMarker } from "./transfer-marker.js";

export class StacklessIo implements Io {
  readonly kind = "stackless" as const;

  async<A extends readonly unknown[], T>(task: Runnable<A, T>, ...args: A): Future<Awaited<T>> {
    const fn = isWorkerTask(task)
      ? async (...inner: A): Promise<T> => unwrapTransferMarker(await (await loadRunnable(task))(...inner)) as T
      : task;
    if (typeof fn !== "function") throw new TypeError(`StacklessIo.async: task must be a function or a WorkerTask, got ${typeof fn}`);
    const handle = new TaskHandle<Awaited<T>>(fn as (...args: never[]) => unknown, args, undefined, currentScope()?.token);
    handle.run(); // eagerly, on this stack
    return handle;
  }
}
