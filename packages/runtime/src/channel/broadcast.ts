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

/** The sending side of a broadcast channel; also where receivers come from. */
export class Broadcast<T> {
  /** How many messages are retained for slow receivers. */
  readonly capacity: number;
  /** Values by `seq % capacity`; a slot is cleared once every receiver due to read it has. */
  readonly #values: (T | undefined)[];
  /** Receivers still due to read each slot. */
  readonly #pending: number[];
  /** Sequence number of the next message. */
  #tail = 0;
  #closed = false;
  readonly #receivers = new Set<BroadcastReceiver<T>>();
  /** Receivers with parked `recv` calls. */
  #waiting = new Set<BroadcastReceiver<T>>();

  constructor(capacity: number) {
    checkCapacity(capacity, "broadcast", 1);
    this.capacity = capacity;
    this.#values = [];
    this.#pending = [];
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Receivers currently subscribed. */
  get receiverCount(): number {
    return this.#receivers.size;
  }

  /** Sequence number of the oldest retained message. @internal */
  get head(): number {
    return Math.max(0, this.#tail - this.capacity);
  }

  /** Sequence number the next message will get. @internal */
  get tail(): number {
    return this.#tail;
  }

  /**
   * A receiver that sees every message sent from now on. Subscribing to a
   * closed channel gives a receiver that is already at its end.
   */
  subscribe(): BroadcastReceiver<T> {
    const receiver = new BroadcastReceiver<T>(this, this.#tail);
    if (!this.#closed) this.#receivers.add(receiver);
    return receiver;
  }

  /**
   * Publishes `value` to every subscribed receiver and returns how many there
   * are. Never waits. Throws `ChannelClosedError` if closed.
   */
  send(value: T): number {
    if (this.#closed) throw new ChannelClosedError("send on a closed broadcast channel");
    const count = this.#receivers.size;
    if (count === 0) return 0;
    const slot = this.#tail % this.capacity;
    this.#values[slot] = value;
    this.#pending[slot] = count;
    this.#tail++;
    if (this.#waiting.size > 0) {
      const waiting = this.#waiting;
      this.#waiting = new Set();
      for (const receiver of waiting) receiver.wake();
    }
    return count;
  }

  /**
   * Closes the channel for sending: receivers drain what is retained for
   * them, then see `ChannelClosedError`. Returns false if already closed.
   */
  close(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    const waiting = this.#waiting;
    this.#waiting = new Set();
    for (const receiver of waiting) receiver.wake();
    return true;
  }

  /** The retained message `seq` without consuming it. @internal */
  peek(seq: number): T {
    return this.#values[seq % this.capacity] as T;
  }

  /** Consumes one receiver's share of message `seq`. @internal */
  read(seq: number): T {
    const slot = seq % this.capacity;
    const value = this.#values[slot] as T;
    const left = (this.#pending[slot] ?? 1) - 1;
    this.#pending[slot] = left;
    if (left === 0) this.#values[slot] = undefined;
    return value;
  }

  /** @internal */
  markWaiting(receiver: BroadcastReceiver<T>): void {
    this.#waiting.add(receiver);
  }

  /** Releases the retained messages `receiver` had not read. @internal */
  unsubscribe(receiver: BroadcastReceiver<T>, from: number): void {
    if (!this.#receivers.delete(receiver)) return;
    this.#waiting.delete(receiver);
    for (let seq = Math.max(from, this.head); seq < this.#tail; seq++) this.read(seq);
  }
}

/** One subscriber of a {@link Broadcast}. `using rx = events.subscribe()` unsubscribes on scope exit. */
export class BroadcastReceiver<T> implements RecvSelectable<T>, AsyncIterable<T>, Disposable {
  readonly #channel: Broadcast<T>;
  #next: number;
  #unsubscribed = false;
  readonly #waiters = new WaitList<RecvWaiter<T>>();
  #port: RecvPort<T> | undefined;

  /** Use {@link Broadcast.subscribe}. @internal */
  constructor(channel: Broadcast<T>, next: number) {
    this.#channel = channel;
    this.#next = next;
  }

  /** Whether no message can ever arrive: the channel is closed and drained, or this receiver unsubscribed. */
  get isClosed(): boolean {
    return this.#unsubscribed || (this.#channel.isClosed && this.#next >= this.#channel.tail);
  }

  /** Messages retained for this receiver and not yet read (those lost to lag excluded). */
  get length(): number {
    if (this.#unsubscribed) return 0;
    return this.#channel.tail - Math.max(this.#next, this.#channel.head);
  }

  /**
   * The next message without waiting. Throws `LaggedError` (once) if messages
   * were overwritten before this receiver read them; the following call
   * returns the oldest retained message.
   */
  tryRecv(): TryRecvResult<T> {
    if (this.#unsubscribed) return CLOSED;
    const channel = this.#channel;
    const head = channel.head;
    if (this.#next < head) {
      const missed = head - this.#next;
      this.#next = head;
      throw new LaggedError(missed);
    }
    if (this.#next < channel.tail) return { ok: true, value: channel.read(this.#next++) };
    return channel.isClosed ? CLOSED : EMPTY;
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
    let result: TryRecvResult<T>;
    try {
      result = this.tryRecv();
    } catch (error) {
      return Promise.reject(error);
    }
    if (result.ok) return Promise.resolve(result.value);
    if (result.closed) return Promise.reject(new ChannelClosedError("recv on a closed and drained broadcast receiver"));
    return parkRecv(this.#waiters, signal, token, () => this.#channel.markWaiting(this));
  }

  /** Unsubscribes (idempotent): pending `recv` calls reject with `ChannelClosedError`. */
  close(): void {
    if (this.#unsubscribed) return;
    this.#unsubscribed = true;
    this.#channel.unsubscribe(this, this.#next);
    for (const waiter of this.#waiters.drain()) waiter.fail(new ChannelClosedError("broadcast receiver closed while a recv was waiting"));
  }

  [Symbol.dispose](): void {
    this.close();
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
      this.#port = {
        canRecvNow: () => this.#unsubscribed || this.#next < this.#channel.tail || this.#channel.isClosed,
        tryRecv: () => this.tryRecv(),
        park: (waiter) => {
          this.#waiters.push(waiter);
          this.#channel.markWaiting(this);
        },
      };
    }
    return this.#port;
  }

  /** Serves parked receives after a send or close. @internal */
  wake(): void {
    while (!this.#waiters.isEmpty) {
      // A parked receiver is never behind: it parked at the tail and every send wakes it.
      if (this.#next < this.#channel.tail) {
        const waiter = this.#waiters.shift() as RecvWaiter<T>;
        // Claim before consuming: a waiter that was cancelled leaves the message unread.
        const value = this.#channel.peek(this.#next);
        if (waiter.deliver(value)) this.#channel.read(this.#next++);
      } else if (this.#channel.isClosed) {
        for (const waiter of this.#waiters.drain()) waiter.fail(new ChannelClosedError("broadcast channel closed while a recv was waiting"));
      } else {
        this.#channel.markWaiting(this);
        return;
      }
    }
  }
}

/**
 * A broadcast channel retaining up to `capacity` messages for slow receivers
 * (integer >= 1, else `RangeError`). See the module docs for lag and close
 * semantics.
 *
 * @example
 * ```ts
 * const ticks = broadcast<number>(2);
 * const slow = ticks.subscribe();
 * for (let i = 0; i < 5; i++) ticks.send(i);
 * await slow.recv().catch((e) => e.missed); // 3 (LaggedError)
 * await slow.recv();                        // 3, the oldest retained
 * ```
 */
export function broadcast<T>(capacity: number): Broadcast<T> {
  checkCapacity(capacity, "broadcast", 1);
  return new Broadcast<T>(capacity);
}
