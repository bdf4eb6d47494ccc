/**
 * One cancellation source for a long crypto operation: the caller's explicit
 * `signal` and the ambient runtime task (`onTaskCancel`), so that cancelling
 * the task that started a 1 GiB `encrypt` stops it just as aborting its
 * signal would. Loops poll `cancelled`; pooled work subscribes with
 * `onCancel` to wake its waits. Dispose the watch when the operation ends so
 * that no listener outlives it.
 *
 * @example
 * ```ts
 * import { yieldNow } from "@zsync/runtime";
 * import { CancelWatch } from "./cancel-watch.js";
 * declare const options: { readonly signal?: AbortSignal };
 * declare const pieces: readonly Uint8Array[];
 * declare function work(piece: Uint8Array): void;
 * using watch = CancelWatch.start(options.signal); // throws CancelledError if already cancelled
 * for (const piece of pieces) {
 *   work(piece);
 *   await yieldNow();
 *   watch.throwIfCancelled();
 * }
 * ```
 * @internal
 * @module
 */
import { type CancelledError, onCancellation } from "@zsync/runtime";

/** Merged explicit-signal and ambient-task cancellation for one operation. */
export class CancelWatch implements Disposable {
  #error: CancelledError | undefined;
  #listener: ((error: CancelledError) => void) | undefined;
  readonly #stop: () => void;

  private constructor(signal: AbortSignal | undefined) {
    this.#stop = onCancellation(signal, (error) => this.#fire(error));
    if (this.#error !== undefined) {
      // Already cancelled: onCancellation ran the listener synchronously.
      this.#stop();
      throw this.#error;
    }
  }

  /** Starts watching; throws `CancelledError` if `signal` or the ambient task is already cancelled. */
  static start(signal: AbortSignal | undefined): CancelWatch {
    return new CancelWatch(signal);
  }

  /** The `CancelledError` once cancelled, else `undefined`. */
  get cancelled(): CancelledError | undefined {
    return this.#error;
  }

  /** Throws the `CancelledError` if cancelled. */
  throwIfCancelled(): void {
    if (this.#error !== undefined) throw this.#error;
  }

  /** Calls `listener` once on cancellation (at once if already cancelled). One listener per watch. */
  onCancel(listener: (error: CancelledError) => void): void {
    if (this.#error !== undefined) listener(this.#error);
    else this.#listener = listener;
  }

  #fire(error: CancelledError): void {
    if (this.#error !== undefined) return;
    this.#error = error;
    const listener = this.#listener;
    this.#listener = undefined;
    listener?.(error);
  }

  /** Stops watching. */
  [Symbol.dispose](): void {
    this.#stop();
    this.#listener = undefined;
  }
}
