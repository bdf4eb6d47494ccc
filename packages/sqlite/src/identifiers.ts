/**
 * SQL identifiers (table and column names) that come from callers, made safe
 * to splice into SQL text: each is checked to be a sensible name and then
 * quoted, so no name can end the identifier and inject SQL.
 *
 * @example
 * ```ts
 * import { quoteIdentifier } from "@zsync/sqlite";
 * quoteIdentifier("user events", "table"); // "\"user events\""
 * quoteIdentifier('x"; DROP TABLE t; --', "column"); // "\"x\"\"; DROP TABLE t; --\""
 * quoteIdentifier("", "table"); // throws TypeError
 * ```
 * @module
 */

const MAX_LENGTH = 1024;

/**
 * Validates `name` and returns it as a double-quoted SQLite identifier.
 * `schema.table` is not split: pass the schema-qualified form as two names.
 */
export function quoteIdentifier(name: unknown, what: string): string {
  if (typeof name !== "string") throw new TypeError(`${what} must be a string, got ${typeof name}`);
  if (name.length === 0) throw new TypeError(`${what} must not be empty`);
  if (name.length > MAX_LENGTH) throw new RangeError(`${what} is longer than ${MAX_LENGTH} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is rejected.
  if (/[\u0000-\u001f]/.test(name)) throw new TypeError(`${what} must not contain control characters`);
  return `"${name.replaceAll('"', '""')}"`;
}
