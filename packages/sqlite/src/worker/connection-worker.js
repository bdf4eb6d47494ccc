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
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import {
  ERROR_BIND,
  ERROR_OTHER,
  ERROR_SQLITE,
  FLAG_BATCH_SHIFT,
  FLAG_BIGINT,
  FLAG_INTERRUPTIBLE,
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
  REQUEST_SLOTS,
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
 * @property {number} statementCacheSize
 */

/**
 * @typedef {object} CachedStatement
 * @property {import("better-sqlite3").Statement} stmt
 * @property {boolean} reader
 * @property {boolean} readonly
 * @property {string[] | null} columns
 */

const config = /** @type {WorkerConfig} */ (workerData);
const port = /** @type {import("node:worker_threads").MessagePort} */ (parentPort);

const db = new Database(config.path, { readonly: config.readonly, timeout: config.busyTimeoutMs });
if (!config.readonly) {
  if (config.wal) db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${config.synchronous === "full" ? "FULL" : "NORMAL"}`);
}
for (const pragma of config.pragmas) db.pragma(pragma);

/** @type {Map<string, CachedStatement>} */
const cache = new Map();
const changesStmt = db.prepare("SELECT changes(), last_insert_rowid()").raw(true).safeIntegers(true);

/** @type {{ iterator: IterableIterator<unknown[]>, columns: string[], bigint: boolean } | null} */
let openIterator = null;

/**
 * Prepared once per connection and kept: re-preparing costs more than most
 * point queries. Eviction is first-in-first-out, which needs no bookkeeping
 * on the hit path.
 * @param {string} sql
 * @returns {CachedStatement}
 */
function statement(sql) {
  let entry = cache.get(sql);
  if (entry !== undefined) return entry;
  const stmt = db.prepare(sql);
  const reader = stmt.reader;
  if (reader) stmt.raw(true);
  stmt.safeIntegers(true);
  entry = { stmt, reader, readonly: stmt.readonly, columns: null };
  if (cache.size >= config.statementCacheSize) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(sql, entry);
  return entry;
}

/**
 * Column names of a reader statement. The same array object is returned for
 * every result of the statement, so a batch carrying many results of one
 * statement serialises the names once (structured clone keeps identity).
 * @param {CachedStatement} entry
 */
function columnsOf(entry) {
  if (entry.columns === null) entry.columns = entry.stmt.columns().map((c) => c.name);
  return entry.columns;
}

/**
 * JavaScript numbers that are integers bind as SQLite INTEGER (better-sqlite3
 * would bind them as REAL, so `typeof(?)` of 5 would be 'real').
 * @param {unknown} value
 */
function bindValue(value) {
  if (typeof value === "number") return Number.isSafeInteger(value) && !Object.is(value, -0) ? BigInt(value) : value;
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return value;
}

/**
 * Converts parameters for binding, in place: the batch was cloned for this
 * thread, so its arrays and objects are ours to reuse.
 * @param {unknown} params
 * @returns {unknown[] | Record<string, unknown> | undefined}
 */
function bindArgs(params) {
  if (params === undefined || params === null) return undefined;
  if (Array.isArray(params)) {
    for (let i = 0; i < params.length; i++) params[i] = bindValue(params[i]);
    return params;
  }
  const named = /** @type {Record<string, unknown>} */ (params);
  for (const key of Object.keys(named)) named[key] = bindValue(named[key]);
  return named;
}

/**
 * Converts one result value in place: safe-range bigints become numbers
 * unless the caller asked for bigints, and blobs get their own buffer so the
 * clone does not copy a whole shared allocation.
 * @param {unknown} value
 * @param {boolean} bigint
 */
function outValue(value, bigint) {
  if (typeof value === "bigint") {
    if (!bigint && value <= 9007199254740991n && value >= -9007199254740991n) return Number(value);
    return value;
  }
  if (value !== null && typeof value === "object" && value instanceof Uint8Array) {
    return new Uint8Array(value);
  }
  return value;
}

/**
 * @param {unknown[]} row
 * @param {unknown[]} out
 * @param {boolean} bigint
 */
function pushRow(row, out, bigint) {
  for (let i = 0; i < row.length; i++) out.push(outValue(row[i], bigint));
}

/**
 * Converts a row array from better-sqlite3 in place (it is a fresh array).
 * @param {unknown[]} row
 * @param {boolean} bigint
 */
function convertRow(row, bigint) {
  for (let i = 0; i < row.length; i++) {
    const value = row[i];
    if (typeof value === "bigint" || (typeof value === "object" && value !== null)) row[i] = outValue(value, bigint);
  }
  return row;
}

/**
 * Calls a statement method with no parameters, or with the positional array
 * or named object (better-sqlite3 takes both as one argument; no spread).
 * @param {import("better-sqlite3").Statement} stmt
 * @param {"get" | "all" | "run" | "iterate"} method
 * @param {unknown[] | Record<string, unknown> | undefined} args
 * @returns {any}
 */
function call(stmt, method, args) {
  return args === undefined ? stmt[method]() : stmt[method](args);
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
 * @param {CachedStatement} entry
 * @param {unknown[] | Record<string, unknown> | undefined} args
 * @param {boolean} bigint
 * @param {boolean} interruptible
 */
function allRows(entry, args, bigint, interruptible) {
  /** @type {unknown[]} */
  const flat = [];
  if (interruptible) {
    // Stepping from JavaScript lets Worker.terminate() take effect between rows.
    for (const row of call(entry.stmt, "iterate", args)) pushRow(/** @type {unknown[]} */ (row), flat, bigint);
  } else {
    const rows = /** @type {unknown[][]} */ (call(entry.stmt, "all", args));
    for (let r = 0; r < rows.length; r++) pushRow(/** @type {unknown[]} */ (rows[r]), flat, bigint);
  }
  return flat;
}

/** @param {boolean} bigint */
function lastChanges(bigint) {
  const row = /** @type {unknown[]} */ (changesStmt.get());
  return [outValue(row[0], bigint), outValue(row[1], bigint)];
}

/**
 * @param {number} batchSize
 * @param {unknown[]} out
 * @returns {boolean} done
 */
function fillFromIterator(batchSize, out) {
  const open = openIterator;
  if (open === null) return true;
  for (let n = 0; n < batchSize; n++) {
    const step = open.iterator.next();
    if (step.done === true) {
      openIterator = null;
      return true;
    }
    pushRow(step.value, out, open.bigint);
  }
  return false;
}

function closeIterator() {
  const open = openIterator;
  openIterator = null;
  open?.iterator.return?.();
}

/**
 * Executes one request and writes its response record into `out`.
 * @param {unknown[]} out
 * @param {number} id
 * @param {number} op
 * @param {string} sql
 * @param {unknown} params
 * @param {number} flags
 */
function execute(out, id, op, sql, params, flags) {
  const bigint = (flags & FLAG_BIGINT) !== 0;
  switch (op) {
    case OP_GET: {
      const entry = statement(sql);
      if (!entry.readonly && config.readonly) return void out.push(id, STATUS_REROUTE, null, null, null);
      if (!entry.reader) throw new TypeError("get() needs a statement that returns rows; use run() for this statement");
      const row = /** @type {unknown[] | undefined} */ (call(entry.stmt, "get", bindArgs(params)));
      return void out.push(id, STATUS_OK, columnsOf(entry), row === undefined ? null : convertRow(row, bigint), null);
    }
    case OP_ALL:
    case OP_QUERY: {
      const entry = statement(sql);
      if (!entry.readonly && config.readonly) return void out.push(id, STATUS_REROUTE, null, null, null);
      const args = bindArgs(params);
      if (!entry.reader) {
        if (op === OP_ALL) throw new TypeError("all() needs a statement that returns rows; use run() for this statement");
        const info = /** @type {import("better-sqlite3").RunResult} */ (call(entry.stmt, "run", args));
        return void out.push(id, STATUS_OK, [], [], [outValue(info.changes, bigint), outValue(info.lastInsertRowid, bigint)]);
      }
      const flat = allRows(entry, args, bigint, (flags & FLAG_INTERRUPTIBLE) !== 0);
      const counts = op === OP_QUERY ? (entry.readonly ? [0, 0] : lastChanges(bigint)) : null;
      return void out.push(id, STATUS_OK, columnsOf(entry), flat, counts);
    }
    case OP_RUN: {
      const entry = statement(sql);
      if (!entry.readonly && config.readonly) return void out.push(id, STATUS_REROUTE, null, null, null);
      const args = bindArgs(params);
      if (entry.reader) {
        // A RETURNING write or a read through run(): step it to completion, report counts.
        call(entry.stmt, "all", args);
        const [changes, rowid] = entry.readonly ? [0, 0] : lastChanges(bigint);
        return void out.push(id, STATUS_OK, changes, rowid, null);
      }
      const info = /** @type {import("better-sqlite3").RunResult} */ (call(entry.stmt, "run", args));
      return void out.push(id, STATUS_OK, outValue(info.changes, bigint), outValue(info.lastInsertRowid, bigint), null);
    }
    case OP_EXEC: {
      db.exec(sql);
      return void out.push(id, STATUS_OK, null, null, null);
    }
    case OP_ITER_OPEN: {
      closeIterator();
      const entry = statement(sql);
      if (!entry.readonly && config.readonly) return void out.push(id, STATUS_REROUTE, null, null, null);
      if (!entry.reader) throw new TypeError("iterate() needs a statement that returns rows");
      const iterator = /** @type {IterableIterator<unknown[]>} */ (call(entry.stmt, "iterate", bindArgs(params)));
      openIterator = { iterator, columns: columnsOf(entry), bigint };
      /** @type {unknown[]} */
      const flat = [];
      const done = fillFromIterator(flags >>> FLAG_BATCH_SHIFT, flat);
      return void out.push(id, STATUS_OK, columnsOf(entry), flat, done);
    }
    case OP_ITER_NEXT: {
      /** @type {unknown[]} */
      const flat = [];
      const columns = openIterator?.columns ?? [];
      const done = fillFromIterator(flags >>> FLAG_BATCH_SHIFT, flat);
      return void out.push(id, STATUS_OK, columns, flat, done);
    }
    case OP_ITER_CLOSE: {
      closeIterator();
      return void out.push(id, STATUS_OK, null, null, null);
    }
    case OP_INSERT_MANY: {
      const entry = statement(sql);
      const values = /** @type {unknown[]} */ (params);
      const width = flags;
      const args = new Array(width);
      let changes = 0;
      for (let offset = 0; offset < values.length; offset += width) {
        for (let c = 0; c < width; c++) args[c] = bindValue(values[offset + c]);
        changes += entry.stmt.run(args).changes;
      }
      return void out.push(id, STATUS_OK, changes, null, null);
    }
    case OP_EXIT: {
      process.exit(70);
      return;
    }
    case OP_CLOSE: {
      closeIterator();
      cache.clear();
      db.close();
      out.push(id, STATUS_OK, null, null, null);
      port.postMessage(out.splice(0));
      port.close();
      return;
    }
    default:
      throw new TypeError(`unknown operation ${op}`);
  }
}

/**
 * A write that may be stopped runs inside its own transaction: if the main
 * thread terminates this worker while SQLite is stepping, the thread ends as
 * soon as control returns to JavaScript, before COMMIT, and closing the
 * connection rolls the write back. (In autocommit mode the step itself would
 * commit before termination could take effect.)
 * @param {unknown[]} out
 * @param {number} id
 * @param {number} op
 * @param {string} sql
 * @param {unknown} params
 * @param {number} flags
 */
function executeAtomically(out, id, op, sql, params, flags) {
  if (op === OP_EXEC || !statement(sql).readonly) {
    const mark = out.length;
    db.exec("BEGIN IMMEDIATE");
    try {
      execute(out, id, op, sql, params, flags);
      db.exec("COMMIT");
    } catch (error) {
      if (db.inTransaction) db.exec("ROLLBACK");
      out.length = mark; // a COMMIT failure undoes the success record too
      throw error;
    }
    return;
  }
  execute(out, id, op, sql, params, flags);
}

/**
 * Backups are asynchronous in better-sqlite3 (they step between turns), so
 * they answer in a message of their own.
 * @param {number} id
 * @param {string} destination
 */
async function backup(id, destination) {
  try {
    const result = await db.backup(destination);
    port.postMessage([id, STATUS_OK, result.totalPages, null, null]);
  } catch (error) {
    port.postMessage([id, STATUS_ERROR, serialiseError(error), null, null]);
  }
}

port.on("message", (/** @type {unknown[]} */ batch) => {
  /** @type {unknown[]} */
  const out = [];
  for (let i = 0; i < batch.length; i += REQUEST_SLOTS) {
    const id = /** @type {number} */ (batch[i]);
    const op = /** @type {number} */ (batch[i + 1]);
    if (op === OP_BACKUP) {
      void backup(id, /** @type {string} */ (batch[i + 2]));
      continue;
    }
    try {
      const flags = /** @type {number} */ (batch[i + 4]);
      const sql = /** @type {string} */ (batch[i + 2]);
      if ((flags & FLAG_INTERRUPTIBLE) !== 0 && !config.readonly && !db.inTransaction && op <= OP_EXEC) {
        executeAtomically(out, id, op, sql, batch[i + 3], flags);
      } else {
        execute(out, id, op, sql, batch[i + 3], flags);
      }
    } catch (error) {
      if (op === OP_ITER_NEXT || op === OP_ITER_OPEN) closeIterator();
      out.push(id, STATUS_ERROR, serialiseError(error), null, null);
    }
  }
  if (out.length > 0) port.postMessage(out);
});

port.postMessage("ready");
