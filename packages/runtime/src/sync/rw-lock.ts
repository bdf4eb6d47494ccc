/**
 * `RwLock<T>`: many concurrent readers or one writer, optionally owning the
 * value it protects.
 *
 * Fairness is strict FIFO, so writers are never starved: once a writer
 * waits, readers that arrive after it queue behind it even though the lock
 * is currently held only by readers. When the lock frees up, the head of the
 * queue is served: a writer alone, or every reader up to the next queued
 * writer together.
 *
 * @example
 * ```ts
 * import { RwLock } from "@zsync/runtime";
 * const config = new RwLock({ retries: 3 });
 * async function attempts(): Promise<number> {
 *   using guard = await config.read();     // readers share the lock
 *   return guard.value.retries;
 * }
 * async function reload(next: { retries: number }): Promise<void> {
 *   using guard = await config.write();    // waits for readers to leave
 *   guard.value = next;
 * }
 * const [before, , after] = await Promise.all([attempts(), reload({ retries: 5 }), attempts()]);
 * console.log(before, after);              // 3 5: FIFO order
 * ```
 * @module
 */
import { cancelledAlready } from "../internal/cancel.js";
import type { WaitOptions } from "../time/sleep.js";
import { ambientToken, WaitQueue } from "../wait/wait-queue.js";
import type { OptionalValue } from "./optional-value.js";
import { LockReleasedError } from "./sync-errors.js";

/**
 * Shared read access to a {@link RwLock}'s value until released. The value is
 * not copied or frozen: do not mutate it through a read guard.
 *
 * @example
 * ```ts
 * import { RwLock } from "@zsync/runtime";
 * const settings = new RwLock({ retries: 3 });
 * using reader = await settings.read();
 * console.log(reader.value.retries); // 3
 * ```
 */
export interface RwLockReadGuard<T> extends Disposable {
  /** @throws {LockReleasedError} once the guard is released. */
  readonly value: T;
  readonly released: boolean;
  /** Leaves the lock. Idempotent. */
  release(): void;
}

/**
 * Exclusive access to a {@link RwLock}'s value until released.
 *
 * @example
 * ```ts
 * import { RwLock } from "@zsync/runtime";
 * const settings = new RwLock({ retries: 3 });
 * {
 *   using writer = await settings.write();
 *   writer.value = { retries: 5 };
 * }
 * console.log(settings.tryRead()?.value.retries); // 5
 * ```
 */
export interface RwLockWriteGuard<T> extends Disposable {
  /**
   * The protected value; assigning replaces it.
   * @throws {LockReleasedError} once the guard is released.
   */
  value: T;
  readonly released: boolean;
  /** Unlocks, admitting the next writer or the next group of readers. Idempotent. */
  release(): void;
}

const READ = 0;
const WRITE = 1;

let unlockRead: <T>(lock: RwLock<T>) => void;
let unlockWrite: <T>(lock: RwLock<T>) => void;
let readValue: <T>(lock: RwLock<T>) => T;
let writeValue: <T>(lock: RwLock<T>, value: T) => void;

/**
 * What both guards do alike: hold the lock until released (once: a second
 * release must not unlock on behalf of whoever holds the lock next), read its
 * value meanwhile, and refuse access after. Only the unlocking differs.
 */
abstract class Guard<T> implements Disposable {
  #lock: RwLock<T> | null;

  constructor(lock: RwLock<T>) {
    this.#lock = lock;
  }

  /** The lock while this guard holds it. */
  protected held(): RwLock<T> {
    if (this.#lock === null) throw new LockReleasedError();
    return this.#lock;
  }

  get value(): T {
    return readValue(this.held());
  }

  get released(): boolean {
    return this.#lock === null;
  }

  release(): void {
    const lock = this.#lock;
    if (lock === null) return;
    this.#lock = null;
    this.unlock(lock);
  }

  [Symbol.dispose](): void {
    this.release();
  }

  protected abstract unlock(lock: RwLock<T>): void;
}

class ReadGuard<T> extends Guard<T> implements RwLockReadGuard<T> {
  protected unlock(lock: RwLock<T>): void {
    unlockRead(lock);
  }
}

class WriteGuard<T> extends Guard<T> implements RwLockWriteGuard<T> {
  // An accessor pair is one property: declaring the setter here hides the base getter unless it is declared again.
  override get value(): T {
    return super.value;
  }

  override set value(value: T) {
    writeValue(this.held(), value);
  }

  protected unlock(lock: RwLock<T>): void {
    unlockWrite(lock);
  }
}

type AnyGuard<T> = RwLockReadGuard<T> | RwLockWriteGuard<T>;

/**
 * A FIFO-fair readers-writer lock.
 *
 * @example
 * ```ts
 * import { RwLock } from "@zsync/runtime";
 * const lock = new RwLock<string[]>([]);
 * const r1 = await lock.read();
 * const r2 = lock.tryRead();       // readers share: a guard
 * const w = lock.write();          // queued behind the readers
 * lock.tryRead();                  // undefined: a writer is waiting
 * r1.release();
 * r2?.release();                   // last reader out admits the writer
 * (await w).value.push("written");
 * ```
 */
export class RwLock<T = undefined> {
  #readers = 0;
  #writer = false;
  #value: T;
  readonly #queue = new WaitQueue<AnyGuard<T>>();
  readonly #drain = (): void => this.#admit();

  static {
    unlockRead = (lock) => {
      lock.#readers--;
      if (lock.#readers === 0) lock.#admit();
    };
    unlockWrite = (lock) => {
      lock.#writer = false;
      lock.#admit();
    };
    readValue = (lock) => lock.#value;
    writeValue = (lock, value) => {
      lock.#value = value;
    };
  }

  /**
   * @param value the value to protect. Omit it for a plain lock (`T` is then
   *   `undefined`); a lock typed with some other `T` requires it.
   */
  constructor(...[value]: OptionalValue<T>) {
    this.#value = value as T;
  }

  /** How many read guards are outstanding. */
  get readers(): number {
    return this.#readers;
  }

  /** Whether a write guard is outstanding. */
  get isWriteLocked(): boolean {
    return this.#writer;
  }

  /** How many `read` and `write` calls are queued. */
  get waiting(): number {
    return this.#queue.size;
  }

  /**
   * Resolves with a read guard once no writer holds the lock and no caller
   * queued earlier is still waiting. Cancellation as for `Mutex.lock`.
   */
  read(options?: WaitOptions): Promise<RwLockReadGuard<T>> {
    const signal = options?.signal;
    const token = ambientToken();
    if (signal?.aborted === true || token?.cancelled === true) {
      return Promise.reject(cancelledAlready(signal, token));
    }
    if (!this.#writer && this.#queue.size === 0) {
      this.#readers++;
      return Promise.resolve(new ReadGuard(this));
    }
    return this.#queue.park(READ, signal, token, this.#drain) as Promise<RwLockReadGuard<T>>;
  }

  /**
   * Resolves with a write guard once no one holds the lock and no caller
   * queued earlier is still waiting. Cancellation as for `Mutex.lock`.
   */
  write(options?: WaitOptions): Promise<RwLockWriteGuard<T>> {
    const signal = options?.signal;
    const token = ambientToken();
    if (signal?.aborted === true || token?.cancelled === true) {
      return Promise.reject(cancelledAlready(signal, token));
    }
    if (!this.#writer && this.#readers === 0 && this.#queue.size === 0) {
      this.#writer = true;
      return Promise.resolve(new WriteGuard(this));
    }
    return this.#queue.park(WRITE, signal, token, this.#drain) as Promise<RwLockWriteGuard<T>>;
  }

  /** A read guard now, or `undefined` if a writer holds the lock or anyone is queued. */
  tryRead(): RwLockReadGuard<T> | undefined {
    if (this.#writer || this.#queue.size !== 0) return undefined;
    this.#readers++;
    return new ReadGuard(this);
  }

  /** A write guard now, or `undefined` if anyone holds the lock or is queued. */
  tryWrite(): RwLockWriteGuard<T> | undefined {
    if (this.#writer || this.#readers !== 0 || this.#queue.size !== 0) return undefined;
    this.#writer = true;
    return new WriteGuard(this);
  }

  /** Serves the head of the queue: one writer, or the run of readers before the next writer. */
  #admit(): void {
    if (this.#writer) return;
    for (;;) {
      const waiter = this.#queue.nextLive();
      if (waiter === null) return;
      if (waiter.tag === WRITE) {
        if (this.#readers !== 0) return;
        this.#writer = true;
        this.#queue.grant(waiter, new WriteGuard(this));
        return;
      }
      this.#readers++;
      this.#queue.grant(waiter, new ReadGuard(this));
    }
  }
}
