/**
 * Turns a connection worker's response record into what the caller gets:
 * rows, write counts, or a typed error.
 *
 * @example
 * ```ts
 * decodeError({ kind: "sqlite", name: "SqliteError", message: "no such table: t", code: "SQLITE_ERROR" }, "SELECT * FROM t");
 * // SqliteError: no such table: t (SQLITE_ERROR) in: SELECT * FROM t
 * ```
 * @module
 */
import { SqliteBindError, SqliteConstraintError, SqliteError } from "./errors.js";
import { DECODE_ALL, DECODE_BATCH, DECODE_GET, DECODE_NONE, DECODE_QUERY, DECODE_RUN, type Request } from "./request.js";
import { decodeRows, rowFactory } from "./row-decoder.js";
import type { Row, Value } from "./values.js";

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

interface WireError {
  readonly kind: string;
  readonly name: string;
  readonly message: string;
  readonly code: string | undefined;
}

export function decodeResponse(request: Request, a: unknown, b: unknown, c: unknown): unknown {
  switch (request.decode) {
    case DECODE_GET:
      return b === null ? undefined : rowFactory(a as string[])(b as Value[], 0);
    case DECODE_ALL:
      return decodeRows(a as string[], b as Value[]);
    case DECODE_QUERY: {
      const counts = c as [number | bigint, number | bigint];
      return { rows: decodeRows(a as string[], b as Value[]), changes: counts[0], lastInsertRowid: counts[1] } satisfies QueryResult;
    }
    case DECODE_RUN:
      return { changes: a as number | bigint, lastInsertRowid: b as number | bigint } satisfies RunResult;
    case DECODE_NONE:
      return undefined;
    case DECODE_BATCH:
      return { rows: decodeRows(a as string[], b as Value[]), done: c === true } satisfies RowBatch;
    default:
      return a;
  }
}

export function decodeError(wire: unknown, sql: string): Error {
  const error = wire as WireError;
  if (error.kind === "sqlite") {
    const code = error.code ?? "SQLITE_ERROR";
    if (code.startsWith("SQLITE_CONSTRAINT")) return new SqliteConstraintError(code, error.message, sql);
    return new SqliteError(code, error.message, sql);
  }
  if (error.kind === "bind") {
    const mismatch = /can only bind/i.test(error.message);
    return new SqliteBindError(mismatch ? "SQLITE_MISMATCH" : "SQLITE_RANGE", error.message, sql);
  }
  if (error.name === "TypeError") return new TypeError(`${error.message} (in: ${sql})`);
  return new SqliteError("SQLITE_MISUSE", error.message, sql);
}
