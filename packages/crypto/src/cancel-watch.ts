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
import { CancelledError, onTaskCancel } from "@zsync/runtime";

function toCancelled(reason: unknown): CancelledError {
  return reason instanceof CancelledError ? reason : new CancelledError(reason);
}

/** Merged explicit-signal and ambient-task cancellation for one operation. */
export class CancelWatch implements Disposable {
  #error: CancelledError | undefined;
  #listener: ((error: CancelledError) => void) | undefined;
  #offTask: (() => void) | undefined;
  #signal: AbortSignal | undefined;

  private constructor(signal: AbortSignal | undefined) {
    if (signal?.aborted) throw toCancelled(signal.reason);
    this.#offTask = onTaskCancel((reason) => this.#fire(reason));
    if (this.#error !== undefined) {
      // The ambient task was already cancelled: onTaskCancel ran the listener synchronously.
      this.#offTask?.();
      throw this.#error;
    }
    if (signal !== undefined) {
      this.#signal = signal;
      signal.addEventListener("abort", this.#onAbort, { once: true });
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

  readonly #onAbort = (): void => this.#fire(this.#signal?.reason);

  #fire(reason: unknown): void {
    if (this.#error !== undefined) return;
    this.#error = toCancelled(reason);
    const listener = this.#listener;
    this.#listener = undefined;
    listener?.(this.#error);
  }

  /** Stops watching. */
  [Symbol.dispose](): void {
    this.#offTask?.();
    this.#offTask = undefined;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#signal = undefined;
    this.#listener = undefined;
  }
}
