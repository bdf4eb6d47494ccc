/**
 * A real copy of (part of) a byte array. `Buffer#slice` returns a view, not a
 * copy, so `input.slice()` on a caller's Buffer would alias their memory (and
 * transferring its `.buffer` would detach it); this always copies.
 *
 * @example
 * ```ts
 * import { copyBytes } from "./copy-bytes.js";
 * declare const callerKey: Uint8Array;
 * const mine = copyBytes(callerKey); // safe to keep, zero, or transfer
 * ```
 * @internal
 * @module
 */
export function copyBytes(bytes: Uint8Array, start = 0, end = bytes.length): Uint8Array<ArrayBuffer> {
  return Uint8Array.prototype.slice.call(bytes, start, end) as Uint8Array<ArrayBuffer>;
}

/**
 * `length` bytes of memory that the caller will overwrite completely. Zeroing
 * 256 MiB stalls the event loop for tens of milliseconds, so on Node this
 * skips it (`Buffer.allocUnsafeSlow`, returned as a plain Uint8Array view).
 */
export function allocateForOverwrite(length: number): Uint8Array {
  const NodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(size: number): Uint8Array } }).Buffer;
  if (NodeBuffer === undefined || length < 65536) return new Uint8Array(length);
  const buffer = NodeBuffer.allocUnsafeSlow(length);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
}
