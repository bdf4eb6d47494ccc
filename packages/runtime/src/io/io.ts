/**
 * The `Io` interface: one way to run work, several execution models behind it.
 * Code written against `Io` is "colorblind": it runs unchanged on green
 * threads, on the stackless model, on the calling thread (blocking) or on a
 * worker-thread pool, exactly as zsync's `io.async(fn, args)`.
 *
 * @example
 * ```ts
 * import type { Io } from "@zsync/runtime";
 * const sum = (part: Uint8Array): number => part.reduce((a, b) => a + b, 0);
 * async function checksum(io: Io, parts: Uint8Array[]) {
 *   const futures = parts.map((part) => io.async(sum, part));
 *   return Promise.all(futures);
 * }
 * ```
 * @module
 */
import type { Future } from "../future.js";

/** The four execution models of zsync. */
export type IoKind = "green-threads" | "stackless" | "blocking" | "thread-pool";

/**
 * A task that can run on a worker thread: named by module URL and export name
 * (functions cannot cross threads). On the in-thread models it runs by
 * importing the module, or via `local` when given (required by `BlockingIo`,
 * which cannot wait for an import).
 */
export interface WorkerTask<A extends readonly unknown[], T> {
  readonly kind: "worker-task";
  /** Module URL (usually `new URL("./tasks.js", import.meta.url).href`). */
  readonly module: string;
  /** Name of the exported function in that module. */
  readonly exportName: string;
  /** The same function, loaded in this thread, if the caller has it. */
  readonly local?: (...args: A) => T | PromiseLike<T>;
}

/** Anything an `Io` can run: a function, or a worker task naming one. */
export type Runnable<A extends readonly unknown[], T> = ((...args: A) => T | PromiseLike<T>) | WorkerTask<A, T>;

/** Per-call options accepted by every `Io` (models ignore what they cannot honour). */
export interface AsyncOptions {
  /** Cancels the work when aborted. */
  readonly signal?: AbortSignal;
  /** Task name for diagnostics. */
  readonly name?: string;
}

/** An execution model. */
export interface Io {
  readonly kind: IoKind;
  /** Runs `task(...args)` and returns its future. */
  async<A extends readonly unknown[], T>(task: Runnable<A, T>, ...args: A): Future<Awaited<T>>;
}

/** Builds a {@link WorkerTask} reference. */
export function workerTask<A extends readonly unknown[], T>(
  module: string | URL,
  exportName: string,
  local?: (...args: A) => T | PromiseLike<T>,
): WorkerTask<A, T> {
  if (typeof exportName !== "string" || exportName.length === 0) {
    throw new TypeError("workerTask: exportName must be a non-empty string");
  }
  const href = typeof module === "string" ? module : module.href;
  return local === undefined ? { kind: "worker-task", module: href, exportName } : { kind: "worker-task", module: href, exportName, local };
}

/** True if `value` is a {@link WorkerTask}. */
export function isWorkerTask(value: unknown): value is WorkerTask<readonly unknown[], unknown> {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "worker-task";
}

/**
 * Resolves a runnable to a function in this thread: the function itself, the
 * task's `local`, or the named export of its module (imported on demand).
 */
export async function loadRunnable<A extends readonly unknown[], T>(task: Runnable<A, T>): Promise<(...args: A) => T | PromiseLike<T>> {
  if (typeof task === "function") return task;
  if (task.local !== undefined) return task.local;
  const mod = (await import(/* @vite-ignore */ task.module)) as Record<string, unknown>;
  const fn = mod[task.exportName];
  if (typeof fn !== "function") {
    throw new TypeError(`workerTask: ${task.module} has no exported function "${task.exportName}"`);
  }
  return fn as (...args: A) => T | PromiseLike<T>;
}
