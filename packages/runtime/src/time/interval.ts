/**
 * `interval(ms)`: ticks as an async iterable.
 *
 * Missed-tick policy (what happens when the consumer is slower than the
 * period, or the event loop was blocked): `"skip"` (default) drops the ticks
 * that were missed and keeps the original phase, so ticks never bunch up;
 * `"burst"` delivers every missed tick back-to-back, then resumes the phase;
 * `"delay"` restarts the period from when the late tick was delivered.
 * Each yielded value is the tick's sequence number on the ideal schedule
 * (0, 1, 2 ...), so skipped ticks are visible as gaps.
 *
 * @example
 * ```ts
 * import { interval } from "@zsync/runtime";
 * for await (const tick of interval(100)) {
 *   if (tick >= 3) break; // breaking (or disposing) stops the timer
 * }
 * ```
 * @module
 */
import { CancelledError } from "../errors.js";
import { cancelledAlready, watchCancellation } from "../internal/cancel.js";
import { now } from "../internal/clock.js";
import { currentScope } from "../internal/context.js";
import type { WaitOptions } from "./sleep.js";
import { assertDelay, clearTimer, setTimer } from "./timer.js";

/** What to do with ticks missed because the consumer or the loop was late. */
export type MissedTickPolicy = "skip" | "burst" | "delay";

export interface IntervalOptions extends WaitOptions {
  /** Default `"skip"`. */
  readonly missedTick?: MissedTickPolicy;
  /** Fire the first tick immediately (default true, like Tokio). */
  readonly immediate?: boolean;
}

/** An async iterable of tick numbers that can be disposed to stop it. */
export interface Interval extends AsyncIterableIterator<number>, Disposable {
  /** Waits for the next tick; rejects with `CancelledError` when cancelled or stopped. */
  tick(): Promise<number>;
  /** Stops the interval; a pending `tick()` rejects, iteration ends. */
  stop(): void;
}

/** Reason given to a pending tick when the interval is stopped by its owner. */
class IntervalStopped extends CancelledError {
  constructor() {
    super(undefined, "interval stopped");
  }
}

/** Ticks every `ms` milliseconds. See the module notes for the missed-tick policy. */
export function interval(ms: number, options?: IntervalOptions): Interval {
  assertDelay(ms);
  if (ms === 0) throw new RangeError("ms must be > 0 for an interval");
  const policy = options?.missedTick ?? "skip";
  if (policy !== "skip" && policy !== "burst" && policy !== "delay") {
    throw new RangeError(`missedTick must be skip, burst or delay, got ${String(policy)}`);
  }
  const signal = options?.signal;
  const token = currentScope()?.token;
  const origin = options?.immediate === false ? now() + ms : now();
  let nextIndex = 0;
  let nextAt = origin;
  let stopped = false;
  let stopError: unknown;
  let pendingCancel: ((error: unknown) => void) | undefined;

  function stop(error: unknown): void {
    if (stopped) return;
    stopped = true;
    stopError = error;
    const cancel = pendingCancel;
    pendingCancel = undefined;
    cancel?.(error);
  }

  function advance(t: number): number {
    if (policy === "skip") {
      const due = Math.max(nextIndex, Math.floor((t - origin) / ms));
      nextIndex = due + 1;
      nextAt = origin + nextIndex * ms;
      return due;
    }
    const index = nextIndex++;
    nextAt = policy === "burst" ? origin + nextIndex * ms : t + ms;
    return index;
  }

  const iterator: Interval = {
    tick(): Promise<number> {
      if (stopped) return Promise.reject(stopError);
      const already = cancelledAlready(signal, token);
      if (already !== undefined) {
        stop(already);
        return Promise.reject(already);
      }
      if (pendingCancel !== undefined) return Promise.reject(new TypeError("interval: tick() called while another tick() is pending"));
      const t = now();
      // A tick that is already due (the first one, or missed ones under
      // "burst") needs no timer; a zero-delay timer would be clamped to 4 ms
      // in browsers once nested.
      if (nextAt <= t) return Promise.resolve(advance(t));
      return new Promise<number>((resolve, reject) => {
        const timer = setTimer(() => {
          pendingCancel = undefined;
          dispose?.();
          resolve(advance(now()));
        }, nextAt - t);
        const dispose = watchCancellation(signal, token, (error) => stop(error));
        pendingCancel = (error: unknown) => {
          clearTimer(timer);
          dispose?.();
          reject(error);
        };
      });
    },
    async next(): Promise<IteratorResult<number>> {
      if (stopped && stopError instanceof IntervalStopped) return { done: true, value: undefined };
      try {
        return { done: false, value: await iterator.tick() };
      } catch (error) {
        if (error instanceof IntervalStopped) return { done: true, value: undefined };
        throw error;
      }
    },
    async return(): Promise<IteratorResult<number>> {
      stop(new IntervalStopped());
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
    stop() {
      stop(new IntervalStopped());
    },
    [Symbol.dispose]() {
      stop(new IntervalStopped());
    },
  };
  return iterator;
}
