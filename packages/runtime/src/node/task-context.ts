/**
 * Helpers for code that runs *inside* a pool task.
 *
 * `taskSignal()` gives the running task its cancellation signal without
 * changing the function's signature, so one function serves every `Io`:
 * in a {@link ThreadPoolIo} worker it is the signal the pool aborts on cancel
 * (a worker runs one task at a time, so "the running task" is unambiguous);
 * on the main thread it is the ambient runtime task's signal.
 *
 * `withTransfer(value, transferList)` returned from a worker task moves the
 * listed buffers back to the caller instead of copying them.
 *
 * @example
 * ```ts
 * // tasks.ts, loaded by the worker
 * import { taskSignal, withTransfer } from "@zsync/runtime/node";
 * export async function crunch(input: Uint8Array) {
 *   const signal = taskSignal();
 *   const out = new Uint8Array(input.length);
 *   for (const [i, byte] of input.entries()) {
 *     if (i % 65536 === 0) signal.throwIfAborted();
 *     out[i] = byte ^ 0x5a;
 *   }
 *   return withTransfer(out, [out.buffer]);
 * }
 * ```
 * @module
 */
import { currentScope } from "../internal/context.js";
import { TRANSFER_KEY, unwrapTransferMarker } from "../io/transfer-marker.js";

const SIGNAL_KEY = Symbol.for("zsync.worker.taskSignal");

const never = new AbortController().signal;

/**
 * The running task's `AbortSignal`: aborted when the caller cancels the task
 * (its `reason` is an `Error` named `CancelledError` with code
 * `ZSYNC_CANCELLED`). Outside any task it returns a signal that never aborts.
 */
export function taskSignal(): AbortSignal {
  const hook = (globalThis as Record<symbol, unknown>)[SIGNAL_KEY];
  if (typeof hook === "function") {
    const signal = (hook as () => AbortSignal | undefined)();
    if (signal !== undefined) return signal;
  }
  return currentScope()?.token.signal ?? never;
}

/** A task result whose listed objects are transferred, not copied. */
export interface TransferResult<T> {
  readonly [TRANSFER_KEY]: true;
  readonly value: T;
  readonly transfer: readonly Transferable[];
}

/**
 * Marks a worker task's return value for transfer: the pool resolves the
 * caller's future with `value`, moving `transfer` (e.g. `[bytes.buffer]`)
 * instead of copying. Outside a pool worker the marker is unwrapped by
 * {@link unwrapTransfer}.
 */
export function withTransfer<T>(value: T, transfer: readonly Transferable[]): T {
  if (!Array.isArray(transfer)) throw new TypeError("withTransfer: transfer must be an array");
  // Typed as T so the same function keeps its signature on every Io.
  return { [TRANSFER_KEY]: true, value, transfer } as unknown as T;
}

/** The value inside a {@link withTransfer} marker, or `value` itself. */
export function unwrapTransfer<T>(value: T): T {
  return unwrapTransferMarker(value);
}
