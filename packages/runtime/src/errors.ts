/**
 * Error classes of the runtime. Each failure has its own class with a stable
 * `code` (safe to switch on across versions) and, where one exists, a `cause`.
 *
 * @example
 * ```ts
 * import { timeout, TimeoutError } from "@zsync/runtime";
 * declare function fetchSlowly(): Promise<string>;
 * try {
 *   await timeout(() => fetchSlowly(), 100);
 * } catch (error) {
 *   if (error instanceof TimeoutError) console.log(error.code); // "ZSYNC_TIMEOUT"
 * }
 * ```
 * @module
 */

/** Base class of every error thrown by zsync-ts packages. */
export class ZsyncError extends Error {
  /** Stable machine-readable identifier, e.g. `ZSYNC_CANCELLED`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * The operation was cancelled: its task or future was cancelled, or the
 * `AbortSignal` passed to it was aborted. `reason` is what the canceller gave
 * (also available as `cause`).
 */
export class CancelledError extends ZsyncError {
  readonly reason: unknown;

  constructor(reason?: unknown, message = "operation cancelled") {
    super("ZSYNC_CANCELLED", message, reason === undefined ? undefined : { cause: reason });
    this.reason = reason;
  }

  /**
   * `reason` itself if it already is a `CancelledError`, else a new one
   * carrying it: what a wait rejects with when `reason` cancelled it.
   */
  static from(reason: unknown): CancelledError {
    return reason instanceof CancelledError ? reason : new CancelledError(reason);
  }
}

/** A deadline passed before the operation completed; the operation was cancelled. */
export class TimeoutError extends ZsyncError {
  /** The deadline that elapsed, in milliseconds. */
  readonly ms: number;

  constructor(ms: number, message = `timed out after ${ms} ms`) {
    super("ZSYNC_TIMEOUT", message);
    this.ms = ms;
  }
}

/**
 * A channel was closed: `send` after `close()`, or `recv` on a closed channel
 * whose buffer is drained.
 */
export class ChannelClosedError extends ZsyncError {
  constructor(message = "channel closed") {
    super("ZSYNC_CHANNEL_CLOSED", message);
  }
}

/** Every input of `any()` failed; `errors` holds their reasons in input order. */
export class AllFailedError extends ZsyncError {
  readonly errors: readonly unknown[];

  constructor(errors: readonly unknown[]) {
    super("ZSYNC_ALL_FAILED", `all ${errors.length} inputs failed`, { cause: errors[0] });
    this.errors = errors;
  }
}

/** An operation needs a runtime state it is not in (e.g. `getRuntime()` before `init()`). */
export class RuntimeStateError extends ZsyncError {
  constructor(message: string) {
    super("ZSYNC_RUNTIME_STATE", message);
  }
}

/** A bounded queue or pool refused work because it was full. */
export class QueueFullError extends ZsyncError {
  readonly capacity: number;

  constructor(capacity: number, message = `queue full (capacity ${capacity})`) {
    super("ZSYNC_QUEUE_FULL", message);
    this.capacity = capacity;
  }
}

/**
 * A broadcast receiver fell behind by more than the channel's capacity and
 * `missed` messages were overwritten before it could read them. The receiver
 * continues from the oldest message still buffered.
 */
export class LaggedError extends ZsyncError {
  readonly missed: number;

  constructor(missed: number) {
    super("ZSYNC_LAGGED", `receiver lagged behind by ${missed} messages`);
    this.missed = missed;
  }
}

/** `true` for a {@link CancelledError}, including across realms (checks `code`). */
export function isCancelled(error: unknown): error is CancelledError {
  return error instanceof CancelledError || (error instanceof Error && (error as { code?: unknown }).code === "ZSYNC_CANCELLED");
}
