/**
 * `Transaction`: exclusive use of the writer connection between `BEGIN` and
 * `COMMIT`/`ROLLBACK`. Every statement run through it (reads included) runs
 * on the writer, inside the transaction. With `await using`, a transaction
 * that was neither committed nor rolled back is rolled back on scope exit,
 * like the seed's `defer tx.rollback()`.
 *
 * If a statement in the transaction is cancelled or times out while running,
 * or the writer's worker dies, SQLite rolls the whole transaction back; the
 * handle then rejects further statements with `TransactionStateError`.
 *
 * @example
 * ```ts
 * import type { AsyncDatabase } from "@zsync/sqlite";
 * declare const db: AsyncDatabase;
 * await using tx = await db.beginTransaction();
 * await tx.run("UPDATE accounts SET balance = balance - 10 WHERE id = ?", [1]);
 * await tx.run("UPDATE accounts SET balance = balance + 10 WHERE id = ?", [2]);
 * await tx.commit(); // without this line, leaving the scope rolls back
 * ```
 * @module
 */
import { ConnectionLostError, SqliteError, TransactionStateError } from "./errors.js";
import type { CallOptions } from "./options.js";
import { Queryable } from "./queryable.js";
import { DECODE_RUN, DECODE_SCALAR, Request, type RequestOwner } from "./request.js";
import type { IntegerMode } from "./values.js";
import { FLAG_INTERRUPTIBLE, FLAG_TX_CONTROL, FLAG_TX_END, OP_INSERT_MANY, OP_RUN } from "./worker/protocol.js";
import type { WriterLease } from "./writer-lane.js";

/** `BEGIN DEFERRED`, `BEGIN IMMEDIATE` (default: takes the write lock at once) or `BEGIN EXCLUSIVE`. */
export type TransactionBehavior = "deferred" | "immediate" | "exclusive";

/** What a transaction needs from its database. @internal */
export interface TransactionHost extends RequestOwner {
  submitOnLease(request: Request, options: CallOptions | undefined, lease: WriterLease): void;
  releaseLease(lease: WriterLease): void;
  stopRequest(request: Request, error: Error): void;
}

type State = "open" | "committed" | "rolled back";

export class Transaction extends Queryable implements AsyncDisposable {
  readonly #host: TransactionHost;
  readonly #lease: WriterLease;
  readonly #integers: IntegerMode;
  #state: State = "open";
  #ending = false;

  /** @internal Created by `AsyncDatabase.beginTransaction`. */
  constructor(host: TransactionHost, lease: WriterLease, integers: IntegerMode) {
    super();
    this.#host = host;
    this.#lease = lease;
    this.#integers = integers;
  }

  /** `"open"`, `"committed"` or `"rolled back"`. */
  get state(): State {
    return this.#state;
  }

  /** @internal */
  async begin(behavior: TransactionBehavior, signal: AbortSignal | undefined): Promise<void> {
    // Cancellable (signal, calling task) like any statement, but never wrapped in a transaction of its own.
    const request = new Request(OP_RUN, `BEGIN ${behavior.toUpperCase()}`, undefined, FLAG_TX_CONTROL, DECODE_RUN, this.#host);
    this.enqueue(request, signal === undefined ? undefined : { signal });
    await request.promise;
  }

  /** Commits. If COMMIT fails (e.g. a deferred foreign key), the transaction is rolled back and the error rethrown. */
  async commit(): Promise<void> {
    this.#assertOpen("commit");
    this.#ending = true;
    try {
      const stopped = this.#lease.stopped;
      if (stopped !== undefined) {
        throw new TransactionStateError("cannot commit: the transaction was rolled back because one of its statements was stopped", {
          cause: stopped,
        });
      }
      await this.#end("COMMIT");
      this.#finish("committed");
    } catch (error) {
      await this.#end("ROLLBACK").catch(() => {});
      this.#finish("rolled back");
      throw error;
    } finally {
      this.#ending = false;
    }
  }

  /** Rolls back. Does nothing if already rolled back; throws `TransactionStateError` after a commit. */
  async rollback(): Promise<void> {
    if (this.#state === "rolled back") return;
    if (this.#state === "committed") throw new TransactionStateError("cannot roll back: the transaction was committed");
    this.#ending = true;
    try {
      // Sent after a stopped statement too: the worker then clears its stopped-transaction state.
      if (this.#lease.lost === undefined) await this.#end("ROLLBACK");
    } finally {
      this.#ending = false;
      this.#finish("rolled back");
    }
  }

  /** Rolls back unless the transaction was committed or rolled back already. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#state === "open") await this.rollback();
  }

  protected get requestOwner(): RequestOwner {
    return this.#host;
  }

  protected get integerMode(): IntegerMode {
    return this.#integers;
  }

  protected enqueue(request: Request, options: CallOptions | undefined): void {
    if (this.#state !== "open" || (this.#ending && !isEndStatement(request.sql))) {
      request.reject(
        new TransactionStateError(`the transaction is ${this.#ending ? "ending" : this.#state}; statements can no longer run in it`),
      );
      return;
    }
    if (this.#lease.failure !== undefined && !isEndStatement(request.sql)) {
      request.reject(
        new TransactionStateError("the transaction was rolled back because its connection was stopped or lost", {
          cause: this.#lease.failure,
        }),
      );
      return;
    }
    this.#host.submitOnLease(request, options, this.#lease);
  }

  /**
   * @internal Inserts rows given as one flat array, `width` values per row,
   * with the prepared INSERT `sql` (see batch-insert.ts). The request watches
   * no signal or task itself: batch-insert.ts watches them once per call and
   * stops the chunks in flight with {@link stop}.
   */
  insertMany(sql: string, values: unknown[], width: number): Request {
    const request = new Request(OP_INSERT_MANY, sql, values, FLAG_INTERRUPTIBLE, DECODE_SCALAR, this.#host);
    request.arg = width;
    request.detached = true;
    request.cancellable = true;
    this.enqueue(request, undefined);
    return request;
  }

  /** @internal Stops `request` (one of this transaction's), which rolls the transaction back. */
  stop(request: Request, error: Error): void {
    this.#host.stopRequest(request, error);
  }

  async #end(sql: "COMMIT" | "ROLLBACK"): Promise<void> {
    if (this.#lease.lost !== undefined) {
      throw new TransactionStateError("the transaction was rolled back because its connection was stopped or lost", {
        cause: this.#lease.lost,
      });
    }
    // Detached from the calling task: ending the transaction must happen even
    // when the task was cancelled (that is usually why it is rolling back).
    const request = new Request(OP_RUN, sql, undefined, FLAG_TX_END, DECODE_RUN, this.#host);
    request.detached = true;
    this.enqueue(request, undefined);
    try {
      await request.promise;
    } catch (error) {
      // SQLite rolls back by itself after some errors (SQLITE_FULL, SQLITE_IOERR...); ROLLBACK then has nothing to do.
      if (sql === "ROLLBACK" && error instanceof SqliteError && /no transaction is active/i.test(error.message)) return;
      if (sql === "ROLLBACK" && error instanceof TransactionStateError) return;
      if (error instanceof ConnectionLostError)
        throw new TransactionStateError("the transaction was rolled back because its connection was lost", { cause: error });
      throw error;
    }
  }

  #assertOpen(action: string): void {
    if (this.#state !== "open") throw new TransactionStateError(`cannot ${action}: the transaction was ${this.#state}`);
    if (this.#ending) throw new TransactionStateError(`cannot ${action}: the transaction is already ending`);
  }

  #finish(state: State): void {
    if (this.#state !== "open") return;
    this.#state = state;
    this.#host.releaseLease(this.#lease);
  }
}

function isEndStatement(sql: string): boolean {
  return sql === "COMMIT" || sql === "ROLLBACK";
}
