/**
 * Parked channel operations and the one rule that keeps messages from being
 * lost: a waiter is *claimed* exactly once, and the claim happens in the same
 * synchronous step as the hand-off.
 *
 * - A receiver waiter is given a value only through {@link RecvWaiter.deliver},
 *   which claims it first and returns false if it was already claimed (by
 *   cancellation, or by another branch of the same `select`). The channel
 *   keeps the value and tries the next waiter, so a value is never handed to
 *   a wait that will not return it.
 * - A sender waiter's value is taken only through {@link SendWaiter.take},
 *   which claims it first; a cancelled or losing send therefore never has its
 *   value enqueued.
 *
 * Waiters never run user code synchronously when claimed (promises settle in
 * later microtasks, `select` handlers run in a microtask), so a channel can
 * claim a waiter in the middle of an operation without re-entrancy.
 * @internal
 */
import { type CancelToken, watchCancellation } from "../internal/cancel.js";
import { isWaitCancelled } from "../wait/wait-queue.js";
import { unlink, type WaitList, WaitNode } from "./wait-list.js";

/** A parked receive: a plain `recv()` or a `select` receive branch. */
export abstract class RecvWaiter<T> extends WaitNode {
  /** Claims this waiter and hands it `value`; false (value not taken) if it was already claimed. */
  abstract deliver(value: T): boolean;
  /** Claims this waiter and fails it with `error` (channel closed); no-op if already claimed. */
  abstract fail(error: Error): void;
}

/** A parked send carrying its value. */
export abstract class SendWaiter<T> extends WaitNode {
  readonly value: T;

  constructor(value: T) {
    super();
    this.value = value;
  }

  /** Claims this waiter; true means the caller now owns `value` and must enqueue or deliver it. */
  abstract take(): boolean;
  /** Claims this waiter and fails it with `error`; no-op if already claimed. */
  abstract fail(error: Error): void;
}

class PendingRecv<T> extends RecvWaiter<T> {
  done = false;
  unwatch: (() => void) | undefined = undefined;
  readonly #resolve: (value: T) => void;
  readonly #reject: (error: unknown) => void;
  readonly #signal: AbortSignal | undefined;
  readonly #token: CancelToken | undefined;

  constructor(
    resolve: (value: T) => void,
    reject: (error: unknown) => void,
    signal: AbortSignal | undefined,
    token: CancelToken | undefined,
  ) {
    super();
    this.#resolve = resolve;
    this.#reject = reject;
    this.#signal = signal;
    this.#token = token;
  }

  deliver(value: T): boolean {
    if (this.done) return false;
    // An abort whose listener has not run yet (listeners of one abort run in
    // order, and an earlier one may be what is sending) still wins.
    const cancelled = isWaitCancelled(this.#signal, this.#token);
    if (cancelled !== undefined) {
      this.fail(cancelled);
      return false;
    }
    this.done = true;
    this.unwatch?.();
    this.#resolve(value);
    return true;
  }

  fail(error: unknown): void {
    if (this.done) return;
    this.done = true;
    unlink(this);
    this.unwatch?.();
    this.#reject(error);
  }
}

class PendingSend<T> extends SendWaiter<T> {
  done = false;
  unwatch: (() => void) | undefined = undefined;
  readonly #resolve: () => void;
  readonly #reject: (error: unknown) => void;
  readonly #signal: AbortSignal | undefined;
  readonly #token: CancelToken | undefined;

  constructor(
    value: T,
    resolve: () => void,
    reject: (error: unknown) => void,
    signal: AbortSignal | undefined,
    token: CancelToken | undefined,
  ) {
    super(value);
    this.#resolve = resolve;
    this.#reject = reject;
    this.#signal = signal;
    this.#token = token;
  }

  take(): boolean {
    if (this.done) return false;
    const cancelled = isWaitCancelled(this.#signal, this.#token);
    if (cancelled !== undefined) {
      this.fail(cancelled);
      return false;
    }
    this.done = true;
    this.unwatch?.();
    this.#resolve();
    return true;
  }

  fail(error: unknown): void {
    if (this.done) return;
    this.done = true;
    unlink(this);
    this.unwatch?.();
    this.#reject(error);
  }
}

/**
 * Parks a receive on `list`. `onPark` runs after the node is queued (e.g. to
 * register the list's owner as having waiters).
 */
export function parkRecv<T>(
  list: WaitList<RecvWaiter<T>>,
  signal: AbortSignal | undefined,
  token: CancelToken | undefined,
  onPark?: () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const node = new PendingRecv<T>(resolve, reject, signal, token);
    list.push(node);
    onPark?.();
    node.unwatch = watchCancellation(signal, token, (error) => node.fail(error));
  });
}

/** Parks a send of `value` on `list`. */
export function parkSend<T>(
  list: WaitList<SendWaiter<T>>,
  value: T,
  signal: AbortSignal | undefined,
  token: CancelToken | undefined,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const node = new PendingSend<T>(value, resolve, reject, signal, token);
    list.push(node);
    node.unwatch = watchCancellation(signal, token, (error) => node.fail(error));
  });
}
