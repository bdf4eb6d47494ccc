/**
 * What the query methods resolve with. Public types, kept apart from the
 * internal response decoder that builds them.
 *
 * @example
 * ```ts
 * import type { QueryResult, RunResult } from "./results.js";
 * const written: RunResult = { changes: 1, lastInsertRowid: 7 };
 * const read: QueryResult<{ id: number }> = { rows: [{ id: 7 }], changes: 0, lastInsertRowid: 0 };
 * console.log(written.changes, read.rows[0]?.id);
 * ```
 * @module
 */
import type { Row } from "./values.js";

/** What `run()` resolves with. */
export interface RunResult {
  /** Rows inserted, updated or deleted by the statement. */
  readonly changes: number | bigint;
  /** Rowid of the last inserted row on this connection. */
  readonly lastInsertRowid: number | bigint;
}

/** What `query()` resolves with. */
export interface QueryResult<R = Row> extends RunResult {
  readonly rows: R[];
}

/** One batch of a streamed result. */
export interface RowBatch {
  readonly rows: Row[];
  readonly done: boolean;
}
