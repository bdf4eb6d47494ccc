/**
 * The runtime: an execution model (`io`), the scheduler settings, and
 * statistics. `run(main)` is the usual entry point; `init`/`getRuntime`/
 * `deinit` manage a process-wide runtime for code that cannot pass one along.
 *
 * @example
 * ```ts
 * import { run, Config } from "@zsync/runtime";
 * const answer = await run(async (rt) => {
 *   const f = rt.async((a: number, b: number) => a * b, 6, 7);
 *   return await f;
 * }, Config.optimal());
 * ```
 * @module
 */
import { Config } from "./config.js";
import { RuntimeStateError } from "./errors.js";
import type { Future } from "./future.js";
import { claimAmbientContext } from "./internal/context.js";
import { LagMonitor, type LagSummary } from "./internal/lag-monitor.js";
import { BlockingIo } from "./io/blocking.js";
import { GreenThreadsIo } from "./io/green-threads.js";
import type { Io, IoKind, Runnable } from "./io/io.js";
import { StacklessIo } from "./io/stackless.js";
import { claimSliceMs, type SchedulerCounters, trackSchedulerCounters } from "./scheduler.js";
import { spawnWith, type TaskHandle, taskCounters } from "./task.js";

/** A snapshot of runtime activity. */
export interface RuntimeStats {
  /** Tasks spawned since the process started (all runtimes). */
  readonly spawned: number;
  readonly completed: number;
  readonly failed: number;
  readonly cancelled: number;
  /** Tasks whose body is running or waiting to start. */
  readonly active: number;
  /** Tasks waiting in the run queue now. */
  readonly queued: number;
  /** Deepest the run queue has been since this runtime started (this runtime's own counter). */
  readonly maxQueueDepth: number;
  /** Times the scheduler gave the event loop a turn because the slice was spent, since this runtime started. */
  readonly macrotaskYields: number;
  /** Event-loop lag in ms (zeros when sampling is off). */
  readonly eventLoopLag: LagSummary;
  readonly model: IoKind;
  readonly uptimeMs: number;
}

function ioFor(config: Config): Io {
  if (config.io !== undefined) return config.io;
  switch (config.model) {
    case "green-threads":
      return new GreenThreadsIo();
    case "stackless":
      return new StacklessIo();
    case "blocking":
      return new BlockingIo();
    case "thread-pool":
      throw new RuntimeStateError(
        "Config: model 'thread-pool' needs an io: pass Config.with({ io: new ThreadPoolIo() }) from @zsync/runtime/node",
      );
  }
}

/** A configured runtime. It is itself an {@link Io} that delegates to `io`. */
export class Runtime implements Io, AsyncDisposable {
  readonly config: Config;
  readonly io: Io;
  readonly #lag: LagMonitor;
  readonly #started = Date.now();
  readonly #counters: { readonly counters: Readonly<SchedulerCounters>; stop(): void };
  readonly #releaseSettings: Array<() => void>;
  #shutdown = false;

  /**
   * Builds the execution model and puts this runtime's settings in force
   * until {@link Runtime.shutdown}. Settings are per runtime: the scheduler's
   * slice is the shortest one any live runtime asked for, the ambient context
   * follows `await`s while any live runtime asks for it, and the queue
   * counters in {@link Runtime.stats} are this runtime's own. Shutting down
   * restores what was in force without this runtime.
   */
  constructor(config: Config = Config.optimal()) {
    this.config = config;
    this.io = ioFor(config);
    this.#releaseSettings = [claimSliceMs(config.sliceMs), claimAmbientContext(config.ambientContext)];
    this.#counters = trackSchedulerCounters();
    this.#lag = new LagMonitor(config.lagSampleMs);
    this.#lag.start();
  }

  get kind(): IoKind {
    return this.io.kind;
  }

  /** Runs `task(...args)` on this runtime's execution model. */
  async<A extends readonly unknown[], T>(task: Runnable<A, T>, ...args: A): Future<Awaited<T>> {
    if (this.#shutdown) throw new RuntimeStateError("Runtime: async() after shutdown");
    return this.io.async(task, ...args);
  }

  /** Spawns a green-thread task regardless of the model (for coordination tasks). */
  spawn<A extends readonly unknown[], T>(fn: (...args: A) => T | PromiseLike<T>, ...args: A): TaskHandle<Awaited<T>> {
    if (this.#shutdown) throw new RuntimeStateError("Runtime: spawn() after shutdown");
    return spawnWith({}, fn, ...args);
  }

  stats(): RuntimeStats {
    const tasks = taskCounters();
    const sched = this.#counters.counters;
    return {
      spawned: tasks.spawned,
      completed: tasks.completed,
      failed: tasks.failed,
      cancelled: tasks.cancelled,
      active: tasks.active,
      queued: sched.queued,
      maxQueueDepth: sched.maxQueueDepth,
      macrotaskYields: sched.macrotaskYields,
      eventLoopLag: this.#lag.summary(),
      model: this.io.kind,
      uptimeMs: Date.now() - this.#started,
    };
  }

  /** Prints {@link Runtime.stats} as aligned lines (to `console.log` by default). */
  printStats(print: (line: string) => void = console.log): void {
    const s = this.stats();
    const lag = s.eventLoopLag;
    print(`runtime (${s.model}, slice ${this.config.sliceMs} ms, up ${(s.uptimeMs / 1000).toFixed(1)} s)`);
    print(`  tasks     spawned ${s.spawned}  completed ${s.completed}  failed ${s.failed}  cancelled ${s.cancelled}  active ${s.active}`);
    print(`  queue     now ${s.queued}  max ${s.maxQueueDepth}  loop turns given ${s.macrotaskYields}`);
    print(`  loop lag  p50 ${lag.p50.toFixed(2)} ms  p99 ${lag.p99.toFixed(2)} ms  max ${lag.max.toFixed(2)} ms  (${lag.samples} samples)`);
  }

  /** Stops sampling and shuts the execution model down if it has threads. */
  async shutdown(): Promise<void> {
    if (this.#shutdown) return;
    this.#shutdown = true;
    this.#lag.stop();
    this.#counters.stop();
    for (const release of this.#releaseSettings) release();
    const closable = this.io as Io & { shutdown?: () => Promise<void> | void };
    if (typeof closable.shutdown === "function") await closable.shutdown();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }
}

let global: Runtime | undefined;

/** Creates the process-wide runtime. Throws `RuntimeStateError` if one exists. */
export function init(config?: Config): Runtime {
  if (global !== undefined) throw new RuntimeStateError("init: a runtime is already initialised; call deinit() first");
  global = new Runtime(config);
  return global;
}

/** The process-wide runtime. Throws `RuntimeStateError` before `init()`. */
export function getRuntime(): Runtime {
  if (global === undefined) throw new RuntimeStateError("getRuntime: no runtime; call init() or run() first");
  return global;
}

/** Shuts the process-wide runtime down (no-op if none). */
export async function deinit(): Promise<void> {
  const runtime = global;
  global = undefined;
  await runtime?.shutdown();
}

/**
 * Starts a runtime, runs `main(runtime)` as its root task, shuts the runtime
 * down and returns `main`'s result (or rethrows its error). While it runs the
 * runtime is also the process-wide one, unless another was already `init`ed.
 */
export async function run<T>(main: (runtime: Runtime) => T | PromiseLike<T>, config?: Config): Promise<Awaited<T>> {
  if (typeof main !== "function") throw new TypeError(`run: main must be a function, got ${typeof main}`);
  const runtime = new Runtime(config);
  const installed = global === undefined;
  if (installed) global = runtime;
  try {
    return await spawnWith({ name: "main" }, main, runtime);
  } finally {
    if (installed && global === runtime) global = undefined;
    await runtime.shutdown();
  }
}
