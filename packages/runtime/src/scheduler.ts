/**
 * The cooperative scheduler behind green-thread tasks: a run queue per
 * priority and a time budget.
 *
 * Tasks start in priority order (`urgent` before `normal` before `low`, FIFO
 * within a level), so an urgent task spawned after a thousand normal ones
 * still starts first. Starting tasks and {@link yieldNow} share one budget
 * (the *slice*, 2 ms by default): within a slice, yielding costs one
 * microtask; once the slice is spent, the next yields wait for a macrotask so
 * that timers and I/O callbacks run. Thousands of busy tasks therefore cannot
 * starve the event loop, and a task that yields often pays almost nothing.
 *
 * @example
 * ```ts
 * import { spawn, yieldNow } from "@zsync/runtime";
 * declare function crunch(i: number): void;
 * spawn(async () => {
 *   for (let i = 0; i < 1e6; i++) {
 *     crunch(i);
 *     if (i % 1000 === 0) await yieldNow(); // timers still fire on time
 *   }
 * });
 * ```
 * @module
 */
import { reportError } from "./internal/cancel.js";
import { macrotask, now } from "./internal/clock.js";
import { Ring } from "./internal/ring.js";

/** Start order of tasks: `urgent` (e.g. QUIC handshakes) before `normal` before `low`. */
export type Priority = "urgent" | "normal" | "low";

/** Something the scheduler can start. */
export interface Runnable {
  run(): void;
}

/** Counters the scheduler keeps; see `runtime.stats()`. */
export interface SchedulerCounters {
  queued: number;
  maxQueueDepth: number;
  macrotaskYields: number;
}

const urgent = new Ring<Runnable>(64);
const normal = new Ring<Runnable>(1024);
const low = new Ring<Runnable>(64);

let sliceMs = 2;
let sliceStart = now();
// A macrotask posted when activity starts. Until it runs, the event loop has
// not had a turn, so the slice keeps counting; once it has run, the next
// activity starts a fresh slice. This tells a busy stretch (tasks crunching
// between yields) from an idle gap without guessing from timestamps.
let turnMarkerPosted = false;
let drainScheduled = false;
let macroWaiters: Array<() => void> | null = null;

// A settled promise: `then` on it queues a microtask more cheaply than
// Node's queueMicrotask, which wraps every callback for async_hooks.
const resolved: Promise<void> = Promise.resolve();

// Counters of each live runtime (usually none or one), each counting from
// when its runtime started; see `trackSchedulerCounters`.
let sinks: SchedulerCounters[] = [];

/** Tasks waiting in the run queue now. */
export function queuedTasks(): number {
  return urgent.length + normal.length + low.length;
}

/**
 * Starts a set of counters that counts from now (its `maxQueueDepth` starts at
 * the current depth) until the returned `stop` is called. Each runtime keeps
 * its own, so starting a second runtime does not reset the first one's.
 */
export function trackSchedulerCounters(): { readonly counters: Readonly<SchedulerCounters>; stop(): void } {
  const depth = queuedTasks();
  const counters: SchedulerCounters = { queued: depth, maxQueueDepth: depth, macrotaskYields: 0 };
  sinks = [...sinks, counters];
  return {
    get counters() {
      counters.queued = queuedTasks();
      return counters;
    },
    stop() {
      sinks = sinks.filter((sink) => sink !== counters);
    },
  };
}

/** The slice used while no runtime is live; `setSliceMs` changes it. */
let defaultSliceMs = 2;
/** Each live runtime's `sliceMs` (one entry per runtime, removed when it ends). */
const sliceClaims = new Set<{ readonly ms: number }>();

function assertSlice(ms: number): void {
  if (!(ms > 0) || !Number.isFinite(ms)) throw new RangeError(`sliceMs must be a positive finite number, got ${ms}`);
}

/** The shortest slice any live runtime asked for, else the process default. */
function recomputeSlice(): void {
  let ms = Number.POSITIVE_INFINITY;
  for (const claim of sliceClaims) if (claim.ms < ms) ms = claim.ms;
  sliceMs = ms === Number.POSITIVE_INFINITY ? defaultSliceMs : ms;
}

/**
 * Sets the process-wide default slice: how long (ms) tasks may run
 * back-to-back before the scheduler lets the event loop take a turn. It is
 * in force while no runtime is live; a live runtime's `Config.sliceMs` takes
 * precedence (see {@link getSliceMs}).
 */
export function setSliceMs(ms: number): void {
  assertSlice(ms);
  defaultSliceMs = ms;
  recomputeSlice();
}

/**
 * The slice in force: the shortest `sliceMs` among live runtimes (the run
 * queue is shared, so the strictest fairness asked for wins), or the default
 * from {@link setSliceMs} when none is live.
 */
export function getSliceMs(): number {
  return sliceMs;
}

/**
 * Records a runtime's slice until the returned function is called (when the
 * runtime shuts down), which restores the slice in force without it.
 */
export function claimSliceMs(ms: number): () => void {
  assertSlice(ms);
  const claim = { ms };
  sliceClaims.add(claim);
  recomputeSlice();
  return () => {
    if (sliceClaims.delete(claim)) recomputeSlice();
  };
}

/** Queues `job` to start at `priority`. */
export function schedule(job: Runnable, priority: Priority = "normal"): void {
  if (priority === "normal") normal.push(job);
  else if (priority === "urgent") urgent.push(job);
  else low.push(job);
  if (sinks.length !== 0) {
    const depth = urgent.length + normal.length + low.length;
    for (const sink of sinks) if (depth > sink.maxQueueDepth) sink.maxQueueDepth = depth;
  }
  if (!drainScheduled) {
    drainScheduled = true;
    noteActivity();
    resolved.then(drain);
  }
}

function next(): Runnable | undefined {
  return urgent.shift() ?? normal.shift() ?? low.shift();
}

function drain(): void {
  while (urgent.length + normal.length + low.length > 0) {
    // Checked before every start, not every Nth: one task start may have
    // taken longer than the whole slice.
    if (sliceSpent()) {
      scheduleMacro(drain);
      return;
    }
    const job = next() as Runnable;
    try {
      job.run();
    } catch (error) {
      reportError(error);
    }
  }
  drainScheduled = false;
}

function sliceSpent(): boolean {
  return now() - sliceStart > sliceMs;
}

function noteActivity(): void {
  if (turnMarkerPosted) return;
  turnMarkerPosted = true;
  sliceStart = now();
  macrotask(onTurn);
}

function onTurn(): void {
  turnMarkerPosted = false;
}

function scheduleMacro(callback: () => void): void {
  if (macroWaiters === null) {
    macroWaiters = [];
    for (const sink of sinks) sink.macrotaskYields++;
    macrotask(runMacroWaiters);
  }
  macroWaiters.push(callback);
}

function runMacroWaiters(): void {
  const waiters = macroWaiters ?? [];
  macroWaiters = null;
  sliceStart = now();
  for (const waiter of waiters) {
    try {
      waiter();
    } catch (error) {
      reportError(error);
    }
  }
}

/**
 * Lets other tasks run. Costs one microtask while the current slice lasts;
 * once it is spent (or a macrotask hop is already pending) it resolves after
 * a macrotask, so timers and I/O get their turn. Never rejects.
 */
export function yieldNow(): Promise<void> {
  if (macroWaiters === null) {
    noteActivity();
    // One clock read per yield: a task may have crunched for longer than a
    // slice since its last yield, and only the clock can tell.
    if (!sliceSpent()) return resolved;
  }
  return new Promise<void>((resolve) => scheduleMacro(resolve));
}
