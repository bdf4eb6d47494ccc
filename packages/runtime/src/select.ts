/**
 * `select(branches, { signal })`: wait for the first of several channel
 * receives, channel sends, futures and timeouts, and complete exactly one.
 *
 * Guarantees:
 * - **Exactly one branch completes.** A receive branch that loses consumes
 *   nothing (no message is taken and dropped); a send branch that loses
 *   enqueues nothing. Every branch parks a waiter that shares one claim with
 *   its siblings, and a channel hands a message to a waiter, or takes a
 *   value from it, only in the same synchronous step in which it wins the
 *   claim. The losers are unparked in that step too.
 * - **Immediate readiness.** If some branches can complete right away, one
 *   of them completes synchronously without parking anything: chosen
 *   uniformly at random (so a busy channel cannot starve the others), or the
 *   first ready one in order with `{ biased: true }`. A channel branch is
 *   ready when a message/space is available or the channel is closed; a
 *   `Future` branch when the future has settled; a promise branch once select
 *   has seen it settle (a promise's state cannot be read synchronously, so a
 *   fresh promise completes no earlier than its reaction).
 * - **`onTimeout(0)` is a default branch**: it wins only if no other branch is
 *   ready at the time of the call, like Go's `default`. `onTimeout(ms)` for
 *   ms > 0 is a timer started by `select` and cleared when another branch wins.
 * - **Handlers** run after the winner is chosen, in the caller's context,
 *   never inside another task's channel operation; `select` resolves with the
 *   winning handler's (awaited) result, or rejects with what it threw.
 * - **Closed channels.** A receive branch on a closed, drained channel is
 *   ready: it runs its `onClosed` handler if given, otherwise `select`
 *   rejects with `ChannelClosedError`. A send branch on a closed channel
 *   makes `select` reject with `ChannelClosedError` (its value is not sent).
 * - **Failures.** A rejected future branch rejects `select` with its reason;
 *   a `LaggedError` from a broadcast receiver rejects `select`.
 * - **Cancellation.** `{ signal }` and the calling task's cancellation reject
 *   `select` with `CancelledError`; no branch has completed then.
 * - **Futures are not cancelled** when their branch loses (a long-lived
 *   shutdown future can be selected on in a loop); pass
 *   `{ cancelOnLose: true }` to `onFuture` to cancel a losing `Future`.
 *   Selecting repeatedly on one promise or future attaches one reaction to it
 *   in total, so such loops do not leak.
 *
 * @example
 * ```ts
 * import { bounded, onRecv, onSend, onTimeout, select } from "@zsync/runtime";
 * const input = bounded<number>(8);
 * const output = bounded<string>(8);
 * const outcome = await select([
 *   onRecv(input, (n) => `got ${n}`),
 *   onSend(output, "hello", () => "sent"),
 *   onTimeout(100, () => "timed out"),
 * ]); // "sent": output had room
 * ```
 * @module
 */

import { signalOf } from "./channel/options.js";
import { RECV_PORT, type RecvPort, type RecvSelectable, SEND_PORT, type SendPort, type SendSelectable } from "./channel/ports.js";
import { unlink } from "./channel/wait-list.js";
import { RecvWaiter, SendWaiter } from "./channel/waiters.js";
import { CancelledError, ChannelClosedError } from "./errors.js";
import { Future, type Settled } from "./future.js";
import { type CancelToken, cancelledAlready, watchCancellation } from "./internal/cancel.js";
import { currentScope } from "./internal/context.js";
import type { WaitOptions } from "./time/sleep.js";
import { assertDelay, clearTimer, setTimer, type Timer } from "./time/timer.js";

/** Options of {@link select}. */
export interface SelectOptions extends WaitOptions {
  /** Check ready branches in order instead of choosing one at random. */
  readonly biased?: boolean;
}

/** Returned by a branch's immediate commit when readiness vanished (a waiter it counted on was cancelled). */
const NOT_READY: unique symbol = Symbol("zsync.notReady");
type Commit<R> = R | PromiseLike<R> | typeof NOT_READY;
type Thunk = () => unknown;

/**
 * One alternative of a {@link select}; build it with {@link onRecv},
 * {@link onSend}, {@link onFuture} or {@link onTimeout}. Branches are immutable
 * descriptions: the same array can be passed to many `select` calls.
 */
export abstract class SelectBranch<R> {
  /** Whether this is a default branch (`onTimeout(0)`). @internal */
  get isDefault(): boolean {
    return false;
  }
  /** Whether {@link SelectBranch.commitNow} would complete now. @internal */
  abstract readyNow(): boolean;
  /** Completes now, running the handler. @internal */
  abstract commitNow(): Commit<R>;
  /** Parks this branch for `selection`; returns what {@link SelectBranch.unpark} needs. @internal */
  abstract park(selection: Selection, index: number): unknown;
  /** Undoes {@link SelectBranch.park}; `won` tells whether this branch won. @internal */
  abstract unpark(parked: unknown, won: boolean): void;
  /** Called on a branch that lost an immediate selection. @internal */
  lose(): void {}
}

/** The value a `select` over `B` resolves with. */
export type SelectResult<B extends readonly SelectBranch<unknown>[]> = Awaited<B[number] extends SelectBranch<infer R> ? R : never>;

/** The state of one pending `select` call, shared by its parked branches. @internal */
export class Selection {
  #done = false;
  #winner = -1;
  readonly #branches: readonly SelectBranch<unknown>[];
  readonly #parked: unknown[];
  readonly #resolve: (thunk: Thunk) => void;
  readonly #reject: (error: unknown) => void;
  readonly #signal: AbortSignal | undefined;
  readonly #token: CancelToken | undefined;
  unwatch: (() => void) | undefined = undefined;

  constructor(
    branches: readonly SelectBranch<unknown>[],
    resolve: (thunk: Thunk) => void,
    reject: (error: unknown) => void,
    signal: AbortSignal | undefined,
    token: CancelToken | undefined,
  ) {
    this.#branches = branches;
    this.#parked = new Array<unknown>(branches.length);
    this.#resolve = resolve;
    this.#reject = reject;
    this.#signal = signal;
    this.#token = token;
  }

  get done(): boolean {
    return this.#done;
  }

  /** @internal */
  setParked(index: number, parked: unknown): void {
    this.#parked[index] = parked;
  }

  /**
   * Claims the selection for branch `index`; false if it was already claimed
   * (or is being cancelled: an abort whose listener has not run yet wins).
   * A successful claim unparks every branch in the same step.
   */
  claim(index: number): boolean {
    if (this.#done) return false;
    const cancelled = cancelledAlready(this.#signal, this.#token);
    if (cancelled !== undefined) {
      this.cancel(cancelled);
      return false;
    }
    this.#done = true;
    this.#winner = index;
    this.#cleanup();
    return true;
  }

  /** Completes the claimed selection by running `thunk` in the caller's continuation. */
  finish(thunk: Thunk): void {
    this.#resolve(thunk);
  }

  /** Fails the claimed selection. */
  fail(error: unknown): void {
    this.#reject(error);
  }

  /** Claims the selection for cancellation and rejects it. */
  cancel(error: CancelledError): void {
    if (this.#done) return;
    this.#done = true;
    this.#cleanup();
    this.#reject(error);
  }

  #cleanup(): void {
    this.unwatch?.();
    const branches = this.#branches;
    for (let i = 0; i < branches.length; i++) {
      const parked = this.#parked[i];
      if (parked !== undefined) (branches[i] as SelectBranch<unknown>).unpark(parked, i === this.#winner);
    }
  }
}

function call(thunk: Thunk): unknown {
  return thunk();
}

/**
 * Waits until one branch can complete, completes exactly that one, and
 * resolves with its handler's result. See the module docs for the
 * guarantees. Rejects with `TypeError`/`RangeError` for bad arguments
 * (`branches` must be a non-empty array of branches).
 *
 * @example
 * ```ts
 * import { bounded, onRecv, onTimeout, select } from "@zsync/runtime";
 * declare function handle(job: string): void;
 * declare function heartbeat(): void;
 * const jobs = bounded<string>(16);
 * const shutdown = new AbortController();
 * for (;;) {
 *   const stop = await select([
 *     onRecv(jobs, (job) => { handle(job); return false; }, () => true), // closed: stop
 *     onTimeout(1000, () => { heartbeat(); return false; }),
 *   ], { signal: shutdown.signal });
 *   if (stop) break;
 * }
 * ```
 */
export function select<const B extends readonly SelectBranch<unknown>[]>(branches: B, options?: SelectOptions): Promise<SelectResult<B>> {
  let signal: AbortSignal | undefined;
  let biased = false;
  try {
    if (!Array.isArray(branches))
      throw new TypeError(`select: branches must be an array, got ${branches === null ? "null" : typeof branches}`);
    if (branches.length === 0) throw new RangeError("select: branches must not be empty");
    for (let i = 0; i < branches.length; i++) {
      if (!(branches[i] instanceof SelectBranch)) {
        throw new TypeError(`select: branches[${i}] is not a select branch (build branches with onRecv, onSend, onFuture or onTimeout)`);
      }
    }
    if (options !== undefined) {
      signal = signalOf(options, "select");
      if (options.biased !== undefined && typeof options.biased !== "boolean")
        throw new TypeError("select: options.biased must be a boolean");
      biased = options.biased === true;
    }
  } catch (error) {
    return Promise.reject(error);
  }
  const token = currentScope()?.token;
  const cancelled = cancelledAlready(signal, token);
  if (cancelled !== undefined) return Promise.reject(cancelled);
  const list = branches as readonly SelectBranch<unknown>[];

  // Each failed commit removed at least one stale waiter, so this terminates.
  for (;;) {
    const index = pickReady(list, biased);
    if (index < 0) break;
    let result: unknown;
    try {
      result = (list[index] as SelectBranch<unknown>).commitNow();
    } catch (error) {
      loseAllBut(list, index);
      return Promise.reject(error);
    }
    if (result === NOT_READY) continue;
    loseAllBut(list, index);
    return Promise.resolve(result) as Promise<SelectResult<B>>;
  }

  return new Promise<Thunk>((resolve, reject) => {
    const selection = new Selection(list, resolve, reject, signal, token);
    for (let i = 0; i < list.length && !selection.done; i++) {
      selection.setParked(i, (list[i] as SelectBranch<unknown>).park(selection, i));
    }
    if (!selection.done) selection.unwatch = watchCancellation(signal, token, (error) => selection.cancel(error));
  }).then(call) as Promise<SelectResult<B>>;
}

/** Index of the branch to complete now, or -1 if none is ready. */
function pickReady(branches: readonly SelectBranch<unknown>[], biased: boolean): number {
  let ready = 0;
  let fallback = -1;
  for (let i = 0; i < branches.length; i++) {
    const branch = branches[i] as SelectBranch<unknown>;
    if (branch.isDefault) {
      if (fallback < 0) fallback = i;
    } else if (branch.readyNow()) {
      if (biased) return i;
      ready++;
    }
  }
  if (ready === 0) return fallback;
  let skip = ready === 1 ? 0 : Math.floor(Math.random() * ready);
  for (let i = 0; i < branches.length; i++) {
    const branch = branches[i] as SelectBranch<unknown>;
    if (!branch.isDefault && branch.readyNow() && skip-- === 0) return i;
  }
  return fallback;
}

function loseAllBut(branches: readonly SelectBranch<unknown>[], winner: number): void {
  for (let i = 0; i < branches.length; i++) if (i !== winner) (branches[i] as SelectBranch<unknown>).lose();
}

// ---------------------------------------------------------------------------
// Receive branches

class RecvBranch<T, R> extends SelectBranch<R> {
  readonly #port: RecvPort<T>;
  readonly #onValue: ((value: T) => R | PromiseLike<R>) | undefined;
  readonly #onClosed: (() => R | PromiseLike<R>) | undefined;

  constructor(
    port: RecvPort<T>,
    onValue: ((value: T) => R | PromiseLike<R>) | undefined,
    onClosed: (() => R | PromiseLike<R>) | undefined,
  ) {
    super();
    this.#port = port;
    this.#onValue = onValue;
    this.#onClosed = onClosed;
  }

  readyNow(): boolean {
    return this.#port.canRecvNow();
  }

  commitNow(): Commit<R> {
    const result = this.#port.tryRecv();
    if (result.ok) return this.runValue(result.value);
    if (result.closed) return this.runClosed();
    return NOT_READY;
  }

  park(selection: Selection, index: number): unknown {
    const waiter = new SelectRecvWaiter<T>(selection, index, this as RecvBranch<T, unknown>);
    this.#port.park(waiter);
    return waiter;
  }

  unpark(parked: unknown): void {
    unlink(parked as SelectRecvWaiter<T>);
  }

  get handlesClose(): boolean {
    return this.#onClosed !== undefined;
  }

  runValue(value: T): R | PromiseLike<R> {
    return this.#onValue === undefined ? (value as unknown as R) : this.#onValue(value);
  }

  runClosed(): R | PromiseLike<R> {
    if (this.#onClosed === undefined) throw new ChannelClosedError("select: receive branch on a closed and drained channel");
    return this.#onClosed();
  }
}

class SelectRecvWaiter<T> extends RecvWaiter<T> {
  readonly #selection: Selection;
  readonly #index: number;
  readonly #branch: RecvBranch<T, unknown>;

  constructor(selection: Selection, index: number, branch: RecvBranch<T, unknown>) {
    super();
    this.#selection = selection;
    this.#index = index;
    this.#branch = branch;
  }

  deliver(value: T): boolean {
    if (!this.#selection.claim(this.#index)) return false;
    this.#selection.finish(() => this.#branch.runValue(value));
    return true;
  }

  fail(error: Error): void {
    if (!this.#selection.claim(this.#index)) return;
    if (error instanceof ChannelClosedError && this.#branch.handlesClose) this.#selection.finish(() => this.#branch.runClosed());
    else this.#selection.fail(error);
  }
}

function recvPortOf<T>(source: RecvSelectable<T>): RecvPort<T> {
  const port = source !== null && typeof source === "object" ? source[RECV_PORT] : undefined;
  if (port === undefined) throw new TypeError("onRecv: source must be a channel, a Receiver, a BroadcastReceiver or a WatchReceiver");
  return port;
}

function checkHandler(handler: unknown, fn: string, name: string): void {
  if (handler !== undefined && typeof handler !== "function")
    throw new TypeError(`${fn}: ${name} must be a function, got ${typeof handler}`);
}

/**
 * A branch that receives from `source` (a channel, `Receiver`,
 * `BroadcastReceiver` or `WatchReceiver`, for which it waits for
 * `changed()`). Resolves the select with `onValue(message)` (or the message
 * itself). If the source is closed and drained, runs `onClosed()` if given,
 * else the select rejects with `ChannelClosedError`.
 *
 * @example
 * ```ts
 * import { bounded, onRecv, onTimeout, select } from "@zsync/runtime";
 * const numbers = bounded<number>(8);
 * const n = await select([onRecv(numbers), onTimeout(50, () => -1)]); // a number, or -1 after 50 ms
 * ```
 */
export function onRecv<T>(source: RecvSelectable<T>): SelectBranch<T>;
export function onRecv<T, R>(source: RecvSelectable<T>, onValue: (value: T) => R): SelectBranch<R>;
export function onRecv<T, R, C>(source: RecvSelectable<T>, onValue: (value: T) => R, onClosed: () => C): SelectBranch<R | C>;
export function onRecv<T, R>(
  source: RecvSelectable<T>,
  onValue?: (value: T) => R | PromiseLike<R>,
  onClosed?: () => R | PromiseLike<R>,
): SelectBranch<unknown> {
  const port = recvPortOf(source);
  checkHandler(onValue, "onRecv", "onValue");
  checkHandler(onClosed, "onRecv", "onClosed");
  return new RecvBranch<T, R>(port, onValue, onClosed);
}

// ---------------------------------------------------------------------------
// Send branches

class SendBranch<T, R> extends SelectBranch<R> {
  readonly #port: SendPort<T>;
  readonly #value: T;
  readonly #onSent: (() => R | PromiseLike<R>) | undefined;

  constructor(port: SendPort<T>, value: T, onSent: (() => R | PromiseLike<R>) | undefined) {
    super();
    this.#port = port;
    this.#value = value;
    this.#onSent = onSent;
  }

  readyNow(): boolean {
    return this.#port.canSendNow();
  }

  commitNow(): Commit<R> {
    return this.#port.trySend(this.#value) ? this.runSent() : NOT_READY;
  }

  park(selection: Selection, index: number): unknown {
    const waiter = new SelectSendWaiter<T>(selection, index, this as SendBranch<T, unknown>, this.#value);
    this.#port.park(waiter);
    return waiter;
  }

  unpark(parked: unknown): void {
    unlink(parked as SelectSendWaiter<T>);
  }

  runSent(): R | PromiseLike<R> {
    return this.#onSent === undefined ? (undefined as R) : this.#onSent();
  }
}

class SelectSendWaiter<T> extends SendWaiter<T> {
  readonly #selection: Selection;
  readonly #index: number;
  readonly #branch: SendBranch<T, unknown>;

  constructor(selection: Selection, index: number, branch: SendBranch<T, unknown>, value: T) {
    super(value);
    this.#selection = selection;
    this.#index = index;
    this.#branch = branch;
  }

  take(): boolean {
    if (!this.#selection.claim(this.#index)) return false;
    this.#selection.finish(() => this.#branch.runSent());
    return true;
  }

  fail(error: Error): void {
    if (this.#selection.claim(this.#index)) this.#selection.fail(error);
  }
}

/**
 * A branch that sends `value` to `sink` (a channel or `Sender`), completing
 * when the channel accepts it; resolves the select with `onSent()` (or
 * undefined). If another branch wins, `value` is not sent. On a closed
 * channel the select rejects with `ChannelClosedError`.
 *
 * @example
 * ```ts
 * import { bounded, onSend, onTimeout, select } from "@zsync/runtime";
 * const out = bounded<string>(1);
 * const item = "next";
 * const delivered = await select([onSend(out, item, () => true), onTimeout(10, () => false)]);
 * ```
 */
export function onSend<T>(sink: SendSelectable<T>, value: NoInfer<T>): SelectBranch<undefined>;
export function onSend<T, R>(sink: SendSelectable<T>, value: NoInfer<T>, onSent: () => R): SelectBranch<R>;
export function onSend<T, R>(sink: SendSelectable<T>, value: T, onSent?: () => R | PromiseLike<R>): SelectBranch<unknown> {
  const port = sink !== null && typeof sink === "object" ? sink[SEND_PORT] : undefined;
  if (port === undefined) throw new TypeError("onSend: sink must be a channel or a Sender");
  checkHandler(onSent, "onSend", "onSent");
  return new SendBranch<T, R>(port, value, onSent);
}

// ---------------------------------------------------------------------------
// Future branches

type Outcome = Settled<unknown>;

/** One reaction per thenable, shared by every select waiting on it. */
interface OutcomeWatch {
  outcome: Outcome | undefined;
  listeners: Set<(outcome: Outcome) => void>;
}

const outcomes = new WeakMap<object, OutcomeWatch>();

function watchOutcome(thenable: PromiseLike<unknown>): OutcomeWatch {
  let watch = outcomes.get(thenable);
  if (watch !== undefined) return watch;
  const created: OutcomeWatch = { outcome: undefined, listeners: new Set() };
  watch = created;
  outcomes.set(thenable, created);
  const settle = (outcome: Outcome): void => {
    if (created.outcome !== undefined) return;
    created.outcome = outcome;
    const listeners = created.listeners;
    created.listeners = new Set();
    for (const listener of listeners) listener(outcome);
  };
  if (thenable instanceof Future) {
    thenable.onComplete(settle);
  } else {
    try {
      thenable.then(
        (value) => settle({ status: "fulfilled", value }),
        (reason: unknown) => settle({ status: "rejected", reason }),
      );
    } catch (error) {
      settle({ status: "rejected", reason: error });
    }
  }
  return created;
}

class FutureBranch<T, R> extends SelectBranch<R> {
  readonly #thenable: PromiseLike<T>;
  readonly #onValue: ((value: T) => R | PromiseLike<R>) | undefined;
  readonly #cancelOnLose: boolean;

  constructor(thenable: PromiseLike<T>, onValue: ((value: T) => R | PromiseLike<R>) | undefined, cancelOnLose: boolean) {
    super();
    this.#thenable = thenable;
    this.#onValue = onValue;
    this.#cancelOnLose = cancelOnLose;
  }

  readyNow(): boolean {
    return this.#outcome() !== undefined;
  }

  commitNow(): Commit<R> {
    const outcome = this.#outcome();
    if (outcome === undefined) return NOT_READY;
    if (outcome.status === "rejected") throw outcome.reason;
    return this.#run(outcome.value as T);
  }

  park(selection: Selection, index: number): unknown {
    const watch = watchOutcome(this.#thenable);
    const listener = (outcome: Outcome): void => {
      if (!selection.claim(index)) return;
      if (outcome.status === "fulfilled") selection.finish(() => this.#run(outcome.value as T));
      else selection.fail(outcome.reason);
    };
    watch.listeners.add(listener);
    return { watch, listener };
  }

  unpark(parked: unknown, won: boolean): void {
    const { watch, listener } = parked as { watch: OutcomeWatch; listener: (outcome: Outcome) => void };
    watch.listeners.delete(listener);
    if (!won) this.lose();
  }

  override lose(): void {
    const thenable = this.#thenable;
    // Deferred: cancelling runs the future's hooks, which must not run inside a channel operation.
    if (this.#cancelOnLose && thenable instanceof Future && !thenable.settled) {
      queueMicrotask(() => thenable.cancel(new CancelledError(undefined, "lost a select")));
    }
  }

  #outcome(): Outcome | undefined {
    const thenable = this.#thenable;
    if (thenable instanceof Future) {
      const poll = thenable.poll();
      return poll.status === "pending" ? undefined : poll;
    }
    return watchOutcome(thenable).outcome;
  }

  #run(value: T): R | PromiseLike<R> {
    return this.#onValue === undefined ? (value as unknown as R) : this.#onValue(value);
  }
}

/** Options of {@link onFuture}. */
export interface OnFutureOptions {
  /**
   * Cancel the `Future` if another branch wins or the select is cancelled
   * (default false; ignored for plain promises, which cannot be cancelled).
   */
  readonly cancelOnLose?: boolean;
}

/**
 * A branch that completes when `future` (a `Future`, promise or thenable)
 * settles: with `onValue(value)` (or the value) if it fulfils; if it
 * rejects, the select rejects with its reason.
 *
 * @example
 * ```ts
 * import { onFuture, onTimeout, select, spawn } from "@zsync/runtime";
 * declare function fetchConfig(): Promise<{ retries: number }>;
 * const defaults = { retries: 3 };
 * const task = spawn(fetchConfig);
 * const config = await select([onFuture(task, { cancelOnLose: true }), onTimeout(1000, () => defaults)]);
 * ```
 */
export function onFuture<T>(future: PromiseLike<T>, options?: OnFutureOptions): SelectBranch<T>;
export function onFuture<T, R>(future: PromiseLike<T>, onValue: (value: T) => R, options?: OnFutureOptions): SelectBranch<R>;
export function onFuture<T, R>(
  future: PromiseLike<T>,
  onValueOrOptions?: ((value: T) => R | PromiseLike<R>) | OnFutureOptions,
  maybeOptions?: OnFutureOptions,
): SelectBranch<unknown> {
  if (future === null || (typeof future !== "object" && typeof future !== "function") || typeof future.then !== "function") {
    throw new TypeError("onFuture: future must be a Future, a promise or a thenable");
  }
  const onValue = typeof onValueOrOptions === "function" ? onValueOrOptions : undefined;
  const options = typeof onValueOrOptions === "function" ? maybeOptions : onValueOrOptions;
  if (options !== undefined && (options === null || typeof options !== "object"))
    throw new TypeError("onFuture: options must be an object");
  const cancelOnLose = options?.cancelOnLose ?? false;
  if (typeof cancelOnLose !== "boolean") throw new TypeError("onFuture: options.cancelOnLose must be a boolean");
  return new FutureBranch<T, R>(future, onValue, cancelOnLose);
}

// ---------------------------------------------------------------------------
// Timeout branches

class AfterBranch<R> extends SelectBranch<R> {
  readonly #ms: number;
  readonly #onElapsed: (() => R | PromiseLike<R>) | undefined;

  constructor(ms: number, onElapsed: (() => R | PromiseLike<R>) | undefined) {
    super();
    this.#ms = ms;
    this.#onElapsed = onElapsed;
  }

  override get isDefault(): boolean {
    return this.#ms === 0;
  }

  readyNow(): boolean {
    return false;
  }

  commitNow(): Commit<R> {
    return this.#run();
  }

  park(selection: Selection, index: number): unknown {
    if (this.#ms === Number.POSITIVE_INFINITY) return undefined;
    return setTimer(() => {
      if (selection.claim(index)) selection.finish(() => this.#run());
    }, this.#ms);
  }

  unpark(parked: unknown): void {
    clearTimer(parked as Timer | undefined);
  }

  #run(): R | PromiseLike<R> {
    return this.#onElapsed === undefined ? (undefined as R) : this.#onElapsed();
  }
}

/**
 * A branch that completes `ms` milliseconds after `select` starts waiting,
 * with `onElapsed()` (or undefined). `onTimeout(0)` is a default branch: it wins
 * at once if, and only if, no other branch is ready. `onTimeout(Infinity)` never
 * fires; delays above 2^31-1 ms are honoured (see `setTimer`). `ms` must be a
 * number (`TypeError`) and not negative (`RangeError`).
 *
 * @example
 * ```ts
 * import { bounded, onRecv, onTimeout, select } from "@zsync/runtime";
 * const inbox = bounded<string>(8);
 * const msg = await select([onRecv(inbox), onTimeout(0, () => null)]); // poll: null if inbox is empty
 * ```
 */
export function onTimeout(ms: number): SelectBranch<undefined>;
export function onTimeout<R>(ms: number, onElapsed: () => R): SelectBranch<R>;
export function onTimeout<R>(ms: number, onElapsed?: () => R | PromiseLike<R>): SelectBranch<unknown> {
  assertDelay(ms, "onTimeout: ms");
  checkHandler(onElapsed, "onTimeout", "onElapsed");
  return new AfterBranch<R>(ms, onElapsed);
}
