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

/** The sending side and owner of a watch channel's value. */
export class Watch<T> {
  #value: T;
  #version = 0;
  #closed = false;
  #waiting = new Set<WatchReceiver<T>>();

  constructor(initial: T) {
    this.#value = initial;
  }

  /** The latest value. */
  get(): T {
    return this.#value;
  }

  /** Incremented by every `send`; starts at 0. */
  get version(): number {
    return this.#version;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Replaces the value and wakes every parked `changed()`. Throws `ChannelClosedError` if closed. */
  send(value: T): void {
    if (this.#closed) throw new ChannelClosedError("send on a closed watch channel");
    this.#value = value;
    this.#version++;
    this.#wakeAll();
  }

  /** Replaces the value with `update(current)`; a throwing `update` changes nothing. */
  update(update: (current: T) => T): void {
    if (typeof update !== "function") throw new TypeError("update: update must be a function");
    if (this.#closed) throw new ChannelClosedError("update on a closed watch channel");
    this.send(update(this.#value));
  }

  /** A receiver that has seen the current value. */
  subscribe(): WatchReceiver<T> {
    return new WatchReceiver<T>(this, this.#version);
  }

  /** Closes for sending and rejects parked `changed()` calls; returns false if already closed. */
  close(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    this.#wakeAll();
    return true;
  }

  /** @internal */
  markWaiting(receiver: WatchReceiver<T>): void {
    this.#waiting.add(receiver);
  }

  #wakeAll(): void {
    if (this.#waiting.size === 0) return;
    const waiting = this.#waiting;
    this.#waiting = new Set();
    for (const receiver of waiting) receiver.wake();
  }
}

/** One observer of a {@link Watch}. */
export class WatchReceiver<T> implements RecvSelectable<T>, AsyncIterable<T> {
  readonly #channel: Watch<T>;
  #seen: number;
  readonly #waiters = new WaitList<RecvWaiter<T>>();
  #port: RecvPort<T> | undefined;

  /** Use {@link Watch.subscribe}. @internal */
  constructor(channel: Watch<T>, seen: number) {
    this.#channel = channel;
    this.#seen = seen;
  }

  /** Whether the latest value is newer than the one this receiver last saw. */
  get hasChanged(): boolean {
    return this.#channel.version !== this.#seen;
  }

  /** The latest value; does not mark it seen. */
  borrow(): T {
    return this.#channel.get();
  }

  /** The latest value, marking it seen. */
  borrowAndUpdate(): T {
    this.#seen = this.#channel.version;
    return this.#channel.get();
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
    const result = this.#poll();
    if (result.ok) return Promise.resolve(result.value);
    if (result.closed) return Promise.reject(new ChannelClosedError("changed() on a closed watch channel with no unseen value"));
    return parkRecv(this.#waiters, signal, token, () => this.#channel.markWaiting(this));
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
      this.#port = {
        canRecvNow: () => this.hasChanged || this.#channel.isClosed,
        tryRecv: () => this.#poll(),
        park: (waiter) => {
          this.#waiters.push(waiter);
          this.#channel.markWaiting(this);
        },
      };
    }
    return this.#port;
  }

  /** Serves parked `changed()` calls after a send or close. @internal */
  wake(): void {
    if (this.hasChanged) {
      const version = this.#channel.version;
      const value = this.#channel.get();
      for (const waiter of this.#waiters.drain()) if (waiter.deliver(value)) this.#seen = version;
    } else if (this.#channel.isClosed) {
      for (const waiter of this.#waiters.drain()) waiter.fail(new ChannelClosedError("watch channel closed while changed() was waiting"));
    }
  }

  #poll(): TryRecvResult<T> {
    if (this.hasChanged) return { ok: true, value: this.borrowAndUpdate() };
    return this.#channel.isClosed ? CLOSED : EMPTY;
  }
}

/**
 * A watch channel holding `initial`. See the module docs for semantics.
 *
 * @example
 * ```ts
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
