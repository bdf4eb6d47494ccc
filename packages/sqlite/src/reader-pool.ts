/**
 * The reader connections: between `min` and `max` read-only connections in
 * WAL mode, each in its own worker. A read goes to the connection with the
 * fewest requests outstanding; when every connection has a full pipeline a
 * new one is opened, up to `max`. A connection can be pinned by an iterator
 * or a backup (better-sqlite3 cannot run other statements on a connection
 * while an iterator is open), and is then skipped.
 *
 * @example
 * ```ts
 * import { Connection, type WorkerConfig } from "./connection.js";
 * import { ReaderPool } from "./reader-pool.js";
 * import type { Request } from "./request.js";
 * declare const config: WorkerConfig;
 * declare const request: Request;
 * let nextId = 1;
 * const pool = new ReaderPool(
 *   1,
 *   4,
 *   (onLost) => new Connection(nextId++, "reader", config, onLost, (write) => console.log("reroute", write.sql)),
 *   (connection, cause, requests) => console.log(`reader ${connection.id} lost (${String(cause)}), ${requests.length} requests to retry`),
 * );
 * await pool.start();
 * pool.dispatch(request);
 * ```
 * @module
 */
import { WaitQueue } from "@zsync/runtime/wait";
import type { Connection, LostHandler } from "./connection.js";
import type { Request } from "./request.js";

/** Outstanding requests per reader before another reader is opened. */
const GROW_AT = 48;

export class ReaderPool {
  readonly #min: number;
  readonly #max: number;
  readonly #open: (onLost: LostHandler) => Connection;
  readonly #onLost: (connection: Connection, cause: unknown, requests: Request[]) => void;
  #readers: Connection[] = [];
  /**
   * Callers of {@link pin} waiting for a reader. The runtime's queue never
   * hands a reader to a waiter whose signal or task is already cancelled (its
   * abort listener may not have run yet), so no reader is pinned for nobody.
   */
  readonly #pinWaiters = new WaitQueue<Connection>();
  #closed = false;

  constructor(
    min: number,
    max: number,
    open: (onLost: LostHandler) => Connection,
    onLost: (connection: Connection, cause: unknown, requests: Request[]) => void,
  ) {
    this.#min = min;
    this.#max = max;
    this.#open = open;
    this.#onLost = onLost;
  }

  /** Opens the minimum number of readers and waits until they are ready. */
  async start(): Promise<void> {
    const opened: Connection[] = [];
    for (let i = 0; i < this.#min; i++) opened.push(this.#spawn());
    await Promise.all(opened.map((c) => c.ready));
  }

  get size(): number {
    return this.#readers.length;
  }

  /** Requests outstanding on all readers. */
  get load(): number {
    let total = 0;
    for (const reader of this.#readers) total += reader.load;
    return total;
  }

  /** Sends `request` to the least-loaded unpinned reader, opening one if all are saturated. */
  dispatch(request: Request): void {
    let best: Connection | undefined;
    let bestLoad = Number.POSITIVE_INFINITY;
    const readers = this.#readers;
    for (let i = 0; i < readers.length; i++) {
      const reader = readers[i] as Connection;
      if (reader.pinned || !reader.alive) continue;
      const load = reader.load;
      if (load < bestLoad) {
        best = reader;
        bestLoad = load;
      }
    }
    if (best === undefined || (bestLoad >= GROW_AT && readers.length < this.#max)) best = this.#spawn();
    best.send(request);
  }

  /** Whether some reader could take a request now. */
  get available(): boolean {
    return this.#readers.some((r) => r.alive && !r.pinned) || this.#readers.length < this.#max;
  }

  /**
   * A reader for exclusive use (an iterator or backup), opened if needed;
   * waits while every reader is pinned and the pool is at `max`. Aborting
   * `signal` or cancelling the calling task gives up the wait.
   */
  pin(signal?: AbortSignal): Promise<Connection> {
    const free =
      this.#readers.find((r) => r.alive && !r.pinned && r.load === 0) ??
      (this.#readers.length < this.#max ? this.#spawn() : this.#readers.find((r) => r.alive && !r.pinned));
    if (free !== undefined) {
      free.pinned = true;
      return Promise.resolve(free);
    }
    return this.#pinWaiters.wait({ signal });
  }

  /** Returns a pinned reader to shared use. */
  unpin(connection: Connection): void {
    connection.pinned = false;
    if (!connection.alive) return;
    // Pinned before the hand-over: wakeOne resolves a live waiter synchronously, or returns false.
    connection.pinned = true;
    if (!this.#pinWaiters.wakeOne(connection)) connection.pinned = false;
  }

  /** Every reader; used by close and diagnostics. */
  get connections(): readonly Connection[] {
    return this.#readers;
  }

  /** Stops replacing lost readers and fails pin waiters. */
  shutdown(error: Error): void {
    this.#closed = true;
    this.#pinWaiters.rejectAll(error);
  }

  #spawn(): Connection {
    const connection = this.#open((lost, cause, requests) => this.#lost(lost, cause, requests));
    this.#readers.push(connection);
    return connection;
  }

  #lost(connection: Connection, cause: unknown, requests: Request[]): void {
    const index = this.#readers.indexOf(connection);
    if (index >= 0) this.#readers.splice(index, 1);
    if (!this.#closed && this.#readers.length < this.#min) this.#spawn();
    if (!this.#closed && this.#readers.length < this.#max) {
      const waiter = this.#pinWaiters.nextLive();
      if (waiter !== null) {
        const replacement = this.#spawn();
        replacement.pinned = true;
        this.#pinWaiters.grant(waiter, replacement);
      }
    }
    this.#onLost(connection, cause, requests);
  }
}
