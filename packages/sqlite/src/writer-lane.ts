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
import { CancelledError, TimeoutError } from "@zsync/runtime";
import { WaitQueue } from "@zsync/runtime/wait";
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

export class WriterLane {
  readonly #open: (onLost: LostHandler) => Connection;
  readonly #acquireTimeoutMs: number;
  readonly #onLost: (connection: Connection, cause: unknown, requests: Request[], lease: WriterLease | null) => void;
  #connection: Connection | null = null;
  #lease: WriterLease | null = null;
  /** Plain writes waiting for the writer, in arrival order, with their places in the common order in `#places`. */
  #queue: Request[] = [];
  #places: number[] = [];
  /**
   * Callers waiting for a lease, each tagged with its place in the common
   * order, so that leases and plain writes are served first come, first
   * served. The runtime's queue never grants a lease to a waiter whose signal
   * or task is already cancelled (its abort listener may not have run yet).
   * A waiter that gave up for a reason of the lane's own (acquire timeout,
   * withdrawal) has already been answered; its place is in `#abandoned`, and
   * it is handed `null` when it reaches the head. (Its signal cannot carry
   * those reasons: a signal combined from the caller's and ours, as with
   * `AbortSignal.any`, is aborted only after the caller's other abort
   * listeners have run, which would defeat the queue's guard.)
   */
  readonly #leases = new WaitQueue<WriterLease | null>();
  readonly #abandoned = new Set<number>();
  /** How the lease waiter for one write gives up when that write is withdrawn (see {@link remove}). */
  readonly #withdraw = new Map<Request, (error: Error) => void>();
  #nextPlace = 0;
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
    return this.#queue.length + this.#leases.size - this.#abandoned.size;
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
    if (this.#lease === null && this.#queue.length === 0 && this.#leases.size === 0 && connection?.alive === true) {
      connection.send(request);
      return;
    }
    this.#queue.push(request);
    this.#places.push(this.#nextPlace++);
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
   * waits, aborting `signal`, cancelling the calling task or the acquire
   * timeout passing (`TimeoutError`) gives up the place. A lease taken for
   * one `request` is withdrawn by {@link remove}.
   */
  acquire(signal?: AbortSignal, request?: Request): Promise<WriterLease> {
    if (signal?.aborted) return Promise.reject(CancelledError.from(signal.reason));
    const connection = this.#connection;
    if (
      this.#lease === null &&
      this.#queue.length === 0 &&
      this.#leases.size === 0 &&
      connection?.alive === true &&
      connection.load === 0
    ) {
      this.#lease = new WriterLease(connection);
      return Promise.resolve(this.#lease);
    }
    const place = this.#nextPlace++;
    const waiting = this.#leases.wait({ signal, tag: place, afterCancel: () => this.#drain() });
    if (this.#connection === null && !this.#replacing) this.#replace();
    const ms = this.#acquireTimeoutMs;
    return new Promise<WriterLease>((resolve, reject) => {
      let answered = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (): boolean => {
        if (answered) return false;
        answered = true;
        if (timer !== undefined) clearTimeout(timer);
        if (request !== undefined) this.#withdraw.delete(request);
        return true;
      };
      const abandon = (error: Error): void => {
        if (!done()) return;
        this.#abandoned.add(place);
        reject(error);
        this.#drain();
      };
      if (ms > 0) timer = setTimeout(() => abandon(new TimeoutError(ms, `waited ${ms} ms for the writer connection`)), ms);
      if (request !== undefined) this.#withdraw.set(request, abandon);
      waiting.then(
        (lease) => {
          this.#abandoned.delete(place);
          if (lease === null) return; // abandoned before it reached the head: already answered
          if (done()) resolve(lease);
          else this.release(lease); // granted, then abandoned before the grant was delivered
        },
        (error: unknown) => {
          this.#abandoned.delete(place);
          if (done()) reject(error);
        },
      );
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
  shutdown(error: Error): void {
    this.#closed = true;
    this.#failQueued(error);
  }

  /** Fails every queued write and lease waiter with `error`. */
  #failQueued(error: unknown): void {
    const requests = this.#queue.splice(0);
    this.#places.length = 0;
    for (const request of requests) {
      this.#clearTimer(request);
      request.reject(error);
    }
    this.#leases.rejectAll(error instanceof Error ? error : new Error(String(error), { cause: error }));
  }

  #drain(): void {
    const connection = this.#connection;
    if (connection === null || !connection.alive) return;
    while (this.#lease === null) {
      // Skips (and rejects) lease waiters whose signal or task is already cancelled.
      const waiter = this.#leases.nextLive();
      const place = this.#places.length > 0 ? (this.#places[0] as number) : Number.POSITIVE_INFINITY;
      if (waiter !== null && waiter.tag < place) {
        if (this.#abandoned.delete(waiter.tag)) {
          this.#leases.grant(waiter, null);
          continue;
        }
        // A lease waits until the writes sent before it are answered (see the module comment).
        if (connection.load > 0) return;
        this.#lease = new WriterLease(connection);
        this.#leases.grant(waiter, this.#lease);
        continue;
      }
      const next = this.#queue.shift();
      if (next === undefined) return;
      this.#places.shift();
      if (!next.done) {
        this.#clearTimer(next);
        connection.send(next);
      }
    }
  }

  #remove(request: Request): boolean {
    const index = this.#queue.indexOf(request);
    if (index >= 0) {
      this.#queue.splice(index, 1);
      this.#places.splice(index, 1);
      this.#clearTimer(request);
      return true;
    }
    const withdraw = this.#withdraw.get(request);
    if (withdraw === undefined) return false;
    withdraw(new CancelledError("the write was withdrawn"));
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
      this.#failQueued(cause);
      return;
    }
    // The old thread has exited (this runs from its exit event), so its lock is released.
    if (!this.#closed) this.#replace();
  }
}
