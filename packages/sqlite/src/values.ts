/**
 * The values that cross between JavaScript and SQLite, as the seed's `Value`
 * union: integer (`number`, or `bigint` outside the safe range or on request),
 * real (`number`), text (`string`), blob (`Uint8Array`) and `null`.
 *
 * Parameters are checked on the calling thread, before anything is queued,
 * so a bad value fails fast with a `TypeError` naming the parameter.
 *
 * @example
 * ```ts
 * import type { Params, Row } from "@zsync/sqlite";
 * const params: Params = { id: 7, name: "Ada", avatar: new Uint8Array([1, 2]) };
 * const row: Row = { id: 7, balance: 2n ** 62n, note: null };
 * ```
 * @module
 */

/** One SQLite value. */
export type Value = number | bigint | string | Uint8Array | null;

/** One result row: column name to value (the last of duplicate names wins). */
export type Row = Record<string, Value>;

/**
 * Statement parameters: positional (`?`, `?NNN`) as an array, or named
 * (`:name`, `@name`, `$name`) as an object keyed by the name without prefix.
 */
export type Params = readonly Value[] | Readonly<Record<string, Value>>;

/** How integers come back: numbers with bigints only outside ±(2^53−1) (`"auto"`), or always bigints. */
export type IntegerMode = "auto" | "bigint";

/** Throws a `TypeError` naming `name` unless `value` is a {@link Value}. */
export function checkValue(value: unknown, name: string): void {
  switch (typeof value) {
    case "string":
    case "bigint":
      return;
    case "number":
      if (Number.isNaN(value)) throw new TypeError(`${name} is NaN, which SQLite cannot store`);
      return;
    case "object":
      if (value === null || value instanceof Uint8Array) return;
      break;
    default:
      break;
  }
  const shown =
    value === undefined ? "undefined" : typeof value === "object" && value !== null ? (value.constructor?.name ?? "object") : typeof value;
  throw new TypeError(`${name} must be a number, bigint, string, Uint8Array or null, got ${shown}`);
}

/**
 * Throws a `TypeError` naming the first bad parameter. Accepts `undefined`
 * (no parameters), an array, or a plain object.
 */
export function checkParams(params: unknown): void {
  if (params === undefined) return;
  if (Array.isArray(params)) {
    for (let i = 0; i < params.length; i++) checkValue(params[i], `params[${i}]`);
    return;
  }
  if (params === null || typeof params !== "object" || params instanceof Uint8Array) {
    throw new TypeError("params must be an array of values or an object of named values");
  }
  for (const key of Object.keys(params)) checkValue((params as Record<string, unknown>)[key], `params.${key}`);
}

/** Throws a `TypeError` unless `sql` is a non-empty string. */
export function checkSql(sql: unknown): asserts sql is string {
  if (typeof sql !== "string") throw new TypeError(`sql must be a string, got ${sql === null ? "null" : typeof sql}`);
  if (sql.trim().length === 0) throw new TypeError("sql must not be empty");
}
