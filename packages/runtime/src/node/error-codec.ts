/**
 * Rebuilds errors thrown inside a worker. Prototypes cannot cross threads, so
 * the worker sends name, message, stack, primitive own properties (such as
 * `code`) and the `cause` chain; here they become an instance of the matching
 * built-in class (`TypeError`, `RangeError`, ...) or a plain `Error` whose
 * `name` is the original class name.
 * @internal
 * @module
 */
import type { EncodedThrown } from "./protocol.js";

const BUILTINS: Record<string, new (message?: string, options?: { cause?: unknown }) => Error> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** Decodes a value produced by the worker's `encodeThrown`. */
export function decodeThrown(encoded: unknown): unknown {
  const value = encoded as EncodedThrown | null;
  if (value === null || typeof value !== "object") return encoded;
  if ("__zsyncThrown" in value) return value.value;
  if (!("__zsyncError" in value)) return encoded;
  const cause = value.cause === undefined ? undefined : decodeThrown(value.cause);
  let error: Error;
  if (value.name === "AggregateError") {
    error = new AggregateError((value.errors ?? []).map(decodeThrown), value.message, cause === undefined ? undefined : { cause });
  } else {
    // Own keys only: a name such as "toString" or "constructor" must not pick an Object.prototype member.
    const Ctor = Object.hasOwn(BUILTINS, value.name) ? (BUILTINS[value.name] as (typeof BUILTINS)[string]) : Error;
    error = new Ctor(value.message, cause === undefined ? undefined : { cause });
  }
  if (error.name !== value.name) Object.defineProperty(error, "name", { value: value.name, configurable: true, writable: true });
  if (value.stack !== undefined) error.stack = value.stack;
  for (const [key, prop] of Object.entries(value.props)) {
    if (key === "name") continue;
    (error as unknown as Record<string, unknown>)[key] = prop;
  }
  return error;
}
