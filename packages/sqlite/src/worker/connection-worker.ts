/**
 * Entry point of a connection worker: owns exactly one better-sqlite3
 * connection for its whole life (SQLite connections are stateful: open
 * transactions, prepared statements and per-connection pragmas live in them),
 * and executes request batches from the main thread in arrival order.
 *
 * Compiled by the package build and started by URL from `Connection`
 * (`new URL("./worker/connection-worker.js", import.meta.url)`; the suite
 * runs the compiled twin in dist/). Importing it on the main thread throws.
 *
 * @example
 * ```ts
 * import { Worker } from "node:worker_threads";
 * import type { WorkerData } from "./protocol.js";
 * // Started by Connection, never imported directly:
 * const workerData: WorkerData = {
 *   path: "app.db",
 *   readonly: true,
 *   wal: true,
 *   busyTimeoutMs: 5000,
 *   synchronous: "normal",
 *   pragmas: [],
 *   interrupt: new SharedArrayBuffer(8320),
 * };
 * new Worker(new URL("./connection-worker.js", import.meta.url), { workerData });
 * ```
 * @module
 */
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import Database, { type RunResult, type Statement } from "better-sqlite3";
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
  type Op,
  REQUEST_HEADER,
  STATUS_ERROR,
  STATUS_OK,
  STATUS_REROUTE,
  type WireError,
  type WorkerData,
} from "./protocol.js";

/** A prepared statement of one slot. */
interface Prepared {
  /** Integers as bigints (exact). */
  readonly stmt: Statement;
  /** Integers as numbers; only for read-only statements, see {@link needsExact}. */
  readonly fast: Statement | null;
  /** Multi-row INSERT (OP_INSERT_MANY). */
  multi: Statement | null;
  /** Rows per execution of `multi`. */
  multiRows: number;
  readonly reader: boolean;
  readonly readonly: boolean;
  /** A write that can run inside a transaction of our own (see {@link executeAtomically}). */
  readonly wrappable: boolean;
  columns: string[];
}

type Args = unknown[] | Record<string, unknown> | undefined;

if (parentPort === null) throw new Error("connection-worker.js is a worker thread entry point; Connection starts it");
const port = parentPort;
const config = workerData as WorkerData;

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
const patched = db as unknown as {
  interruptWhenEqual?: (sab: SharedArrayBuffer, byteOffset: number, everyOps: number) => unknown;
};
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
const INTERRUPTED_ERROR: WireError = { kind: ERROR_INTERRUPTED, name: "SqliteError", message: "interrupted", code: "SQLITE_INTERRUPT" };
const TX_ABORTED_ERROR: WireError = {
  kind: ERROR_TX_ABORTED,
  name: "TransactionStateError",
  message: "the transaction was rolled back because one of its statements was stopped",
  code: undefined,
};

/** Whether the main thread cancelled request `n` before it started. */
function cancelledBeforeStart(n: number): boolean {
  return (Atomics.load(cells, CELL_BITS + ((n & BITMAP_MASK) >>> 5)) & (1 << (n & 31))) !== 0;
}

/** Clears request `n`'s cancellation bit once it is finished. */
function clearCancelled(n: number): void {
  Atomics.and(cells, CELL_BITS + ((n & BITMAP_MASK) >>> 5), ~(1 << (n & 31)));
}

/**
 * Makes what runs next immune to the STOP cell (a rollback after a stop must
 * not itself be interrupted).
 */
function uninterruptible(): void {
  Atomics.store(cells, CELL_CURRENT, 0);
}

function isInterrupt(error: unknown): boolean {
  return error instanceof Database.SqliteError && error.code === "SQLITE_INTERRUPT";
}

/**
 * Prepared statements by slot. The main thread decides which statement lives
 * in which slot (and evicts), so the hot path here is an array index, not a
 * hash of the SQL text. `texts[slot]` keeps the SQL so that a statement whose
 * preparation failed is retried, and fails the same way, on its next use.
 */
const prepared: (Prepared | undefined)[] = [];
const texts: (string | undefined)[] = [];
const changesStmt = db.prepare("SELECT changes(), last_insert_rowid()").raw(true).safeIntegers(true);

/**
 * Reads of one batch share one read transaction (readers only). Outside a
 * transaction every statement opens and ends a read transaction of its own,
 * which in WAL mode costs two `fcntl` locks on the WAL index and an `fstat`
 * of the database file: measured at about 1.6 of the 2.5 µs of CPU a point
 * select by primary key costs on a read-only connection, against 0.9 µs
 * inside a transaction shared by 32 selects. The reads of a batch were all
 * issued before the batch reached this thread, so the snapshot they share,
 * taken when the first of them steps, already holds every write that was
 * acknowledged before any of them was called. The transaction ends with the
 * batch (and before any other operation), so it holds back no checkpoint for
 * longer than the batch's own statements.
 */
const readBegin = config.readonly ? db.prepare("BEGIN") : null;
const readCommit = config.readonly ? db.prepare("COMMIT") : null;
const NO_COLUMNS: string[] = [];

let openIterator: { iterator: IterableIterator<unknown[]>; entry: Prepared; columns: string[]; bigint: boolean } | null = null;

/**
 * Reusable argument arrays, one per parameter count: better-sqlite3 binds an
 * array argument element by element and keeps no reference to it.
 */
const argArrays: unknown[][] = [];

/** The prepared statement of `slot`, defining the slot as `sql` first when the request carries its text. */
function statement(slot: number, sql: string | null): Prepared {
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
  let fast: Statement | null = null;
  if (reader && stmt.readonly) {
    fast = db.prepare(text);
    fast.raw(true);
  }
  const entry: Prepared = {
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
 */
function needsExact(row: unknown[]): boolean {
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
 */
function columnsFor(entry: Prepared, width: number, stmt: Statement): string[] {
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
 */
function bindValue(value: unknown): unknown {
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
 */
function argsOf(batch: unknown[], start: number, n: number): Args {
  if (n === 0) return undefined;
  if (n < 0) {
    const named = batch[start] as Record<string, unknown>;
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
 */
function outValue(value: unknown, bigint: boolean): unknown {
  if (typeof value === "bigint") {
    if (!bigint && value <= 9007199254740991n && value >= -9007199254740991n) return Number(value);
    return value;
  }
  if (value !== null && typeof value === "object" && value instanceof Uint8Array) return new Uint8Array(value);
  return value;
}

/** Appends a row's values to the response. */
function pushRow(row: unknown[], out: unknown[], bigint: boolean): void {
  for (let i = 0; i < row.length; i++) {
    const value = row[i];
    out.push(typeof value === "bigint" || (typeof value === "object" && value !== null) ? outValue(value, bigint) : value);
  }
}

/** An error in the form that crosses the thread boundary. */
function serialiseError(error: unknown): WireError {
  if (error instanceof Database.SqliteError) {
    return { kind: ERROR_SQLITE, name: error.name, message: error.message, code: error.code };
  }
  if (error instanceof RangeError || error instanceof TypeError) {
    // better-sqlite3 reports parameter problems (count, names, types) this way.
    const bind = /parameter|bind/i.test(error.message);
    return { kind: bind ? ERROR_BIND : ERROR_OTHER, name: error.name, message: error.message, code: undefined };
  }
  const e = (error ?? {}) as { name?: unknown; message?: unknown };
  return { kind: ERROR_OTHER, name: String(e.name ?? "Error"), message: String(e.message ?? error), code: undefined };
}

/** Appends `[names, rowCount, ...values]` for every row of a reader statement. */
function pushAllRows(entry: Prepared, args: Args, bigint: boolean, out: unknown[]): void {
  const header = out.length;
  out.push(entry.columns, 0);
  let count = 0;
  let width = entry.columns.length;
  let stmt = entry.stmt;
  if (!bigint && entry.fast !== null) stmt = entry.fast;
  let rows = (args === undefined ? stmt.all() : stmt.all(args)) as unknown[][];
  if (stmt !== entry.stmt && rows.some(needsExact)) {
    stmt = entry.stmt;
    rows = (args === undefined ? stmt.all() : stmt.all(args)) as unknown[][];
  }
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as unknown[];
    pushRow(row, out, bigint);
    width = row.length;
  }
  count = rows.length;
  out[header] = count === 0 ? entry.columns : columnsFor(entry, width, stmt);
  out[header + 1] = count;
}

/** Appends `changes, lastInsertRowid` of the last write on this connection. */
function pushLastChanges(out: unknown[], bigint: boolean): void {
  const row = changesStmt.get() as unknown[];
  out.push(outValue(row[0], bigint), outValue(row[1], bigint));
}

/** Appends `[names, rowCount, ...values, done]` for the next `batchSize` rows of the open iterator. */
function pushIteratorBatch(batchSize: number, out: unknown[]): void {
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

function closeIterator(): void {
  const open = openIterator;
  openIterator = null;
  open?.iterator.return?.();
}

/** Executes the request record at `at` and appends its response record. */
function execute(batch: unknown[], at: number, out: unknown[]): void {
  const op = batch[at] as Op;
  const flags = batch[at + 1] as number;
  const slot = batch[at + 2] as number;
  const sql = batch[at + 3] as string | null;
  const n = batch[at + 5] as number;
  const start = at + REQUEST_HEADER;
  const bigint = (flags & FLAG_BIGINT) !== 0;
  switch (op) {
    case OP_GET: {
      const entry = statement(slot, sql);
      if (!entry.readonly && config.readonly) return void out.push(STATUS_REROUTE);
      if (!entry.reader) throw new TypeError("get() needs a statement that returns rows; use run() for this statement");
      const args = argsOf(batch, start, n);
      let stmt = bigint || entry.fast === null ? entry.stmt : entry.fast;
      let row = (args === undefined ? stmt.get() : stmt.get(args)) as unknown[] | undefined;
      if (row !== undefined && stmt !== entry.stmt && needsExact(row)) {
        stmt = entry.stmt;
        row = (args === undefined ? stmt.get() : stmt.get(args)) as unknown[] | undefined;
      }
      if (row === undefined) return void out.push(STATUS_OK, entry.columns, 0);
      out.push(STATUS_OK, columnsFor(entry, row.length, stmt), 1);
      pushRow(row, out, bigint);
      return;
    }
    case OP_ALL:
    case OP_QUERY: {
      const entry = statement(slot, sql);
      if (!entry.readonly && config.readonly) return void out.push(STATUS_REROUTE);
      const args = argsOf(batch, start, n);
      if (!entry.reader) {
        if (op === OP_ALL) throw new TypeError("all() needs a statement that returns rows; use run() for this statement");
        const info: RunResult = args === undefined ? entry.stmt.run() : entry.stmt.run(args);
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
        pushLastChanges(out, bigint);
        return;
      }
      const info: RunResult = args === undefined ? entry.stmt.run() : entry.stmt.run(args);
      return void out.push(STATUS_OK, outValue(info.changes, bigint), outValue(info.lastInsertRowid, bigint));
    }
    case OP_EXEC: {
      db.exec(sql as string);
      return void out.push(STATUS_OK);
    }
    case OP_ITER_OPEN: {
      closeIterator();
      const entry = statement(slot, sql);
      if (!entry.readonly && config.readonly) return void out.push(STATUS_REROUTE);
      if (!entry.reader) throw new TypeError("iterate() needs a statement that returns rows");
      const args = argsOf(batch, start, n);
      const iterator = (args === undefined ? entry.stmt.iterate() : entry.stmt.iterate(args)) as IterableIterator<unknown[]>;
      openIterator = { iterator, entry, columns: entry.columns, bigint };
      out.push(STATUS_OK);
      pushIteratorBatch(batch[at + 4] as number, out);
      return;
    }
    case OP_ITER_NEXT: {
      out.push(STATUS_OK);
      pushIteratorBatch(batch[at + 4] as number, out);
      return;
    }
    case OP_ITER_CLOSE: {
      closeIterator();
      return void out.push(STATUS_OK);
    }
    case OP_INSERT_MANY:
      return void out.push(STATUS_OK, insertMany(statement(slot, sql), batch[start] as unknown[], batch[at + 4] as number));
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
 */
function insertMany(entry: Prepared, values: unknown[], width: number): number {
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
 */
function executeAtomically(batch: unknown[], at: number, out: unknown[]): void {
  const op = batch[at] as Op;
  let wrap = false;
  if (op !== OP_EXEC) {
    wrap = statement(batch[at + 2] as number, batch[at + 3] as string | null).wrappable;
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
 */
async function backup(destination: string): Promise<void> {
  try {
    const result = await db.backup(destination);
    port.postMessage([STATUS_OK, result.totalPages]);
  } catch (error) {
    port.postMessage([STATUS_ERROR, serialiseError(error)]);
  }
}

/** Runs one request batch and posts its answers. */
function handle(batch: unknown[]): void {
  const out: unknown[] = [];
  let at = 0;
  let shared = false;
  while (at < batch.length) {
    const op = batch[at] as Op;
    const n = batch[at + 5] as number;
    const next = at + REQUEST_HEADER + (n < 0 ? 1 : n);
    seq = nextSeq(seq);
    if (readBegin !== null) {
      if (op === OP_GET || op === OP_ALL || op === OP_QUERY) {
        // Only when another request follows: for a lone read, BEGIN and COMMIT would cost more than they save.
        if (!shared && next < batch.length && !db.inTransaction) shared = beginShared();
      } else if (shared) {
        endShared();
        shared = false;
      }
    }
    if (op === OP_BACKUP) {
      // Runs between turns; stopping one ends the worker (a backup step is not a VM program).
      void backup(batch[at + 3] as string);
      at = next;
      continue;
    }
    Atomics.store(cells, CELL_CURRENT, seq);
    const flags = batch[at + 1] as number;
    const interruptible = (flags & FLAG_INTERRUPTIBLE) !== 0;
    // A transaction of the caller's (readers have none: their shared read transaction is not one).
    const inTransaction = !config.readonly && db.inTransaction && (flags & FLAG_TX_CONTROL) === 0;
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
  if (shared) endShared();
  if (out.length > 0) port.postMessage(out);
}

/** Opens the batch's shared read transaction (see {@link readBegin}); false if it could not be opened. */
function beginShared(): boolean {
  try {
    readBegin?.run();
    return true;
  } catch {
    return false; // each read then runs in a read transaction of its own, as without sharing
  }
}

/** Ends the shared read transaction, with the interrupt cells disarmed (a read-only COMMIT cannot lose anything). */
function endShared(): void {
  uninterruptible();
  try {
    if (db.inTransaction) readCommit?.run();
  } catch {
    // A read-only transaction has nothing to commit; if COMMIT failed it is still open, so end it.
    if (db.inTransaction) db.exec("ROLLBACK");
  }
}

/**
 * Records the statement text a skipped request carries: the main thread counts
 * its slot as defined and will not send the text again.
 */
function defineOnly(batch: unknown[], at: number): void {
  const slot = batch[at + 2] as number;
  const sql = batch[at + 3] as string | null;
  if (slot >= 0 && sql !== null) {
    texts[slot] = sql;
    prepared[slot] = undefined;
  }
}

/** Marks the current request finished (the main thread's stop watchdog reads this). */
function finish(interruptible: boolean): void {
  if (interruptible) clearCancelled(seq);
  Atomics.store(cells, CELL_DONE, seq);
}

/**
 * A statement of the open transaction was stopped: roll the transaction back
 * now (SQLite may have done so already) and refuse the rest of it.
 */
function abortTransaction(): void {
  uninterruptible();
  closeIterator();
  txAborted = true;
  if (db.inTransaction) db.exec("ROLLBACK");
}

port.on("message", (batch: unknown[]) => {
  handle(batch);
  // Batches that queued up meanwhile are taken synchronously: no event, no return to the loop.
  for (let next = receiveMessageOnPort(port); next !== undefined; next = receiveMessageOnPort(port)) {
    handle(next.message as unknown[]);
  }
});

port.postMessage("ready");
