// @ts-check
/**
 * Entry point of a connection worker: owns exactly one better-sqlite3
 * connection for its whole life (SQLite connections are stateful: open
 * transactions, prepared statements and per-connection pragmas live in them),
 * and executes request batches from the main thread in arrival order.
 *
 * Plain JavaScript on purpose: `new Worker(new URL("./worker/connection-worker.js", import.meta.url))`
 * must work from `src/` under vitest and from `dist/` after `tsc` (which
 * copies it because the package compiles with `allowJs`).
 *
 * @example
 * ```js
 * // Started by ConnectionWorker, never imported directly:
 * new Worker(new URL("./connection-worker.js", import.meta.url), { workerData: { path: "app.db", readonly: true } });
 * ```
 * @module
 */
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import {
  BITMAP_MASK,
  CELL_BITS,
  CELL_CURRENT,
  CELL_DONE,
  ERROR_BIND,
  ERROR_INTERRUPTED,
  ERROR_OTHER,
  ERROR_SQLITE,
  ERROR_TX_ABORTED,
  FLAG_BIGINT,
  FLAG_INTERRUPTIBLE,
  FLAG_TX_CONTROL,
  FLAG_TX_END,
  INTERRUPT_EVERY_OPS,
  nextSeq,
  OP_ALL,
  OP_BACKUP,
  OP_CLOSE,
  OP_EXEC,
  OP_EXIT,
  OP_GET,
  OP_INSERT_MANY,
  OP_ITER_CLOSE,
  OP_ITER_NEXT,
  OP_ITER_OPEN,
  OP_QUERY,
  OP_RUN,
  REQUEST_HEADER,
  STATUS_ERROR,
  STATUS_OK,
  STATUS_REROUTE,
} from "./protocol.js";

/**
 * @typedef {object} WorkerConfig
 * @property {string} path
 * @property {boolean} readonly
 * @property {boolean} wal
 * @property {number} busyTimeoutMs
 * @property {"normal" | "full"} synchronous
 * @property {readonly string[]} pragmas
 * @property {SharedArrayBuffer} interrupt the interrupt cells (see protocol.js)
 */

/**
 * @typedef {object} Prepared
 * @property {import("better-sqlite3").Statement} stmt integers as bigints (exact)
 * @property {import("better-sqlite3").Statement | null} fast integers as numbers; only for read-only statements, see `fastRows`
 * @property {import("better-sqlite3").Statement | null} multi multi-row INSERT (OP_INSERT_MANY)
 * @property {number} multiRows rows per execution of `multi`
 * @property {boolean} reader
 * @property {boolean} readonly
 * @property {boolean} wrappable a write that can run inside a transaction of our own (see `executeAtomically`)
 * @property {string[]} columns
 */

const config = /** @type {WorkerConfig} */ (workerData);
const port = /** @type {import("node:worker_threads").MessagePort} */ (parentPort);

const db = new Database(config.path, { readonly: config.readonly, timeout: config.busyTimeoutMs });
if (!config.readonly) {
  if (config.wal) db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${config.synchronous === "full" ? "FULL" : "NORMAL"}`);
}
for (const pragma of config.pragmas) db.pragma(pragma);

/**
 * Stopping statements: the patched better-sqlite3 (patches/ at the repository
 * root) runs a progress handler every INTERRUPT_EVERY_OPS VM instructions that
 * fails the running statement with SQLITE_INTERRUPT while the main thread has
 * written this request's sequence number into the STOP cell.
 */
const cells = new Int32Array(config.interrupt);
const patched = /** @type {{ interruptWhenEqual?: (sab: SharedArrayBuffer, byteOffset: number, everyOps: number) => unknown }} */ (
  /** @type {unknown} */ (db)
);
if (typeof patched.interruptWhenEqual !== "function") {
  throw new Error(
    "better-sqlite3 was installed without this repository's patch (patches/better-sqlite3@12.9.0.patch, applied by pnpm install)",
  );
}
patched.interruptWhenEqual(config.interrupt, 0, INTERRUPT_EVERY_OPS);
/** Sequence number of the request being executed (counted in arrival order, like the main thread does). */
let seq = 0;
/**
 * Set when a statement of an open transaction was stopped: the transaction was
 * rolled back here, and the statements of it that were already sent must not
 * run in autocommit mode. Cleared by the transaction's ROLLBACK/COMMIT or a BEGIN.
 */
let txAborted = false;
const INTERRUPTED_ERROR = { kind: ERROR_INTERRUPTED, name: "SqliteError", message: "interrupted", code: "SQLITE_INTERRUPT" };
const TX_ABORTED_ERROR = {
  kind: ERROR_TX_ABORTED,
  name: "TransactionStateError",
  message: "the transaction was rolled back because one of its statements was stopped",
  code: undefined,
};

/**
 * Whether the main thread cancelled request `n` before it started.
 * @param {number} n
 */
function cancelledBeforeStart(n) {
  return (Atomics.load(cells, CELL_BITS + ((n & BITMAP_MASK) >>> 5)) & (1 << (n & 31))) !== 0;
}

/**
 * Clears request `n`'s cancellation bit once it is finished.
 * @param {number} n
 */
function clearCancelled(n) {
  Atomics.and(cells, CELL_BITS + ((n & BITMAP_MASK) >>> 5), ~(1 << (n & 31)));
}

/**
 * Makes what runs next immune to the STOP cell (a rollback after a stop must
 * not itself be interrupted).
 */
function uninterruptible() {
  Atomics.store(cells, CELL_CURRENT, 0);
}

/** @param {unknown} error */
function isInterrupt(error) {
  return error instanceof Database.SqliteError && error.code === "SQLITE_INTERRUPT";
}

/**
 * Prepared statements by slot. The main thread decides which statement lives
 * in which slot (and evicts), so the hot path here is an array index, not a
 * hash of the SQL text. `texts[slot]` keeps the SQL so that a statement whose
 * preparation failed is retried, and fails the same way, on its next use.
 * @type {(Prepared | undefined)[]}
 */
const prepared = [];
/** @type {(string | undefined)[]} */
const texts = [];
const changesStmt = db.prepare("SELECT changes(), last_insert_rowid()").raw(true).safeIntegers(true);
/** @type {string[]} */
const NO_COLUMNS = [];

/** @type {{ iterator: IterableIterator<unknown[]>, entry: Prepared, columns: string[], bigint: boolean } | null} */
let openIterator = null;

/**
 * Reusable argument arrays, one per parameter count: better-sqlite3 binds an
 * array argument element by element and keeps no reference to it.
 * @type {unknown[][]}
 */
const argArrays = [];

/**
 * @param {number} slot
 * @param {string | null} sql
 * @returns {Prepared}
 */
function statement(slot, sql) {
  if (sql !== null) {
    texts[slot] = sql;
    prepared[slot] = undefined;
  } else {
    const entry = prepared[slot];
    if (entry !== undefined) return entry;
  }
  const text = texts[slot];
  if (text === undefined) throw new RangeError(`statement slot ${slot} was never defined`);
  const stmt = db.prepare(text);
  const reader = stmt.reader;
  if (reader) stmt.raw(true);
  stmt.safeIntegers(true);
  let fast = null;
  if (reader && stmt.readonly) {
    fast = db.prepare(text);
    fast.raw(true);
  }
  /** @type {Prepared} */
  const entry = {
    stmt,
    fast,
    multi: null,
    multiRows: 0,
    reader,
    readonly: stmt.readonly,
    wrappable: !stmt.readonly && !OWN_TRANSACTION.test(text),
    columns: reader ? stmt.columns().map((c) => c.name) : NO_COLUMNS,
  };
  prepared[slot] = entry;
  return entry;
}

/**
 * Statements that cannot run inside a transaction we open (transaction control,
 * VACUUM, ATTACH/DETACH, pragmas such as journal_mode), after any leading
 * whitespace and comments.
 */
const OWN_TRANSACTION =
  /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*(?:begin|commit|end|rollback|savepoint|release|vacuum|attach|detach|pragma)\b/i;

const MIN_UNSAFE = 9007199254740992; // 2^53: from here on a double may not be the integer SQLite stored

/**
 * The rows of a read-only statement with integers read as doubles, which
 * allocates nothing per integer (reading them as bigints and converting back
 * costs about a tenth of a point query). Integers of magnitude 2^53 or more
 * may have lost precision that way; the tell is an integral double of that
 * magnitude, in which case the caller re-runs the statement exactly. A REAL
 * of that size also triggers the re-run, which is then merely redundant.
 * Re-running is safe because the statement is read-only.
 * @param {unknown[]} row
 */
function needsExact(row) {
  for (let i = 0; i < row.length; i++) {
    const value = row[i];
    if (typeof value === "number" && (value >= MIN_UNSAFE || value <= -MIN_UNSAFE) && Number.isInteger(value)) return true;
  }
  return false;
}

/**
 * Column names of a result whose rows are `width` wide, as produced by
 * `stmt`. SQLite re-prepares a statement by itself when the schema changes,
 * so a `SELECT *` can come back wider or narrower than when it was first
 * prepared; the row width is the cheap tell, and the names are then re-read
 * from the statement that produced the row. The response layout depends on
 * the names matching the width, so that is guaranteed here whatever happens.
 * @param {Prepared} entry
 * @param {number} width
 * @param {import("better-sqlite3").Statement} stmt
 */
function columnsFor(entry, width, stmt) {
  if (entry.columns.length === width) return entry.columns;
  const names = stmt.columns().map((c) => c.name);
  while (names.length < width) names.push(`column${names.length + 1}`);
  names.length = width;
  entry.columns = names;
  return names;
}

/**
 * JavaScript numbers that are integers bind as SQLite INTEGER (better-sqlite3
 * would bind them as REAL, so `typeof(?)` of 5 would be 'real').
 * @param {unknown} value
 */
function bindValue(value) {
  if (typeof value === "number") return Number.isSafeInteger(value) && !Object.is(value, -0) ? BigInt(value) : value;
  if (typeof value === "object" && value !== null && value instanceof Uint8Array && !Buffer.isBuffer(value)) {
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  return value;
}

/**
 * The parameters of the record at `start`: `n` inline positional values, or
 * (n = -1) a named-parameter object, converted for binding in place (the batch
 * was cloned for this thread, so it is ours to reuse).
 * @param {unknown[]} batch
 * @param {number} start
 * @param {number} n
 * @returns {unknown[] | Record<string, unknown> | undefined}
 */
function argsOf(batch, start, n) {
  if (n === 0) return undefined;
  if (n < 0) {
    const named = /** @type {Record<string, unknown>} */ (batch[start]);
    for (const key in named) named[key] = bindValue(named[key]);
    return named;
  }
  let args = argArrays[n];
  if (args === undefined) {
    args = new Array(n);
    if (n <= 64) argArrays[n] = args;
  }
  for (let i = 0; i < n; i++) args[i] = bindValue(batch[start + i]);
  return args;
}

/**
 * One result value: safe-range bigints become numbers unless the caller asked
 * for bigints, and blobs get their own buffer so the clone does not copy a
 * whole shared allocation.
 * @param {unknown} value
 * @param {boolean} bigint
 */
function outValue(value, bigint) {
  if (typeof value === "bigint") {
    if (!bigint && value <= 9007199254740991n && value >= -9007199254740991n) return Number(value);
    return value;
  }
  if (value !== null && typeof value === "object" && value instanceof Uint8Array) return new Uint8Array(value);
  return value;
}

/**
 * Appends a row's values to the response.
 * @param {unknown[]} row
 * @param {unknown[]} out
 * @param {boolean} bigint
 */
function pushRow(row, out, bigint) {
  for (let i = 0; i < row.length; i++) {
    const value = row[i];
    out.push(typeof value === "bigint" || (typeof value === "object" && value !== null) ? outValue(value, bigint) : value);
  }
}

/**
 * @param {unknown} error
 * @returns {{ kind: string, name: string, message: string, code: string | undefined }}
 */
function serialiseError(error) {
  if (error instanceof Database.SqliteError) {
    return { kind: ERROR_SQLITE, name: error.name, message: error.message, code: error.code };
  }
  if (error instanceof RangeError || error instanceof TypeError) {
    // better-sqlite3 reports parameter problems (count, names, types) this way.
    const bind = /parameter|bind/i.test(error.message);
    return { kind: bind ? ERROR_BIND : ERROR_OTHER, name: error.name, message: error.message, code: undefined };
  }
  const e = /** @type {{ name?: unknown, message?: unknown }} */ (error ?? {});
  return { kind: ERROR_OTHER, name: String(e.name ?? "Error"), message: String(e.message ?? error), code: undefined };
}

/**
 * Appends `[names, rowCount, ...values]` for every row of a reader statement.
 * @param {Prepared} entry
 * @param {unknown[] | Record<string, unknown> | undefined} args
 * @param {boolean} bigint
 * @param {unknown[]} out
 */
function pushAllRows(entry, args, bigint, out) {
  const header = out.length;
  out.push(entry.columns, 0);
  let count = 0;
  let width = entry.columns.length;
  let stmt = entry.stmt;
  if (!bigint && entry.fast !== null) stmt = entry.fast;
  let rows = /** @type {unknown[][]} */ (args === undefined ? stmt.all() : stmt.all(args));
  if (stmt !== entry.stmt && rows.some(needsExact)) {
    stmt = entry.stmt;
    rows = /** @type {unknown[][]} */ (args === undefined ? stmt.all() : stmt.all(args));
  }
  for (let r = 0; r < rows.length; r++) {
    const row = /** @type {unknown[]} */ (rows[r]);
    pushRow(row, out, bigint);
    width = row.length;
  }
  count = rows.length;
  out[header] = count === 0 ? entry.columns : columnsFor(entry, width, stmt);
  out[header + 1] = count;
}

/**
 * @param {unknown[]} out
 * @param {boolean} bigint
 */
function pushLastChanges(out, bigint) {
  const row = /** @type {unknown[]} */ (changesStmt.get());
  out.push(outValue(row[0], bigint), outValue(row[1], bigint));
}

/**
 * Appends `[names, rowCount, ...values, done]` for the next `batchSize` rows of the open iterator.
 * @param {number} batchSize
 * @param {unknown[]} out
 */
function pushIteratorBatch(batchSize, out) {
  const open = openIterator;
  if (open === null) return void out.push(NO_COLUMNS, 0, true);
  const header = out.length;
  out.push(open.columns, 0);
  let done = false;
  let count = 0;
  let width = open.columns.length;
  for (; count < batchSize; count++) {
    const step = open.iterator.next();
    if (step.done === true) {
      openIterator = null;
      done = true;
      break;
    }
    pushRow(step.value, out, open.bigint);
    width = step.value.length;
  }
  if (width !== open.columns.length) open.columns = columnsFor(open.entry, width, open.entry.stmt);
  out[header] = open.columns;
  out[header + 1] = count;
  out.push(done);
}

function closeIterator() {
  const open = openIterator;
  openIterator = null;
  open?.iterator.return?.();
}

/**
 * Executes the request record at `at` and appends its response record.
 * @param {unknown[]} batch
 * @param {number} at
 * @param {unknown[]} out
 */
function execute(batch, at, out) {
  const op = /** @type {number} */ (batch[at]);
  const flags = /** @type {number} */ (batch[at + 1]);
  const slot = /** @type {number} */ (batch[at + 2]);
  const sql = /** @type {string | null} */ (batch[at + 3]);
  const n = /** @type {number} */ (batch[at + 5]);
  const start = at + REQUEST_HEADER;
  const bigint = (flags & FLAG_BIGINT) !== 0;
  switch (op) {
    case OP_GET: {
      const entry = statement(slot, sql);
      if (!entry.readonly && config.readonly) return void out.push(STATUS_REROUTE);
      if (!entry.reader) throw new TypeError("get() needs a statement that returns rows; use run() for this statement");
      const args = argsOf(batch, start, n);
      let stmt = bigint || entry.fast === null ? entry.stmt : entry.fast;
      let row = /** @type {unknown[] | undefined} */ (args === undefined ? stmt.get() : stmt.get(args));
      if (row !== undefined && stmt !== entry.stmt && needsExact(row)) {
        stmt = entry.stmt;
        row = /** @type {unknown[] | undefined} */ (args === undefined ? stmt.get() : stmt.get(args));
      }
      if (row === undefined) return void out.push(STATUS_OK, entry.columns, 0);
      out.push(STATUS_OK, columnsFor(entry, row.length, stmt), 1);
      return pushRow(row, out, bigint);
    }
    case OP_ALL:
    case OP_QUERY: {
      const entry = statement(slot, sql);
      if (!entry.readonly && config.readonly) return void out.push(STATUS_REROUTE);
      const args = argsOf(batch, start, n);
      if (!entry.reader) {
        if (op === OP_ALL) throw new TypeError("all() needs a statement that returns rows; use run() for this statement");
        const info = /** @type {import("better-sqlite3").RunResult} */ (args === undefined ? entry.stmt.run() : entry.stmt.run(args));
        return void out.push(STATUS_OK, NO_COLUMNS, 0, outValue(info.changes, bigint), outValue(info.lastInsertRowid, bigint));
      }
      out.push(STATUS_OK);
      pushAllRows(entry, args, bigint, out);
      if (op === OP_QUERY) {
        if (entry.readonly) out.push(0, 0);
        else pushLastChanges(out, bigint);
      }
      return;
    }
    case OP_RUN: {
      const entry = statement(slot, sql);
      if (!entry.readonly && config.readonly) return void out.push(STATUS_REROUTE);
      const args = argsOf(batch, start, n);
      if (entry.reader) {
        // A RETURNING write or a read through run(): step it to completion, report counts.
        if (args === undefined) entry.stmt.all();
        else entry.stmt.all(args);
        if (entry.readonly) return void out.push(STATUS_OK, 0, 0);
        out.push(STATUS_OK);
        return pushLastChanges(out, bigint);
      }
      const info = /** @type {import("better-sqlite3").RunResult} */ (args === undefined ? entry.stmt.run() : entry.stmt.run(args));
      return void out.push(STATUS_OK, outValue(info.changes, bigint), outValue(info.lastInsertRowid, bigint));
    }
    case OP_EXEC: {
      db.exec(/** @type {string} */ (sql));
      return void out.push(STATUS_OK);
    }
    case OP_ITER_OPEN: {
      closeIterator();
      const entry = statement(slot, sql);
      if (!entry.readonly && config.readonly) return void out.push(STATUS_REROUTE);
      if (!entry.reader) throw new TypeError("iterate() needs a statement that returns rows");
      const args = argsOf(batch, start, n);
      const iterator = /** @type {IterableIterator<unknown[]>} */ (args === undefined ? entry.stmt.iterate() : entry.stmt.iterate(args));
      openIterator = { iterator, entry, columns: entry.columns, bigint };
      out.push(STATUS_OK);
      return pushIteratorBatch(/** @type {number} */ (batch[at + 4]), out);
    }
    case OP_ITER_NEXT: {
      out.push(STATUS_OK);
      return pushIteratorBatch(/** @type {number} */ (batch[at + 4]), out);
    }
    case OP_ITER_CLOSE: {
      closeIterator();
      return void out.push(STATUS_OK);
    }
    case OP_INSERT_MANY:
      return void out.push(
        STATUS_OK,
        insertMany(statement(slot, sql), /** @type {unknown[]} */ (batch[start]), /** @type {number} */ (batch[at + 4])),
      );
    case OP_EXIT: {
      process.exit(70);
      return;
    }
    case OP_CLOSE: {
      closeIterator();
      prepared.length = 0;
      db.close();
      out.push(STATUS_OK);
      port.postMessage(out.splice(0));
      port.close();
      return;
    }
    default:
      throw new TypeError(`unknown operation ${op}`);
  }
}

/** Bound parameters per multi-row INSERT; 999 is the lowest limit any SQLite build has. */
const MAX_INSERT_PARAMS = 999;
/** Rows per multi-row INSERT at most: past this, longer statements stop paying off. */
const MAX_INSERT_ROWS = 64;

/**
 * Inserts the rows of a flat value array, `width` values per row, with the
 * prepared single-row INSERT of `entry`. Most rows go through a multi-row
 * form of the same statement (its `VALUES (?, …)` group repeated), which
 * binds many rows per call into SQLite instead of one: the per-call cost is
 * most of what a single-row insert costs. Each row inserts exactly one row
 * (plain `INSERT ... VALUES`) or the call throws, and the caller's
 * transaction makes the whole batch all-or-nothing.
 * @param {Prepared} entry
 * @param {unknown[]} values
 * @param {number} width
 */
function insertMany(entry, values, width) {
  const total = values.length / width;
  if (entry.multi === null && total > 1) {
    const rows = Math.max(1, Math.min(MAX_INSERT_ROWS, Math.floor(MAX_INSERT_PARAMS / width)));
    if (rows > 1) {
      const group = `, (${new Array(width).fill("?").join(", ")})`;
      entry.multi = db.prepare(`${entry.stmt.source}${group.repeat(rows - 1)}`);
      entry.multiRows = rows;
    }
  }
  let offset = 0;
  let inserted = 0;
  const multi = entry.multi;
  if (multi !== null) {
    const span = entry.multiRows * width;
    const args = new Array(span);
    for (; offset + span <= values.length; offset += span) {
      for (let k = 0; k < span; k++) args[k] = bindValue(values[offset + k]);
      multi.run(args);
      inserted += entry.multiRows;
    }
  }
  const args = new Array(width);
  for (; offset < values.length; offset += width) {
    for (let c = 0; c < width; c++) args[c] = bindValue(values[offset + c]);
    entry.stmt.run(args);
    inserted++;
  }
  return inserted;
}

/**
 * A write that may be stopped runs inside its own transaction: stopped
 * through the interrupt cells, it is rolled back here (the COMMIT itself can be
 * interrupted, and the rollback runs with the cells disarmed); stopped by the
 * fallback of terminating this worker, the thread ends as soon as control
 * returns to JavaScript, before COMMIT, and closing the connection rolls the
 * write back (in autocommit mode the step itself would commit before
 * termination could take effect). `exec` scripts and statements
 * that cannot run inside a transaction (BEGIN, VACUUM, ATTACH, pragmas) run
 * as they are: stopping one keeps whatever it completed.
 * @param {unknown[]} batch
 * @param {number} at
 * @param {unknown[]} out
 */
function executeAtomically(batch, at, out) {
  const op = /** @type {number} */ (batch[at]);
  let wrap = false;
  if (op !== OP_EXEC) {
    wrap = statement(/** @type {number} */ (batch[at + 2]), /** @type {string | null} */ (batch[at + 3])).wrappable;
    batch[at + 3] = null; // defined and prepared now; `execute` must not prepare it again
  }
  if (wrap) {
    db.exec("BEGIN IMMEDIATE");
    try {
      execute(batch, at, out);
      db.exec("COMMIT");
    } catch (error) {
      uninterruptible();
      if (db.inTransaction) db.exec("ROLLBACK");
      throw error;
    }
    return;
  }
  execute(batch, at, out);
}

/**
 * Backups are asynchronous in better-sqlite3 (they step between turns), so
 * they answer in a message of their own.
 * @param {string} destination
 */
async function backup(destination) {
  try {
    const result = await db.backup(destination);
    port.postMessage([STATUS_OK, result.totalPages]);
  } catch (error) {
    port.postMessage([STATUS_ERROR, serialiseError(error)]);
  }
}

/**
 * Runs one request batch and posts its answers.
 * @param {unknown[]} batch
 */
function handle(batch) {
  /** @type {unknown[]} */
  const out = [];
  let at = 0;
  while (at < batch.length) {
    const op = /** @type {number} */ (batch[at]);
    const n = /** @type {number} */ (batch[at + 5]);
    const next = at + REQUEST_HEADER + (n < 0 ? 1 : n);
    seq = nextSeq(seq);
    if (op === OP_BACKUP) {
      // Runs between turns; stopping one ends the worker (a backup step is not a VM program).
      void backup(/** @type {string} */ (batch[at + 3]));
      at = next;
      continue;
    }
    Atomics.store(cells, CELL_CURRENT, seq);
    const flags = /** @type {number} */ (batch[at + 1]);
    const interruptible = (flags & FLAG_INTERRUPTIBLE) !== 0;
    const inTransaction = db.inTransaction && (flags & FLAG_TX_CONTROL) === 0;
    if ((flags & (FLAG_TX_END | FLAG_TX_CONTROL)) !== 0) txAborted = false;
    if (txAborted) {
      defineOnly(batch, at);
      out.push(STATUS_ERROR, TX_ABORTED_ERROR);
      finish(interruptible);
      at = next;
      continue;
    }
    if (interruptible && cancelledBeforeStart(seq)) {
      defineOnly(batch, at);
      out.push(STATUS_ERROR, INTERRUPTED_ERROR);
      if (inTransaction) abortTransaction();
      finish(interruptible);
      at = next;
      continue;
    }
    const mark = out.length;
    try {
      if (
        (flags & (FLAG_INTERRUPTIBLE | FLAG_TX_CONTROL)) === FLAG_INTERRUPTIBLE &&
        !config.readonly &&
        !db.inTransaction &&
        op <= OP_EXEC
      ) {
        executeAtomically(batch, at, out);
      } else {
        execute(batch, at, out);
      }
    } catch (error) {
      if (op === OP_ITER_NEXT || op === OP_ITER_OPEN) closeIterator();
      out.length = mark; // a failure part-way (or at COMMIT) undoes the partial record
      if (isInterrupt(error)) {
        out.push(STATUS_ERROR, INTERRUPTED_ERROR);
        if (inTransaction) abortTransaction();
      } else {
        out.push(STATUS_ERROR, serialiseError(error));
      }
    }
    finish(interruptible);
    at = next;
  }
  Atomics.store(cells, CELL_CURRENT, 0);
  if (out.length > 0) port.postMessage(out);
}

/**
 * Records the statement text a skipped request carries: the main thread counts
 * its slot as defined and will not send the text again.
 * @param {unknown[]} batch
 * @param {number} at
 */
function defineOnly(batch, at) {
  const slot = /** @type {number} */ (batch[at + 2]);
  const sql = /** @type {string | null} */ (batch[at + 3]);
  if (slot >= 0 && sql !== null) {
    texts[slot] = sql;
    prepared[slot] = undefined;
  }
}

/**
 * Marks the current request finished (the main thread's stop watchdog reads this).
 * @param {boolean} interruptible
 */
function finish(interruptible) {
  if (interruptible) clearCancelled(seq);
  Atomics.store(cells, CELL_DONE, seq);
}

/**
 * A statement of the open transaction was stopped: roll the transaction back
 * now (SQLite may have done so already) and refuse the rest of it.
 */
function abortTransaction() {
  uninterruptible();
  closeIterator();
  txAborted = true;
  if (db.inTransaction) db.exec("ROLLBACK");
}

port.on("message", (/** @type {unknown[] | string} */ batch) => {
  handle(/** @type {unknown[]} */ (batch));
  // Batches that queued up meanwhile are taken synchronously: no event, no return to the loop.
  for (let next = receiveMessageOnPort(port); next !== undefined; next = receiveMessageOnPort(port)) {
    handle(/** @type {unknown[]} */ (next.message));
  }
});

port.postMessage("ready");
