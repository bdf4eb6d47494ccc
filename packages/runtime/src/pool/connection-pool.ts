/**
 * `ConnectionPool<T>`: a generic pool of reusable resources (database
 * connections, sockets) with create/destroy/validate hooks, min/max size,
 * acquire timeouts, idle eviction and periodic health checks. Portable: it
 * uses only timers and promises.
 *
 * A lease is returned to the pool by disposing it, so
 * `await using conn = await pool.acquire()` cannot leak a connection, and an
 * acquire that is cancelled or times out never leaks one either: a connection
 * created for a waiter that gave up goes to the next waiter or the idle list.
 *
 * @example
 * ```ts
 * import { ConnectionPool } from "@zsync/runtime";
 * interface Database { readonly isOpen: boolean; query(sql: string): unknown; close(): void }
 * declare function openDatabase(path: string): Promise<Database>;
 * const pool = new ConnectionPool({
 *   create: async () => openDatabase("app.db"),
 *   destroy: (db) => db.close(),
 *   validate: (db) => db.isOpen,
 *   max: 4,
 *   acquireTimeoutMs: 1000,
 * });
 * {
 *   await using lease = await pool.acquire();
 *   lease.value.query("select 1");
 * } // returned to the pool here
 * await pool.close();
 * ```
 * @module
 */
import { CancelledError, RuntimeStateError, TimeoutError } from "../errors.js";
import { watchCancellation } from "../internal/cancel.js";
import { currentScope } from "../internal/context.js";
import { clearTimer, setTimer, type Timer } from "../time/timer.js";

export interface ConnectionPoolOptions<T> {
  /** Opens a connection. The signal aborts when the pool closes. */
  readonly create: (signal: AbortSignal) => T | Promise<T>;
  /** Closes a connection (errors are swallowed: the connection is gone either way). */
  readonly destroy?: (connection: T) => void | Promise<void>;
  /** Whether an idle connection is still usable; checked before handing it out and by health checks. */
  readonly validate?: (connection: T) => boolean | Promise<boolean>;
  /** Connections kept open even when idle (default 0). */
  readonly min?: number;
  /** Upper bound on open connections (default 10). */
  readonly max?: number;
  /** Default `acquire()` timeout (default: none). */
  readonly acquireTimeoutMs?: number;
  /** Idle connections above `min` are closed after this long (default 30 000 ms). */
  readonly idleTimeoutMs?: number;
  /** Validate idle connections this often (default: never). */
  readonly healthCheckIntervalMs?: number;
}

export interface AcquireOptions {
  readonly signal?: AbortSignal;
  /** Overrides the pool's `acquireTimeoutMs`. */
  readonly timeoutMs?: number;
}

export interface ConnectionPoolStats {
  /** Open connections (idle + leased + being created). */
  readonly size: number;
  readonly idle: number;
  readonly leased: number;
  readonly pending: number;
  /** Callers waiting in `acquire()`. */
  readonly waiting: number;
  readonly created: number;
  readonly destroyed: number;
  /** Connections discarded because validation failed. */
  readonly invalid: number;
  readonly timeouts: number;
}

/** A connection on loan. Release it (or dispose it) exactly once. */
export class Lease<T> implements AsyncDisposable, Disposable {
  #pool: ConnectionPool<T> | null;
  readonly value: T;

  /** @internal */
  constructor(pool: ConnectionPool<T>, value: T) {
    this.#pool = pool;
    this.value = value;
  }

  /** Whether this lease still holds its connection. */
  get active(): boolean {
    return this.#pool !== null;
  }

  /** Returns the connection to the pool. Later calls do nothing. */
  release(): void {
    const pool = this.#pool;
    if (pool === null) return;
    this.#pool = null;
    pool[kRelease](this.value, false);
  }

  /** Closes the connection instead of returning it (e.g. after a protocol error). */
  discard(): Promise<void> {
    const pool = this.#pool;
    if (pool === null) return Promise.resolve();
    this.#pool = null;
    return pool[kRelease](this.value, true);
  }

  [Symbol.dispose](): void {
    this.release();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }
}

interface Idle<T> {
  readonly connection: T;
  since: number;
}

interface Waiter<T> {
  readonly resolve: (lease: Lease<T>) => void;
  readonly reject: (error: unknown) => void;
  done: boolean;
}

const kRelease = Symbol("release");

/** A bounded pool of `T`. See the module documentation. */
export class ConnectionPool<T> implements AsyncDisposable {
  readonly #create: ConnectionPoolOptions<T>["create"];
  readonly #destroy: ConnectionPoolOptions<T>["destroy"];
  readonly #validate: ConnectionPoolOptions<T>["validate"];
  readonly #min: number;
  readonly #max: number;
  readonly #acquireTimeoutMs: number | undefined;
  readonly #idleTimeoutMs: number;
  readonly #closing = new AbortController();
  #idle: Idle<T>[] = [];
  readonly #waiters: Waiter<T>[] = [];
  #leased = 0;
  #pending = 0;
  #created = 0;
  #destroyed = 0;
  #invalid = 0;
  #timeouts = 0;
  #closed = false;
  #evictTimer: Timer | undefined;
  #healthTimer: Timer | undefined;
  #healthEveryMs = 0;
  #checking = false;
  readonly #leasedSet = new Set<T>();
  #closedWaiters: (() => void)[] = [];

  constructor(options: ConnectionPoolOptions<T>) {
    if (typeof options?.create !== "function") throw new TypeError("ConnectionPool: options.create must be a function");
    if (options.destroy !== undefined && typeof options.destroy !== "function")
      throw new TypeError("ConnectionPool: options.destroy must be a function");
    if (options.validate !== undefined && typeof options.validate !== "function")
      throw new TypeError("ConnectionPool: options.validate must be a function");
    this.#create = options.create;
    this.#destroy = options.destroy;
    this.#validate = options.validate;
    this.#max = integer(options.max ?? 10, "max", 1);
    this.#min = integer(options.min ?? 0, "min", 0);
    if (this.#min > this.#max) throw new RangeError(`ConnectionPool: min (${this.#min}) exceeds max (${this.#max})`);
    this.#acquireTimeoutMs = options.acquireTimeoutMs === undefined ? undefined : duration(options.acquireTimeoutMs, "acquireTimeoutMs");
    this.#idleTimeoutMs = duration(options.idleTimeoutMs ?? 30_000, "idleTimeoutMs");
    if (options.healthCheckIntervalMs !== undefined) {
      this.#healthEveryMs = duration(options.healthCheckIntervalMs, "healthCheckIntervalMs");
      this.#armHealthCheck();
    }
    this.#fillToMin();
  }

  stats(): ConnectionPoolStats {
    return {
      size: this.#idle.length + this.#leased + this.#pending,
      idle: this.#idle.length,
      leased: this.#leased,
      pending: this.#pending,
      waiting: this.#waiters.length,
      created: this.#created,
      destroyed: this.#destroyed,
      invalid: this.#invalid,
      timeouts: this.#timeouts,
    };
  }

  /**
   * Leases a connection: an idle one that passes `validate`, a new one if the
   * pool is below `max`, or the next one released. Rejects with
   * `TimeoutError` after `timeoutMs`, `CancelledError` when the signal (or the
   * ambient task) is cancelled, `RuntimeStateError` once the pool is closed,
   * or the error thrown by `create`.
   */
  async acquire(options?: AcquireOptions): Promise<Lease<T>> {
    for (;;) {
      if (this.#closed) throw new RuntimeStateError("ConnectionPool: the pool is closed");
      const idle = this.#idle.pop();
      if (idle === undefined) break;
      if (await this.#isValid(idle.connection)) {
        if (this.#closed) {
          void this.#dispose(idle.connection);
          continue;
        }
        return this.#lease(idle.connection);
      }
      this.#invalid++;
      void this.#dispose(idle.connection);
    }
    return new Promise<Lease<T>>((resolve, reject) => {
      const timeoutMs = options?.timeoutMs ?? this.#acquireTimeoutMs;
      let timer: Timer | undefined;
      const finish = (): void => {
        waiter.done = true;
        unwatch?.();
        clearTimer(timer);
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
      };
      const waiter: Waiter<T> = {
        done: false,
        resolve: (lease) => {
          finish();
          resolve(lease);
        },
        reject: (error) => {
          finish();
          reject(error);
        },
      };
      const unwatch = watchCancellation(options?.signal, currentScope()?.token, (error) => waiter.reject(error));
      if (waiter.done) return;
      if (timeoutMs !== undefined) {
        timer = setTimer(
          () => {
            this.#timeouts++;
            waiter.reject(new TimeoutError(timeoutMs, `ConnectionPool: no connection within ${timeoutMs} ms`));
          },
          duration(timeoutMs, "timeoutMs"),
        );
      }
      this.#waiters.push(waiter);
      this.#grow();
    });
  }

  /** Runs `fn` with a leased connection and releases it afterwards (discarding it if `fn` throws). */
  async use<R>(fn: (connection: T) => R | Promise<R>, options?: AcquireOptions): Promise<R> {
    const lease = await this.acquire(options);
    try {
      const result = await fn(lease.value);
      lease.release();
      return result;
    } catch (error) {
      await lease.discard();
      throw error;
    }
  }

  /**
   * Validates every idle connection now, closes the ones that fail, and
   * refills to `min`. Runs on its own every `healthCheckIntervalMs`.
   */
  async checkHealth(): Promise<void> {
    if (this.#validate === undefined || this.#checking || this.#closed) return;
    this.#checking = true;
    try {
      const idle = this.#idle;
      this.#idle = [];
      this.#leased += idle.length; // out of circulation while checked
      const results = await Promise.all(idle.map((entry) => this.#isValid(entry.connection)));
      this.#leased -= idle.length;
      idle.forEach((entry, i) => {
        if (results[i] && !this.#closed) this.#returnIdle(entry.connection, entry.since);
        else {
          if (!results[i]) this.#invalid++;
          void this.#dispose(entry.connection);
        }
      });
      this.#fillToMin();
    } finally {
      this.#checking = false;
    }
  }

  /**
   * Closes the pool: pending `acquire()`s reject with `RuntimeStateError`,
   * idle connections are destroyed now and leased ones when released.
   * Resolves when every connection is destroyed.
   */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#closing.abort(new CancelledError("pool closed"));
      clearTimer(this.#healthTimer);
      this.#healthTimer = undefined;
      clearTimer(this.#evictTimer);
      this.#evictTimer = undefined;
      for (const waiter of [...this.#waiters]) waiter.reject(new RuntimeStateError("ConnectionPool: the pool is closed"));
      const idle = this.#idle;
      this.#idle = [];
      await Promise.all(idle.map((entry) => this.#dispose(entry.connection)));
    }
    if (this.#leased + this.#pending > 0) await new Promise<void>((resolve) => this.#closedWaiters.push(resolve));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** @internal */
  [kRelease](connection: T, discard: boolean): Promise<void> {
    if (!this.#leasedSet.delete(connection)) return Promise.resolve();
    this.#leased--;
    if (discard || this.#closed) {
      const done = this.#dispose(connection);
      this.#grow();
      return done;
    }
    this.#returnIdle(connection, now());
    return Promise.resolve();
  }

  #lease(connection: T): Lease<T> {
    this.#leased++;
    this.#leasedSet.add(connection);
    return new Lease(this, connection);
  }

  /** Gives a free connection to the first live waiter, or parks it idle. */
  #returnIdle(connection: T, since: number): void {
    while (this.#waiters.length > 0) {
      const waiter = this.#waiters[0] as Waiter<T>;
      if (waiter.done) {
        this.#waiters.shift();
        continue;
      }
      waiter.resolve(this.#lease(connection));
      return;
    }
    this.#idle.push({ connection, since });
    this.#scheduleEviction();
    this.#checkClosed();
  }

  /** Opens connections for waiters while below `max`. */
  #grow(): void {
    let live = 0;
    for (const waiter of this.#waiters) if (!waiter.done) live++;
    while (!this.#closed && live > this.#pending && this.#idle.length + this.#leased + this.#pending < this.#max) {
      this.#open();
      live--;
      if (live <= this.#pending - 1) break;
    }
    this.#checkClosed();
  }

  #fillToMin(): void {
    while (!this.#closed && this.#idle.length + this.#leased + this.#pending < this.#min) this.#open();
  }

  #open(): void {
    this.#pending++;
    let created: Promise<T>;
    try {
      created = Promise.resolve(this.#create(this.#closing.signal));
    } catch (error) {
      created = Promise.reject(error);
    }
    created.then(
      (connection) => {
        this.#pending--;
        this.#created++;
        if (this.#closed) void this.#dispose(connection);
        else this.#returnIdle(connection, now());
        this.#checkClosed();
      },
      (error: unknown) => {
        this.#pending--;
        // The first waiter learns why; the others keep waiting (a later create may succeed).
        const waiter = this.#waiters.find((w) => !w.done);
        waiter?.reject(error);
        this.#checkClosed();
      },
    );
  }

  async #isValid(connection: T): Promise<boolean> {
    if (this.#validate === undefined) return true;
    try {
      return (await this.#validate(connection)) === true;
    } catch {
      return false;
    }
  }

  async #dispose(connection: T): Promise<void> {
    this.#destroyed++;
    try {
      await this.#destroy?.(connection);
    } catch {
      // The connection is unusable either way; a failing destroy must not break the pool.
    }
  }

  /** Health checks run every `healthCheckIntervalMs`, re-armed per run (a plain interval would overflow past 2^31-1 ms). */
  #armHealthCheck(): void {
    this.#healthTimer = setTimer(
      () => {
        if (this.#closed) return;
        this.#armHealthCheck();
        void this.checkHealth();
      },
      Math.max(1, this.#healthEveryMs),
    );
    unref(this.#healthTimer);
  }

  #scheduleEviction(): void {
    if (this.#evictTimer !== undefined || this.#closed || this.#idle.length <= this.#min) return;
    this.#evictTimer = setTimer(
      () => {
        this.#evictTimer = undefined;
        this.#evict();
      },
      Math.max(1, this.#idleTimeoutMs),
    );
    unref(this.#evictTimer);
  }

  #evict(): void {
    const cutoff = now() - this.#idleTimeoutMs;
    // Oldest idle connections sit at the front; keep at least `min` open.
    while (this.#idle.length > 0 && this.#idle.length + this.#leased + this.#pending > this.#min) {
      const oldest = this.#idle[0] as Idle<T>;
      if (oldest.since > cutoff) break;
      this.#idle.shift();
      void this.#dispose(oldest.connection);
    }
    this.#scheduleEviction();
  }

  #checkClosed(): void {
    if (!this.#closed || this.#leased + this.#pending > 0) return;
    const waiters = this.#closedWaiters;
    this.#closedWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function now(): number {
  return typeof performance !== "undefined" ? performance.now() : Date.now();
}

function unref(timer: unknown): void {
  (timer as { unref?: () => void } | undefined)?.unref?.();
}

function integer(value: number, name: string, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`ConnectionPool: ${name} must be an integer >= ${min}, got ${value}`);
  return value;
}

function duration(value: number, name: string): number {
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw new RangeError(`ConnectionPool: ${name} must be a non-negative number of ms, got ${value}`);
  }
  return value;
}
