/**
 * Byte comparisons whose running time does not depend on where (or whether)
 * the inputs differ: one home for the checks the providers, the TLS handshake
 * (Finished, binders) and X.509 name matching used to each write themselves.
 *
 * @example
 * ```ts
 * import { bytesEqual, isAllZero } from "./constant-time.js";
 * declare const expected: Uint8Array;
 * declare const received: Uint8Array;
 * declare const shared: Uint8Array;
 * const verified = bytesEqual(expected, received);
 * const lowOrder = isAllZero(shared);
 * ```
 * @internal
 * @module
 */

/** True if every byte is zero, in time independent of the contents. */
export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i] as number;
  return acc === 0;
}

/** Equal lengths and bytes, without an early exit on the first difference (leaks the length only). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}
