/**
 * Argument checks shared by the channel family.
 * @internal
 */
import type { WaitOptions } from "../time/sleep.js";

/**
 * The `signal` of a wait's options. Throws a TypeError naming the method if
 * `options` is not an object or its `signal` is not an AbortSignal.
 */
export function signalOf(options: WaitOptions, method: string): AbortSignal | undefined {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${method}: options must be an object, got ${options === null ? "null" : typeof options}`);
  }
  const signal = options.signal;
  if (signal === undefined) return undefined;
  if (
    signal === null ||
    typeof signal !== "object" ||
    typeof (signal as { aborted?: unknown }).aborted !== "boolean" ||
    typeof (signal as { addEventListener?: unknown }).addEventListener !== "function"
  ) {
    throw new TypeError(`${method}: options.signal must be an AbortSignal`);
  }
  return signal;
}

/** Validates a channel capacity: an integer >= `min`, or Infinity when allowed. */
export function checkCapacity(capacity: number, fn: string, min: number): void {
  if (typeof capacity !== "number" || Number.isNaN(capacity)) {
    throw new TypeError(`${fn}: capacity must be a number, got ${typeof capacity === "number" ? "NaN" : typeof capacity}`);
  }
  if (!Number.isInteger(capacity) || capacity < min || capacity > 2 ** 32) {
    throw new RangeError(`${fn}: capacity must be an integer from ${min} to 2^32, got ${capacity}`);
  }
}
