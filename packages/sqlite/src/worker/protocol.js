// @ts-check
/**
 * Wire protocol between the main thread and a connection worker. Shared by
 * both sides, so it is plain JavaScript: the worker must start from `src/`
 * under vitest and from `dist/` alike, without a TypeScript loader.
 *
 * A request batch is one flat array of {@link REQUEST_SLOTS}-sized records
 * `[id, op, sql, params, flags]`; a response batch is a flat array of
 * {@link RESPONSE_SLOTS}-sized records `[id, status, a, b, c]`. Flat arrays
 * cost one structured-clone header per batch instead of one per query, which
 * is most of what makes 64+ queries in flight cheap.
 *
 * @example
 * ```js
 * import { OP_GET, REQUEST_SLOTS } from "./protocol.js";
 * const batch = [1, OP_GET, "SELECT * FROM t WHERE id = ?", [7], 0];
 * batch.length === REQUEST_SLOTS; // true
 * ```
 * @module
 */

/** Slots per request record. */
export const REQUEST_SLOTS = 5;
/** Slots per response record. */
export const RESPONSE_SLOTS = 5;

/** First row or none: `a` = column names, `b` = row values or null. */
export const OP_GET = 1;
/** All rows: `a` = column names, `b` = flat row values. */
export const OP_ALL = 2;
/** Write: `a` = changes, `b` = lastInsertRowid. */
export const OP_RUN = 3;
/** Rows and write counts: `a` = column names, `b` = flat values, `c` = [changes, lastInsertRowid]. */
export const OP_QUERY = 4;
/** Multi-statement script via `exec` (no parameters, no rows). */
export const OP_EXEC = 5;
/** Opens an iterator and returns its first batch: `a` = column names, `b` = flat values, `c` = done. */
export const OP_ITER_OPEN = 6;
/** Next batch of the open iterator (same shape as {@link OP_ITER_OPEN}). */
export const OP_ITER_NEXT = 7;
/** Closes the open iterator early. */
export const OP_ITER_CLOSE = 8;
/** Runs one prepared INSERT for each row of a flat value array: `params` = values, `flags` = columns per row; `a` = changes. */
export const OP_INSERT_MANY = 9;
/** Online backup to the path in `sql`: `a` = total pages. */
export const OP_BACKUP = 10;
/** Ends the worker thread abruptly (tests of crash recovery only). */
export const OP_EXIT = 11;
/** Closes the connection cleanly (checkpointing the WAL if it is the last) and lets the thread end. */
export const OP_CLOSE = 12;

/** Request flag: return every integer as a bigint. */
export const FLAG_BIGINT = 1;
/** Request flag: the caller may cancel, so step row by row (termination lands between rows). */
export const FLAG_INTERRUPTIBLE = 2;
/** Iterator batch size is stored in the flags above this shift. */
export const FLAG_BATCH_SHIFT = 4;

/** Response status: success. */
export const STATUS_OK = 0;
/** Response status: `a` = serialised error. */
export const STATUS_ERROR = 1;
/** Response status: a read-only connection was given a writing statement; send it to the writer. */
export const STATUS_REROUTE = 2;

/** Error kinds carried across the thread boundary. */
export const ERROR_SQLITE = "sqlite";
export const ERROR_BIND = "bind";
export const ERROR_OTHER = "other";
