/**
 * The one waiting primitive of the Node API: parked callers (reads, writes,
 * `accept`, `openBidirectionalStream` at the stream limit) that the driver's
 * event dispatch wakes, and that an `AbortSignal` or the cancellation of the
 * running task ends early.
 *
 * Built on the runtime's `WaitQueue` (`@zsync/runtime/wait`), so it shares
 * its cancellation rules: removal and settlement happen in one synchronous
 * step, and a caller whose signal (or task) is already cancelled is never
 * woken, even when an earlier listener of the same abort wakes the queue
 * before the caller's own listener has run. Such a caller is rejected with
 * `CancelledError` and its call retries nothing (no data consumed, no credit
 * used).
 *
 * Why `wakeAll` and `WaitQueue<void>`: a QUIC event is an edge ("stream 4
 * became readable"), delivered synchronously from the driver; each waiter
 * then retries its non-blocking core call, and whoever finds nothing parks
 * again. One promise per *wait*, none per packet.
 *
 * What this adds to `WaitQueue`: a per-wait cancellation hook that lets the
 * caller undo protocol state (reset or stop the stream) on *every* path that
 * cancels the wait. `WaitQueue`'s `afterCancel` runs when the waiter's own
 * abort (or task) listener removes it, but not when the guard above rejects
 * it during a wake (the queue drops the listener then), so the hook also runs
 * from the rejection handler when `afterCancel` did not. Failures (`fail`)
 * travel through the queue wrapped in a private {@link Failure}, which is how
 * the handler tells them from cancellations: a failed wait never runs the hook.
 *
 * @module
 */
import { CancelledError } from "@zsync/runtime";
import { WaitQueue } from "@zsync/runtime/wait";

/** Options every waiting call takes. */
export interface QuicWaitOptions {
  /** Aborting it ends the wait with `CancelledError` (and resets/stops the stream the wait was on). */
  readonly signal?: AbortSignal | undefined;
}

/** Carries an error given to {@link Waiter.fail} through the queue; unwrapped before the caller sees it. */
class Failure extends Error {
  readonly reason: unknown;

  constructor(reason: unknown) {
    super("quic wait failed");
    this.reason = reason;
  }
}

/** Parked callers: `wake()` resolves them all, `fail(error)` rejects them all. */
export class Waiter {
  readonly #queue = new WaitQueue<void>();

  /** True while someone is parked. */
  get parked(): boolean {
    return this.#queue.size > 0;
  }

  /**
   * Parks until `wake` or `fail`. Rejects with `CancelledError` when the
   * signal aborts or the current task is cancelled (at once if either already
   * is); `onCancel` runs exactly once in that case, before the caller sees the
   * rejection, and never when the wait is woken or failed.
   */
  wait(options: QuicWaitOptions | undefined, onCancel?: () => void): Promise<void> {
    let hookRan = false;
    const runHook =
      onCancel === undefined
        ? undefined
        : (): void => {
            if (hookRan) return;
            hookRan = true;
            onCancel();
          };
    const signal = options?.signal;
    const parked = this.#queue.wait(signal === undefined && runHook === undefined ? undefined : { signal, afterCancel: runHook });
    return parked.then(undefined, (error: unknown) => {
      if (error instanceof Failure) throw error.reason;
      // A cancellation: by the waiter's own listener (the hook already ran) or by the guard during a wake.
      runHook?.();
      throw error;
    });
  }

  /** Resumes every parked caller that is not already cancelled (each retries its call). */
  wake(): void {
    if (this.#queue.size > 0) this.#queue.wakeAll();
  }

  /** Rejects every parked caller with `error`. */
  fail(error: unknown): void {
    if (this.#queue.size > 0) this.#queue.rejectAll(new Failure(error));
  }
}

/** Throws the `CancelledError` of an already-aborted signal (checked before any side effect). */
export function throwIfAborted(options: QuicWaitOptions | undefined): void {
  if (options?.signal?.aborted) throw CancelledError.from(options.signal.reason);
}
