/**
 * Green-thread tasks: `spawn`, `spawnUrgent`, `spawnWith` and `TaskHandle`.
 *
 * A task is a function started by the scheduler (never synchronously inside
 * `spawn`), in priority order. Its handle is a {@link Future}: await it, poll
 * it, cancel it. Each task has a cancellation signal; a task spawned while
 * another task runs becomes that task's child and is cancelled with it.
 *
 * Inside a task, runtime waits (sleep, channel and lock operations, child
 * futures) are cancelled with the task. Where the host has AsyncLocalStorage
 * (Node, Deno, Bun) this holds across `await`s; in browsers the ambient task
 * is only known until the body's first `await`, so capture
 * `currentTask()?.signal` first and pass it on (see README, "Cancellation").
 *
 * @example
 * ```ts
 * import { spawn, spawnUrgent, sleep } from "@zsync/runtime";
 * const slow = spawn(async (ms: number) => { await sleep(ms); return ms; }, 50);
 * const first = spawnUrgent(() => "handshake"); // starts before `slow`
 * console.log(await first, await slow);
 * ```
 * @module
 */
import { CancelledError } from "./errors.js";
import { Future, fastAwait } from "./future.js";
import { CancelToken, noop, watchCancellation } from "./internal/cancel.js";
import { currentScope, runInScope, type TaskScope } from "./internal/context.js";
import { type Priority, schedule } from "./scheduler.js";

/** Options for {@link spawnWith}. */
export interface SpawnOptions {
  /** Name shown in diagnostics. */
  readonly name?: string;
  /** Start priority (default `normal`). */
  readonly priority?: Priority;
  /** Cancels the task when aborted. */
  readonly signal?: AbortSignal;
  /**
   * Do not attach to the ambient parent task (default false): a detached task
   * is not cancelled when the task that spawned it is.
   */
  readonly detached?: boolean;
}

/** Counters for `runtime.stats()`. */
export interface TaskCounters {
  spawned: number;
  completed: number;
  failed: number;
  cancelled: number;
  active: number;
}

const counters: TaskCounters = { spawned: 0, completed: 0, failed: 0, cancelled: 0, active: 0 };

/** Live task counters. */
export function taskCounters(): Readonly<TaskCounters> {
  return counters;
}

let nextId = 1;

/** A task's cancellation token doubling as its ambient scope (one allocation, not two). */
class TaskScopeToken extends CancelToken implements TaskScope {
  constructor(
    readonly id: number,
    readonly name: string | undefined,
  ) {
    super();
  }

  get token(): CancelToken {
    return this;
  }
}

/** The handle of a spawned task: a {@link Future} with an identity. */
export class TaskHandle<T> extends Future<T> {
  /** Unique, increasing task id. */
  readonly id: number;
  /** Optional diagnostic name. */
  readonly name: string | undefined;
  readonly #scope: TaskScope;
  #fn: ((...args: never[]) => unknown) | undefined;
  #args: readonly unknown[] | undefined;
  #bodyDone = false;
  #whenDone: Array<() => void> | null = null;
  #unlink: (() => void) | undefined;

  /** @internal Use {@link spawn}. */
  constructor(
    fn: (...args: never[]) => unknown,
    args: readonly unknown[],
    options: SpawnOptions | undefined,
    parent: CancelToken | undefined,
  ) {
    super();
    this.id = nextId++;
    this.name = options?.name;
    this.#fn = fn;
    this.#args = args;
    this.#scope = new TaskScopeToken(this.id, this.name);
    counters.spawned++;
    counters.active++;
    if (parent !== undefined) this.#link(parent.onCancel((reason) => this.cancel(reason)));
    const signal = options?.signal;
    if (signal !== undefined) {
      if (signal.aborted) this.cancel(signal.reason);
      else {
        const onAbort = (): void => void this.cancel(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        this.#link(() => signal.removeEventListener("abort", onAbort));
      }
    }
  }

  /** Aborts when the task is cancelled. */
  get signal(): AbortSignal {
    return this.#scope.token.signal;
  }

  /** Resolves when the task body has returned or thrown (after cancellation too). */
  override get finished(): Promise<void> {
    if (this.#bodyDone) return Promise.resolve();
    return new Promise<void>((resolve) => {
      if (this.#whenDone === null) this.#whenDone = [];
      this.#whenDone.push(resolve);
    });
  }

  /**
   * Cancels the task: the handle rejects now with a {@link CancelledError},
   * the task's signal aborts, its pending runtime waits reject, and its child
   * tasks are cancelled. A task that has not started yet never starts.
   */
  override cancel(reason?: unknown): boolean {
    if (!super.cancel(reason)) return false;
    counters.cancelled++;
    const error = this.poll();
    this.#scope.token.cancel(error.status === "rejected" ? error.reason : new CancelledError(reason));
    if (this.#fn !== undefined && this.#args !== undefined) {
      // Not started: it never will be; release what it holds.
      this.#fn = undefined;
      this.#args = undefined;
    }
    return true;
  }

  /** @internal Called by the scheduler. */
  run(): void {
    const fn = this.#fn;
    const args = this.#args;
    this.#fn = undefined;
    this.#args = undefined;
    if (fn === undefined || args === undefined) {
      this.#finish();
      return;
    }
    let result: unknown;
    try {
      result = runInScope(this.#scope, fn, args);
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (result !== null && typeof result === "object" && typeof (result as PromiseLike<unknown>).then === "function") {
      (result as PromiseLike<T>).then(
        (value) => this.#succeed(value),
        (error) => this.#fail(error),
      );
    } else {
      this.#succeed(result as T);
    }
  }

  #succeed(value: T): void {
    if (!this.settled) counters.completed++;
    this.settle(1, value);
    this.#finish();
  }

  #fail(error: unknown): void {
    if (!this.settled) counters.failed++;
    this.settle(2, error);
    this.#finish();
  }

  #finish(): void {
    if (this.#bodyDone) return;
    this.#bodyDone = true;
    counters.active--;
    this.#unlink?.();
    this.#unlink = undefined;
    const waiters = this.#whenDone;
    this.#whenDone = null;
    if (waiters !== null) for (const resolve of waiters) resolve();
  }

  #link(unlink: () => void): void {
    const previous = this.#unlink;
    this.#unlink =
      previous === undefined
        ? unlink
        : () => {
            previous();
            unlink();
          };
  }

  /** @internal */
  get scope(): TaskScope {
    return this.#scope;
  }
}

fastAwait(TaskHandle);

/** @internal Spawns with an explicit parent token (executors, join sets). */
export function spawnInternal<A extends readonly unknown[], T>(
  options: SpawnOptions | undefined,
  parent: CancelToken | undefined,
  fn: (...args: A) => T | PromiseLike<T>,
  args: A,
): TaskHandle<Awaited<T>> {
  if (typeof fn !== "function") throw new TypeError(`spawn: fn must be a function, got ${typeof fn}`);
  const handle = new TaskHandle<Awaited<T>>(fn as (...args: never[]) => unknown, args, options, parent);
  if (!handle.settled) schedule(handle, options?.priority ?? "normal");
  else handle.run(); // cancelled before it was queued: record that the body is done
  return handle;
}

function ambientParent(options: SpawnOptions | undefined): CancelToken | undefined {
  return options?.detached === true ? undefined : currentScope()?.token;
}

/**
 * Starts `fn(...args)` as a task at normal priority and returns its handle.
 * The body starts on a later microtask, never inside `spawn`.
 */
export function spawn<A extends readonly unknown[], T>(fn: (...args: A) => T | PromiseLike<T>, ...args: A): TaskHandle<Awaited<T>> {
  return spawnInternal(undefined, currentScope()?.token, fn, args);
}

const URGENT: SpawnOptions = { priority: "urgent" };

/** Like {@link spawn}, but starts before every queued normal and low task. */
export function spawnUrgent<A extends readonly unknown[], T>(fn: (...args: A) => T | PromiseLike<T>, ...args: A): TaskHandle<Awaited<T>> {
  return spawnInternal(URGENT, currentScope()?.token, fn, args);
}

/** Like {@link spawn}, with a name, priority, signal or detachment. */
export function spawnWith<A extends readonly unknown[], T>(
  options: SpawnOptions,
  fn: (...args: A) => T | PromiseLike<T>,
  ...args: A
): TaskHandle<Awaited<T>> {
  return spawnInternal(options, ambientParent(options), fn, args);
}

/** What a task can learn about itself. */
export interface CurrentTask {
  readonly id: number;
  readonly name: string | undefined;
  /** Aborts when this task is cancelled. */
  readonly signal: AbortSignal;
  readonly cancelled: boolean;
}

/**
 * The task running now, or `undefined` outside tasks. See the module notes on
 * how far this reaches across `await` on each host.
 */
export function currentTask(): CurrentTask | undefined {
  const scope = currentScope();
  if (scope === undefined) return undefined;
  return {
    id: scope.id,
    name: scope.name,
    get signal() {
      return scope.token.signal;
    },
    get cancelled() {
      return scope.token.cancelled;
    },
  };
}

/**
 * Registers `listener` to run once when the task running now is cancelled,
 * and returns a function that unregisters it; `undefined` outside tasks.
 * Cheaper than `currentTask().signal` for libraries that park many waits
 * (no AbortSignal is created). If the task is already cancelled, `listener`
 * runs at once.
 *
 * @example
 * ```ts
 * import { onTaskCancel } from "@zsync/runtime";
 * declare const request: { abort(reason: unknown): void; readonly done: Promise<void> };
 * const off = onTaskCancel((reason) => request.abort(reason));
 * try { await request.done; } finally { off?.(); }
 * ```
 */
export function onTaskCancel(listener: (reason: unknown) => void): (() => void) | undefined {
  return currentScope()?.token.onCancel(listener);
}

/**
 * Watches the explicit `signal` and the task running now together: calls
 * `listener` once with a {@link CancelledError} when either is cancelled (at
 * once if one already is), and returns a function that stops watching. The
 * building block for library operations that must honour both.
 *
 * @example
 * ```ts
 * import { onCancellation, type WaitOptions } from "@zsync/runtime";
 * declare const options: WaitOptions;
 * declare const operation: { abort(error: Error): void; readonly done: Promise<void> };
 * const stop = onCancellation(options.signal, (error) => operation.abort(error));
 * try { await operation.done; } finally { stop(); }
 * ```
 */
export function onCancellation(signal: AbortSignal | undefined, listener: (error: CancelledError) => void): () => void {
  return watchCancellation(signal, currentScope()?.token, listener) ?? noop;
}

/** Throws the task's {@link CancelledError} if the current task was cancelled. */
export function throwIfCancelled(): void {
  const token = currentScope()?.token;
  if (token?.cancelled) throw CancelledError.from(token.reason);
}
