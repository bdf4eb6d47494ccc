/**
 * One cancellable wait of a socket or file operation: a promise that settles
 * at most once, rejecting with `CancelledError` when the explicit signal or
 * the ambient task is cancelled and with `TimeoutError` after `timeoutMs`.
 * The owner removes the wait from its queue in `onAbandon`, so a wait that
 * gave up never consumes data meant for the next reader.
 * @internal
 * @module
 */
import { TimeoutError } from "../errors.js";
import { cancelledAlready, watchCancellation } from "../internal/cancel.js";
import { currentScope } from "../internal/context.js";

/** Options accepted by every wait of the Node I/O types. */
export interface WaitOptions {
  /** Cancels the wait (rejects with `CancelledError`); nothing is consumed. */
  readonly signal?: AbortSignal;
  /** Rejects with `TimeoutError` after this many milliseconds; nothing is consumed. */
  readonly timeoutMs?: number;
}

export class PendingWait<T> {
  readonly promise: Promise<T>;
  #resolve!: (value: T) => void;
  #reject!: (error: unknown) => void;
  #done = false;
  #unwatch: (() => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: WaitOptions | undefined, onAbandon: (wait: PendingWait<T>) => void) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    const giveUp = (error: unknown): void => {
      if (this.#done) return;
      onAbandon(this);
      this.reject(error);
    };
    this.#unwatch = watchCancellation(options?.signal, currentScope()?.token, giveUp);
    const timeoutMs = options?.timeoutMs;
    if (timeoutMs !== undefined && !this.#done) {
      checkTimeout(timeoutMs);
      this.#timer = setTimeout(() => giveUp(new TimeoutError(timeoutMs)), timeoutMs);
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

  #finish(): void {
    this.#done = true;
    this.#unwatch?.();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }
}

/** The `CancelledError` for an already-cancelled signal or ambient task, if any. */
export function cancellation(options: WaitOptions | undefined): Error | undefined {
  return cancelledAlready(options?.signal, currentScope()?.token);
}

/** Throws the `CancelledError` for an already-cancelled signal or ambient task. */
export function throwIfCancelled(options: WaitOptions | undefined): void {
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
  #items: PendingWait<T>[] = [];

  get size(): number {
    return this.#items.length;
  }

  push(wait: PendingWait<T>): void {
    this.#items.push(wait);
  }

  remove(wait: PendingWait<T>): void {
    const index = this.#items.indexOf(wait);
    if (index >= 0) this.#items.splice(index, 1);
  }

  /** The oldest wait still waiting. */
  shift(): PendingWait<T> | undefined {
    for (;;) {
      const wait = this.#items.shift();
      if (wait === undefined || !wait.done) return wait;
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
