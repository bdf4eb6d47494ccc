/**
 * Argument checks shared by every public entry point. A wrong type is a
 * `TypeError`, a wrong length or range a `RangeError`; both name the argument
 * so the caller sees which one was bad without reading our source.
 *
 * @example
 * ```ts
 * import { assertBytes } from "./assert-input.js";
 * const key: unknown = new Uint8Array(16);
 * assertBytes(key, "key", 32); // RangeError: key must be 32 bytes, got 16
 * ```
 * @internal
 * @module
 */

/** Throws `TypeError` unless `value` is a Uint8Array (Buffer included); `RangeError` if a length is given and differs. */
export function assertBytes(value: unknown, name: string, ...lengths: number[]): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${name} must be a Uint8Array, got ${describe(value)}`);
  }
  if (lengths.length > 0 && !lengths.includes(value.length)) {
    const expected = lengths.length === 1 ? `${lengths[0]}` : `one of ${lengths.join(", ")}`;
    throw new RangeError(`${name} must be ${expected} bytes, got ${value.length}`);
  }
}

/** Like {@link assertBytes} but `undefined` is allowed. */
export function assertOptionalBytes(value: unknown, name: string): asserts value is Uint8Array | undefined {
  if (value !== undefined) assertBytes(value, name);
}

/** Throws `TypeError` for non-integers and `RangeError` outside `[min, max]`. */
export function assertInteger(value: unknown, name: string, min: number, max: number): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`${name} must be an integer, got ${describe(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`${name} must be between ${min} and ${max}, got ${value}`);
  }
}

/** Throws `TypeError` unless `value` is one of `allowed`. */
export function assertOneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): asserts value is T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new TypeError(`${name} must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${describe(value)}`);
  }
}

/** Checks that an optional output buffer can hold `needed` bytes and returns the exact-length view to write. */
export function outputView(output: Uint8Array | undefined, needed: number, name = "output"): Uint8Array | undefined {
  if (output === undefined) return undefined;
  assertBytes(output, name);
  if (output.length < needed) throw new RangeError(`${name} must be at least ${needed} bytes, got ${output.length}`);
  return output.length === needed ? output : output.subarray(0, needed);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  if (typeof value === "string") return `string (${value.length} chars)`;
  return typeof value;
}
