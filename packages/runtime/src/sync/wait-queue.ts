/**
 * The FIFO queue of parked waiters shared by every synchronisation primitive.
 *
 * It is an intrusive doubly-linked list so that a cancelled waiter leaves the
 * middle of the queue in O(1), and so that granting never shifts an array.
 *
 * Two rules keep cancellation from leaking a permit:
 * - removal and settlement happen together and synchronously: a waiter is
 *   either still queued (and can be cancelled) or already settled (and owns
 *   what it was given), never both;
 * - {@link WaitQueue.nextLive} refuses to grant to a waiter whose signal or
 *   token is already cancelled but whose cancellation listener has not run
 *   yet (listeners of one abort run in registration order, so the releasing
 *   code can run first). Such a waiter is rejected and the grant goes to the
 *   next one instead.
 * @internal
 */
import type { CancelledError } from "../errors.js";
import { type CancelToken, cancelledAlready, watchCancellation } from "../internal/cancel.js";
import { currentScope } from "../internal/context.js";

/** One parked call. `tag` is the primitive's own datum (permits, reader/writer). */
export class Waiter<R> {
  prev: Waiter<R> | null = null;
  next: Waiter<R> | null = null;
  queued = false;
  unwatch: (() => void) | undefined = undefined;
  readonly tag: number;
  readonly resolve: (value: R) => void;
  readonly reject: (error: CancelledError | Error) => void;
  readonly signal: AbortSignal | undefined;
  readonly token: CancelToken | undefined;

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

export class WaitQueue<R> {
  #head: Waiter<R> | null = null;
  #tail: Waiter<R> | null = null;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get head(): Waiter<R> | null {
    return this.#head;
  }

  /**
   * Parks a new waiter at the tail and returns the promise it settles.
   * `afterCancel` runs after a queued waiter is cancelled and removed: a
   * cancelled head may have been what blocked the waiters behind it.
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
      const error = cancelledAlready(waiter.signal, waiter.token);
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
      const error = cancelledAlready(waiter.signal, waiter.token);
      if (error !== undefined) this.#drop(waiter, error);
      waiter = next;
    }
  }

  /** Dequeues `waiter` and fulfils it with `value`. */
  grant(waiter: Waiter<R>, value: R): void {
    this.#remove(waiter);
    waiter.unwatch?.();
    waiter.resolve(value);
  }

  /** Dequeues every waiter and fulfils each with `value(waiter)`, in FIFO order. */
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

/** The ambient task's token, if code runs inside a task. */
export function ambientToken(): CancelToken | undefined {
  return currentScope()?.token;
}
