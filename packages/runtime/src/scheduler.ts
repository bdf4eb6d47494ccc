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

const counters: SchedulerCounters = { queued: 0, maxQueueDepth: 0, macrotaskYields: 0 };

/** Live scheduler counters (read-only view). */
export function schedulerCounters(): Readonly<SchedulerCounters> {
  counters.queued = urgent.length + normal.length + low.length;
  return counters;
}

/** Resets `maxQueueDepth` and `macrotaskYields`. */
export function resetSchedulerCounters(): void {
  counters.maxQueueDepth = 0;
  counters.macrotaskYields = 0;
}

/**
 * Sets the cooperative slice: how long (ms) tasks may run back-to-back
 * before the scheduler lets the event loop take a turn.
 */
export function setSliceMs(ms: number): void {
  if (!(ms > 0) || !Number.isFinite(ms)) throw new RangeError(`sliceMs must be a positive finite number, got ${ms}`);
  sliceMs = ms;
}

export function getSliceMs(): number {
  return sliceMs;
}

/** Queues `job` to start at `priority`. */
export function schedule(job: Runnable, priority: Priority = "normal"): void {
  if (priority === "normal") normal.push(job);
  else if (priority === "urgent") urgent.push(job);
  else low.push(job);
  const depth = urgent.length + normal.length + low.length;
  if (depth > counters.maxQueueDepth) counters.maxQueueDepth = depth;
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
    counters.macrotaskYields++;
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
