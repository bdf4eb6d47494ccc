/**
 * `Future<T>`: the result of asynchronous work that can be awaited, polled
 * without blocking, observed with callbacks and cancelled.
 *
 * A future is a thenable, so `await future` works, but unlike a `Promise` it
 * owns its work: `cancel()` stops it, and `using f = io.async(...)` cancels it
 * on scope exit if it is still pending (the seeds' `defer future.cancel(io)`).
 *
 * Cancellation settles the future at once with a {@link CancelledError} and
 * aborts the work's signal; the work itself stops at its next cancellable
 * wait. Use {@link Future.finished} to wait until it actually has.
 *
 * @example
 * ```ts
 * import { spawn, sleep } from "@zsync/runtime";
 * const f = spawn(async () => { await sleep(1000); return 1; });
 * f.poll();          // { status: "pending" }
 * f.cancel("bored"); // f rejects with CancelledError(reason "bored")
 * ```
 * @module
 */
import { CancelledError } from "./errors.js";
import { noop, reportError } from "./internal/cancel.js";

/** Non-blocking view of a future's state. */
export type PollResult<T> =
  | { readonly status: "pending" }
  | { readonly status: "fulfilled"; readonly value: T }
  | { readonly status: "rejected"; readonly reason: unknown };

/** A settled outcome, as passed to {@link Future.onComplete} callbacks. */
export type Settled<T> = Exclude<PollResult<T>, { status: "pending" }>;

const PENDING = 0;
const FULFILLED = 1;
const REJECTED = 2;

const PENDING_RESULT: PollResult<never> = Object.freeze({ status: "pending" });

/** Hooks a producer gives a future so that cancelling reaches the work. */
export interface FutureHooks {
  /** Called once when the future is cancelled while pending. */
  readonly onCancel?: (error: CancelledError) => void;
  /** Resolves when the underlying work has really stopped (defaults to settlement). */
  readonly finished?: PromiseLike<void>;
}

/** The producer side of a future, as returned by {@link Future.withResolvers}. */
export interface FutureResolvers<T> {
  readonly future: Future<T>;
  /** Fulfils the future (or adopts a thenable). No effect once settled. */
  readonly resolve: (value: T | PromiseLike<T>) => void;
  /** Rejects the future. No effect once settled. */
  readonly reject: (reason: unknown) => void;
}

/**
 * An awaitable, cancellable result. Create one with {@link Future.withResolvers},
 * {@link Future.from}, or any runtime API that returns one (`spawn`, `io.async`).
 */
type Executor<T> = (resolve: (value: T | PromiseLike<T>) => void, reject: (reason?: unknown) => void) => void;

const promiseThen = Promise.prototype.then;

let capturedResolve: ((value: unknown) => void) | undefined;
let capturedReject: ((reason: unknown) => void) | undefined;
function captureResolvers(resolve: (value: never) => void, reject: (reason: unknown) => void): void {
  capturedResolve = resolve as (value: unknown) => void;
  capturedReject = reject;
}

/**
 * An awaitable, cancellable result. Create one with {@link Future.withResolvers},
 * {@link Future.from}, or any runtime API that returns one (`spawn`, `io.async`).
 *
 * A `Future` is a real `Promise` (so `await`, `Promise.all` and `instanceof
 * Promise` work, and awaiting one costs what awaiting a promise costs), with
 * its state readable through {@link Future.poll} and its work cancellable.
 * Methods that derive new promises (`then`, `catch`, `finally`) return plain
 * promises. A future that is rejected or cancelled while nobody listens does
 * not raise an unhandled rejection: cancelling work nobody awaits is normal.
 */
export class Future<T> extends Promise<T> implements Disposable {
  #state: number = PENDING;
  #value: unknown = undefined;
  // Stored with erased types so that Future<T> stays covariant in T (a
  // Future<number> is a Future<unknown>).
  #callbacks: Array<(result: Settled<unknown>) => void> | null = null;
  readonly #resolvePromise: (value: unknown) => void;
  readonly #rejectPromise: (reason: unknown) => void;
  #hooks: FutureHooks | undefined;

  /**
   * Prefer {@link Future.withResolvers}; the constructor is for subclasses. It
   * also accepts a promise executor, so the inherited `Future.all(...)` style
   * statics build futures correctly.
   */
  constructor(hooksOrExecutor?: FutureHooks | Executor<T>) {
    // A shared executor instead of a closure per future: Promise calls it
    // synchronously, so the module-level slots are read back immediately.
    super(captureResolvers);
    this.#resolvePromise = capturedResolve as (value: unknown) => void;
    this.#rejectPromise = capturedReject as (reason: unknown) => void;
    capturedResolve = capturedReject = undefined;
    if (typeof hooksOrExecutor === "function") {
      try {
        hooksOrExecutor(
          (value) => this.settleWith(value),
          (reason) => this.settle(REJECTED, reason),
        );
      } catch (error) {
        this.settle(REJECTED, error);
      }
    } else {
      this.#hooks = hooksOrExecutor;
    }
  }

  /** Derived promises (`then`, `catch`, `finally`) are plain promises. */
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  /** A pending future and the functions that settle it. */
  static withResolvers<T>(hooks?: FutureHooks): FutureResolvers<T> {
    const future = new Future<T>(hooks);
    return {
      future,
      resolve: (value) => future.settleWith(value),
      reject: (reason) => future.settle(REJECTED, reason),
    };
  }

  /** A future that follows `value` (a promise, thenable or plain value). */
  static from<T>(value: T | PromiseLike<T>): Future<T> {
    if (value instanceof Future) return value as Future<T>;
    const future = new Future<T>();
    future.settleWith(value);
    return future;
  }

  /** An already-fulfilled future. */
  static resolved<T>(value: T): Future<T> {
    const future = new Future<T>();
    future.settle(FULFILLED, value);
    return future;
  }

  /** An already-rejected future. */
  static rejected<T = never>(reason: unknown): Future<T> {
    const future = new Future<T>();
    future.settle(REJECTED, reason);
    return future;
  }

  /** True once fulfilled, rejected or cancelled. */
  get settled(): boolean {
    return this.#state !== PENDING;
  }

  /** Resolves when the underlying work has stopped, whatever the outcome. */
  get finished(): Promise<void> {
    const finished = this.#hooks?.finished;
    if (finished !== undefined) return Promise.resolve(finished).then(noop, noop);
    return promiseThen.call(this, noop, noop) as Promise<void>;
  }

  /** The current state without waiting. */
  poll(): PollResult<T> {
    if (this.#state === PENDING) return PENDING_RESULT;
    return this.#state === FULFILLED ? { status: "fulfilled", value: this.#value as T } : { status: "rejected", reason: this.#value };
  }

  /**
   * Cancels a pending future: it rejects with a {@link CancelledError} whose
   * `reason` is `reason`, and the work is told to stop. Returns false (and does
   * nothing) if the future had already settled.
   */
  cancel(reason?: unknown): boolean {
    if (this.#state !== PENDING) return false;
    const error = CancelledError.from(reason);
    this.settle(REJECTED, error);
    const onCancel = this.#hooks?.onCancel;
    if (onCancel !== undefined) {
      try {
        onCancel(error);
      } catch (thrown) {
        reportError(thrown);
      }
    }
    return true;
  }

  /**
   * Runs `callback` once with the outcome. Callbacks run synchronously at
   * settlement (or immediately if already settled), before awaiting code
   * resumes; an exception thrown by one is reported, not propagated.
   */
  onComplete(callback: (result: Settled<T>) => void): void {
    if (this.#state !== PENDING) {
      invoke(callback, this.poll() as Settled<T>);
      return;
    }
    if (this.#callbacks === null) this.#callbacks = [];
    this.#callbacks.push(callback as (result: Settled<unknown>) => void);
  }

  /** Cancels the future if it is still pending (for `using`). */
  [Symbol.dispose](): void {
    this.cancel(new CancelledError(undefined, "future disposed before completion"));
  }

  override get [Symbol.toStringTag](): string {
    return "Future";
  }

  /** Settles with `value`, adopting it if it is a thenable. @internal */
  protected settleWith(value: T | PromiseLike<T>): void {
    if (this.#state !== PENDING) return;
    if (value !== null && (typeof value === "object" || typeof value === "function")) {
      let then: unknown;
      try {
        then = (value as PromiseLike<T>).then;
      } catch (error) {
        this.settle(REJECTED, error);
        return;
      }
      if (typeof then === "function") {
        (then as PromiseLike<T>["then"]).call(
          value,
          (v) => this.settle(FULFILLED, v),
          (e) => this.settle(REJECTED, e),
        );
        return;
      }
    }
    this.settle(FULFILLED, value);
  }

  /** Rejects with `reason` unless already settled. For subclasses. */
  protected rejectWith(reason: unknown): void {
    this.settle(REJECTED, reason);
  }

  /** @internal */
  protected settle(state: typeof FULFILLED | typeof REJECTED, value: unknown): void {
    if (this.#state !== PENDING) return;
    this.#state = state;
    this.#value = value;
    if (state === FULFILLED) {
      this.#resolvePromise(value);
    } else {
      // Mark the promise handled before rejecting it: a cancelled or failed
      // future nobody awaits must not take the process down as an
      // unhandled rejection. Only the rejection path pays for this.
      promiseThen.call(this, undefined, noop);
      this.#rejectPromise(value);
    }
    const callbacks = this.#callbacks;
    if (callbacks !== null) {
      this.#callbacks = null;
      const result = this.poll() as Settled<unknown>;
      for (const callback of callbacks) invoke(callback, result);
    }
  }
}

/**
 * Makes `await` treat instances of `subclass` like native promises (no extra
 * thenable job): `await` takes its fast path only for objects whose
 * `constructor` is `Promise`. Applied to Future and TaskHandle; subclasses
 * that skip it still work, one microtask slower.
 */
export function fastAwait(subclass: abstract new (...args: never[]) => Future<unknown>): void {
  Object.defineProperty(subclass.prototype, "constructor", { value: Promise, writable: true, configurable: true, enumerable: false });
}

fastAwait(Future);

function invoke<T>(callback: (result: Settled<T>) => void, result: Settled<T>): void {
  try {
    callback(result);
  } catch (error) {
    reportError(error);
  }
}

/** True for values that can be awaited. */
export function isThenable<T = unknown>(value: unknown): value is PromiseLike<T> {
  return (
    value !== null && (typeof value === "object" || typeof value === "function") && typeof (value as PromiseLike<T>).then === "function"
  );
}
