/**
 * A lightweight cancellation token. Every task owns one; creating an
 * `AbortController` per task would cost more than the rest of `spawn`, so the
 * standard `AbortSignal` is only materialised when someone asks for it.
 * @internal
 */
import { CancelledError } from "../errors.js";

type Listener = (reason: unknown) => void;

export class CancelToken {
  #cancelled = false;
  #reason: unknown = undefined;
  #listeners: Set<Listener> | null = null;
  #controller: AbortController | null = null;

  get cancelled(): boolean {
    return this.#cancelled;
  }

  get reason(): unknown {
    return this.#reason;
  }

  /** A standard signal that aborts when this token is cancelled. */
  get signal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#cancelled) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /**
   * Registers `listener` to run once on cancellation and returns a function
   * that unregisters it. If already cancelled, runs it now.
   */
  onCancel(listener: Listener): () => void {
    if (this.#cancelled) {
      listener(this.#reason);
      return noop;
    }
    if (this.#listeners === null) this.#listeners = new Set();
    const listeners = this.#listeners;
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** Cancels with `reason`; returns false if it was already cancelled. */
  cancel(reason: unknown = new CancelledError()): boolean {
    if (this.#cancelled) return false;
    this.#cancelled = true;
    this.#reason = reason;
    const listeners = this.#listeners;
    this.#listeners = null;
    if (listeners !== null) {
      for (const listener of listeners) {
        try {
          listener(reason);
        } catch (error) {
          reportError(error);
        }
      }
    }
    this.#controller?.abort(reason);
    return true;
  }
}

export function noop(): void {}

/** Surfaces an error thrown by a callback without breaking the caller's loop. */
export function reportError(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

/** The error a wait rejects with when `reason` cancelled it. */
export function toCancelledError(reason: unknown): CancelledError {
  return CancelledError.from(reason);
}

/**
 * Watches an optional `AbortSignal` and an optional token together. Returns
 * `undefined` when neither can ever fire (the fast path allocates nothing),
 * otherwise a disposer. Calls `onCancel` at most once.
 */
export function watchCancellation(
  signal: AbortSignal | undefined,
  token: CancelToken | undefined,
  onCancel: (error: CancelledError) => void,
): (() => void) | undefined {
  if (signal === undefined && token === undefined) return undefined;
  let done = false;
  let offToken: () => void = noop;
  const fire = (reason: unknown): void => {
    if (done) return;
    done = true;
    dispose();
    onCancel(toCancelledError(reason));
  };
  const onAbort = (): void => fire(signal?.reason);
  const dispose = (): void => {
    done = true;
    signal?.removeEventListener("abort", onAbort);
    offToken();
  };
  if (signal !== undefined) {
    if (signal.aborted) {
      fire(signal.reason);
      return noop;
    }
    signal.addEventListener("abort", onAbort, { once: true });
  }
  if (token !== undefined) offToken = token.onCancel(fire);
  return dispose;
}

/** If `signal` or `token` is already cancelled, the error to reject with. */
export function cancelledAlready(signal: AbortSignal | undefined, token: CancelToken | undefined): CancelledError | undefined {
  if (signal?.aborted) return toCancelledError(signal.reason);
  if (token?.cancelled) return toCancelledError(token.reason);
  return undefined;
}
