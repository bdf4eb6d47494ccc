/**
 * The single writer connection and the queue in front of it. SQLite allows
 * one writer at a time; funnelling every write through one connection means
 * our own connections never contend for the write lock, so `SQLITE_BUSY`
 * cannot arise between them.
 *
 * Plain writes are pipelined to the writer in arrival order. A transaction
 * (or a batch insert, or a write that may be cancelled) takes a lease: the
 * writer is then exclusively its, and other writes wait in FIFO order until
 * the lease is released. A lease is granted only once the writer has answered
 * every write sent before it, so nothing that happens under the lease (a
 * rollback, or ending the worker) can touch another caller's write. Waiting is
 * bounded by the acquire timeout.
 *
 * If the writer's worker exits (crash, or terminated because a stopped statement did not stop),
 * SQLite has rolled back whatever transaction it had open; the lease on it is
 * broken, and a new writer is opened once the old thread is fully gone, so
 * that it never waits on the old connection's lock.
 *
 * @example
 * ```ts
 * import type { Connection, LostHandler } from "./connection.js";
 * import type { Request } from "./request.js";
 * import { WriterLane } from "./writer-lane.js";
 * declare function openWriter(onLost: LostHandler): Connection;
 * declare const request: Request;
 * declare const beginRequest: Request;
 * const lane = new WriterLane(openWriter, 30_000, (connection, cause, requests, lease) =>
 *   console.log(`writer ${connection.id} lost (${String(cause)}): ${requests.length} requests, lease held: ${lease !== null}`),
 * );
 * await lane.start();
 * lane.submit(request);                 // plain write
 * const lease = await lane.acquire();   // exclusive
 * lease.connection.send(beginRequest);
 * lane.release(lease);
 * ```
 * @module
 */
import { CancelledError, onTaskCancel, TimeoutError } from "@zsync/runtime";
import type { Connection, LostHandler } from "./connection.js";
import type { Request, RequestCarrier } from "./request.js";

/** Exclusive use of the writer connection. */
export class WriterLease {
  readonly connection: Connection;
  /** Why the lease can no longer be used (its connection was lost), if so. */
  broken: unknown = undefined;
  /**
   * Why the transaction under this lease was rolled back while its connection
   * lives on (one of its statements was stopped), if so. Only its ROLLBACK
   * may still be sent.
   */
  stopped: unknown = undefined;
  released = false;

  constructor(connection: Connection) {
    this.connection = connection;
  }

  /** Why the connection under the lease is gone, or undefined while it lives. */
  get lost(): unknown {
    if (this.broken !== undefined) return this.broken;
    return this.connection.alive ? undefined : "the writer connection was stopped";
  }

  /** The reason the lease's transaction is unusable (statement stopped, connection lost), or undefined. */
  get failure(): unknown {
    return this.lost ?? this.stopped;
  }
}

interface LeaseWaiter {
  readonly kind: "lease";
  /** The single write this lease is for, if any: removing that request removes the waiter. */
  readonly request: Request | undefined;
  /** Checked again when the lease is granted: an abort whose listener has not run yet must not get it. */
  readonly signal: AbortSignal | undefined;
  readonly resolve: (lease: WriterLease) => void;
  readonly reject: (error: unknown) => void;
}

type Waiting = Request | LeaseWaiter;

export class WriterLane {
  readonly #open: (onLost: LostHandler) => Connection;
  readonly #acquireTimeoutMs: number;
  readonly #onLost: (connection: Connection, cause: unknown, requests: Request[], lease: WriterLease | null) => void;
  #connection: Connection | null = null;
  #lease: WriterLease | null = null;
  #queue: Waiting[] = [];
  #timers = new Map<Request, ReturnType<typeof setTimeout>>();
  #replacing = false;
  #closed = false;

  constructor(
    open: (onLost: LostHandler) => Connection,
    acquireTimeoutMs: number,
    onLost: (connection: Connection, cause: unknown, requests: Request[], lease: WriterLease | null) => void,
  ) {
    this.#open = open;
    this.#acquireTimeoutMs = acquireTimeoutMs;
    this.#onLost = onLost;
  }

  /** Opens the writer and waits until it is ready. */
  async start(): Promise<void> {
    await this.#spawn().ready;
  }

  get connection(): Connection | null {
    return this.#connection;
  }

  /** Writes waiting for the writer (behind a lease or a reconnect). */
  get queued(): number {
    return this.#queue.length;
  }

  /** The lease currently held on `connection`, if any. */
  leaseOn(connection: RequestCarrier): WriterLease | null {
    const lease = this.#lease;
    return lease !== null && lease.connection === connection ? lease : null;
  }

  /** Whether a lease is held. */
  get leased(): boolean {
    return this.#lease !== null;
  }

  /** Sends a plain write now, or queues it behind the current lease. */
  submit(request: Request): void {
    const connection = this.#connection;
    if (this.#lease === null && this.#queue.length === 0 && connection?.alive === true) {
      connection.send(request);
      return;
    }
    this.#queue.push(request);
    if (this.#acquireTimeoutMs > 0 && !this.#closed) {
      const ms = this.#acquireTimeoutMs;
      this.#timers.set(
        request,
        setTimeout(() => {
          if (this.#remove(request)) request.reject(new TimeoutError(ms, `write waited ${ms} ms for the writer connection`));
        }, ms),
      );
    }
    if (connection === null && !this.#replacing) this.#replace();
  }

  /** Takes a request back out of the queue; false if it was not queued. */
  remove(request: Request): boolean {
    return this.#remove(request);
  }

  /**
   * Exclusive use of the writer, in FIFO order with queued writes. While it
   * waits, aborting `signal` or cancelling the calling task (unless
   * `watchTask` is false: the caller watches it itself) gives up the place.
   * A lease taken for one `request` is withdrawn by {@link remove}.
   */
  acquire(signal?: AbortSignal, watchTask = true, request?: Request): Promise<WriterLease> {
    if (signal?.aborted) return Promise.reject(CancelledError.from(signal.reason));
    const connection = this.#connection;
    if (this.#lease === null && this.#queue.length === 0 && connection?.alive === true && connection.load === 0) {
      this.#lease = new WriterLease(connection);
      return Promise.resolve(this.#lease);
    }
    return new Promise<WriterLease>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let offTask: (() => void) | undefined;
      const cleanup = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        offTask?.();
      };
      const waiter: LeaseWaiter = {
        kind: "lease",
        request,
        signal,
        resolve: (lease) => {
          cleanup();
          resolve(lease);
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      };
      const giveUp = (error: unknown): void => {
        const index = this.#queue.indexOf(waiter);
        if (index < 0) return;
        this.#queue.splice(index, 1);
        waiter.reject(error);
      };
      const onAbort = (): void => giveUp(CancelledError.from(signal?.reason));
      const ms = this.#acquireTimeoutMs;
      if (ms > 0) timer = setTimeout(() => giveUp(new TimeoutError(ms, `waited ${ms} ms for the writer connection`)), ms);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(waiter);
      if (watchTask) offTask = onTaskCancel((reason) => giveUp(CancelledError.from(reason)));
      if (this.#connection === null && !this.#replacing) this.#replace();
    });
  }

  /** Ends a lease and lets queued writes and leases proceed. */
  release(lease: WriterLease): void {
    if (lease.released) return;
    lease.released = true;
    if (this.#lease === lease) this.#lease = null;
    this.#drain();
  }

  /** Fails everything queued (closing). */
  shutdown(error: unknown): void {
    this.#closed = true;
    for (const item of this.#queue.splice(0)) {
      if (!isLeaseWaiter(item)) this.#clearTimer(item);
      item.reject(error);
    }
  }

  #drain(): void {
    const connection = this.#connection;
    if (connection === null || !connection.alive) return;
    while (this.#lease === null && this.#queue.length > 0) {
      const head = this.#queue[0] as Waiting;
      // A lease waits until the writes sent before it are answered (see the module comment).
      if (isLeaseWaiter(head) && connection.load > 0 && !head.signal?.aborted) return;
      const next = this.#queue.shift() as Waiting;
      if (isLeaseWaiter(next)) {
        if (next.signal?.aborted) {
          next.reject(CancelledError.from(next.signal.reason));
          continue;
        }
        this.#lease = new WriterLease(connection);
        next.resolve(this.#lease);
      } else if (!next.done) {
        this.#clearTimer(next);
        connection.send(next);
      }
    }
  }

  #remove(request: Request): boolean {
    const index = this.#queue.findIndex((item) => item === request || (isLeaseWaiter(item) && item.request === request));
    if (index < 0) return false;
    const item = this.#queue[index] as Waiting;
    this.#queue.splice(index, 1);
    if (isLeaseWaiter(item)) item.reject(new CancelledError("the write was withdrawn"));
    else this.#clearTimer(request);
    return true;
  }

  #clearTimer(request: Request): void {
    const timer = this.#timers.get(request);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.#timers.delete(request);
    }
  }

  #spawn(): Connection {
    const connection = this.#open((lost, cause, requests) => this.#lost(lost, cause, requests));
    connection.onDrained = () => this.#drain();
    this.#connection = connection;
    return connection;
  }

  /** Opens a new writer once none is alive, then sends what queued up meanwhile. */
  #replace(): void {
    if (this.#closed) return;
    this.#replacing = true;
    const connection = this.#spawn();
    connection.ready.then(
      () => {
        this.#replacing = false;
        this.#drain();
      },
      () => {
        // Opening failed (disk gone, file deleted...): fail the waiting writes
        // rather than retrying in a loop; the next write tries again.
        this.#replacing = false;
      },
    );
  }

  #lost(connection: Connection, cause: unknown, requests: Request[]): void {
    if (this.#connection !== connection) return;
    this.#connection = null;
    const lease = this.#lease;
    if (lease !== null && lease.connection === connection) lease.broken = cause;
    this.#onLost(connection, cause, requests, lease);
    const wasReady = !this.#replacing;
    if (!wasReady) {
      // The replacement itself failed to open: fail what waits for it.
      this.#replacing = false;
      for (const item of this.#queue.splice(0)) {
        if (!isLeaseWaiter(item)) this.#clearTimer(item);
        item.reject(cause);
      }
      return;
    }
    // The old thread has exited (this runs from its exit event), so its lock is released.
    if (!this.#closed) this.#replace();
  }
}

function isLeaseWaiter(item: Waiting): item is LeaseWaiter {
  return (item as LeaseWaiter).kind === "lease";
}
