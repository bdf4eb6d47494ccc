/**
 * `JoinSet`: a set of tasks whose results are collected as they finish
 * (completion order, not spawn order), like Tokio's `JoinSet`.
 *
 * @example
 * ```ts
 * import { JoinSet, sleep } from "@zsync/runtime";
 * await using set = new JoinSet<number>();
 * for (const ms of [30, 10, 20]) set.spawn(async () => { await sleep(ms); return ms; });
 * for await (const result of set) console.log(result); // 10, 20, 30 (as settled outcomes)
 * ```
 * @module
 */
import type { Settled } from "./future.js";
import { CancelToken, watchCancellation } from "./internal/cancel.js";
import { currentScope } from "./internal/context.js";
import { Ring } from "./internal/ring.js";
import { type SpawnOptions, spawnInternal, type TaskHandle } from "./task.js";
import type { WaitOptions } from "./time/sleep.js";

/** A finished task's outcome with its id. */
export type JoinResult<T> = Settled<T> & { readonly id: number };

export class JoinSet<T = unknown> implements AsyncDisposable, AsyncIterable<JoinResult<Awaited<T>>> {
  readonly #token = new CancelToken();
  readonly #running = new Set<TaskHandle<Awaited<T>>>();
  readonly #done = new Ring<JoinResult<Awaited<T>>>();
  readonly #waiters = new Ring<(result: JoinResult<Awaited<T>> | undefined) => void>();
  readonly #unlink: (() => void) | undefined;

  constructor(options?: { readonly detached?: boolean }) {
    const parent = options?.detached === true ? undefined : currentScope()?.token;
    this.#unlink = parent?.onCancel((reason) => this.abortAll(reason));
  }

  /** Tasks spawned and not yet returned by `joinNext`. */
  get size(): number {
    return this.#running.size + this.#done.length;
  }

  /** Spawns `fn(...args)` into the set. */
  spawn<A extends readonly unknown[]>(fn: (...args: A) => T | PromiseLike<T>, ...args: A): TaskHandle<Awaited<T>> {
    return this.spawnWith(undefined, fn, ...args);
  }

  /** {@link JoinSet.spawn} with a name or priority. */
  spawnWith<A extends readonly unknown[]>(
    options: Omit<SpawnOptions, "detached"> | undefined,
    fn: (...args: A) => T | PromiseLike<T>,
    ...args: A
  ): TaskHandle<Awaited<T>> {
    const handle = spawnInternal(options, this.#token, fn, args);
    this.#running.add(handle);
    handle.onComplete((result) => {
      this.#running.delete(handle);
      const joined = { ...result, id: handle.id } as JoinResult<Awaited<T>>;
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) waiter(joined);
      else this.#done.push(joined);
    });
    return handle;
  }

  /** The next finished outcome without waiting, or `undefined` if none is ready. */
  tryJoinNext(): JoinResult<Awaited<T>> | undefined {
    return this.#done.shift();
  }

  /**
   * Waits for the next task to finish and returns its outcome; resolves
   * `undefined` when the set is empty. Cancellable; a cancelled wait consumes nothing.
   */
  joinNext(options?: WaitOptions): Promise<JoinResult<Awaited<T>> | undefined> {
    const ready = this.#done.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.#running.size === 0) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const waiter = (result: JoinResult<Awaited<T>> | undefined): void => {
        dispose?.();
        resolve(result);
      };
      this.#waiters.push(waiter);
      const dispose = watchCancellation(options?.signal, currentScope()?.token, (error) => {
        this.#waiters.remove(waiter);
        reject(error);
      });
    });
  }

  /** Cancels every running task (their outcomes are still joined, as cancelled). */
  abortAll(reason?: unknown): void {
    for (const task of this.#running) task.cancel(reason);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<JoinResult<Awaited<T>>> {
    for (let next = await this.joinNext(); next !== undefined; next = await this.joinNext()) yield next;
  }

  /** Cancels running tasks and waits for their bodies to return. */
  async [Symbol.asyncDispose](): Promise<void> {
    const running = [...this.#running];
    this.abortAll();
    await Promise.all(running.map((task) => task.finished));
    this.#unlink?.();
  }
}
