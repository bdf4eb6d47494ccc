/**
 * `Semaphore`: a counted set of permits handed out in strict FIFO order.
 *
 * Fairness: waiters are served in arrival order, and a request is never
 * overtaken. If the waiter at the head asks for more permits than are free,
 * the permits that are free are held back for it and smaller requests behind
 * it wait too; otherwise a stream of small requests could starve a large one
 * forever. For the same reason `tryAcquire` fails while anyone is queued.
 *
 * @example
 * ```ts
 * import { Semaphore } from "@zsync/runtime";
 * const connections = new Semaphore(2);
 * let open = 0;
 * await Promise.all([1, 2, 3, 4, 5].map(async () => {
 *   using _permit = await connections.acquire(); // returned on scope exit
 *   open++;
 *   console.assert(open <= 2);                   // never more than 2 at once
 *   await new Promise((resolve) => setTimeout(resolve, 5));
 *   open--;
 * }));
 * ```
 * @module
 */
import { cancelledAlready } from "../internal/cancel.js";
import type { WaitOptions } from "../time/sleep.js";
import { ambientToken, WaitQueue } from "../wait/wait-queue.js";
import { checkCount } from "./check-count.js";
import { SemaphoreClosedError } from "./sync-errors.js";

/**
 * Proof of holding `permits` permits of a {@link Semaphore}. Release it
 * exactly once, best with `using`; further `release()` calls do nothing.
 *
 * @example
 * ```ts
 * import { Semaphore } from "@zsync/runtime";
 * const sem = new Semaphore(4);
 * const permit = await sem.acquire(3);
 * console.log(permit.permits, sem.available); // 3 1
 * permit.release();
 * permit.release();                           // no effect
 * console.log(sem.available);                 // 4
 * ```
 */
export interface SemaphorePermit extends Disposable {
  /** How many permits this holds. */
  readonly permits: number;
  /** Whether it has been released. */
  readonly released: boolean;
  /** Returns the permits to the semaphore. Idempotent. */
  release(): void;
}

let releasePermits: (semaphore: Semaphore, permits: number) => void;

class Permit implements SemaphorePermit {
  readonly permits: number;
  #semaphore: Semaphore | null;

  constructor(semaphore: Semaphore, permits: number) {
    this.#semaphore = semaphore;
    this.permits = permits;
  }

  get released(): boolean {
    return this.#semaphore === null;
  }

  release(): void {
    const semaphore = this.#semaphore;
    if (semaphore === null) return;
    this.#semaphore = null;
    releasePermits(semaphore, this.permits);
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

/**
 * A semaphore holding `permits` permits.
 *
 * @example
 * ```ts
 * import { Semaphore } from "@zsync/runtime";
 * const sem = new Semaphore(2);
 * const a = sem.tryAcquire(); // a permit
 * const b = await sem.acquire(); // resolves at once: one permit was left
 * sem.tryAcquire();           // undefined: none left
 * a?.release();
 * b.release();
 * ```
 */
export class Semaphore {
  #permits: number;
  #available: number;
  #closed = false;
  readonly #queue = new WaitQueue<SemaphorePermit>();
  readonly #drain = (): void => this.#grantWaiters();

  static {
    releasePermits = (semaphore, permits) => {
      semaphore.#available += permits;
      semaphore.#grantWaiters();
    };
  }

  /**
   * @param permits how many permits exist (a safe integer >= 0).
   * @throws {TypeError} if `permits` is not a number.
   * @throws {RangeError} if it is negative or not an integer.
   */
  constructor(permits: number) {
    this.#permits = checkCount("permits", permits, 0);
    this.#available = permits;
  }

  /** The total number of permits: the initial count plus those added since. */
  get permits(): number {
    return this.#permits;
  }

  /**
   * Permits free right now. May be positive while callers wait, when the
   * head of the queue needs more than are free (they are held for it).
   */
  get available(): number {
    return this.#available;
  }

  /** How many `acquire` calls are queued. */
  get waiting(): number {
    return this.#queue.size;
  }

  /** Whether {@link close} has been called. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /**
   * Acquires `n` permits, waiting in FIFO order if they are not free or if
   * others are already waiting.
   *
   * Rejects with `CancelledError` (and leaves the queue) when `options.signal`
   * aborts or the ambient task is cancelled, including when either already
   * is at the call. A waiter is never granted permits once its cancellation
   * has happened; permits granted before it are the caller's to release.
   * Rejects with {@link SemaphoreClosedError} if the semaphore is or becomes
   * closed.
   *
   * A request for more permits than exist waits until {@link addPermits}
   * makes it possible, holding up everyone queued behind it.
   *
   * @throws {TypeError | RangeError} synchronously if `n` is not an integer >= 1.
   */
  acquire(n = 1, options?: WaitOptions): Promise<SemaphorePermit> {
    checkCount("n", n, 1);
    const signal = options?.signal;
    const token = ambientToken();
    const cancelled = cancelledAlready(signal, token);
    if (cancelled !== undefined) return Promise.reject(cancelled);
    if (this.#closed) return Promise.reject(new SemaphoreClosedError());
    if (this.#queue.size === 0 && this.#available >= n) {
      this.#available -= n;
      return Promise.resolve(new Permit(this, n));
    }
    return this.#queue.park(n, signal, token, this.#drain);
  }

  /**
   * Takes `n` permits without waiting, or returns `undefined` if they are
   * not free or anyone is queued (taking them would overtake the queue).
   *
   * @throws {SemaphoreClosedError} if the semaphore is closed.
   * @throws {TypeError | RangeError} as {@link acquire}.
   */
  tryAcquire(n = 1): SemaphorePermit | undefined {
    checkCount("n", n, 1);
    if (this.#closed) throw new SemaphoreClosedError();
    if (this.#queue.size !== 0 || this.#available < n) return undefined;
    this.#available -= n;
    return new Permit(this, n);
  }

  /**
   * Creates `n` more permits, granting them to queued waiters in FIFO order.
   *
   * @throws {TypeError | RangeError} if `n` is not an integer >= 0.
   */
  addPermits(n: number): void {
    checkCount("n", n, 0);
    if (this.#permits + n > Number.MAX_SAFE_INTEGER) {
      throw new RangeError(`n would take the permit count past ${Number.MAX_SAFE_INTEGER}, got ${n}`);
    }
    this.#permits += n;
    this.#available += n;
    this.#grantWaiters();
  }

  /**
   * Closes the semaphore: every queued `acquire` rejects with
   * {@link SemaphoreClosedError}, as do later ones. Permits already held stay
   * valid and can still be released. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.rejectAll(new SemaphoreClosedError());
  }

  #grantWaiters(): void {
    for (;;) {
      const waiter = this.#queue.nextLive();
      if (waiter === null || waiter.tag > this.#available) return;
      this.#available -= waiter.tag;
      this.#queue.grant(waiter, new Permit(this, waiter.tag));
    }
  }
}
