/**
 * Error classes of `@zsync/sqlite`. Each failure has its own class with a
 * stable `code`; errors SQLite reported also carry SQLite's own extended
 * result code (`sqliteCode`, e.g. `SQLITE_CONSTRAINT_UNIQUE`) and the SQL.
 * Timeouts and cancellations use the runtime's `TimeoutError` and
 * `CancelledError`; a full query queue uses `QueueFullError`.
 *
 * @example
 * ```ts
 * import { AsyncDatabase, SqliteConstraintError } from "@zsync/sqlite";
 * const db = await AsyncDatabase.open(":memory:");
 * await db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY)");
 * await db.run("INSERT INTO t VALUES (1)");
 * try {
 *   await db.run("INSERT INTO t VALUES (1)");
 * } catch (error) {
 *   if (error instanceof SqliteConstraintError) console.log(error.sqliteCode); // SQLITE_CONSTRAINT_PRIMARYKEY
 * }
 * ```
 * @module
 */
import { ZsyncError } from "@zsync/runtime";

/** The `code` of a {@link SqliteError}: `ZSYNC_SQLITE` or the code of one of its subclasses. */
export type SqliteErrorCode = "ZSYNC_SQLITE" | "ZSYNC_SQLITE_CONSTRAINT" | "ZSYNC_SQLITE_BIND";

/** SQLite rejected a statement: bad SQL, a failed step, I/O trouble. */
export class SqliteError<C extends SqliteErrorCode = SqliteErrorCode> extends ZsyncError<C> {
  static {
    SqliteError.brand("@zsync/sqlite:SqliteError");
  }

  /** SQLite's extended result code name, e.g. `SQLITE_ERROR`, `SQLITE_CONSTRAINT_UNIQUE`. */
  readonly sqliteCode: string;
  /** The statement that failed. */
  readonly sql: string;

  constructor(sqliteCode: string, message: string, sql: string, options?: { cause?: unknown; code?: C }) {
    super(options?.code ?? ("ZSYNC_SQLITE" as C), `${message} (${sqliteCode}) in: ${abbreviate(sql)}`, options);
    this.sqliteCode = sqliteCode;
    this.sql = sql;
  }
}

/** A constraint (UNIQUE, PRIMARY KEY, NOT NULL, CHECK, FOREIGN KEY) was violated; nothing was written. */
export class SqliteConstraintError extends SqliteError<"ZSYNC_SQLITE_CONSTRAINT"> {
  static {
    SqliteConstraintError.brand("@zsync/sqlite:SqliteConstraintError");
  }

  constructor(sqliteCode: string, message: string, sql: string, options?: { cause?: unknown }) {
    super(sqliteCode, message, sql, { ...options, code: "ZSYNC_SQLITE_CONSTRAINT" });
  }
}

/**
 * The parameters do not fit the statement: too many or too few positional
 * values, a missing named parameter, or a value SQLite cannot store.
 * `sqliteCode` is `SQLITE_RANGE` (count or name) or `SQLITE_MISMATCH` (type).
 */
export class SqliteBindError extends SqliteError<"ZSYNC_SQLITE_BIND"> {
  static {
    SqliteBindError.brand("@zsync/sqlite:SqliteBindError");
  }

  constructor(sqliteCode: string, message: string, sql: string, options?: { cause?: unknown }) {
    super(sqliteCode, message, sql, { ...options, code: "ZSYNC_SQLITE_BIND" });
  }
}

/** The database was closed (or is closing) before the call could run. */
export class DatabaseClosedError extends ZsyncError<"ZSYNC_SQLITE_CLOSED"> {
  static {
    DatabaseClosedError.brand("@zsync/sqlite:DatabaseClosedError");
  }

  constructor(message = "database is closed") {
    super("ZSYNC_SQLITE_CLOSED", message);
  }
}

/**
 * The worker thread holding the connection exited (crashed, ran out of
 * memory, or was terminated because a stopped statement did not stop) while
 * the call was in flight. The pool has replaced the connection; an open
 * transaction on it was rolled back by SQLite, so nothing of it was
 * committed. A plain write in flight when a writer crashed may have
 * committed before the crash: its outcome is unknown.
 */
export class ConnectionLostError extends ZsyncError<"ZSYNC_SQLITE_CONNECTION_LOST"> {
  static {
    ConnectionLostError.brand("@zsync/sqlite:ConnectionLostError");
  }

  /** Which connection was lost. */
  readonly role: "writer" | "reader";

  constructor(role: "writer" | "reader", message: string, options?: { cause?: unknown }) {
    super("ZSYNC_SQLITE_CONNECTION_LOST", message, options);
    this.role = role;
  }
}

/** A transaction was used after `commit()`/`rollback()`, or after it failed and was rolled back. */
export class TransactionStateError extends ZsyncError<"ZSYNC_SQLITE_TRANSACTION_STATE"> {
  static {
    TransactionStateError.brand("@zsync/sqlite:TransactionStateError");
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super("ZSYNC_SQLITE_TRANSACTION_STATE", message, options);
  }
}

function abbreviate(sql: string): string {
  const flat = sql.replace(/\s+/g, " ").trim();
  return flat.length > 200 ? `${flat.slice(0, 197)}...` : flat;
}
