/**
 * `watch<T>(initial)`: a single latest value that many receivers observe.
 *
 * Semantics:
 * - The channel always holds exactly one value. `send(value)` replaces it and
 *   bumps the version, even if the value is equal to the previous one;
 *   intermediate values a receiver did not look at are skipped, never queued.
 * - Each receiver remembers the version it last *saw*. `subscribe()` starts a
 *   receiver as having seen the current value. `changed()` resolves with the
 *   latest value (marking it seen) as soon as it is newer than what the
 *   receiver saw: immediately if it already is, otherwise at the next `send`.
 *   `borrow()` reads the latest value without marking it seen;
 *   `borrowAndUpdate()` reads it and marks it seen.
 * - **Close.** After `close()`, `send` throws `ChannelClosedError`; the last
 *   value stays readable with `get()`/`borrow()`. `changed()` still resolves
 *   if an unseen value exists, and otherwise rejects with
 *   `ChannelClosedError` (parked `changed()` calls reject at once).
 * - **Cancellation.** `changed({ signal })` and the calling task's
 *   cancellation reject a waiting `changed()` with `CancelledError` without
 *   marking anything seen.
 * - Sending with no receivers is fine (the value is stored).
 *
 * @example
 * ```ts
 * import { watch } from "@zsync/runtime";
 * const config = watch({ level: "info" });
 * const rx = config.subscribe();
 * setTimeout(() => config.send({ level: "debug" }), 10);
 * console.log(await rx.changed()); // { level: "debug" }
 * ```
 * @module
 */
import { ChannelClosedError } from "../errors.js";
import { cancelledAlready } from "../internal/cancel.js";
import { currentScope } from "../internal/context.js";
import type { WaitOptions } from "../time/sleep.js";
import { signalOf } from "./options.js";
import { CLOSED, EMPTY, RECV_PORT, type RecvPort, type RecvSelectable, type TryRecvResult } from "./ports.js";
import { WaitList } from "./wait-list.js";
import { parkRecv, type RecvWaiter } from "./waiters.js";

/** Shared state of one watch channel. Not exported: receivers and the sender reach it, users cannot. */
class Core<T> {
  value: T;
  version = 0;
  closed = false;
  /** Cursors with parked `changed()` calls. */
  waiting = new Set<Cursor<T>>();

  constructor(initial: T) {
    this.value = initial;
  }

  wakeAll(): void {
    if (this.waiting.size === 0) return;
    const waiting = this.waiting;
    this.waiting = new Set();
    for (const cursor of waiting) cursor.wake();
  }
}

/** One receiver's last-seen version and parked `changed()` calls. */
class Cursor<T> {
  readonly core: Core<T>;
  seen: number;
  readonly waiters = new WaitList<RecvWaiter<T>>();

  constructor(core: Core<T>) {
    this.core = core;
    this.seen = core.version;
  }

  get hasChanged(): boolean {
    return this.core.version !== this.seen;
  }

  poll(): TryRecvResult<T> {
    if (this.hasChanged) {
      this.seen = this.core.version;
      return { ok: true, value: this.core.value };
    }
    return this.core.closed ? CLOSED : EMPTY;
  }

  park(waiter: RecvWaiter<T>): void {
    this.waiters.push(waiter);
    this.core.waiting.add(this);
  }

  /** Serves parked `changed()` calls after a send or close. */
  wake(): void {
    const core = this.core;
    if (this.hasChanged) {
      const version = core.version;
      for (const waiter of this.waiters.drain()) if (waiter.deliver(core.value)) this.seen = version;
    } else if (core.closed) {
      for (const waiter of this.waiters.drain()) waiter.fail(new ChannelClosedError("watch channel closed while changed() was waiting"));
    }
  }
}

let coreOf: <T>(channel: Watch<T>) => Core<T>;

/** The sending side and owner of a watch channel's value. */
export class Watch<T> {
  readonly #core: Core<T>;

  static {
    coreOf = (channel) => channel.#core;
  }

  /** Prefer {@link watch}. */
  constructor(initial: T) {
    this.#core = new Core<T>(initial);
  }

  /** The latest value. */
  get(): T {
    return this.#core.value;
  }

  /** Incremented by every `send`; starts at 0. */
  get version(): number {
    return this.#core.version;
  }

  get isClosed(): boolean {
    return this.#core.closed;
  }

  /** Replaces the value and wakes every parked `changed()`. Throws `ChannelClosedError` if closed. */
  send(value: T): void {
    const core = this.#core;
    if (core.closed) throw new ChannelClosedError("send on a closed watch channel");
    core.value = value;
    core.version++;
    core.wakeAll();
  }

  /** Replaces the value with `update(current)`; a throwing `update` changes nothing. */
  update(update: (current: T) => T): void {
    if (typeof update !== "function") throw new TypeError("update: update must be a function");
    if (this.#core.closed) throw new ChannelClosedError("update on a closed watch channel");
    this.send(update(this.#core.value));
  }

  /** A receiver that has seen the current value. */
  subscribe(): WatchReceiver<T> {
    return new WatchReceiver<T>(this);
  }

  /** Closes for sending and rejects parked `changed()` calls; returns false if already closed. */
  close(): boolean {
    const core = this.#core;
    if (core.closed) return false;
    core.closed = true;
    core.wakeAll();
    return true;
  }

  get [Symbol.toStringTag](): string {
    return "Watch";
  }
}

/** One observer of a {@link Watch}. */
export class WatchReceiver<T> implements RecvSelectable<T>, AsyncIterable<T> {
  readonly #cursor: Cursor<T>;
  #port: RecvPort<T> | undefined;

  /** Same as `channel.subscribe()`. */
  constructor(channel: Watch<T>) {
    this.#cursor = new Cursor<T>(coreOf(channel));
  }

  /** Whether the latest value is newer than the one this receiver last saw. */
  get hasChanged(): boolean {
    return this.#cursor.hasChanged;
  }

  /** The latest value; does not mark it seen. */
  borrow(): T {
    return this.#cursor.core.value;
  }

  /** The latest value, marking it seen. */
  borrowAndUpdate(): T {
    const cursor = this.#cursor;
    cursor.seen = cursor.core.version;
    return cursor.core.value;
  }

  /**
   * Resolves with the latest value once it is newer than the last one this
   * receiver saw, marking it seen. Rejects with `ChannelClosedError` if the
   * channel is closed and nothing unseen remains, `CancelledError` if cancelled.
   */
  changed(options?: WaitOptions): Promise<T> {
    let signal: AbortSignal | undefined;
    if (options !== undefined) {
      try {
        signal = signalOf(options, "changed");
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const token = currentScope()?.token;
    const cancelled = cancelledAlready(signal, token);
    if (cancelled !== undefined) return Promise.reject(cancelled);
    const cursor = this.#cursor;
    const result = cursor.poll();
    if (result.ok) return Promise.resolve(result.value);
    if (result.closed) return Promise.reject(new ChannelClosedError("changed() on a closed watch channel with no unseen value"));
    return parkRecv(cursor.waiters, signal, token, () => cursor.core.waiting.add(cursor));
  }

  /**
   * Yields the current value at once, then every value `changed()` would
   * return, until the channel is closed.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, undefined, undefined> {
    yield this.borrowAndUpdate();
    for (;;) {
      try {
        yield await this.changed();
      } catch (error) {
        if (error instanceof ChannelClosedError) return undefined;
        throw error;
      }
    }
  }

  get [RECV_PORT](): RecvPort<T> {
    if (this.#port === undefined) {
      const cursor = this.#cursor;
      this.#port = {
        canRecvNow: () => cursor.hasChanged || cursor.core.closed,
        tryRecv: () => cursor.poll(),
        park: (waiter) => cursor.park(waiter),
      };
    }
    return this.#port;
  }

  get [Symbol.toStringTag](): string {
    return "WatchReceiver";
  }
}

/**
 * A watch channel holding `initial`. See the module docs for semantics.
 *
 * @example
 * ```ts
 * import { watch } from "@zsync/runtime";
 * const state = watch<"idle" | "busy">("idle");
 * const rx = state.subscribe();
 * state.send("busy");
 * rx.hasChanged;        // true
 * await rx.changed();   // "busy"
 * ```
 */
export function watch<T>(initial: T): Watch<T> {
  return new Watch<T>(initial);
}
