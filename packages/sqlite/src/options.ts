/**
 * Options of `AsyncDatabase.open` and of each call, with their defaults and
 * validation.
 *
 * @example
 * ```ts
 * import { AsyncDatabase } from "@zsync/sqlite";
 * const db = await AsyncDatabase.open("app.db", { maxReaders: 4, synchronous: "full", pragmas: ["cache_size = -64000"] });
 * const row = await db.get("SELECT * FROM t WHERE id = ?", [1], { timeoutMs: 50 });
 * ```
 * @module
 */
import { availableParallelism } from "node:os";
import type { IntegerMode } from "./values.js";

/** Options of {@link AsyncDatabase.open}. */
export interface OpenOptions {
  /** Reader connections opened at once (default 1; 0 for memory databases). */
  readonly minReaders?: number;
  /** Upper bound on reader connections, added when all are busy (default: CPU count minus one for the main thread, 1 to 8). */
  readonly maxReaders?: number;
  /** Outstanding calls (queued plus running) before new calls fail with `QueueFullError` (default 1024, the seed's). */
  readonly maxPending?: number;
  /** How long a write may wait behind a transaction before failing with `TimeoutError` (default 30 000 ms, the seed's). */
  readonly acquireTimeoutMs?: number;
  /** SQLite busy timeout for every connection, for locks held by other processes (default 5000 ms). */
  readonly busyTimeoutMs?: number;
  /**
   * `"normal"` (default): WAL with `synchronous=NORMAL`: a committed transaction survives a process crash
   * but the last ones may be lost on power failure. `"full"`: `synchronous=FULL`, survives power failure too.
   */
  readonly synchronous?: "normal" | "full";
  /** Per-connection pragmas run on every connection after opening, e.g. `"cache_size = -64000"`. */
  readonly pragmas?: readonly string[];
  /** Prepared statements cached per connection (default 256). */
  readonly statementCacheSize?: number;
  /** Default integer mode of every call (default `"auto"`). */
  readonly integers?: IntegerMode;
  /** Rows per batch of {@link AsyncDatabase.iterate} (default 100, the seed's yield interval). */
  readonly iterateBatchSize?: number;
}

/** Options every call accepts. */
export interface CallOptions {
  /**
   * Aborting removes a queued call, or stops a running one (see README: cancellation). A call made from a task is
   * cancelled the same way when that task is cancelled, with or without a signal.
   */
  readonly signal?: AbortSignal;
  /**
   * Rejects with `TimeoutError` and stops the statement this many milliseconds after the call: the time covers
   * waiting in a queue (for a reader, for the writer, behind a transaction) as well as running.
   */
  readonly timeoutMs?: number;
  /**
   * Rejects with `TimeoutError` and stops the statement once it has run this long: counted from when it is handed
   * to its connection (for a cancellable write: once it has the writer to itself), so time spent queued is not
   * counted. Can be combined with `timeoutMs`; whichever fires first wins.
   */
  readonly runTimeoutMs?: number;
  /** `"bigint"` returns every integer as a bigint for this call. */
  readonly integers?: IntegerMode;
}

/** Options of {@link AsyncDatabase.iterate}. */
export interface IterateOptions extends CallOptions {
  /** Rows fetched per round trip (default: the database's `iterateBatchSize`). */
  readonly batchSize?: number;
}

export interface ResolvedOptions {
  readonly minReaders: number;
  readonly maxReaders: number;
  readonly maxPending: number;
  readonly acquireTimeoutMs: number;
  readonly busyTimeoutMs: number;
  readonly synchronous: "normal" | "full";
  readonly pragmas: readonly string[];
  readonly statementCacheSize: number;
  readonly integers: IntegerMode;
  readonly iterateBatchSize: number;
}

function count(value: unknown, name: string, fallback: number, min: number, max = 1_000_000_000): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value)) throw new TypeError(`options.${name} must be an integer`);
  if (value < min || value > max) throw new RangeError(`options.${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** Checks `options` and fills in defaults. `memory` databases have no readers. */
export function resolveOptions(options: OpenOptions | undefined, memory: boolean): ResolvedOptions {
  const o = options ?? {};
  if (typeof o !== "object") throw new TypeError("options must be an object");
  const maxReaders = memory ? 0 : count(o.maxReaders, "maxReaders", Math.max(1, Math.min(8, availableParallelism() - 1)), 1, 64);
  const minReaders = memory ? 0 : count(o.minReaders, "minReaders", Math.min(1, maxReaders), 1, maxReaders);
  if (o.synchronous !== undefined && o.synchronous !== "normal" && o.synchronous !== "full") {
    throw new TypeError('options.synchronous must be "normal" or "full"');
  }
  if (o.integers !== undefined && o.integers !== "auto" && o.integers !== "bigint") {
    throw new TypeError('options.integers must be "auto" or "bigint"');
  }
  const pragmas = o.pragmas ?? [];
  if (!Array.isArray(pragmas) || pragmas.some((p) => typeof p !== "string"))
    throw new TypeError("options.pragmas must be an array of strings");
  return {
    minReaders,
    maxReaders,
    maxPending: count(o.maxPending, "maxPending", 1024, 1),
    acquireTimeoutMs: count(o.acquireTimeoutMs, "acquireTimeoutMs", 30_000, 0),
    busyTimeoutMs: count(o.busyTimeoutMs, "busyTimeoutMs", 5000, 0),
    synchronous: o.synchronous ?? "normal",
    pragmas,
    statementCacheSize: count(o.statementCacheSize, "statementCacheSize", 256, 1),
    integers: o.integers ?? "auto",
    iterateBatchSize: count(o.iterateBatchSize, "iterateBatchSize", 100, 1, 1 << 20),
  };
}

/** Checks a per-call options object (cheap: it runs on every call that passes one). */
export function checkCallOptions(options: CallOptions | undefined): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
  const { timeoutMs, runTimeoutMs, signal } = options;
  if (timeoutMs !== undefined && (typeof timeoutMs !== "number" || !(timeoutMs >= 0) || !Number.isFinite(timeoutMs))) {
    throw new RangeError(`options.timeoutMs must be a finite number >= 0, got ${String(timeoutMs)}`);
  }
  if (runTimeoutMs !== undefined && (typeof runTimeoutMs !== "number" || !(runTimeoutMs >= 0) || !Number.isFinite(runTimeoutMs))) {
    throw new RangeError(`options.runTimeoutMs must be a finite number >= 0, got ${String(runTimeoutMs)}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError("options.signal must be an AbortSignal");
}
