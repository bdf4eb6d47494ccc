/**
 * The one waiting primitive of the Node API: a parked caller (a read, a
 * write, `acceptStream`) that the driver's event dispatch wakes, and that
 * an `AbortSignal` or the cancellation of the running task ends early.
 *
 * Why not a runtime channel or `Notify`: a QUIC event is an edge ("stream 4
 * became readable"), delivered synchronously from the driver; the waiter
 * then retries its non-blocking core call. One promise per *wait*, none
 * per packet, and the cancellation hook (`onCancellation` from
 * `@zsync/runtime`, which watches the signal and the current task) lets the
 * caller undo protocol state (reset or stop the stream) before rejecting.
 *
 * @module
 */
import { CancelledError, onCancellation } from "@zsync/runtime";

/** Options every waiting call takes. */
export interface QuicWaitOptions {
  /** Aborting it ends the wait with `CancelledError` (and resets/stops the stream the wait was on). */
  readonly signal?: AbortSignal | undefined;
}

/** A parked waiter: `wake()` resolves it, `fail(error)` rejects it. */
export class Waiter {
  #resolve: (() => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;

  /** True while someone is parked. */
  get parked(): boolean {
    return this.#resolve !== undefined;
  }

  /**
   * Parks until `wake` or `fail`. `onCancel` runs before the rejection when
   * the signal aborts or the current task is cancelled.
   */
  wait(options: QuicWaitOptions | undefined, onCancel?: (error: CancelledError) => void): Promise<void> {
    if (this.#resolve !== undefined) return Promise.reject(new TypeError("another call is already waiting on this object"));
    return new Promise<void>((resolve, reject) => {
      let fired = false;
      const stop = onCancellation(options?.signal, (error) => {
        fired = true;
        this.#resolve = undefined;
        this.#reject = undefined;
        try {
          onCancel?.(error);
        } finally {
          reject(error);
        }
      });
      if (fired) return; // already cancelled: the listener ran synchronously and rejected
      this.#resolve = () => {
        stop();
        resolve();
      };
      this.#reject = (error) => {
        stop();
        reject(error);
      };
    });
  }

  /** Resumes the parked caller, if any. */
  wake(): void {
    const resolve = this.#resolve;
    this.#resolve = undefined;
    this.#reject = undefined;
    resolve?.();
  }

  /** Rejects the parked caller, if any. */
  fail(error: unknown): void {
    const reject = this.#reject;
    this.#resolve = undefined;
    this.#reject = undefined;
    reject?.(error);
  }
}

/** Throws the `CancelledError` of an already-aborted signal (checked before any side effect). */
export function throwIfAborted(options: QuicWaitOptions | undefined): void {
  if (options?.signal?.aborted) throw CancelledError.from(options.signal.reason);
}
