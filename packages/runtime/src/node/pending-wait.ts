/**
 * One cancellable wait of a socket or file operation: a promise that settles
 * at most once, rejecting with `CancelledError` when the explicit signal or
 * the ambient task is cancelled and with `TimeoutError` after `timeoutMs`.
 * The owner removes the wait from its queue in `onAbandon`, so a wait that
 * gave up never consumes data meant for the next reader.
 *
 * This is the timed variant of `WaitQueue` (`../wait/wait-queue.ts`): the
 * waits carry deadlines (one shared timer per duration) and some waiters are
 * not promises (the datagram iterator), so the container differs, but the
 * hand-over applies the same `isWaitCancelled` guard: {@link WaitQueue.shift}
 * never returns a wait whose signal or task is already cancelled.
 * @internal
 * @module
 */
import { TimeoutError } from "../errors.js";
import { type CancelToken, cancelledAlready, watchCancellation } from "../internal/cancel.js";
import { currentScope } from "../internal/context.js";
import { setTimer, type Timer } from "../time/timer.js";
import type { TimedWaitOptions } from "../wait/options.js";
import { isWaitCancelled } from "../wait/wait-queue.js";

export type { TimedWaitOptions } from "../wait/options.js";

/** Anything a {@link WaitQueue} can hand a value or an error to. */
export interface Waiter<T> {
  /** True once settled (handed a value, rejected, cancelled or timed out). */
  readonly done: boolean;
  /**
   * If the wait's signal or task is already cancelled (its listener may not
   * have run yet), gives up with that cancellation and returns true.
   */
  giveUpIfCancelled?(): boolean;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export class PendingWait<T> implements Waiter<T> {
  readonly promise: Promise<T>;
  #resolve!: (value: T) => void;
  #reject!: (error: unknown) => void;
  #done = false;
  #unwatch: (() => void) | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #token: CancelToken | undefined;
  readonly #onAbandon: (wait: PendingWait<T>) => void;
  #deadlines: DeadlineQueue | undefined;
  /** When this wait times out (`performance.now()` scale), if it has a timeout. */
  deadline = 0;

  constructor(options: TimedWaitOptions | undefined, onAbandon: (wait: PendingWait<T>) => void) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#onAbandon = onAbandon;
    const signal = options?.signal;
    const token = currentScope()?.token;
    this.#signal = signal;
    this.#token = token;
    if (signal !== undefined || token !== undefined) this.#unwatch = watchCancellation(signal, token, (error) => this.giveUp(error));
    const timeoutMs = options?.timeoutMs;
    if (timeoutMs !== undefined && !this.#done) {
      checkTimeout(timeoutMs);
      this.#deadlines = DeadlineQueue.for(timeoutMs);
      this.#deadlines.add(this);
    }
  }

  get done(): boolean {
    return this.#done;
  }

  resolve(value: T): void {
    if (this.#done) return;
    this.#finish();
    this.#resolve(value);
  }

  reject(error: unknown): void {
    if (this.#done) return;
    this.#finish();
    this.#reject(error);
  }

  giveUpIfCancelled(): boolean {
    if (this.#done) return false;
    const error = isWaitCancelled(this.#signal, this.#token);
    if (error === undefined) return false;
    this.giveUp(error);
    return true;
  }

  /** Cancelled or timed out: leave the owner's queue, then reject. @internal */
  giveUp(error: unknown): void {
    if (this.#done) return;
    this.#onAbandon(this);
    this.reject(error);
  }

  #finish(): void {
    this.#done = true;
    this.#unwatch?.();
    this.#deadlines?.settled(this);
  }
}

/**
 * The timeouts of every wait with the same `timeoutMs`, behind one timer.
 *
 * A per-wait `setTimeout` + `clearTimeout` is a measurable share of a
 * per-datagram receive. Waits with equal durations expire in the order they
 * were created, so one FIFO and one timer armed for its oldest entry serve
 * them all; a wait that settles first is dropped from either end in O(1)
 * (the usual case: one wait at a time, or FIFO hand-off) or skipped lazily.
 * While no wait is pending the timer is unref'd, so it never keeps the
 * process alive on behalf of waits that are already over.
 */
interface Expirable {
  deadline: number;
  readonly done: boolean;
  giveUp(error: unknown): void;
}

class DeadlineQueue {
  static readonly #byDuration = new Map<number, DeadlineQueue>();

  static for(timeoutMs: number): DeadlineQueue {
    let queue = DeadlineQueue.#byDuration.get(timeoutMs);
    if (queue === undefined) {
      queue = new DeadlineQueue(timeoutMs);
      DeadlineQueue.#byDuration.set(timeoutMs, queue);
    }
    return queue;
  }

  readonly #timeoutMs: number;
  #items: (Expirable | undefined)[] = [];
  #head = 0;
  #live = 0;
  #timer: Timer | undefined;
  #timerRefed = false;

  private constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  add(wait: Expirable): void {
    wait.deadline = performance.now() + this.#timeoutMs;
    this.#items.push(wait);
    this.#live++;
    if (this.#timer === undefined) this.#arm(this.#timeoutMs);
    else if (!this.#timerRefed) {
      this.#timerRefed = true;
      this.#timer.ref();
    }
  }

  settled(wait: Expirable): void {
    this.#live--;
    const items = this.#items;
    if (items.length > this.#head && items[items.length - 1] === wait) items.pop();
    else if (items[this.#head] === wait) items[this.#head++] = undefined;
    this.#trim();
    if (this.#live === 0 && this.#timerRefed) {
      this.#timerRefed = false;
      this.#timer?.unref();
    }
  }

  #trim(): void {
    const items = this.#items;
    while (this.#head < items.length && (items[this.#head] === undefined || (items[this.#head] as Expirable).done)) {
      items[this.#head++] = undefined;
    }
    if (this.#head === items.length) {
      if (items.length !== 0) this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > items.length) {
      this.#items = items.slice(this.#head);
      this.#head = 0;
    }
  }

  #arm(delayMs: number): void {
    this.#timerRefed = true;
    // setTimer honours any delay, so the deadline check in #expire is only for clock rounding.
    this.#timer = setTimer(this.#expire, Math.max(1, Math.ceil(delayMs)));
  }

  readonly #expire = (): void => {
    this.#timer = undefined;
    this.#timerRefed = false;
    // Timers fire on a millisecond clock; allow for its rounding.
    const now = performance.now() + 1;
    for (;;) {
      this.#trim();
      const wait = this.#items[this.#head];
      if (wait === undefined) return;
      if (wait.deadline > now) {
        // A wait added while expiring may have armed the timer already.
        if (this.#timer === undefined) this.#arm(wait.deadline - now + 1);
        return;
      }
      this.#items[this.#head++] = undefined;
      wait.giveUp(new TimeoutError(this.#timeoutMs));
    }
  };
}

/** The `CancelledError` for an already-cancelled signal or ambient task, if any. */
export function cancellation(options: TimedWaitOptions | undefined): Error | undefined {
  return cancelledAlready(options?.signal, currentScope()?.token);
}

/** Throws the `CancelledError` for an already-cancelled signal or ambient task. */
export function throwIfCancelled(options: TimedWaitOptions | undefined): void {
  const error = cancellation(options);
  if (error !== undefined) throw error;
}

export function checkTimeout(timeoutMs: number): void {
  if (typeof timeoutMs !== "number" || Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new RangeError(`timeoutMs must be a non-negative number, got ${timeoutMs}`);
  }
}

/** A FIFO of waits that skips the ones that gave up. */
export class WaitQueue<T> {
  #items: Waiter<T>[] = [];

  get size(): number {
    return this.#items.length;
  }

  push(wait: Waiter<T>): void {
    this.#items.push(wait);
  }

  remove(wait: Waiter<T>): void {
    const index = this.#items.indexOf(wait);
    if (index >= 0) this.#items.splice(index, 1);
  }

  /**
   * The oldest wait still waiting. Waits whose signal or task is already
   * cancelled are given up (rejected) on the way, never returned.
   */
  shift(): Waiter<T> | undefined {
    for (;;) {
      const wait = this.#items.shift();
      if (wait === undefined) return undefined;
      if (!wait.done && wait.giveUpIfCancelled?.() !== true) return wait;
    }
  }

  /**
   * Rejects every wait. `error` may be a factory so that the common case, a
   * close with nobody waiting, does not pay for building an Error (its stack
   * trace costs tens of microseconds).
   */
  rejectAll(error: unknown | (() => unknown)): void {
    const items = this.#items;
    if (items.length === 0) return;
    this.#items = [];
    const reason = typeof error === "function" ? (error as () => unknown)() : error;
    for (const wait of items) wait.reject(reason);
  }
}
