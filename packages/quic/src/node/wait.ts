/**
 * The one waiting primitive of the Node API: parked callers (reads, writes,
 * `accept`, `openBidirectionalStream` at the stream limit) that the driver's
 * event dispatch wakes, and that an `AbortSignal` or the cancellation of the
 * running task ends early.
 *
 * Why not a runtime channel or `Notify`: a QUIC event is an edge ("stream 4
 * became readable"), delivered synchronously from the driver; each waiter
 * then retries its non-blocking core call, and whoever finds nothing parks
 * again. So `wake()` resumes every parked caller. One promise per *wait*,
 * none per packet, and the cancellation hook (`onCancellation` from
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

interface Parked {
  resolve(): void;
  reject(error: unknown): void;
}

/** Parked callers: `wake()` resolves them all, `fail(error)` rejects them all. */
export class Waiter {
  #parked: Parked[] = [];

  /** True while someone is parked. */
  get parked(): boolean {
    return this.#parked.length > 0;
  }

  /**
   * Parks until `wake` or `fail`. `onCancel` runs before the rejection when
   * the signal aborts or the current task is cancelled.
   */
  wait(options: QuicWaitOptions | undefined, onCancel?: (error: CancelledError) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let fired = false;
      const entry: Parked = {
        resolve: () => {
          stop();
          resolve();
        },
        reject: (error) => {
          stop();
          reject(error);
        },
      };
      const stop = onCancellation(options?.signal, (error) => {
        fired = true;
        this.#remove(entry);
        try {
          onCancel?.(error);
        } finally {
          reject(error);
        }
      });
      if (fired) return; // already cancelled: the listener ran synchronously and rejected
      this.#parked.push(entry);
    });
  }

  /** Resumes every parked caller (each retries its call). */
  wake(): void {
    if (this.#parked.length === 0) return;
    const parked = this.#parked;
    this.#parked = [];
    for (const p of parked) p.resolve();
  }

  /** Rejects every parked caller. */
  fail(error: unknown): void {
    if (this.#parked.length === 0) return;
    const parked = this.#parked;
    this.#parked = [];
    for (const p of parked) p.reject(error);
  }

  #remove(entry: Parked): void {
    const i = this.#parked.indexOf(entry);
    if (i >= 0) this.#parked.splice(i, 1);
  }
}

/** Throws the `CancelledError` of an already-aborted signal (checked before any side effect). */
export function throwIfAborted(options: QuicWaitOptions | undefined): void {
  if (options?.signal?.aborted) throw CancelledError.from(options.signal.reason);
}
