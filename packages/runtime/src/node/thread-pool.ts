/**
 * `ThreadPoolIo`: the `Io` model that runs tasks on a pool of worker threads.
 *
 * A task is named by module URL and export (`workerTask(url, "name")`), so the
 * same value runs on every `Io`. Arguments are structured-cloned (or
 * transferred, by the caller's choice); results come back through a shared
 * ring (see `protocol.ts`). A worker runs one task at a time, so hard
 * cancellation or a crash only ever costs the task that caused it.
 *
 * @example
 * ```ts
 * import { workerTask } from "@zsync/runtime";
 * import { ThreadPoolIo } from "@zsync/runtime/node";
 * const pool = new ThreadPoolIo({ maxThreads: 2 });
 * const sha = workerTask<[string], string>(new URL("./tasks.js", import.meta.url), "sha256");
 * console.log(await pool.async(sha, "hello"));
 * // No shutdown needed: idle workers never keep the process alive.
 * ```
 * @module
 */
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { deserialize } from "node:v8";
import { type ResourceLimits, type TransferListItem, Worker } from "node:worker_threads";
import { CancelledError, QueueFullError, RuntimeStateError } from "../errors.js";
import { Future, fastAwait } from "../future.js";
import { noop, watchCancellation } from "../internal/cancel.js";
import { currentScope } from "../internal/context.js";
import { type Io, isWorkerTask, type Runnable, type WorkerTask } from "../io/io.js";
import { clearTimer, setTimer, type Timer } from "../time/timer.js";
import type { WaitOptions } from "../wait/options.js";
import { WaitQueue } from "../wait/wait-queue.js";
import { decodeThrown } from "./error-codec.js";
import { WorkerCrashedError, type WorkerExitReason } from "./errors.js";
import { JobQueue, type Queueable } from "./job-queue.js";
import {
  CTRL_ACK,
  CTRL_CURRENT,
  CTRL_HEAP_MB,
  CTRL_NEED_WAKE,
  CTRL_READ,
  CTRL_REQUESTS,
  CTRL_SLOTS,
  CTRL_WRITE,
  MSG_BATCH,
  MSG_CANCEL,
  MSG_DOORBELL,
  MSG_RESULT,
  RECORD_HEADER,
  type ResultMessage,
  RING_BYTES,
  STATUS_DROPPED,
  STATUS_OK,
} from "./protocol.js";
import { SampleWindow } from "./sample-window.js";
import { checkWorkerNiceness } from "./thread-niceness.js";

/** What to do with a task submitted while the queue holds `maxQueue` tasks. */
export type QueueFullPolicy = "reject" | "wait";

export interface ThreadPoolOptions {
  /** Workers kept alive while idle (default 1). They are unref'd when idle. */
  readonly minThreads?: number;
  /** Upper bound on workers (default `os.availableParallelism()`). */
  readonly maxThreads?: number;
  /** An idle worker above `minThreads` exits after this long (default 10 000 ms). */
  readonly idleTimeoutMs?: number;
  /** Tasks that may wait for a worker (default unbounded). */
  readonly maxQueue?: number;
  /** `"reject"` (default): a submission beyond `maxQueue` rejects with `QueueFullError`. `"wait"`: it waits for room. */
  readonly onQueueFull?: QueueFullPolicy;
  /** How long a cancelled running task may take to stop before its worker is terminated (default 1000 ms). */
  readonly cancelGraceMs?: number;
  /** Recycle a worker before its next task once its heap exceeds this many MiB. */
  readonly maxHeapMb?: number;
  /** V8 limits for each worker; exceeding them fails only the running task with `WorkerCrashedError`. */
  readonly resourceLimits?: ResourceLimits;
  /** Up to this many short tasks are handed to a worker at once (default 64). */
  readonly maxBatch?: number;
  /** Tasks whose average run time is below this are batched (default 0.2 ms). */
  readonly shortTaskMs?: number;
  /** Worker thread name prefix, shown in diagnostics. */
  readonly name?: string;
  /**
   * Nice steps below the creating thread that each worker thread runs at (0-39, default 0), so a
   * waking event loop gets a core before busy workers do. Linux only; ignored elsewhere, where a
   * thread's nice value would apply to the whole process (docs/node.md, "Priority").
   */
  readonly workerNiceness?: number;
}

/** Per-call options of {@link ThreadPoolIo.run}. */
export interface RunOptions {
  /** Cancels the task: removed if queued, aborted (then terminated after the grace period) if running. */
  readonly signal?: AbortSignal;
  /** Higher runs first (default 0); FIFO within a priority. */
  readonly priority?: number;
  /** Objects to transfer instead of copy (e.g. `ArrayBuffer`s in the arguments); they are detached here. */
  readonly transfer?: readonly TransferListItem[];
  /** Label for diagnostics and error messages. */
  readonly name?: string;
}

export interface ShutdownOptions {
  /** Let queued and running tasks finish first (default true). */
  readonly graceful?: boolean;
  /** Give up waiting after this long and cancel what is left (default: no limit). */
  readonly timeoutMs?: number;
}

/** Percentiles in milliseconds over the most recent 2048 tasks. */
export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
}

export interface ThreadPoolStats {
  /** Live workers. */
  readonly threads: number;
  /** Workers with at least one task assigned. */
  readonly busyThreads: number;
  /** Tasks waiting for a worker (the queue depth). */
  readonly queued: number;
  /** Tasks waiting for room in a full queue (`onQueueFull: "wait"`). */
  readonly waitingForRoom: number;
  /** Tasks handed to workers and not yet finished. */
  readonly running: number;
  readonly completed: number;
  /** Tasks that threw or whose worker crashed. */
  readonly failed: number;
  readonly cancelled: number;
  /** Workers lost to crashes, exits or resource limits. */
  readonly crashedWorkers: number;
  /** Share of worker lifetime spent running tasks, 0..1. */
  readonly utilization: number;
  readonly runTimeMs: LatencySummary;
  readonly waitTimeMs: LatencySummary;
}

/** A submitted task; it is also the future handed to the caller. */
class Job<T> extends Future<T> implements Queueable {
  queued = false;
  parked = false;
  worker: WorkerSlot | null = null;
  unwatch: (() => void) | undefined = undefined;
  graceTimer: Timer | undefined = undefined;
  /** Assigned while its kind of task was not known to be short (blocks batching). */
  long = false;

  constructor(
    readonly pool: ThreadPoolIo,
    readonly seq: number,
    readonly key: number,
    readonly args: readonly unknown[],
    readonly transfer: readonly TransferListItem[] | undefined,
    readonly priority: number,
    readonly label: string | undefined,
    readonly submittedAt: number,
  ) {
    super();
  }

  override cancel(reason?: unknown): boolean {
    if (!super.cancel(reason)) return false;
    this.pool[kCancelJob](this as unknown as AnyJob, reason);
    return true;
  }

  fulfil(value: unknown): void {
    this.settleWith(value as T);
  }

  fail(error: unknown): void {
    this.rejectWith(error);
  }
}

fastAwait(Job);

type AnyJob = Job<unknown>;

type KillReason = "cancel" | "idle" | "recycle" | "shutdown";

class WorkerSlot {
  readonly ctrl: Int32Array;
  readonly ring: Buffer;
  readonly view: DataView;
  readonly assigned = new Map<number, AnyJob>();
  readonly knownKeys = new Set<number>();
  longAssigned = 0;
  live = true;
  killReason: KillReason | undefined = undefined;
  exitError: unknown = undefined;
  idleTimer: Timer | undefined = undefined;
  readonly createdAt = performance.now();
  readonly exited: Promise<void>;
  referenced = false;

  constructor(
    readonly worker: Worker,
    ctrl: SharedArrayBuffer,
    ring: SharedArrayBuffer,
  ) {
    this.ctrl = new Int32Array(ctrl);
    this.ring = Buffer.from(ring);
    this.view = new DataView(ring);
    this.exited = new Promise((resolve) => worker.once("exit", () => resolve()));
  }

  /** Wakes the worker after a message was posted to it. */
  nudge(): void {
    Atomics.add(this.ctrl, CTRL_REQUESTS, 1);
    Atomics.notify(this.ctrl, CTRL_REQUESTS, 1);
  }
}

const kCancelJob = Symbol("cancelJob");

/**
 * The worker entry point, compiled by tsc beside this module (see
 * `docs/worker-entry-points.md`). When this module itself runs from its
 * TypeScript source (this package's own test suite), there is no `.js`
 * sibling: the compiled twin in `dist/` is used, which the suite's global
 * setup builds first.
 */
const POOL_WORKER_URL = import.meta.url.endsWith(".ts")
  ? new URL("../../dist/node/pool-worker.js", import.meta.url)
  : new URL("./pool-worker.js", import.meta.url);
const SEQ_LIMIT = 0x7fffffff;

/**
 * A pool of worker threads implementing `Io` (`kind: "thread-pool"`).
 *
 * - `async(task, ...args)` / `run(task, args, options)` run a {@link WorkerTask}'s export in a worker.
 * - Cancelling the returned future removes a queued task, or aborts the running
 *   task's signal (see `taskSignal()`) and terminates its worker if it has not
 *   stopped after `cancelGraceMs`. The future rejects with `CancelledError` at once.
 * - A task that throws rejects with the rebuilt original error; a worker that
 *   dies rejects only its running task with `WorkerCrashedError` and is replaced.
 */
export class ThreadPoolIo implements Io, AsyncDisposable {
  readonly kind = "thread-pool" as const;
  readonly #min: number;
  readonly #max: number;
  readonly #idleTimeoutMs: number;
  readonly #maxQueue: number;
  readonly #onQueueFull: QueueFullPolicy;
  readonly #graceMs: number;
  readonly #maxHeapMb: number;
  readonly #resourceLimits: ResourceLimits | undefined;
  readonly #maxBatch: number;
  readonly #shortTaskMs: number;
  readonly #name: string;
  readonly #workerNiceness: number;

  readonly #queue = new JobQueue<AnyJob>();
  readonly #parked: AnyJob[] = [];
  #parkedHead = 0;
  #parkedCount = 0;
  readonly #roomWaiters = new WaitQueue<void>();
  readonly #slots: WorkerSlot[] = [];
  readonly #keys = new Map<string, number>();
  readonly #keyDefs: [number, string, string][] = [];
  readonly #avgRunMs: number[] = [];
  #seq = 0;
  #pumpScheduled = false;
  #closed = false;
  #idleWaiters: (() => void)[] = [];

  #completed = 0;
  #failed = 0;
  #cancelled = 0;
  #crashed = 0;
  #running = 0;
  #runMsTotal = 0;
  #deadWorkerMs = 0;
  readonly #runTimes = new SampleWindow();
  readonly #waitTimes = new SampleWindow();

  constructor(options: ThreadPoolOptions = {}) {
    const cores = availableParallelism();
    this.#max = positiveInt(options.maxThreads ?? Math.max(1, cores), "maxThreads");
    this.#min = nonNegativeInt(options.minThreads ?? Math.min(1, this.#max), "minThreads");
    if (this.#min > this.#max) throw new RangeError(`ThreadPoolIo: minThreads (${this.#min}) exceeds maxThreads (${this.#max})`);
    this.#idleTimeoutMs = nonNegative(options.idleTimeoutMs ?? 10_000, "idleTimeoutMs");
    this.#maxQueue = options.maxQueue === undefined ? Number.POSITIVE_INFINITY : nonNegativeInt(options.maxQueue, "maxQueue");
    const policy = options.onQueueFull ?? "reject";
    if (policy !== "reject" && policy !== "wait") throw new TypeError('ThreadPoolIo: onQueueFull must be "reject" or "wait"');
    this.#onQueueFull = policy;
    this.#graceMs = nonNegative(options.cancelGraceMs ?? 1000, "cancelGraceMs");
    this.#maxHeapMb = options.maxHeapMb === undefined ? Number.POSITIVE_INFINITY : positiveInt(options.maxHeapMb, "maxHeapMb");
    this.#resourceLimits = options.resourceLimits;
    this.#maxBatch = positiveInt(options.maxBatch ?? 64, "maxBatch");
    this.#shortTaskMs = nonNegative(options.shortTaskMs ?? 0.2, "shortTaskMs");
    this.#name = options.name ?? "zsync-pool";
    this.#workerNiceness = checkWorkerNiceness(options.workerNiceness);
  }

  /** Runs `task(...args)` on a worker (the `Io` entry point). */
  async<A extends readonly unknown[], T>(task: Runnable<A, T>, ...args: A): Future<Awaited<T>> {
    return this.run(task, args);
  }

  /** Runs `task(...args)` on a worker with per-call options (transfer list, signal, priority). */
  run<A extends readonly unknown[], T>(task: Runnable<A, T>, args: A, options?: RunOptions): Future<Awaited<T>> {
    if (!isWorkerTask(task)) {
      throw new TypeError("ThreadPoolIo: task must be a WorkerTask (workerTask(moduleUrl, exportName)); functions cannot cross threads");
    }
    if (!Array.isArray(args)) throw new TypeError("ThreadPoolIo.run: args must be an array");
    if (this.#closed) return Future.rejected(new RuntimeStateError("ThreadPoolIo: the pool has been shut down"));
    const priority = options?.priority ?? 0;
    if (typeof priority !== "number" || !Number.isFinite(priority))
      throw new TypeError("ThreadPoolIo.run: priority must be a finite number");
    const transfer = options?.transfer;
    if (transfer !== undefined && !Array.isArray(transfer)) throw new TypeError("ThreadPoolIo.run: transfer must be an array");
    const seq = this.#nextSeq();
    const job: AnyJob = new Job(this, seq, this.#keyOf(task), args, transfer, priority, options?.name, performance.now());
    const unwatch = watchCancellation(options?.signal, currentScope()?.token, (error) => job.cancel(error));
    if (job.settled) return job as Future<Awaited<T>>;
    job.unwatch = unwatch;
    if (this.#queue.size >= this.#maxQueue) {
      if (this.#onQueueFull === "reject") {
        unwatch?.();
        job.fail(new QueueFullError(this.#maxQueue, `ThreadPoolIo: queue full (maxQueue ${this.#maxQueue})`));
        return job as Future<Awaited<T>>;
      }
      job.parked = true;
      this.#parked.push(job);
      this.#parkedCount++;
      return job as Future<Awaited<T>>;
    }
    this.#queue.push(job);
    this.#schedulePump();
    return job as Future<Awaited<T>>;
  }

  /**
   * Resolves once the queue has room for another task (immediately if it has),
   * for producers that want back-pressure instead of parking tasks.
   */
  waitForRoom(options?: WaitOptions): Promise<void> {
    if (this.#queue.size + this.#parkedCount < this.#maxQueue) return Promise.resolve();
    return this.#roomWaiters.wait(options);
  }

  /** Counters and latency percentiles; cheap enough to poll. */
  stats(): ThreadPoolStats {
    const now = performance.now();
    let alive = this.#deadWorkerMs;
    let busy = 0;
    let live = 0;
    for (const slot of this.#slots) {
      if (!slot.live) continue;
      live++;
      alive += now - slot.createdAt;
      if (slot.assigned.size > 0) busy++;
    }
    return {
      threads: live,
      busyThreads: busy,
      queued: this.#queue.size,
      waitingForRoom: this.#parkedCount,
      running: this.#running,
      completed: this.#completed,
      failed: this.#failed,
      cancelled: this.#cancelled,
      crashedWorkers: this.#crashed,
      utilization: alive > 0 ? Math.min(1, this.#runMsTotal / alive) : 0,
      runTimeMs: { p50: this.#runTimes.percentile(50), p99: this.#runTimes.percentile(99) },
      waitTimeMs: { p50: this.#waitTimes.percentile(50), p99: this.#waitTimes.percentile(99) },
    };
  }

  /**
   * Stops the pool. New submissions reject with `RuntimeStateError`. With
   * `graceful` (default) queued and running tasks finish first, up to
   * `timeoutMs`; whatever is left is cancelled and every worker terminated.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    this.#closed = true;
    const graceful = options.graceful ?? true;
    if (graceful && !this.#isIdle()) {
      const idle = new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
      const timeoutMs = options.timeoutMs;
      if (timeoutMs === undefined) await idle;
      else {
        let timer: Timer | undefined;
        await Promise.race([idle, new Promise<void>((resolve) => (timer = setTimer(resolve, timeoutMs)))]);
        clearTimer(timer);
      }
    }
    const reason = new CancelledError("shutdown", "ThreadPoolIo shut down before the task finished");
    for (const job of this.#drainParked()) job.cancel(reason);
    for (const job of this.#queue.drain()) job.cancel(reason);
    const exits: Promise<void>[] = [];
    for (const slot of [...this.#slots]) {
      for (const job of slot.assigned.values()) job.cancel(reason);
      exits.push(slot.exited);
      this.#kill(slot, "shutdown");
    }
    await Promise.all(exits);
  }

  /** `await using pool = new ThreadPoolIo()` shuts it down gracefully. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  /** @internal */
  [kCancelJob](job: AnyJob, reason: unknown): void {
    job.unwatch?.();
    this.#cancelled++;
    if (job.parked) {
      job.parked = false;
      this.#parkedCount--;
      return;
    }
    if (this.#queue.remove(job)) {
      this.#admitParked();
      return;
    }
    const slot = job.worker;
    if (slot === null || !slot.live) return;
    slot.worker.postMessage({ t: MSG_CANCEL, s: job.seq, r: describeReason(reason) });
    slot.nudge();
    this.#armGrace(slot, job);
  }

  #armGrace(slot: WorkerSlot, job: AnyJob): void {
    job.graceTimer = setTimer(() => {
      job.graceTimer = undefined;
      if (!slot.live || !slot.assigned.has(job.seq)) return;
      if (Atomics.load(slot.ctrl, CTRL_CURRENT) === job.seq) this.#kill(slot, "cancel");
      else this.#armGrace(slot, job);
    }, this.#graceMs);
    job.graceTimer.unref();
  }

  #nextSeq(): number {
    this.#seq = this.#seq >= SEQ_LIMIT ? 1 : this.#seq + 1;
    return this.#seq;
  }

  #keyOf(task: WorkerTask<readonly unknown[], unknown>): number {
    const name = `${task.module}#${task.exportName}`;
    let key = this.#keys.get(name);
    if (key === undefined) {
      key = this.#keyDefs.length;
      this.#keys.set(name, key);
      this.#keyDefs.push([key, task.module, task.exportName]);
    }
    return key;
  }

  #isShort(key: number): boolean {
    const avg = this.#avgRunMs[key];
    return avg !== undefined && avg < this.#shortTaskMs;
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #liveCount(): number {
    let n = 0;
    for (const slot of this.#slots) if (slot.live) n++;
    return n;
  }

  #pump(): void {
    if (this.#closed && this.#queue.size === 0) return;
    while (this.#liveCount() < this.#min && !this.#closed) this.#spawn();
    while (this.#queue.size > 0) {
      let progressed = false;
      for (const slot of this.#slots) {
        if (!slot.live || this.#queue.size === 0) continue;
        if (slot.assigned.size === 0 && Atomics.load(slot.ctrl, CTRL_HEAP_MB) > this.#maxHeapMb) {
          this.#kill(slot, "recycle");
          continue;
        }
        if (this.#fill(slot)) progressed = true;
      }
      if (this.#queue.size === 0) break;
      if (this.#liveCount() < this.#max) {
        this.#spawn();
        continue;
      }
      if (!progressed) break;
    }
    this.#admitParked();
  }

  /** Hands a batch of queued tasks to `slot`; returns whether it took any. */
  #fill(slot: WorkerSlot): boolean {
    let jobs: unknown[] | undefined;
    let defs: [number, string, string][] | undefined;
    let transfer: TransferListItem[] | undefined;
    for (;;) {
      const job = this.#queue.peek();
      if (job === undefined) break;
      const short = this.#isShort(job.key);
      const size = slot.assigned.size;
      if (size > 0 && (!short || slot.longAssigned > 0 || size >= this.#maxBatch)) break;
      this.#queue.shift();
      job.worker = slot;
      slot.assigned.set(job.seq, job);
      job.long = !short;
      if (!short) slot.longAssigned++;
      this.#running++;
      if (!slot.knownKeys.has(job.key)) {
        slot.knownKeys.add(job.key);
        defs ??= [];
        defs.push(this.#keyDefs[job.key] as [number, string, string]);
      }
      jobs ??= [];
      jobs.push(job.seq, job.key, job.args);
      if (job.transfer !== undefined) {
        transfer ??= [];
        transfer.push(...job.transfer);
      }
    }
    if (jobs === undefined) return false;
    if (slot.idleTimer !== undefined) {
      clearTimer(slot.idleTimer);
      slot.idleTimer = undefined;
    }
    if (!slot.referenced) {
      slot.referenced = true;
      slot.worker.ref();
    }
    try {
      slot.worker.postMessage({ t: MSG_BATCH, k: defs, j: jobs }, transfer);
    } catch (error) {
      // A non-cloneable argument: fail the tasks of this batch, nothing was sent.
      for (let i = 0; i < jobs.length; i += 3) {
        const job = slot.assigned.get(jobs[i] as number);
        if (job === undefined) continue;
        this.#release(slot, job);
        job.unwatch?.();
        this.#failed++;
        job.fail(new TypeError(`ThreadPoolIo: task arguments could not be cloned: ${(error as Error).message}`, { cause: error }));
      }
      if (defs !== undefined) for (const def of defs) slot.knownKeys.delete(def[0]);
      this.#becameIdle(slot);
      return false;
    }
    slot.nudge();
    return true;
  }

  #release(slot: WorkerSlot, job: AnyJob): void {
    slot.assigned.delete(job.seq);
    if (job.long) slot.longAssigned--;
    this.#running--;
    job.worker = null;
    if (job.graceTimer !== undefined) {
      clearTimer(job.graceTimer);
      job.graceTimer = undefined;
    }
  }

  #spawn(): WorkerSlot {
    const ctrl = new SharedArrayBuffer(CTRL_SLOTS * 4);
    const ring = new SharedArrayBuffer(RING_BYTES);
    const init = new Int32Array(ctrl);
    init[CTRL_NEED_WAKE] = 1;
    const worker = new Worker(POOL_WORKER_URL, {
      workerData: { ctrl, ring, niceness: this.#workerNiceness },
      name: `${this.#name}-${this.#slots.length}`,
      ...(this.#resourceLimits !== undefined && { resourceLimits: this.#resourceLimits }),
    });
    const slot = new WorkerSlot(worker, ctrl, ring);
    worker.unref();
    worker.on("message", (message: unknown) => {
      // Tells a polling worker that this thread is awake (see HOT_SPIN_MS).
      Atomics.add(slot.ctrl, CTRL_ACK, 1);
      if (message === MSG_DOORBELL) this.#drain(slot);
      else if (isResultMessage(message)) {
        this.#complete(slot, message.s, message.st, message.ms, message.v);
        this.#afterResults(slot);
      }
    });
    worker.on("error", (error) => {
      slot.exitError = error;
    });
    worker.on("exit", (code) => this.#onExit(slot, code));
    this.#slots.push(slot);
    return slot;
  }

  #drain(slot: WorkerSlot): void {
    const ctrl = slot.ctrl;
    for (;;) {
      this.#readRing(slot);
      Atomics.store(ctrl, CTRL_NEED_WAKE, 1);
      if (Atomics.load(ctrl, CTRL_WRITE) === Atomics.load(ctrl, CTRL_READ)) break;
      // A result landed after the last read: take the wake-up back and read it,
      // unless the worker already claimed it (then its doorbell is on the way).
      if (Atomics.exchange(ctrl, CTRL_NEED_WAKE, 0) === 0) break;
    }
    this.#afterResults(slot);
  }

  #readRing(slot: WorkerSlot): void {
    const { ctrl, view, ring } = slot;
    const mask = RING_BYTES - 1;
    let r = Atomics.load(ctrl, CTRL_READ) >>> 0;
    const w = Atomics.load(ctrl, CTRL_WRITE) >>> 0;
    while (r !== w) {
      const off = r & mask;
      const length = view.getUint32(off, true);
      if (length === 0) {
        r = (r + (RING_BYTES - off)) >>> 0;
        continue;
      }
      const seq = view.getUint32(off + 4, true);
      const status = view.getUint32(off + 8, true);
      const payloadLength = view.getUint32(off + 12, true);
      const ms = view.getFloat64(off + 16, true);
      const start = off + RECORD_HEADER;
      let value: unknown;
      let decodeError: unknown;
      try {
        value = deserialize(ring.subarray(start, start + payloadLength));
      } catch (error) {
        decodeError = error;
      }
      r = (r + length) >>> 0;
      Atomics.store(ctrl, CTRL_READ, r | 0);
      if (decodeError !== undefined) {
        this.#complete(slot, seq, 1, ms, {
          __zsyncThrown: 1,
          value: new TypeError("ThreadPoolIo: task result could not be decoded", { cause: decodeError }),
        });
      } else this.#complete(slot, seq, status, ms, value);
    }
  }

  #complete(slot: WorkerSlot, seq: number, status: number, runMs: number, value: unknown): void {
    const job = slot.assigned.get(seq);
    if (job === undefined) return;
    this.#release(slot, job);
    if (status === STATUS_DROPPED) return;
    const prev = this.#avgRunMs[job.key];
    this.#avgRunMs[job.key] = prev === undefined ? runMs : prev * 0.8 + runMs * 0.2;
    this.#runMsTotal += runMs;
    this.#runTimes.add(runMs);
    this.#waitTimes.add(Math.max(0, performance.now() - job.submittedAt - runMs));
    job.unwatch?.();
    if (job.settled) return; // cancelled while it ran: the outcome is discarded
    if (status === STATUS_OK) {
      this.#completed++;
      job.fulfil(value);
    } else {
      this.#failed++;
      job.fail(decodeThrown(value));
    }
  }

  #afterResults(slot: WorkerSlot): void {
    if (slot.assigned.size === 0) this.#becameIdle(slot);
    if (this.#queue.size > 0) this.#pump();
    else if (this.#isIdle()) this.#notifyIdle();
  }

  #becameIdle(slot: WorkerSlot): void {
    if (!slot.live || slot.assigned.size > 0) return;
    slot.longAssigned = 0;
    if (slot.referenced) {
      slot.referenced = false;
      slot.worker.unref();
    }
    if (slot.idleTimer === undefined && this.#idleTimeoutMs !== Number.POSITIVE_INFINITY) {
      slot.idleTimer = setTimer(() => {
        slot.idleTimer = undefined;
        if (slot.live && slot.assigned.size === 0 && this.#liveCount() > this.#min) this.#kill(slot, "idle");
      }, this.#idleTimeoutMs);
      slot.idleTimer.unref();
    }
  }

  #kill(slot: WorkerSlot, reason: KillReason): void {
    if (!slot.live) return;
    slot.live = false;
    slot.killReason = reason;
    clearTimer(slot.idleTimer);
    slot.worker.terminate().catch(noop);
  }

  #onExit(slot: WorkerSlot, code: number): void {
    slot.live = false;
    clearTimer(slot.idleTimer);
    const index = this.#slots.indexOf(slot);
    if (index >= 0) this.#slots.splice(index, 1);
    this.#deadWorkerMs += performance.now() - slot.createdAt;
    // Results the worker published before it died are still in the ring.
    this.#readRing(slot);
    const running = Atomics.load(slot.ctrl, CTRL_CURRENT);
    const requeue: AnyJob[] = [];
    const crash = slot.killReason === undefined;
    if (crash) this.#crashed++;
    for (const job of [...slot.assigned.values()]) {
      this.#release(slot, job);
      if (job.settled) continue;
      if (job.seq === running) {
        job.unwatch?.();
        if (slot.killReason === "shutdown") {
          job.cancel(new CancelledError("shutdown", "ThreadPoolIo shut down before the task finished"));
          continue;
        }
        this.#failed++;
        const errorCode = (slot.exitError as { code?: unknown } | undefined)?.code;
        const why: WorkerExitReason =
          errorCode === "ERR_WORKER_OUT_OF_MEMORY" ? "resource-limits" : slot.exitError !== undefined ? "error" : "exit";
        job.fail(new WorkerCrashedError(why, code, { cause: slot.exitError, ...(job.label !== undefined && { task: job.label }) }));
      } else requeue.push(job);
    }
    for (let i = requeue.length - 1; i >= 0; i--) this.#queue.unshift(requeue[i] as AnyJob);
    if (this.#queue.size > 0) this.#pump();
    else if (this.#isIdle()) this.#notifyIdle();
  }

  #admitParked(): void {
    while (this.#parkedHead < this.#parked.length && this.#queue.size < this.#maxQueue) {
      const job = this.#parked[this.#parkedHead] as AnyJob;
      this.#parked[this.#parkedHead++] = undefined as unknown as AnyJob;
      if (!job.parked) continue;
      job.parked = false;
      this.#parkedCount--;
      this.#queue.push(job);
      this.#schedulePump();
    }
    if (this.#parkedHead === this.#parked.length) {
      this.#parked.length = 0;
      this.#parkedHead = 0;
    }
    if (this.#roomWaiters.size > 0 && this.#queue.size + this.#parkedCount < this.#maxQueue) {
      this.#roomWaiters.wakeAll(undefined);
    }
  }

  #drainParked(): AnyJob[] {
    const out: AnyJob[] = [];
    for (let i = this.#parkedHead; i < this.#parked.length; i++) {
      const job = this.#parked[i] as AnyJob;
      if (job.parked) out.push(job);
    }
    return out;
  }

  #isIdle(): boolean {
    return this.#queue.size === 0 && this.#running === 0 && this.#parkedCount === 0;
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function describeReason(reason: unknown): string {
  if (reason instanceof CancelledError) return reason.reason === undefined ? reason.message : String(reason.reason);
  return reason === undefined ? "operation cancelled" : String(reason);
}

function isResultMessage(message: unknown): message is ResultMessage {
  return typeof message === "object" && message !== null && (message as { t?: unknown }).t === MSG_RESULT;
}

function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`ThreadPoolIo: ${name} must be a positive integer, got ${value}`);
  return value;
}

function nonNegativeInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`ThreadPoolIo: ${name} must be a non-negative integer, got ${value}`);
  return value;
}

function nonNegative(value: number, name: string): number {
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw new RangeError(`ThreadPoolIo: ${name} must be a non-negative number, got ${value}`);
  }
  return value;
}
