/**
 * `batchInsert`: many rows into one table in one transaction. The rows are
 * checked and flattened here in chunks, and each chunk is sent as soon as it
 * is ready, so the writer inserts chunk n while this thread prepares chunk
 * n+1; between chunks the event loop gets a turn.
 *
 * @example
 * ```ts
 * import type { AsyncDatabase } from "@zsync/sqlite";
 * declare const db: AsyncDatabase;
 * const inserted = await db.batchInsert("users", [{ id: 1, name: "Ada" }, { id: 2, name: "Lin" }]);
 * ```
 * @module
 */
import { type CancelledError, onCancellation } from "@zsync/runtime";
import { quoteIdentifier } from "./identifiers.js";
import type { Request } from "./request.js";
import type { Transaction } from "./transaction.js";
import { checkValue } from "./values.js";

/** Rows per message to the writer. */
const CHUNK_ROWS = 4096;

const hasOwn = Object.prototype.hasOwnProperty;

/** Builds `INSERT INTO "table" ("a", "b") VALUES (?, ?)` from checked names. */
export function insertStatement(table: string, columns: readonly string[]): string {
  const quotedTable = quoteIdentifier(table, "table");
  const quotedColumns = columns.map((c, i) => quoteIdentifier(c, `column ${i}`));
  return `INSERT INTO ${quotedTable} (${quotedColumns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`;
}

/**
 * The values of `rows[start..end)` in column order, as one flat array, each
 * checked to be a storable value, and each row checked to have exactly the
 * columns of the first (the error names the row and column). Allocation-free
 * per row: the extra-column check counts keys with `for...in` and only lists
 * them when the count is off.
 */
function flatten(rows: readonly Readonly<Record<string, unknown>>[], columns: readonly string[], start: number, end: number): unknown[] {
  const width = columns.length;
  const values = new Array<unknown>((end - start) * width);
  let k = 0;
  for (let r = start; r < end; r++) {
    const row = rows[r] as Record<string, unknown>;
    if (row === null || typeof row !== "object") throw new TypeError(`rows[${r}] must be an object`);
    for (let c = 0; c < width; c++) {
      const column = columns[c] as string;
      const value = row[column];
      switch (typeof value) {
        case "string":
        case "bigint":
          break;
        case "number":
          if (Number.isNaN(value)) checkValue(value, `rows[${r}].${column}`);
          break;
        default:
          if (value === null || value instanceof Uint8Array) break;
          if (value === undefined && !hasOwn.call(row, column)) {
            throw new TypeError(`rows[${r}] has no column "${column}" (every row needs the columns of rows[0])`);
          }
          checkValue(value, `rows[${r}].${column}`);
      }
      values[k++] = value;
    }
    let keys = 0;
    for (const _ in row) keys++;
    if (keys !== width) checkColumns(row, columns, r);
  }
  return values;
}

/** Slow path of {@link flatten}: finds the column a row has in excess (or none: inherited enumerable keys). */
function checkColumns(row: Record<string, unknown>, columns: readonly string[], r: number): void {
  for (const key of Object.keys(row)) {
    if (!columns.includes(key)) throw new TypeError(`rows[${r}] has column "${key}" that rows[0] lacks`);
  }
  for (const column of columns) {
    if (!hasOwn.call(row, column)) throw new TypeError(`rows[${r}] has no column "${column}" (every row needs the columns of rows[0])`);
  }
}

function checkRows(rows: unknown): asserts rows is readonly Readonly<Record<string, unknown>>[] {
  if (!Array.isArray(rows)) throw new TypeError("rows must be an array of objects");
}

/** Inserts `rows` within `tx`; resolves with the number of rows inserted. */
export async function insertRows(
  tx: Transaction,
  table: string,
  rows: readonly Readonly<Record<string, unknown>>[],
  signal: AbortSignal | undefined,
): Promise<number> {
  checkRows(rows);
  if (rows.length === 0) {
    quoteIdentifier(table, "table");
    return 0;
  }
  const first = rows[0];
  if (first === null || typeof first !== "object" || Array.isArray(first)) throw new TypeError("rows[0] must be an object");
  const columns = Object.keys(first);
  if (columns.length === 0) throw new TypeError("rows[0] has no columns");
  const sql = insertStatement(table, columns);
  const width = columns.length;
  const sent: Request[] = [];
  // One listener for the whole call (signal and calling task), however many
  // chunks are in flight: it stops them all, and no more are prepared.
  let cancelled: CancelledError | undefined;
  const stopWatching = onCancellation(signal, (error) => {
    cancelled = error;
    for (const request of sent) tx.stop(request, error);
  });
  try {
    for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
      if (cancelled !== undefined) throw cancelled;
      const end = Math.min(rows.length, start + CHUNK_ROWS);
      const chunk = tx.insertMany(sql, flatten(rows, columns, start, end), width);
      // Awaited below; a failure of an early chunk must not surface as unhandled meanwhile.
      chunk.promise.catch(() => {});
      sent.push(chunk);
      if (end < rows.length) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    let inserted = 0;
    for (const chunk of sent) inserted += (await chunk.promise) as number;
    return inserted;
  } finally {
    stopWatching();
  }
}
