/**
 * `@zsync/sqlite`: zqlite for TypeScript. An async SQLite database whose
 * statements run on worker threads (one writer, a pool of readers, WAL mode)
 * over better-sqlite3, so the event loop never blocks on SQLite.
 *
 * @example
 * ```ts
 * import { AsyncDatabase } from "@zsync/sqlite";
 * const db = await AsyncDatabase.open("app.db");
 * await db.exec("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v BLOB)");
 * await db.run("INSERT OR REPLACE INTO kv VALUES (?, ?)", ["a", new Uint8Array([1])]);
 * console.log(await db.get("SELECT * FROM kv WHERE k = ?", ["a"]));
 * await db.close();
 * ```
 * @module
 */
export { AsyncDatabase, type DatabaseStats } from "./database.js";
export {
  ConnectionLostError,
  DatabaseClosedError,
  SqliteBindError,
  SqliteConstraintError,
  SqliteError,
  type SqliteErrorCode,
  TransactionStateError,
} from "./errors.js";
export { quoteIdentifier } from "./identifiers.js";
export type { MaintenanceOptions, MaintenanceReport } from "./maintenance.js";
export type { CallOptions, IterateOptions, OpenOptions } from "./options.js";
export type { Queryable } from "./queryable.js";
export type { QueryResult, RowBatch, RunResult } from "./results.js";
export { Transaction, type TransactionBehavior } from "./transaction.js";
export type { IntegerMode, Params, Row, Value } from "./values.js";
