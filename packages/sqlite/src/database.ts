/**
 * `AsyncDatabase`: SQLite for the event loop. Statements run on worker
 * threads (one writer connection and a pool of reader connections in WAL
 * mode, each pinned in its own worker), so the event loop never waits on
 * SQLite; calls made in one turn travel to a worker as one message.
 *
 * @example
 * ```ts
 * import { AsyncDatabase } from "@zsync/sqlite";
 * await using db = await AsyncDatabase.open("app.db");
 * await db.exec("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT)");
 * await db.run("INSERT INTO users (name) VALUES (?)", ["Alice"]);
 * const users = await db.all("SELECT * FROM users");
 * await db.transaction(async (tx) => {
 *   await tx.run("UPDATE users SET name = ? WHERE id = ?", ["Ada", 1]);
 * });
 * ```
 * @module
 */
import { resolve as resolvePath } from "node:path";
import { CancelledError, onTaskCancel, QueueFullError, TimeoutError } from "@zsync/runtime";
import { insertRows } from "./batch-insert.js";
import { Connection, type Role, type WorkerConfig } from "./connection.js";
import { ConnectionLostError, DatabaseClosedError, SqliteError } from "./errors.js";
import { type MaintenanceOptions, type MaintenanceReport, maintain } from "./maintenance.js";
import { type CallOptions, type IterateOptions, type OpenOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import { Queryable } from "./queryable.js";
import { ReaderPool } from "./reader-pool.js";
import { DECODE_SCALAR, QUEUED, Request, type RequestCarrier, type RequestOwner, SENT } from "./request.js";
import { streamRows } from "./row-stream.js";
import { StatementKinds } from "./statement-kind.js";
import { Transaction, type TransactionBehavior, type TransactionHost } from "./transaction.js";
import { checkParams, checkSql, type IntegerMode, type Params, type Row } from "./values.js";
import { FLAG_INTERRUPTIBLE, FLAG_TX_END, OP_BACKUP, OP_CLOSE, OP_EXIT, OP_ITER_OPEN } from "./worker/protocol.js";
import { WriterLane, type WriterLease } from "./writer-lane.js";

/** Counters for diagnostics. */
export interface DatabaseStats {
  readonly readers: number;
  readonly pending: number;
  readonly queuedWrites: number;
  readonly transactionOpen: boolean;
  readonly connectionsReplaced: number;
}

/** How long a stopped statement may keep running before its worker is ended instead. */
const STOP_GRACE_MS = 1000;

const OPEN = 0;
const CLOSING = 1;
const CLOSED = 2;

function isMemoryPath(path: string): boolean {
  return path === ":memory:" || path === "";
}

export class AsyncDatabase extends Queryable implements RequestOwner, TransactionHost, AsyncDisposable {
  /** The path the database was opened with (absolute for files). */
  readonly path: string;
  /** True for `:memory:` and temporary (`""`) databases, which use a single connection. */
  readonly memory: boolean;
  readonly #options: ResolvedOptions;
  readonly #lane: WriterLane;
  readonly #readers: ReaderPool | null;
  readonly #kinds = new StatementKinds();
  /** Connections we terminated on purpose (to stop a statement): their other requests are retried. */
  readonly #stopped = new WeakSet<RequestCarrier>();
  #state = OPEN;
  /** Set when connections are being closed: losses then are expected, not crashes. */
  #closingConnections = false;
  #pending = 0;
  #activeStreams = 0;
  #replaced = 0;
  #idleWaiters: Array<() => void> = [];
  #closing: Promise<void> | null = null;
  #nextId = 1;

  private constructor(path: string, memory: boolean, options: ResolvedOptions) {
    super();
    this.path = path;
    this.memory = memory;
    this.#options = options;
    const config = (role: Role): WorkerConfig => ({
      path,
      readonly: role === "reader",
      wal: !memory,
      busyTimeoutMs: options.busyTimeoutMs,
      synchronous: options.synchronous,
      pragmas: options.pragmas,
      statementCacheSize: options.statementCacheSize,
    });
    const reroute = (request: Request): void => this.#reroute(request);
    this.#lane = new WriterLane(
      (onLost) => new Connection(this.#nextId++, "writer", config("writer"), onLost, reroute),
      options.acquireTimeoutMs,
      (connection, cause, requests) => this.#writerLost(connection, cause, requests),
    );
    this.#readers =
      options.maxReaders === 0
        ? null
        : new ReaderPool(
            options.minReaders,
            options.maxReaders,
            (onLost) => new Connection(this.#nextId++, "reader", config("reader"), onLost, reroute),
            (connection, cause, requests) => this.#readerLost(connection, cause, requests),
          );
  }

  /**
   * Opens (creating if needed) the database at `path` in WAL mode with one
   * writer and `minReaders` reader connections. `":memory:"` or `""` (a
   * temporary database) opens a private database on a single connection:
   * every call, reads included, runs on it, since each SQLite connection to
   * such a database would see a different one.
   */
  static async open(path: string, options?: OpenOptions): Promise<AsyncDatabase> {
    if (typeof path !== "string") throw new TypeError(`path must be a string, got ${typeof path}`);
    const memory = isMemoryPath(path);
    if (!memory && path.startsWith("file:")) throw new TypeError("path must be a file path; SQLite URIs are not supported");
    const resolved = resolveOptions(options, memory);
    const db = new AsyncDatabase(memory ? path : resolvePath(path), memory, resolved);
    try {
      // The writer first: it switches the file to WAL, which read-only connections cannot do.
      await db.#lane.start();
      await db.#readers?.start();
    } catch (error) {
      await db.#shutdown(true);
      throw openError(error, path);
    }
    return db;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#state !== OPEN;
  }

  stats(): DatabaseStats {
    return {
      readers: this.#readers?.size ?? 0,
      pending: this.#pending,
      queuedWrites: this.#lane.queued,
      transactionOpen: this.#lane.leased,
      connectionsReplaced: this.#replaced,
    };
  }

  /**
   * Streams the rows of a query in batches (`batchSize`, default 100): the
   * next batch is fetched while the current one is consumed, and no further,
   * so a slow consumer holds at most two batches in memory. The query runs on
   * a reader connection reserved for it until the loop ends; breaking out of
   * the loop closes the statement.
   */
  iterate<R extends object = Row>(sql: string, params?: Params, options?: IterateOptions): AsyncIterable<R> {
    checkSql(sql);
    checkParams(params);
    const batchSize = options?.batchSize ?? this.#options.iterateBatchSize;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1 << 20) {
      throw new RangeError(`options.batchSize must be an integer from 1 to ${1 << 20}, got ${String(batchSize)}`);
    }
    return streamRows<R>(this, sql, params, batchSize, this.flagsFor(options), options);
  }

  /**
   * Runs `fn` in a transaction (`BEGIN IMMEDIATE` by default): commits when
   * it returns, rolls back when it throws (and rethrows). Other writes wait
   * until it ends; reads on other connections continue and see the state
   * before it. Inside, use `tx` for every statement: a write through `db`
   * would wait for this very transaction to end.
   */
  async transaction<T>(
    fn: (tx: Transaction) => Promise<T> | T,
    options?: { signal?: AbortSignal; behavior?: TransactionBehavior },
  ): Promise<T> {
    if (typeof fn !== "function") throw new TypeError("fn must be a function");
    const tx = await this.beginTransaction(options);
    let result: T;
    try {
      result = await fn(tx);
    } catch (error) {
      await tx.rollback().catch(() => {});
      throw error;
    }
    await tx.commit();
    return result;
  }

  /**
   * Begins a transaction and returns its handle; end it with `commit()` or
   * `rollback()`. Declared with `await using`, it rolls back on scope exit
   * unless committed (the seed's `defer tx.rollback()`).
   */
  async beginTransaction(options?: { signal?: AbortSignal; behavior?: TransactionBehavior }): Promise<Transaction> {
    this.#assertOpen();
    const behavior = options?.behavior ?? "immediate";
    if (behavior !== "deferred" && behavior !== "immediate" && behavior !== "exclusive") {
      throw new TypeError('options.behavior must be "deferred", "immediate" or "exclusive"');
    }
    const lease = await this.#lane.acquire(options?.signal);
    const tx = new Transaction(this, lease, this.integerMode);
    try {
      await tx.begin(behavior, options?.signal);
    } catch (error) {
      // BEGIN may have run even though the call was cancelled meanwhile: the
      // writer must not be handed on inside a transaction.
      await tx.rollback().catch(() => {});
      throw error;
    }
    return tx;
  }

  /**
   * Inserts `rows` (objects with the same keys) into `table` in one
   * transaction and resolves with the number of rows inserted. Table and
   * column names are validated and quoted. All or nothing: on any error,
   * or when `signal` aborts, the transaction is rolled back.
   */
  async batchInsert(
    table: string,
    rows: readonly Readonly<Record<string, unknown>>[],
    options?: { signal?: AbortSignal },
  ): Promise<number> {
    this.#assertOpen();
    return this.transaction((tx) => insertRows(tx, table, rows, options?.signal), options);
  }

  /**
   * Housekeeping, one step at a time on the writer so that other writes can
   * interleave and readers are never blocked: `PRAGMA optimize`, `ANALYZE`,
   * `REINDEX`, `VACUUM` and a WAL checkpoint (`TRUNCATE`). Each step can be
   * turned off; the report gives each step's duration and the checkpoint's
   * outcome.
   */
  async runMaintenance(options?: MaintenanceOptions): Promise<MaintenanceReport> {
    this.#assertOpen();
    return maintain(this, options);
  }

  /**
   * Copies the database to `destination` with SQLite's online backup, from a
   * reader connection (a consistent snapshot; writers continue meanwhile).
   * Resolves with the number of pages copied.
   */
  async backup(destination: string, options?: { signal?: AbortSignal }): Promise<number> {
    this.#assertOpen();
    if (typeof destination !== "string" || destination.length === 0) throw new TypeError("destination must be a non-empty string");
    const target = resolvePath(destination);
    const request = new Request(OP_BACKUP, target, undefined, 0, DECODE_SCALAR, this);
    if (this.#readers === null) {
      const lease = await this.#lane.acquire(options?.signal);
      try {
        this.submitOnLease(request, options, lease);
        return (await request.promise) as number;
      } finally {
        this.releaseLease(lease);
      }
    }
    const reader = await this.#readers.pin(options?.signal);
    try {
      this.#count(request);
      if (!request.done) this.#arm(request, options);
      if (!request.done) reader.send(request);
      return (await request.promise) as number;
    } finally {
      this.#readers.unpin(reader);
    }
  }

  /**
   * Closes the database: new calls fail with `DatabaseClosedError`, calls
   * already made (including open transactions and iterators) finish, then
   * every connection closes and the last one checkpoints the WAL. Aborting
   * `signal` stops waiting: running statements are abandoned and open
   * transactions rolled back. Idempotent.
   */
  close(options?: { signal?: AbortSignal }): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    this.#state = CLOSING;
    this.#closing = (async () => {
      const signal = options?.signal;
      if (!signal?.aborted) {
        await new Promise<void>((resolve) => {
          const onAbort = (): void => resolve();
          signal?.addEventListener("abort", onAbort, { once: true });
          this.#whenIdle(() => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          });
        });
      }
      await this.#shutdown(signal?.aborted === true);
      this.#state = CLOSED;
    })();
    return this.#closing;
  }

  /** Closes the database (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- RequestOwner / TransactionHost -------------------------------------------------

  /** @internal */
  settled(_request: Request): void {
    this.#pending--;
    if (this.#pending === 0) this.#checkIdle();
  }

  /** @internal Sends a request on a held lease (transactions, batch inserts). */
  submitOnLease(request: Request, options: CallOptions | undefined, lease: WriterLease): void {
    this.#count(request);
    if (request.done) return;
    request.write = true;
    request.inTransaction = true;
    this.#arm(request, options);
    if (request.done) return;
    if (lease.lost !== undefined) {
      request.reject(
        new ConnectionLostError("writer", "the transaction's connection was lost; it was rolled back", { cause: lease.broken }),
      );
      return;
    }
    lease.connection.send(request);
  }

  /** @internal Stops a request as its own signal would (batch inserts watch one signal for all their chunks). */
  stopRequest(request: Request, error: Error): void {
    this.#stop(request, error);
  }

  /** @internal */
  releaseLease(lease: WriterLease): void {
    this.#lane.release(lease);
    this.#checkIdle();
  }

  /** @internal Reserves a reader (or the writer, for memory databases and writing statements) for a stream. */
  async reserveForStream(sql: string, signal: AbortSignal | undefined): Promise<{ connection: Connection; release: () => void }> {
    this.#assertOpen();
    this.#activeStreams++;
    try {
      if (this.#readers !== null && this.#kinds.isRead(sql)) {
        const readers = this.#readers;
        const connection = await readers.pin(signal);
        return { connection, release: () => this.#endStream(() => readers.unpin(connection)) };
      }
      const lease = await this.#lane.acquire(signal);
      return { connection: lease.connection, release: () => this.#endStream(() => this.releaseLease(lease)) };
    } catch (error) {
      this.#endStream(() => {});
      throw error;
    }
  }

  /** @internal Sends a stream's request to its reserved connection. */
  submitOnConnection(request: Request, options: CallOptions | undefined, connection: Connection): void {
    this.#count(request);
    if (request.done) return;
    this.#arm(request, options);
    if (request.done) return;
    if (!connection.alive) {
      request.reject(new ConnectionLostError(connection.role, "the connection streaming this query was lost"));
      return;
    }
    connection.send(request);
  }

  /** @internal Remembers that `sql` writes (a reader refused it). */
  markWrite(sql: string): void {
    this.#kinds.markWrite(sql);
  }

  /** Test hook: makes a connection's worker thread exit abruptly, as a crash would. @internal */
  crashConnectionForTesting(role: Role): void {
    const connection = role === "writer" ? this.#lane.connection : this.#readers?.connections[0];
    if (connection === undefined || connection === null) throw new RangeError(`no ${role} connection to crash`);
    const request = new Request(OP_EXIT, "", undefined, 0, DECODE_SCALAR, { settled: () => {} });
    request.promise.catch(() => {});
    connection.send(request);
  }

  // ---- Queryable --------------------------------------------------------------------

  protected get requestOwner(): RequestOwner {
    return this;
  }

  protected get integerMode(): IntegerMode {
    return this.#options.integers;
  }

  protected enqueue(request: Request, options: CallOptions | undefined): void {
    if (this.#state !== OPEN) {
      request.reject(new DatabaseClosedError());
      return;
    }
    this.#count(request);
    if (request.done) return;
    this.#arm(request, options);
    if (request.done) return;
    if (!request.write && this.#readers !== null && this.#kinds.isRead(request.sql)) this.#readers.dispatch(request);
    else this.#write(request);
  }

  // ---- internals --------------------------------------------------------------------

  #count(request: Request): void {
    request.counted = true;
    // COMMIT and ROLLBACK are never refused: refusing one would leave the
    // writer inside a transaction its handle already reports as ended.
    if (++this.#pending > this.#options.maxPending && (request.flags & FLAG_TX_END) === 0) {
      request.reject(new QueueFullError(this.#options.maxPending, `too many outstanding calls (maxPending ${this.#options.maxPending})`));
    }
  }

  #assertOpen(): void {
    if (this.#state !== OPEN) throw new DatabaseClosedError();
  }

  #write(request: Request): void {
    request.write = true;
    request.state = QUEUED;
    if (!request.cancellable) {
      this.#lane.submit(request);
      return;
    }
    // A write that may be stopped runs alone on the writer, so that stopping
    // it (by ending the worker) cannot take anyone else's write with it.
    this.#lane.acquire(undefined, request).then(
      (lease) => {
        if (request.done) {
          this.releaseLease(lease);
          return;
        }
        request.promise.then(
          () => this.releaseLease(lease),
          () => this.releaseLease(lease),
        );
        if (!lease.connection.alive) {
          request.reject(new ConnectionLostError("writer", "writer connection lost before the statement ran"));
          return;
        }
        lease.connection.send(request);
      },
      (error: unknown) => request.reject(error),
    );
  }

  #reroute(request: Request): void {
    this.#kinds.markWrite(request.sql);
    if (request.op === OP_ITER_OPEN) {
      // The stream re-reserves the writer itself (see row-stream.ts).
      request.resolve(undefined);
      return;
    }
    this.#write(request);
  }

  /**
   * Arms what can cancel a request: the caller's signal, its timeout, and the
   * task the call was made from (one listener on the task, no AbortSignal).
   * Any of them makes the request cancellable (FLAG_INTERRUPTIBLE: the worker
   * checks its cancellation bit before starting it), and a cancellable write
   * outside a transaction runs alone, in a transaction of its own.
   */
  #arm(request: Request, options: CallOptions | undefined): void {
    const signal = options?.signal;
    const timeoutMs = options?.timeoutMs;
    const runTimeoutMs = options?.runTimeoutMs;
    const offTask = request.detached ? undefined : onTaskCancel((reason) => this.#stop(request, CancelledError.from(reason)));
    if (request.done) return; // the task was cancelled already: the listener ran
    if (signal === undefined && timeoutMs === undefined && runTimeoutMs === undefined) {
      if (offTask === undefined) return;
      request.cancellable = true;
      request.flags |= FLAG_INTERRUPTIBLE;
      request.dispose = offTask;
      return;
    }
    request.cancellable = true;
    request.flags |= FLAG_INTERRUPTIBLE;
    if (signal?.aborted) {
      offTask?.();
      request.reject(CancelledError.from(signal.reason));
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    let runTimer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = (): void => this.#stop(request, CancelledError.from(signal?.reason));
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => this.#stop(request, new TimeoutError(timeoutMs, `statement timed out after ${timeoutMs} ms`)), timeoutMs);
    }
    if (runTimeoutMs !== undefined) {
      request.onSend = () => {
        runTimer = setTimeout(
          () => this.#stop(request, new TimeoutError(runTimeoutMs, `statement ran for more than ${runTimeoutMs} ms`)),
          runTimeoutMs,
        );
      };
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    request.dispose = () => {
      if (timer !== undefined) clearTimeout(timer);
      if (runTimer !== undefined) clearTimeout(runTimer);
      signal?.removeEventListener("abort", onAbort);
      offTask?.();
    };
  }

  /**
   * Cancels a request wherever it is. A queued request is removed. One that
   * reached a worker is stopped there through its connection's interrupt
   * cells (see Connection.cancel): the worker skips it, or the patched
   * better-sqlite3 fails it with SQLITE_INTERRUPT mid-statement; the
   * connection stays open. Reads, and statements of a transaction (which is
   * rolled back as a whole), reject at once. A write outside a transaction
   * rejects when the worker confirms it was stopped, and resolves if it
   * finished first, so `TimeoutError`/`CancelledError` from a write always
   * means nothing of it was committed.
   */
  #stop(request: Request, error: Error): void {
    if (request.done || request.stopError !== undefined) return;
    const connection = request.connection;
    if (request.state === QUEUED || connection === null) {
      this.#lane.remove(request);
      request.reject(error);
      return;
    }
    if (request.state === SENT && connection.unsend(request)) {
      request.reject(error);
      return;
    }
    connection.cancel(request);
    if (request.inTransaction) {
      const lease = this.#lane.leaseOn(connection);
      if (lease !== null && lease.stopped === undefined) lease.stopped = error;
    }
    if (request.write && !request.inTransaction && request.op !== OP_BACKUP) request.stopError = error;
    else request.reject(error);
    this.#watch(connection, request, error);
  }

  /**
   * The fallback for what the progress handler cannot stop (a backup step, a
   * wait in SQLite's busy handler, a very long single VM instruction): if the
   * worker is still running the stopped request after {@link STOP_GRACE_MS},
   * the worker is ended, as a crash would be (a write outside a transaction
   * runs alone on the writer inside a transaction of its own, so ending the
   * worker rolls back just that write).
   */
  #watch(connection: RequestCarrier, request: Request, error: Error): void {
    const seq = request.seq;
    const check = (): void => {
      if (!connection.alive || connection.finished(seq)) return;
      if (!connection.running(seq)) {
        setTimeout(check, STOP_GRACE_MS).unref();
        return;
      }
      request.reject(error);
      this.#stopped.add(connection);
      this.#replaced++;
      connection.terminate(error);
    };
    setTimeout(check, STOP_GRACE_MS).unref();
  }

  #readerLost(connection: Connection, cause: unknown, requests: Request[]): void {
    if (this.#state === CLOSED || (this.#state === CLOSING && this.#closingConnections)) {
      for (const request of requests) request.reject(new DatabaseClosedError("database closed while the call was running"));
      return;
    }
    const retry = this.#stopped.has(connection);
    if (!retry) this.#replaced++;
    for (const request of requests) {
      if (retry && request.op !== OP_BACKUP && this.#readers !== null && !isStreamOp(request.op)) {
        // Stopped to cancel someone else's read; reads are idempotent, so run them elsewhere.
        this.#readers.dispatch(request);
      } else {
        request.reject(new ConnectionLostError("reader", lostMessage("reader", retry, cause), { cause }));
      }
    }
  }

  #writerLost(connection: Connection, cause: unknown, requests: Request[]): void {
    const deliberate = this.#stopped.has(connection);
    if (!deliberate && this.#state === OPEN) this.#replaced++;
    for (const request of requests) {
      if (this.#closingConnections) request.reject(new DatabaseClosedError("database closed while the call was running"));
      else request.reject(new ConnectionLostError("writer", lostMessage("writer", deliberate, cause), { cause }));
    }
  }

  #endStream(release: () => void): void {
    this.#activeStreams--;
    release();
    this.#checkIdle();
  }

  #whenIdle(callback: () => void): void {
    this.#idleWaiters.push(callback);
    this.#checkIdle();
  }

  #checkIdle(): void {
    if (this.#idleWaiters.length === 0) return;
    if (this.#pending > 0 || this.#activeStreams > 0 || this.#lane.leased) return;
    for (const waiter of this.#idleWaiters.splice(0)) waiter();
  }

  async #shutdown(force: boolean): Promise<void> {
    this.#closingConnections = true;
    const error = new DatabaseClosedError();
    this.#lane.shutdown(error);
    this.#readers?.shutdown(error);
    const readers = [...(this.#readers?.connections ?? [])];
    // Readers first, so that the writer, closing last, checkpoints and removes the WAL.
    await Promise.all(readers.map((c) => closeConnection(c, force)));
    const writer = this.#lane.connection;
    if (writer !== null) await closeConnection(writer, force);
  }
}

async function closeConnection(connection: Connection, force: boolean): Promise<void> {
  if (connection.alive && !force) {
    const request = new Request(OP_CLOSE, "", undefined, 0, DECODE_SCALAR, { settled: () => {} });
    request.promise.catch(() => {});
    connection.send(request);
    const timer = setTimeout(() => connection.terminate(new DatabaseClosedError()), 10_000);
    await connection.exited;
    clearTimeout(timer);
    return;
  }
  connection.terminate(new DatabaseClosedError());
  await connection.exited;
}

function isStreamOp(op: number): boolean {
  return op >= 6 && op <= 8;
}

function lostMessage(role: Role, deliberate: boolean, cause: unknown): string {
  if (deliberate) return `the ${role} connection was stopped to cancel a statement running on it; this call did not complete`;
  const detail = cause instanceof Error ? `: ${cause.message}` : "";
  return `the ${role} connection's worker thread exited unexpectedly${detail}; the connection was replaced`;
}

function openError(error: unknown, path: string): SqliteError {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return new SqliteError(
    typeof code === "string" && code.startsWith("SQLITE_") ? code : "SQLITE_CANTOPEN",
    `cannot open database ${path}: ${message}`,
    "",
    {
      cause: error,
    },
  );
}
