/**
 * Wire protocol between the main thread and a connection worker, imported by
 * both sides (the worker runs the compiled `dist/worker/connection-worker.js`,
 * see the runtime's docs/worker-entry-points.md).
 *
 * A request batch is one flat array of variable-length records
 * `[op, flags, slot, sql, arg, n, ...params]`: `slot` names the connection's
 * prepared statement (assigned by the main thread, -1 for none), `sql` is the
 * statement text the first time a slot is used (null afterwards, so the text
 * crosses threads and is hashed once per connection, not per query), `arg` is
 * an operation argument (iterator batch size, INSERT row width), and `n`
 * positional parameters follow inline (n = -1: one named-parameter object,
 * or the flat value array of {@link OP_INSERT_MANY}).
 *
 * A response batch is one flat array of variable-length records starting with
 * a status; the main thread knows each request's operation (responses come in
 * request order) and so each record's shape. Row results are
 * `[STATUS_OK, columnNames, rowCount, ...values]` with the values of all rows
 * inline: no array or object per row, and the names array is the same object
 * for every result of a statement, so a batch clones it once.
 *
 * @example
 * ```ts
 * import { OP_GET, REQUEST_HEADER } from "./protocol.js";
 * // get("SELECT * FROM t WHERE id = ?", [7]) as the first use of statement slot 0:
 * const batch = [OP_GET, 0, 0, "SELECT * FROM t WHERE id = ?", 0, 1, 7];
 * batch.length === REQUEST_HEADER + 1; // true
 * ```
 * @module
 */

/** Fixed slots of a request record before its inline parameters. */
export const REQUEST_HEADER = 6;

/** First row or none: `[OK, names, 0 | 1, ...values]`. */
export const OP_GET = 1 as const;
/** All rows: `[OK, names, rowCount, ...values]`. */
export const OP_ALL = 2 as const;
/** Write: `[OK, changes, lastInsertRowid]`. */
export const OP_RUN = 3 as const;
/** Rows and write counts: `[OK, names, rowCount, ...values, changes, lastInsertRowid]`. */
export const OP_QUERY = 4 as const;
/** Multi-statement script via `exec` (in `sql`; no parameters, no rows): `[OK]`. */
export const OP_EXEC = 5 as const;
/** Opens an iterator (`arg` = batch size) and returns its first batch: `[OK, names, rowCount, ...values, done]`. */
export const OP_ITER_OPEN = 6 as const;
/** Next batch of the open iterator (`arg` = batch size; same shape as {@link OP_ITER_OPEN}). */
export const OP_ITER_NEXT = 7 as const;
/** Closes the open iterator early: `[OK]`. */
export const OP_ITER_CLOSE = 8 as const;
/** Runs the prepared INSERT once per row of a flat value array (`arg` = columns per row): `[OK, rowsInserted]`. */
export const OP_INSERT_MANY = 9 as const;
/** Online backup to the path in `sql`, answered in a message of its own: `[OK, totalPages]`. */
export const OP_BACKUP = 10 as const;
/** Ends the worker thread abruptly (tests of crash recovery only). */
export const OP_EXIT = 11 as const;
/** Closes the connection cleanly (checkpointing the WAL if it is the last) and lets the thread end: `[OK]`. */
export const OP_CLOSE = 12 as const;

/** A request record's operation. */
export type Op =
  | typeof OP_GET
  | typeof OP_ALL
  | typeof OP_RUN
  | typeof OP_QUERY
  | typeof OP_EXEC
  | typeof OP_ITER_OPEN
  | typeof OP_ITER_NEXT
  | typeof OP_ITER_CLOSE
  | typeof OP_INSERT_MANY
  | typeof OP_BACKUP
  | typeof OP_EXIT
  | typeof OP_CLOSE;

/** Request flag: return every integer as a bigint. */
export const FLAG_BIGINT = 1 as const;
/** Request flag: the caller may cancel: the worker checks the request's cancellation bit before starting it. */
export const FLAG_INTERRUPTIBLE = 2 as const;
/** Request flag: a transaction-control statement (BEGIN); never wrapped in a transaction of its own. */
export const FLAG_TX_CONTROL = 4 as const;

/** Request flag: the COMMIT or ROLLBACK that ends a transaction (clears a stopped transaction's state). */
export const FLAG_TX_END = 8 as const;

/**
 * The interrupt cells, a `SharedArrayBuffer` per connection (Int32 indexes).
 * Every request has a sequence number, counted by both sides in send order
 * from 1 (skipping 0 and -1 on wrap-around). The patched better-sqlite3
 * progress handler stops the running statement while `STOP` equals
 * `CURRENT`; the main thread sets `STOP` to a request's number only when
 * `CURRENT` already shows that request running, and otherwise sets its bit
 * in the bitmap at `BITS`, which the worker tests before starting a request.
 */
export const CELL_STOP = 0;
/** Sequence number of the request the worker is executing (0 between batches). */
export const CELL_CURRENT = 1;
/** Sequence number of the last request the worker finished. */
export const CELL_DONE = 2;
/** First Int32 of the cancelled-request bitmap (bit `seq & BITMAP_MASK`). */
export const CELL_BITS = 4;
/** Sequence numbers covered by the bitmap; more requests than this in flight on one connection would alias. */
export const BITMAP_SPAN = 1 << 16;
export const BITMAP_MASK = BITMAP_SPAN - 1;
/** Bytes of the interrupt buffer. */
export const INTERRUPT_BYTES = (CELL_BITS + BITMAP_SPAN / 32) * 4;
/** VM instructions between two checks of the cells (a point select runs a few dozen). */
export const INTERRUPT_EVERY_OPS = 1000;

/** The sequence number after `seq`. */
export function nextSeq(seq: number): number {
  const next = (seq + 1) | 0;
  return next === 0 || next === -1 ? 1 : next;
}

/** Response status: success. */
export const STATUS_OK = 0 as const;
/** Response status: `[ERROR, serialisedError]`. */
export const STATUS_ERROR = 1 as const;
/** Response status `[REROUTE]`: a read-only connection was given a writing statement; send it to the writer. */
export const STATUS_REROUTE = 2 as const;
/** A response record's status. */
export type Status = typeof STATUS_OK | typeof STATUS_ERROR | typeof STATUS_REROUTE;

/** Error kinds carried across the thread boundary. */
export const ERROR_SQLITE = "sqlite" as const;
export const ERROR_BIND = "bind" as const;
export const ERROR_OTHER = "other" as const;
/** The statement was stopped (SQLite's SQLITE_INTERRUPT, or skipped before it started). */
export const ERROR_INTERRUPTED = "interrupted" as const;
/** A statement of a transaction that was rolled back because one of its statements was stopped. */
export const ERROR_TX_ABORTED = "tx-aborted" as const;
/** An error's kind on the wire. */
export type ErrorKind = typeof ERROR_SQLITE | typeof ERROR_BIND | typeof ERROR_OTHER | typeof ERROR_INTERRUPTED | typeof ERROR_TX_ABORTED;

/** An error as it crosses the thread boundary (the main thread rebuilds the error class from `kind` and `code`). */
export interface WireError {
  readonly kind: ErrorKind;
  readonly name: string;
  readonly message: string;
  readonly code: string | undefined;
}

/** What a connection worker is started with (its `workerData`): the one definition both sides use. */
export interface WorkerData {
  readonly path: string;
  readonly readonly: boolean;
  readonly wal: boolean;
  readonly busyTimeoutMs: number;
  readonly synchronous: "normal" | "full";
  readonly pragmas: readonly string[];
  /** This connection's interrupt cells ({@link INTERRUPT_BYTES} bytes, layout above). */
  readonly interrupt: SharedArrayBuffer;
}
