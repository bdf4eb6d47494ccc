/**
 * Turns the flat value arrays that come back from a connection worker into
 * row objects. Rows cross threads as plain arrays (cheaper to clone than
 * objects: no property names per row); the objects are rebuilt here by a
 * constructor compiled once per column list, which V8 turns into a single
 * fixed-shape allocation per row.
 *
 * @example
 * ```ts
 * import { decodeRows, rowFactory } from "./row-decoder.js";
 * const decode = rowFactory(["id", "name"]);
 * decode([1, "a", 2, "b"], 2); // { id: 2, name: "b" }
 * decodeRows(["id", "name"], [0, 1, "a", 2, "b"], 1, 2); // [{ id: 1, name: "a" }, { id: 2, name: "b" }]
 * ```
 * @module
 */
import type { Row, Value } from "./values.js";

/** Builds the row starting at `offset` of a flat value array. */
export type RowFactory = (values: readonly Value[], offset: number) => Row;

const factories = new Map<string, RowFactory>();
const MAX_FACTORIES = 512;
let lastColumns: readonly string[] | null = null;
let lastFactory: RowFactory | null = null;

function compile(columns: readonly string[]): RowFactory {
  // Generated code only ever contains JSON-quoted names; "__proto__" uses a
  // computed key so that it becomes an own property, as better-sqlite3 does.
  const fields = columns.map((name, i) => {
    const key = name === "__proto__" ? `[${JSON.stringify(name)}]` : JSON.stringify(name);
    return `${key}: v[o + ${i}]`;
  });
  return new Function("v", "o", `return { ${fields.join(", ")} };`) as RowFactory;
}

/** The factory for `columns`, compiled on first use and cached. */
export function rowFactory(columns: readonly string[]): RowFactory {
  // Every result of one statement in one batch shares the same array object.
  if (columns === lastColumns && lastFactory !== null) return lastFactory;
  const key = columns.join("\u0000");
  let factory = factories.get(key);
  if (factory === undefined) {
    factory = compile(columns);
    if (factories.size >= MAX_FACTORIES) factories.clear();
    factories.set(key, factory);
  }
  lastColumns = columns;
  lastFactory = factory;
  return factory;
}

/** The `count` rows of `columns.length` values each that start at `offset` of a flat value array. */
export function decodeRows(columns: readonly string[], values: readonly Value[], offset = 0, count?: number): Row[] {
  const width = columns.length;
  const n = count ?? (width === 0 ? 0 : (values.length - offset) / width);
  const rows = new Array<Row>(n);
  if (n === 0) return rows;
  if (width === 0) {
    for (let r = 0; r < n; r++) rows[r] = {};
    return rows;
  }
  const factory = rowFactory(columns);
  for (let r = 0; r < n; r++) rows[r] = factory(values, offset + r * width);
  return rows;
}
