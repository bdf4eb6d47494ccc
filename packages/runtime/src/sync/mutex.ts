/**
 * `Mutex<T>`: mutual exclusion for async code, optionally owning the value it
 * protects (as Tokio's `Mutex<T>` does), so the value is reachable only
 * through a live guard.
 *
 * Ownership passes directly from the releasing holder to the longest waiting
 * caller (FIFO, no barging): a caller that arrives while others wait cannot
 * take the lock first, not even with `tryLock`.
 *
 * The uncontended path allocates one guard and one already-resolved promise;
 * `tryLock()` allocates only the guard and never yields.
 *
 * @example
 * ```ts
 * import { Mutex } from "@zsync/runtime";
 * const balance = new Mutex(100);
 * async function withdraw(amount: number): Promise<void> {
 *   using guard = await balance.lock();
 *   const current = guard.value;
 *   await Promise.resolve();            // other withdrawals wait here
 *   guard.value = current - amount;     // so no update is lost
 * }
 * await Promise.all([withdraw(10), withdraw(20), withdraw(30)]);
 * console.log(balance.tryLock()?.value); // 40
 * ```
 * @module
 */
import { cancelledAlready } from "../internal/cancel.js";
import type { WaitOptions } from "../time/sleep.js";
import { ambientToken, WaitQueue } from "../wait/wait-queue.js";
import type { OptionalValue } from "./optional-value.js";
import { LockReleasedError } from "./sync-errors.js";

/**
 * Exclusive access to a {@link Mutex} and its value until released. Release it
 * exactly once, best with `using`; further `release()` calls do nothing.
 *
 * @example
 * ```ts
 * import { Mutex } from "@zsync/runtime";
 * const names = new Mutex<string[]>([]);
 * {
 *   using guard = await names.lock();
 *   guard.value.push("ada");
 *   guard.value = [...guard.value, "grace"];
 * }                                  // released here
 * console.log(names.isLocked);       // false
 * ```
 */
export interface MutexGuard<T> extends Disposable {
  /**
   * The protected value; assigning replaces it.
   * @throws {LockReleasedError} once the guard is released.
   */
  value: T;
  /** Whether it has been released. */
  readonly released: boolean;
  /** Unlocks, handing the lock to the next waiter if any. Idempotent. */
  release(): void;
}

let unlock: <T>(mutex: Mutex<T>) => void;
let readValue: <T>(mutex: Mutex<T>) => T;
let writeValue: <T>(mutex: Mutex<T>, value: T) => void;

class Guard<T> implements MutexGuard<T> {
  #mutex: Mutex<T> | null;

  constructor(mutex: Mutex<T>) {
    this.#mutex = mutex;
  }

  get value(): T {
    if (this.#mutex === null) throw new LockReleasedError();
    return readValue(this.#mutex);
  }

  set value(value: T) {
    if (this.#mutex === null) throw new LockReleasedError();
    writeValue(this.#mutex, value);
  }

  get released(): boolean {
    return this.#mutex === null;
  }

  release(): void {
    const mutex = this.#mutex;
    if (mutex === null) return;
    this.#mutex = null;
    unlock(mutex);
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

/**
 * An async mutex. `new Mutex()` guards nothing but a critical section;
 * `new Mutex(value)` also owns `value`, reachable as `guard.value`.
 *
 * @example
 * ```ts
 * import { Mutex } from "@zsync/runtime";
 * const m = new Mutex();
 * const first = m.tryLock();  // a guard: the mutex was free
 * m.tryLock();                // undefined: it is held
 * const next = m.lock();      // queued
 * first?.release();           // ownership passes to `next`
 * (await next).release();
 * ```
 */
export class Mutex<T = undefined> {
  #locked = false;
  #value: T;
  readonly #queue = new WaitQueue<MutexGuard<T>>();

  static {
    unlock = (mutex) => mutex.#handOver();
    readValue = (mutex) => mutex.#value;
    writeValue = (mutex, value) => {
      mutex.#value = value;
    };
  }

  /**
   * @param value the value to protect. Omit it for a plain lock (`T` is then
   *   `undefined`); a lock typed with some other `T` requires it.
   */
  constructor(...[value]: OptionalValue<T>) {
    this.#value = value as T;
  }

  /** Whether a guard is outstanding (or ownership is passing to a waiter). */
  get isLocked(): boolean {
    return this.#locked;
  }

  /** How many `lock` calls are queued. */
  get waiting(): number {
    return this.#queue.size;
  }

  /**
   * Resolves with a guard once the mutex is this caller's, after every
   * earlier caller has had and released it.
   *
   * Rejects with `CancelledError` (and leaves the queue) when
   * `options.signal` aborts or the ambient task is cancelled, including when
   * either already is at the call. A waiter is never handed the lock once its
   * cancellation has happened; a guard it was handed before is its to release.
   */
  lock(options?: WaitOptions): Promise<MutexGuard<T>> {
    const signal = options?.signal;
    const token = ambientToken();
    if (signal?.aborted === true || token?.cancelled === true) {
      return Promise.reject(cancelledAlready(signal, token));
    }
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve(new Guard(this));
    }
    return this.#queue.park(0, signal, token);
  }

  /** Locks without waiting, or returns `undefined` if it is held. */
  tryLock(): MutexGuard<T> | undefined {
    if (this.#locked) return undefined;
    this.#locked = true;
    return new Guard(this);
  }

  #handOver(): void {
    const next = this.#queue.nextLive();
    if (next === null) this.#locked = false;
    else this.#queue.grant(next, new Guard(this));
  }
}
