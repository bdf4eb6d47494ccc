/**
 * The service's request log: every answered request is sent on a bounded
 * runtime channel, and one background task drains it into SQLite in
 * batches (one transaction per batch, `batchInsert`). The channel's bound is
 * the back-pressure: when the writer falls behind, requests wait to be
 * logged instead of piling up in memory. {@link RequestLog.flush} waits
 * until everything sent so far is in the table, so `GET /stats` counts the
 * requests before it.
 *
 * @example
 * ```ts
 * import { AsyncDatabase } from "@zsync/sqlite";
 * import { RequestLog } from "./request-log.js";
 * const log = await RequestLog.open(await AsyncDatabase.open(":memory:"));
 * await log.record({ method: "GET", path: "/", status: 200, ms: 0.4 });
 * await log.flush();
 * ```
 * @module
 */
import { bounded, type Channel, spawnWith, type TaskHandle } from "@zsync/runtime";
import type { AsyncDatabase } from "@zsync/sqlite";

/** One answered request. */
export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Time from the request reaching the router to its response, in milliseconds. */
  readonly ms: number;
}

/** What `GET /stats` reports from the log. */
export interface RequestLogSummary {
  readonly total: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly batches: number;
}

const CAPACITY = 256;
const BATCH = 128;
const MAX_PATH = 200;

/** The request log: a bounded channel and the task that writes it to SQLite. */
export class RequestLog {
  readonly #db: AsyncDatabase;
  readonly #channel: Channel<LoggedRequest>;
  readonly #writer: TaskHandle<void>;
  #sent = 0;
  #written = 0;
  #batches = 0;
  #failure: unknown;
  #waiters: { readonly upTo: number; readonly resolve: () => void; readonly reject: (error: unknown) => void }[] = [];

  private constructor(db: AsyncDatabase) {
    this.#db = db;
    this.#channel = bounded<LoggedRequest>(CAPACITY);
    // Detached: the log outlives whichever task happened to open the service.
    this.#writer = spawnWith({ name: "request-log writer", detached: true }, () => this.#drain());
  }

  /** Creates the table if needed and starts the writer. */
  static async open(db: AsyncDatabase): Promise<RequestLog> {
    await db.exec(
      "CREATE TABLE IF NOT EXISTS requests (id INTEGER PRIMARY KEY, method TEXT NOT NULL, path TEXT NOT NULL, status INTEGER NOT NULL, ms REAL NOT NULL)",
    );
    return new RequestLog(db);
  }

  /** Logs one request; waits while the channel is full. Rejects once the log is closed or its writer failed. */
  async record(entry: LoggedRequest): Promise<void> {
    this.#sent++;
    await this.#channel.send({ ...entry, path: entry.path.slice(0, MAX_PATH) });
  }

  /** Resolves once every request recorded before the call is in the table. */
  flush(): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#written >= this.#sent) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ upTo: this.#sent, resolve, reject }));
  }

  /** Counts from the table (after a {@link flush}). */
  async summary(): Promise<RequestLogSummary> {
    await this.flush();
    const rows = await this.#db.all<{ status: number; n: number }>(
      "SELECT status, count(*) AS n FROM requests GROUP BY status ORDER BY status",
    );
    const byStatus: Record<string, number> = {};
    let total = 0;
    for (const row of rows) {
      byStatus[String(row.status)] = row.n;
      total += row.n;
    }
    return { total, byStatus, batches: this.#batches };
  }

  /** Stops taking entries, writes what is queued and waits for the writer. */
  async close(): Promise<void> {
    this.#channel.close();
    await this.#writer;
  }

  async #drain(): Promise<void> {
    try {
      for await (const first of this.#channel) {
        const batch = [first];
        while (batch.length < BATCH) {
          const next = this.#channel.tryRecv();
          if (!next.ok) break;
          batch.push(next.value);
        }
        await this.#db.batchInsert(
          "requests",
          batch.map(({ method, path, status, ms }) => ({ method, path, status, ms })),
        );
        this.#written += batch.length;
        this.#batches++;
        this.#wake();
      }
    } catch (error) {
      // Nothing drains the channel any more: close it, so that senders fail instead of waiting forever.
      this.#failure = error;
      this.#channel.close();
      for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
      throw error;
    }
  }

  #wake(): void {
    const still = [];
    for (const waiter of this.#waiters) {
      if (this.#written >= waiter.upTo) waiter.resolve();
      else still.push(waiter);
    }
    this.#waiters = still;
  }
}
