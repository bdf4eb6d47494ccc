/**
 * Argument validation shared by the counting primitives (permits, parties,
 * deltas): the wrong type is a `TypeError`, a value out of range a
 * `RangeError`, both naming the argument.
 * @internal
 */

/** Returns `value` if it is a safe integer of at least `min`; throws otherwise. */
export function checkCount(name: string, value: unknown, min: number): number {
  if (typeof value !== "number") throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}
