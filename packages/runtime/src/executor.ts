/**
 * `Executor`: a structured scope for tasks. Tasks spawned on it are its
 * children; it never lets them outlive it.
 *
 * - `joinAll()` waits for every task and returns their values in spawn
 *   order. Fail-fast: the first task to fail cancels its siblings, and once
 *   they have all stopped `joinAll()` rejects with that first error. To
 *   collect every outcome instead (no cancellation on failure), create the
 *   executor with `{ failFast: false }` and call `joinAllSettled()`.
 * - Disposing (`await using ex = new Executor()`) cancels unfinished tasks
 *   and waits until their bodies have returned. It does not throw a child's
 *   failure; call `joinAll()` to observe failures.
 * - An executor created inside a task is cancelled with that task.
 *
 * @example
 * ```ts
 * import { Executor, sleep } from "@zsync/runtime";
 * await using ex = new Executor();
 * ex.spawn(async () => { await sleep(10); return 1; });
 * ex.spawn(() => 2);
 * console.log(await ex.joinAll()); // [1, 2]
 * ```
 * @module
 */
import { RuntimeStateError } from "./errors.js";
import type { Settled } from "./future.js";
import { CancelToken } from "./internal/cancel.js";
import { currentScope } from "./internal/context.js";
import { type SpawnOptions, spawnInternal, type TaskHandle } from "./task.js";

export interface ExecutorOptions {
  /** Cancels every task when aborted. */
  readonly signal?: AbortSignal;
  /** Cancel siblings when a task fails (default true). */
  readonly failFast?: boolean;
  /** Do not attach to the ambient parent task (default false). */
  readonly detached?: boolean;
}

export class Executor<T = unknown> implements AsyncDisposable {
  readonly #token = new CancelToken();
  readonly #tasks: TaskHandle<Awaited<T>>[] = [];
  readonly #failFast: boolean;
  #failure: { error: unknown } | undefined;
  #closed = false;
  #unlink: Array<() => void> = [];

  constructor(options?: ExecutorOptions) {
    this.#failFast = options?.failFast ?? true;
    const parent = options?.detached === true ? undefined : currentScope()?.token;
    if (parent !== undefined) this.#unlink.push(parent.onCancel((reason) => this.cancel(reason)));
    const signal = options?.signal;
    if (signal !== undefined) {
      if (signal.aborted) this.cancel(signal.reason);
      const onAbort = (): void => this.cancel(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      this.#unlink.push(() => signal.removeEventListener("abort", onAbort));
    }
  }

  /** Number of tasks spawned and not yet finished. */
  get active(): number {
    let n = 0;
    for (const task of this.#tasks) if (!task.settled) n++;
    return n;
  }

  /** True once cancelled (explicitly, by a failure under fail-fast, or by the parent). */
  get cancelled(): boolean {
    return this.#token.cancelled;
  }

  /** Spawns `fn(...args)` as a child task. Throws after disposal. */
  spawn<A extends readonly unknown[]>(fn: (...args: A) => T | PromiseLike<T>, ...args: A): TaskHandle<Awaited<T>> {
    return this.spawnWith(undefined, fn, ...args);
  }

  /** {@link Executor.spawn} with a name or priority. */
  spawnWith<A extends readonly unknown[]>(
    options: Omit<SpawnOptions, "detached"> | undefined,
    fn: (...args: A) => T | PromiseLike<T>,
    ...args: A
  ): TaskHandle<Awaited<T>> {
    if (this.#closed) throw new RuntimeStateError("Executor: spawn after the executor was disposed");
    const handle = spawnInternal(options, this.#token, fn, args);
    this.#tasks.push(handle);
    if (this.#failFast) {
      handle.onComplete((result) => {
        if (result.status === "rejected" && this.#failure === undefined && !this.#token.cancelled) {
          this.#failure = { error: result.reason };
          this.#token.cancel(result.reason);
        }
      });
    }
    return handle;
  }

  /** Cancels every unfinished task. */
  cancel(reason?: unknown): void {
    this.#token.cancel(reason);
  }

  /**
   * Waits for all tasks (including ones spawned while waiting) and returns
   * their values in spawn order. Under fail-fast, rejects with the first
   * failure after all siblings have stopped.
   */
  async joinAll(): Promise<Awaited<T>[]> {
    await this.#settleAll();
    if (this.#failure !== undefined) throw this.#failure.error;
    const values: Awaited<T>[] = [];
    for (const task of this.#tasks) {
      const result = task.poll();
      if (result.status === "rejected") throw result.reason;
      if (result.status === "fulfilled") values.push(result.value);
    }
    return values;
  }

  /** Waits for all tasks and returns every outcome in spawn order. Never rejects. */
  async joinAllSettled(): Promise<Settled<Awaited<T>>[]> {
    await this.#settleAll();
    return this.#tasks.map((task) => task.poll() as Settled<Awaited<T>>);
  }

  /** Cancels unfinished tasks and waits until every task body has returned. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#closed = true;
    this.#token.cancel();
    await this.#settleAll();
    for (const unlink of this.#unlink) unlink();
    this.#unlink = [];
  }

  async #settleAll(): Promise<void> {
    // Tasks may spawn more tasks on this executor while we wait.
    for (let seen = 0; seen < this.#tasks.length; ) {
      const batch = this.#tasks.slice(seen);
      seen = this.#tasks.length;
      await Promise.all(batch.map((task) => task.finished));
    }
  }
}
