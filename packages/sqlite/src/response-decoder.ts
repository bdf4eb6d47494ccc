/**
 * Turns a connection worker's response record into what the caller gets:
 * rows, write counts, or a typed error.
 *
 * @example
 * ```ts
 * import { decodeError } from "./response-decoder.js";
 * decodeError({ kind: "sqlite", name: "SqliteError", message: "no such table: t", code: "SQLITE_ERROR" }, "SELECT * FROM t");
 * // SqliteError: no such table: t (SQLITE_ERROR) in: SELECT * FROM t
 * ```
 * @module
 */
import { SqliteBindError, SqliteConstraintError, SqliteError, TransactionStateError } from "./errors.js";
import { DECODE_ALL, DECODE_BATCH, DECODE_GET, DECODE_NONE, DECODE_QUERY, DECODE_RUN, type Request } from "./request.js";
import type { QueryResult, RowBatch, RunResult } from "./results.js";
import { decodeRows, rowFactory } from "./row-decoder.js";
import type { Value } from "./values.js";
import {
  ERROR_INTERRUPTED,
  ERROR_TX_ABORTED,
  OP_ALL,
  OP_BACKUP,
  OP_EXIT,
  OP_GET,
  OP_INSERT_MANY,
  OP_ITER_NEXT,
  OP_ITER_OPEN,
  OP_QUERY,
  OP_RUN,
  type WireError,
} from "./worker/protocol.js";

/**
 * Index just past the success record at `at` of a response batch, whose shape
 * follows from the request's operation (see worker/protocol.js).
 */
export function responseEnd(op: number, out: readonly unknown[], at: number): number {
  switch (op) {
    case OP_GET:
    case OP_ALL:
      return at + 3 + (out[at + 2] as number) * (out[at + 1] as string[]).length;
    case OP_QUERY:
      return at + 5 + (out[at + 2] as number) * (out[at + 1] as string[]).length;
    case OP_ITER_OPEN:
    case OP_ITER_NEXT:
      return at + 4 + (out[at + 2] as number) * (out[at + 1] as string[]).length;
    case OP_RUN:
      return at + 3;
    case OP_INSERT_MANY:
    case OP_BACKUP:
    case OP_EXIT:
      return at + 2;
    default:
      return at + 1;
  }
}

/** What the caller of `request` gets from the success record at `at`. */
export function decodeResponse(request: Request, out: readonly unknown[], at: number): unknown {
  switch (request.decode) {
    case DECODE_GET:
      return out[at + 2] === 0 ? undefined : rowFactory(out[at + 1] as string[])(out as Value[], at + 3);
    case DECODE_ALL:
      return decodeRows(out[at + 1] as string[], out as Value[], at + 3, out[at + 2] as number);
    case DECODE_QUERY: {
      const columns = out[at + 1] as string[];
      const count = out[at + 2] as number;
      const end = at + 3 + count * columns.length;
      return {
        rows: decodeRows(columns, out as Value[], at + 3, count),
        changes: out[end] as number | bigint,
        lastInsertRowid: out[end + 1] as number | bigint,
      } satisfies QueryResult;
    }
    case DECODE_RUN:
      return { changes: out[at + 1] as number | bigint, lastInsertRowid: out[at + 2] as number | bigint } satisfies RunResult;
    case DECODE_NONE:
      return undefined;
    case DECODE_BATCH: {
      const columns = out[at + 1] as string[];
      const count = out[at + 2] as number;
      return {
        rows: decodeRows(columns, out as Value[], at + 3, count),
        done: out[at + 3 + count * columns.length] === true,
      } satisfies RowBatch;
    }
    default:
      return out[at + 1];
  }
}

export function decodeError(wire: unknown, sql: string): Error {
  const error = wire as WireError;
  if (error.kind === ERROR_TX_ABORTED) return new TransactionStateError(error.message);
  if (error.kind === "sqlite") {
    const code = error.code ?? "SQLITE_ERROR";
    if (code.startsWith("SQLITE_CONSTRAINT")) return new SqliteConstraintError(code, error.message, sql);
    return new SqliteError(code, error.message, sql);
  }
  if (error.kind === ERROR_INTERRUPTED) return new SqliteError("SQLITE_INTERRUPT", "the statement was stopped", sql);
  if (error.kind === "bind") {
    const mismatch = /can only bind/i.test(error.message);
    return new SqliteBindError(mismatch ? "SQLITE_MISMATCH" : "SQLITE_RANGE", error.message, sql);
  }
  if (error.name === "TypeError") return new TypeError(`${error.message} (in: ${sql})`);
  return new SqliteError("SQLITE_MISUSE", error.message, sql);
}

/** Whether a decoded error says the statement was stopped rather than failed. */
export function isStopped(error: Error): boolean {
  return error instanceof SqliteError && error.sqliteCode === "SQLITE_INTERRUPT";
}
