/**
 * `Config`: how a runtime is set up. Start from a preset and adjust:
 * `Config.optimal()` picks from what the host offers; `forCli()` runs work
 * on the calling thread where possible; `forServer()` favours fairness and
 * throughput; `forEmbedded()` keeps the footprint small.
 *
 * @example
 * ```ts
 * import { Config, run } from "@zsync/runtime";
 * await run(async (rt) => rt.stats(), Config.forServer().with({ sliceMs: 1 }));
 * ```
 * @module
 */
import { availableCores as cores } from "./internal/cores.js";
import type { Io } from "./io/io.js";

/** The execution models; `thread-pool` needs an `io` from `@zsync/runtime/node`. */
export type ExecutionModel = "green-threads" | "stackless" | "blocking" | "thread-pool";

export interface ConfigOptions {
  /** Which model `runtime.io` uses (default: green threads). */
  readonly model: ExecutionModel;
  /** Cooperative slice in ms: how long tasks run before the event loop gets a turn. */
  readonly sliceMs: number;
  /** Worker threads for thread-pool models (0 = none). */
  readonly maxThreads: number;
  /** Capacity of bounded work queues (thread pool, database). */
  readonly queueCapacity: number;
  /** Track the ambient task across `await` (needs AsyncLocalStorage; costs ~150 ns per task on Node 20). */
  readonly ambientContext: boolean;
  /** Sample event-loop lag for `stats()` every this many ms (0 = off). */
  readonly lagSampleMs: number;
  /** An explicit Io to use instead of building one from `model` (e.g. a ThreadPoolIo). */
  readonly io?: Io;
}

export class Config implements ConfigOptions {
  readonly model: ExecutionModel;
  readonly sliceMs: number;
  readonly maxThreads: number;
  readonly queueCapacity: number;
  readonly ambientContext: boolean;
  readonly lagSampleMs: number;
  readonly io?: Io;

  constructor(options: ConfigOptions) {
    if (!(options.sliceMs > 0)) throw new RangeError(`sliceMs must be > 0, got ${options.sliceMs}`);
    if (!Number.isInteger(options.maxThreads) || options.maxThreads < 0)
      throw new RangeError(`maxThreads must be an integer >= 0, got ${options.maxThreads}`);
    if (!Number.isInteger(options.queueCapacity) || options.queueCapacity < 1) {
      throw new RangeError(`queueCapacity must be an integer >= 1, got ${options.queueCapacity}`);
    }
    if (!(options.lagSampleMs >= 0)) throw new RangeError(`lagSampleMs must be >= 0, got ${options.lagSampleMs}`);
    this.model = options.model;
    this.sliceMs = options.sliceMs;
    this.maxThreads = options.maxThreads;
    this.queueCapacity = options.queueCapacity;
    this.ambientContext = options.ambientContext;
    this.lagSampleMs = options.lagSampleMs;
    if (options.io !== undefined) this.io = options.io;
  }

  /** A copy with some fields replaced. */
  with(changes: Partial<ConfigOptions>): Config {
    return new Config({ ...this, ...changes });
  }

  /** Best defaults for this host: green threads, one worker per core beyond the main thread. */
  static optimal(): Config {
    return new Config({
      model: "green-threads",
      sliceMs: 2,
      maxThreads: Math.max(1, cores() - 1),
      queueCapacity: 1024,
      ambientContext: true,
      lagSampleMs: 20,
    });
  }

  /** Command-line tools: blocking model, no threads, no lag sampling. */
  static forCli(): Config {
    return new Config({ model: "blocking", sliceMs: 10, maxThreads: 0, queueCapacity: 256, ambientContext: true, lagSampleMs: 0 });
  }

  /** Servers: green threads with a short slice for tail latency, a thread per core. */
  static forServer(): Config {
    return new Config({
      model: "green-threads",
      sliceMs: 1,
      maxThreads: cores(),
      queueCapacity: 4096,
      ambientContext: true,
      lagSampleMs: 10,
    });
  }

  /** Small footprint: stackless model, no threads, no ambient context tracking. */
  static forEmbedded(): Config {
    return new Config({ model: "stackless", sliceMs: 4, maxThreads: 0, queueCapacity: 64, ambientContext: false, lagSampleMs: 0 });
  }
}
