/**
 * `broadcast<T>(capacity)`: every subscribed receiver sees every message sent
 * after it subscribed.
 *
 * Semantics:
 * - **Never blocks the sender.** The channel retains the last `capacity`
 *   messages; sending when a slow receiver has not read the oldest one
 *   overwrites it. `send` returns the number of receivers that will see the
 *   message (0 when there are none, in which case nothing is retained).
 * - **Lag.** A receiver whose unread messages were overwritten gets a
 *   `LaggedError` whose `missed` is how many it lost, from its next
 *   `recv`/`tryRecv`; it then continues from the oldest retained message.
 * - **Per-receiver FIFO.** Each receiver reads the messages in send order.
 *   Several concurrent `recv` calls on one receiver share its cursor (each
 *   message goes to one of them).
 * - **Close.** After `close()`, `send` throws `ChannelClosedError`; receivers
 *   still read everything retained for them, then `recv` rejects (and
 *   iteration ends). `receiver.close()` unsubscribes one receiver: its own
 *   pending `recv` calls reject with `ChannelClosedError` and it stops
 *   holding messages in the buffer.
 * - **Cancellation.** `recv({ signal })` and the calling task's cancellation
 *   reject a waiting `recv` with `CancelledError` without advancing the cursor.
 * - **Memory.** A retained message is released as soon as every receiver
 *   that was subscribed when it was sent has read it (or unsubscribed).
 *
 * @example
 * ```ts
 * import { broadcast } from "@zsync/runtime";
 * const events = broadcast<string>(16);
 * const a = events.subscribe();
 * const b = events.subscribe();
 * events.send("ready"); // 2
 * console.log(await a.recv(), await b.recv()); // "ready" "ready"
 * ```
 * @module
 */
import { ChannelClosedError, LaggedError } from "../errors.js";
import { cancelledAlready } from "../internal/cancel.js";
import { currentScope } from "../internal/context.js";
import type { WaitOptions } from "../time/sleep.js";
import { ChannelIterator } from "./channel.js";
import { checkCapacity, signalOf } from "./options.js";
import { CLOSED, EMPTY, RECV_PORT, type RecvPort, type RecvSelectable, type TryRecvResult } from "./ports.js";
import { WaitList } from "./wait-list.js";
import { parkRecv, type RecvWaiter } from "./waiters.js";

/** Shared state of one broadcast channel. Not exported: receivers and the sender reach it, users cannot. */
class Core<T> {
  readonly capacity: number;
  /** Values by `seq % capacity`; a slot is cleared once every receiver due to read it has. */
  readonly values: (T | undefined)[] = [];
  /** Receivers still due to read each slot. */
  readonly pending: number[] = [];
  /** Sequence number of the next message. */
  tail = 0;
  closed = false;
  readonly cursors = new Set<Cursor<T>>();
  /** Cursors with parked receives. */
  waiting = new Set<Cursor<T>>();

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Sequence number of the oldest retained message. */
  get head(): number {
    return Math.max(0, this.tail - this.capacity);
  }

  send(value: T): number {
    if (this.closed) throw new ChannelClosedError("send on a closed broadcast channel");
    const count = this.cursors.size;
    if (count === 0) return 0;
    const slot = this.tail % this.capacity;
    this.values[slot] = value;
    this.pending[slot] = count;
    this.tail++;
    this.wakeAll();
    return count;
  }

  close(): boolean {
    if (this.closed) return false;
    this.closed = true;
    this.wakeAll();
    return true;
  }

  /** The retained message `seq` without consuming it. */
  peek(seq: number): T {
    return this.values[seq % this.capacity] as T;
  }

  /** Consumes one receiver's share of message `seq`. */
  read(seq: number): T {
    const slot = seq % this.capacity;
    const value = this.values[slot] as T;
    const left = (this.pending[slot] as number) - 1;
    this.pending[slot] = left;
    if (left === 0) this.values[slot] = undefined;
    return value;
  }

  /** Forgets `cursor`, releasing its share of the messages it had not read. */
  unsubscribe(cursor: Cursor<T>): void {
    if (!this.cursors.delete(cursor)) return;
    this.waiting.delete(cursor);
    for (let seq = Math.max(cursor.next, this.head); seq < this.tail; seq++) this.read(seq);
  }

  wakeAll(): void {
    if (this.waiting.size === 0) return;
    const waiting = this.waiting;
    this.waiting = new Set();
    for (const cursor of waiting) cursor.wake();
  }
}

/** One receiver's position and parked receives. */
class Cursor<T> {
  readonly core: Core<T>;
  next: number;
  unsubscribed = false;
  readonly waiters = new WaitList<RecvWaiter<T>>();

  constructor(core: Core<T>) {
    this.core = core;
    this.next = core.tail;
    // A receiver of a closed channel is at its end: nothing is retained for it.
    if (!core.closed) core.cursors.add(this);
  }

  tryRecv(): TryRecvResult<T> {
    if (this.unsubscribed) return CLOSED;
    const core = this.core;
    const head = core.head;
    if (this.next < head) {
      const missed = head - this.next;
      this.next = head;
      throw new LaggedError(missed);
    }
    if (this.next < core.tail) return { ok: true, value: core.read(this.next++) };
    return core.closed ? CLOSED : EMPTY;
  }

  canRecvNow(): boolean {
    return this.unsubscribed || this.next < this.core.tail || this.core.closed;
  }

  park(waiter: RecvWaiter<T>): void {
    this.waiters.push(waiter);
    this.core.waiting.add(this);
  }

  close(): void {
    if (this.unsubscribed) return;
    this.unsubscribed = true;
    this.core.unsubscribe(this);
    for (const waiter of this.waiters.drain()) waiter.fail(new ChannelClosedError("broadcast receiver closed while a recv was waiting"));
  }

  /** Serves parked receives after a send or close. */
  wake(): void {
    const core = this.core;
    while (!this.waiters.isEmpty) {
      // A parked receiver is never behind: it parked at the tail and every send wakes it.
      if (this.next < core.tail) {
        const waiter = this.waiters.shift() as RecvWaiter<T>;
        // Claim before consuming: a waiter that was cancelled leaves the message unread.
        if (waiter.deliver(core.peek(this.next))) core.read(this.next++);
      } else if (core.closed) {
        for (const waiter of this.waiters.drain()) waiter.fail(new ChannelClosedError("broadcast channel closed while a recv was waiting"));
      } else {
        core.waiting.add(this);
        return;
      }
    }
  }
}

let coreOf: <T>(channel: Broadcast<T>) => Core<T>;

/** The sending side of a broadcast channel; also where receivers come from. */
export class Broadcast<T> {
  readonly #core: Core<T>;

  static {
    coreOf = (channel) => channel.#core;
  }

  /** Prefer {@link broadcast}. Throws `RangeError` unless `capacity` is an integer >= 1. */
  constructor(capacity: number) {
    checkCapacity(capacity, "broadcast", 1);
    this.#core = new Core<T>(capacity);
  }

  /** How many messages are retained for slow receivers. */
  get capacity(): number {
    return this.#core.capacity;
  }

  get isClosed(): boolean {
    return this.#core.closed;
  }

  /** Receivers currently subscribed. */
  get receiverCount(): number {
    return this.#core.cursors.size;
  }

  /**
   * A receiver that sees every message sent from now on. Subscribing to a
   * closed channel gives a receiver that is already at its end.
   */
  subscribe(): BroadcastReceiver<T> {
    return new BroadcastReceiver<T>(this);
  }

  /**
   * Publishes `value` to every subscribed receiver and returns how many there
   * are (0: nothing is retained). Never waits. Throws `ChannelClosedError` if closed.
   */
  send(value: T): number {
    return this.#core.send(value);
  }

  /**
   * Closes the channel for sending: receivers drain what is retained for
   * them, then see `ChannelClosedError`. Returns false if already closed.
   */
  close(): boolean {
    return this.#core.close();
  }

  get [Symbol.toStringTag](): string {
    return "Broadcast";
  }
}

/** One subscriber of a {@link Broadcast}. `using rx = events.subscribe()` unsubscribes on scope exit. */
export class BroadcastReceiver<T> implements RecvSelectable<T>, AsyncIterable<T>, Disposable {
  readonly #cursor: Cursor<T>;
  #port: RecvPort<T> | undefined;

  /** Same as `channel.subscribe()`. */
  constructor(channel: Broadcast<T>) {
    this.#cursor = new Cursor<T>(coreOf(channel));
  }

  /** Whether no message can ever arrive: the channel is closed and drained, or this receiver unsubscribed. */
  get isClosed(): boolean {
    const cursor = this.#cursor;
    return cursor.unsubscribed || (cursor.core.closed && cursor.next >= cursor.core.tail);
  }

  /** Messages retained for this receiver and not yet read (those lost to lag excluded). */
  get length(): number {
    const cursor = this.#cursor;
    if (cursor.unsubscribed) return 0;
    return cursor.core.tail - Math.max(cursor.next, cursor.core.head);
  }

  /**
   * The next message without waiting. Throws `LaggedError` (once) if messages
   * were overwritten before this receiver read them; the following call
   * returns the oldest retained message.
   */
  tryRecv(): TryRecvResult<T> {
    return this.#cursor.tryRecv();
  }

  /**
   * The next message, waiting for one. Rejects with `LaggedError` (see
   * {@link BroadcastReceiver.tryRecv}), with `ChannelClosedError` once the
   * channel is closed and drained or this receiver unsubscribed, and with
   * `CancelledError` if cancelled (the message stays unread).
   */
  recv(options?: WaitOptions): Promise<T> {
    let signal: AbortSignal | undefined;
    if (options !== undefined) {
      try {
        signal = signalOf(options, "recv");
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const token = currentScope()?.token;
    const cancelled = cancelledAlready(signal, token);
    if (cancelled !== undefined) return Promise.reject(cancelled);
    const cursor = this.#cursor;
    let result: TryRecvResult<T>;
    try {
      result = cursor.tryRecv();
    } catch (error) {
      return Promise.reject(error);
    }
    if (result.ok) return Promise.resolve(result.value);
    if (result.closed) return Promise.reject(new ChannelClosedError("recv on a closed and drained broadcast receiver"));
    return parkRecv(cursor.waiters, signal, token, () => cursor.core.waiting.add(cursor));
  }

  /** Unsubscribes (idempotent): pending `recv` calls reject with `ChannelClosedError`. */
  close(): void {
    this.#cursor.close();
  }

  [Symbol.dispose](): void {
    this.#cursor.close();
  }

  /** Iterates until the channel is closed and drained; a lag rejects `next()` with `LaggedError` (iterate again to continue). */
  iterate(options?: WaitOptions): AsyncIterableIterator<T> {
    if (options !== undefined) signalOf(options, "iterate");
    return new ChannelIterator(this, options);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return new ChannelIterator(this, undefined);
  }

  get [RECV_PORT](): RecvPort<T> {
    if (this.#port === undefined) {
      const cursor = this.#cursor;
      this.#port = {
        canRecvNow: () => cursor.canRecvNow(),
        tryRecv: () => cursor.tryRecv(),
        park: (waiter) => cursor.park(waiter),
      };
    }
    return this.#port;
  }

  get [Symbol.toStringTag](): string {
    return "BroadcastReceiver";
  }
}

/**
 * A broadcast channel retaining up to `capacity` messages for slow receivers
 * (integer >= 1, else `RangeError`). See the module docs for lag and close
 * semantics.
 *
 * @example
 * ```ts
 * import { broadcast, LaggedError } from "@zsync/runtime";
 * const ticks = broadcast<number>(2);
 * const slow = ticks.subscribe();
 * for (let i = 0; i < 5; i++) ticks.send(i);
 * await slow.recv().catch((e: LaggedError) => e.missed); // 3 (LaggedError)
 * await slow.recv();                        // 3, the oldest retained
 * ```
 */
export function broadcast<T>(capacity: number): Broadcast<T> {
  checkCapacity(capacity, "broadcast", 1);
  return new Broadcast<T>(capacity);
}
