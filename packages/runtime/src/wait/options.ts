/**
 * The options every cancellable wait of the runtime takes.
 * @module
 */

/** Options accepted by every cancellable wait (`sleep`, channels, locks, `WaitQueue.wait`, ...). */
export interface WaitOptions {
  /** Aborting it rejects the wait with `CancelledError`; nothing is consumed. */
  readonly signal?: AbortSignal;
}

/** {@link WaitOptions} plus a deadline: the options of the Node I/O waits (sockets, files). */
export interface TimedWaitOptions extends WaitOptions {
  /** Rejects with `TimeoutError` after this many milliseconds; nothing is consumed. */
  readonly timeoutMs?: number;
}
