/**
 * `WaitQueue`: the runtime's one cancellable-wait primitive, a FIFO of parked
 * calls that a producer wakes with a value.
 *
 * Every waiter queue of the runtime is built on it or on its guard: the
 * synchronisation primitives (`Mutex`, `Semaphore`, `RwLock`, `Notify`,
 * `Barrier`, `WaitGroup`) and the thread pool's `waitForRoom` park here; the
 * Node I/O waits (sockets, files) and the channels' intrusive wait lists keep
 * their own containers (timeouts, `select` claims) but apply the same
 * {@link isWaitCancelled} guard before handing anything over.
 *
 * Two rules keep cancellation from losing a value or leaking a permit:
 * - removal and settlement happen together and synchronously: a waiter is
 *   either still queued (and can be cancelled) or already settled (and owns
 *   what it was given), never both;
 * - a waiter whose signal (or ambient task) is already cancelled is never
 *   woken, even when its own abort listener has not run yet. Listeners of one
 *   abort run in registration order, so a listener registered earlier (say,
 *   the one that cancels a query and frees a connection) can wake the queue
 *   before the waiter's own listener has removed it. Such a waiter is rejected
 *   with `CancelledError` and the value goes to the next one.
 *
 * Waiting is cancelled by `options.signal` and by cancellation of the task
 * that called `wait()` (the ambient task), both rejecting with
 * `CancelledError` and leaving the queue in O(1) (the queue is an intrusive
 * doubly-linked list). For a deadline, pass `AbortSignal.timeout(ms)` or wrap
 * the wait in `timeout()`.
 *
 * **Using it outside the runtime.** A resource with a bounded number of
 * holders (sqlite's writer lane and reader pool, a QUIC stream's send credit
 * or receive buffer) keeps one queue per condition: `wait(options)` where the
 * caller must block, `wakeOne(value)` when one unit frees up (it returns
 * false when nobody live is waiting, so the unit goes back to the pool), and
 * `rejectAll(error)` on close. No hand-rolled abort listeners, no "granted to
 * a caller that already gave up" leak. Primitives whose grant depends on the
 * head waiter (a semaphore acquiring n permits) use {@link WaitQueue.nextLive}
 * with a `tag` and {@link WaitQueue.grant}.
 *
 * @example
 * ```ts
 * import { WaitQueue } from "@zsync/runtime/wait";
 * // A pool of reusable connections: callers wait in FIFO order for a free one.
 * class Lanes<C> {
 *   readonly #free: C[];
 *   readonly #waiters = new WaitQueue<C>();
 *   constructor(connections: C[]) {
 *     this.#free = connections;
 *   }
 *   acquire(options?: { signal?: AbortSignal }): Promise<C> {
 *     const free = this.#free.pop();
 *     return free !== undefined ? Promise.resolve(free) : this.#waiters.wait(options);
 *   }
 *   release(connection: C): void {
 *     // Skips waiters that were cancelled, even by an abort still being dispatched.
 *     if (!this.#waiters.wakeOne(connection)) this.#free.push(connection);
 *   }
 * }
 * const lanes = new Lanes(["a"]);
 * const first = await lanes.acquire();
 * const second = lanes.acquire({ signal: AbortSignal.timeout(1000) });
 * lanes.release(first);
 * console.log(await second); // "a"
 * ```
 * @module
 */
import type { CancelledError } from "../errors.js";
import { type CancelToken, cancelledAlready, watchCancellation } from "../internal/cancel.js";
import { currentScope } from "../internal/context.js";
import type { WaitOptions } from "./options.js";

/**
 * The guard every runtime waiter queue applies before handing a value over:
 * the `CancelledError` to reject a waiter with if its signal or task is
 * already cancelled (even if its abort listener has not run yet), else
 * `undefined`.
 * @internal
 */
export function isWaitCancelled(signal: AbortSignal | undefined, token: CancelToken | undefined): CancelledError | undefined {
  return cancelledAlready(signal, token);
}

/** One parked call, as {@link WaitQueue.nextLive} shows it. */
export class Waiter<R> {
  /** @internal */
  prev: Waiter<R> | null = null;
  /** @internal */
  next: Waiter<R> | null = null;
  /** @internal */
  queued = false;
  /** @internal */
  unwatch: (() => void) | undefined = undefined;
  /** The datum given to `wait()` (e.g. how many permits the waiter wants). */
  readonly tag: number;
  /** @internal */
  readonly resolve: (value: R) => void;
  /** @internal */
  readonly reject: (error: CancelledError | Error) => void;
  /** The signal that cancels this waiter, if any. */
  readonly signal: AbortSignal | undefined;
  /** @internal */
  readonly token: CancelToken | undefined;

  /** @internal */
  constructor(
    tag: number,
    resolve: (value: R) => void,
    reject: (error: CancelledError | Error) => void,
    signal: AbortSignal | undefined,
    token: CancelToken | undefined,
  ) {
    this.tag = tag;
    this.resolve = resolve;
    this.reject = reject;
    this.signal = signal;
    this.token = token;
  }
}

/** Options of {@link WaitQueue.wait}. */
export interface ParkOptions extends WaitOptions {
  /** A number the waker reads from {@link Waiter.tag} (e.g. permits wanted). Default 0. */
  readonly tag?: number;
  /**
   * Runs after a queued waiter is cancelled and removed: a cancelled head may
   * have been what blocked the waiters behind it (a large semaphore request).
   */
  readonly afterCancel?: () => void;
}

/** A FIFO of cancellable waits; see the module comment. */
export class WaitQueue<R> {
  #head: Waiter<R> | null = null;
  #tail: Waiter<R> | null = null;
  #size = 0;

  /** Waiters currently queued (including any whose cancellation is being dispatched). */
  get size(): number {
    return this.#size;
  }

  /** The oldest queued waiter, live or not; see {@link nextLive}. */
  get head(): Waiter<R> | null {
    return this.#head;
  }

  /**
   * Parks the caller at the tail until a waker hands it a value. Rejects with
   * `CancelledError` (and leaves the queue) when `options.signal` aborts or
   * the calling task is cancelled; rejects at once, leaving no place in the
   * queue, if either already is.
   */
  wait(options?: ParkOptions): Promise<R> {
    return this.park(options?.tag ?? 0, options?.signal, currentScope()?.token, options?.afterCancel);
  }

  /**
   * Hands `value` to the oldest live waiter; false if nobody live is waiting
   * (the caller keeps `value`). Cancelled waiters met on the way are rejected.
   */
  wakeOne(value: R): boolean {
    const waiter = this.nextLive();
    if (waiter === null) return false;
    this.grant(waiter, value);
    return true;
  }

  /** Hands `value` to every live waiter, oldest first; returns how many were woken. */
  wakeAll(value: R): number {
    let woken = 0;
    for (let waiter = this.nextLive(); waiter !== null; waiter = this.nextLive()) {
      this.grant(waiter, value);
      woken++;
    }
    return woken;
  }

  /**
   * Parks a new waiter at the tail and returns the promise it settles.
   * `afterCancel` runs after a queued waiter is cancelled and removed.
   * @internal
   */
  park(tag: number, signal: AbortSignal | undefined, token: CancelToken | undefined, afterCancel?: () => void): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const waiter = new Waiter<R>(tag, resolve, reject, signal, token);
      this.#push(waiter);
      waiter.unwatch = watchCancellation(signal, token, (error) => {
        if (!waiter.queued) return;
        this.#remove(waiter);
        reject(error);
        afterCancel?.();
      });
    });
  }

  /**
   * The first waiter that is not already cancelled, still queued, or null.
   * Cancelled waiters met on the way are removed and rejected.
   */
  nextLive(): Waiter<R> | null {
    let waiter = this.#head;
    while (waiter !== null) {
      const error = isWaitCancelled(waiter.signal, waiter.token);
      if (error === undefined) return waiter;
      const next = waiter.next;
      this.#drop(waiter, error);
      waiter = next;
    }
    return null;
  }

  /** Removes every already-cancelled waiter (rejecting it); see {@link nextLive}. */
  pruneCancelled(): void {
    let waiter = this.#head;
    while (waiter !== null) {
      const next = waiter.next;
      const error = isWaitCancelled(waiter.signal, waiter.token);
      if (error !== undefined) this.#drop(waiter, error);
      waiter = next;
    }
  }

  /** Dequeues `waiter` (a live one from {@link nextLive}) and fulfils it with `value`. */
  grant(waiter: Waiter<R>, value: R): void {
    this.#remove(waiter);
    waiter.unwatch?.();
    waiter.resolve(value);
  }

  /**
   * Dequeues every waiter and fulfils each with `value(waiter)`, in FIFO
   * order, without the guard: call {@link pruneCancelled} first (or use
   * {@link wakeAll}).
   */
  grantAll(value: (waiter: Waiter<R>) => R): void {
    let waiter = this.#head;
    while (waiter !== null) {
      const next = waiter.next;
      this.grant(waiter, value(waiter));
      waiter = next;
    }
  }

  /** Dequeues every waiter and rejects each with `error`. */
  rejectAll(error: Error): void {
    let waiter = this.#head;
    while (waiter !== null) {
      const next = waiter.next;
      this.#drop(waiter, error);
      waiter = next;
    }
  }

  #drop(waiter: Waiter<R>, error: Error): void {
    this.#remove(waiter);
    waiter.unwatch?.();
    waiter.reject(error);
  }

  #push(waiter: Waiter<R>): void {
    waiter.queued = true;
    waiter.prev = this.#tail;
    if (this.#tail === null) this.#head = waiter;
    else this.#tail.next = waiter;
    this.#tail = waiter;
    this.#size++;
  }

  #remove(waiter: Waiter<R>): void {
    if (!waiter.queued) return;
    waiter.queued = false;
    const { prev, next } = waiter;
    if (prev === null) this.#head = next;
    else prev.next = next;
    if (next === null) this.#tail = prev;
    else next.prev = prev;
    waiter.prev = null;
    waiter.next = null;
    this.#size--;
  }
}

/** The ambient task's token, if code runs inside a task. @internal */
export function ambientToken(): CancelToken | undefined {
  return currentScope()?.token;
}
