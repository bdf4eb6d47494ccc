/**
 * Multi-producer, multi-consumer FIFO channels: {@link bounded},
 * {@link unbounded} and {@link oneshot}.
 *
 * Semantics (every one is covered by `test/channel-*.test.ts`):
 * - **FIFO.** Messages are received in the order their sends were accepted;
 *   parked senders are admitted in the order they parked, and parked
 *   receivers are served in the order they parked.
 * - **Back-pressure.** `send` resolves once the value is accepted: handed to
 *   a waiting receiver, or buffered while fewer than `capacity` messages are
 *   buffered. Otherwise it waits. `trySend` never waits and returns false.
 * - **Rendezvous.** `bounded(0)` buffers nothing: a send completes only by
 *   handing its value to a receiver (and `trySend` succeeds only if a
 *   receiver is already waiting).
 * - **Close.** `close()` is idempotent. Messages buffered before it are still
 *   delivered. Pending senders reject with `ChannelClosedError` and their
 *   values are *not* enqueued; pending receivers (only possible when nothing
 *   is buffered) reject with `ChannelClosedError`. Afterwards `send` rejects
 *   and `trySend` throws `ChannelClosedError`; `recv` keeps returning
 *   buffered messages and then rejects with `ChannelClosedError`; `tryRecv`
 *   returns `{ ok: false, closed: true }` once drained.
 * - **Cancellation.** `send` and `recv` take `{ signal }` and also honour the
 *   calling task's cancellation. A cancelled wait rejects with
 *   `CancelledError` and has no effect: a cancelled send never enqueues its
 *   value, a cancelled receive never consumes a message. An operation whose
 *   signal is already aborted (or whose task is already cancelled) rejects
 *   without touching the channel, even if a value is ready.
 * - **Fast paths.** When a send or receive can complete at once it does so
 *   synchronously: `send` returns an already-resolved promise (shared, not
 *   allocated), `recv` returns `Promise.resolve(value)`, and
 *   `trySend`/`tryRecv` allocate no promise at all.
 *
 * @example
 * ```ts
 * import { bounded, spawn } from "@zsync/runtime";
 * const ch = bounded<number>(8);
 * spawn(async () => {
 *   for (let i = 0; i < 100; i++) await ch.send(i); // waits while 8 are buffered
 *   ch.close();
 * });
 * let sum = 0;
 * for await (const n of ch) sum += n; // ends once closed and drained
 * console.log(sum); // 4950
 * ```
 * @module
 */
import { CancelledError, ChannelClosedError } from "../errors.js";
import { cancelledAlready } from "../internal/cancel.js";
import { currentScope } from "../internal/context.js";
import { Ring } from "../internal/ring.js";
import type { WaitOptions } from "../time/sleep.js";
import { checkCapacity, signalOf } from "./options.js";
import {
  CLOSED,
  EMPTY,
  RECV_PORT,
  type RecvPort,
  type RecvSelectable,
  SEND_PORT,
  type SendPort,
  type SendSelectable,
  type TryRecvResult,
} from "./ports.js";
import { WaitList } from "./wait-list.js";
import { parkRecv, parkSend, type RecvWaiter, type SendWaiter } from "./waiters.js";

export type { TryRecvResult } from "./ports.js";

const RESOLVED: Promise<void> = Promise.resolve();

/** The sending half of a channel. */
export interface Sender<T> extends SendSelectable<T> {
  /**
   * Sends `value`, waiting for buffer space (or, for `bounded(0)`, for a
   * receiver). Rejects with `ChannelClosedError` if the channel is or becomes
   * closed before the value is accepted, and with `CancelledError` if
   * cancelled first; in both cases the value is not enqueued.
   */
  send(value: T, options?: WaitOptions): Promise<void>;
  /** Sends without waiting; false if it would have to wait. Throws `ChannelClosedError` if closed. */
  trySend(value: T): boolean;
  /** Closes the channel (see the module docs); returns false if it was already closed. */
  close(): boolean;
  readonly isClosed: boolean;
  /** Messages currently buffered. */
  readonly length: number;
  /** Buffer size: 0 for rendezvous, `Infinity` for unbounded. */
  readonly capacity: number;
}

/** The receiving half of a channel. */
export interface Receiver<T> extends RecvSelectable<T>, AsyncIterable<T> {
  /**
   * The next message, waiting for one if none is buffered. Rejects with
   * `ChannelClosedError` once the channel is closed and drained, and with
   * `CancelledError` if cancelled first (no message is consumed then).
   */
  recv(options?: WaitOptions): Promise<T>;
  /** The next message if one is ready, without waiting or allocating a promise. */
  tryRecv(): TryRecvResult<T>;
  /**
   * Iterates messages until the channel is closed and drained. Breaking out of
   * the loop does not close the channel (other consumers may share it).
   * Cancellation rejects the pending `next()` with `CancelledError`.
   */
  iterate(options?: WaitOptions): AsyncIterableIterator<T>;
  readonly isClosed: boolean;
  readonly length: number;
  readonly capacity: number;
}

/**
 * A channel: both halves in one object. Hand out {@link Channel.sender} or
 * {@link Channel.receiver} to give code only the capability it needs.
 */
export class Channel<T> implements Sender<T>, Receiver<T> {
  /** Buffer size: 0 for rendezvous, `Infinity` for unbounded, 1 for oneshot. */
  readonly capacity: number;
  readonly #buffer: Ring<T>;
  readonly #receivers = new WaitList<RecvWaiter<T>>();
  readonly #senders = new WaitList<SendWaiter<T>>();
  readonly #oneshot: boolean;
  #closed = false;
  #sender: Sender<T> | undefined;
  #receiver: Receiver<T> | undefined;
  #recvPort: RecvPort<T> | undefined;
  #sendPort: SendPort<T> | undefined;

  /** Prefer {@link bounded}, {@link unbounded} or {@link oneshot}, which validate their argument. */
  constructor(capacity: number, oneshot = false) {
    checkCapacity(capacity === Number.POSITIVE_INFINITY ? 0 : capacity, "Channel", 0);
    this.capacity = capacity;
    this.#oneshot = oneshot;
    this.#buffer = new Ring<T>(Math.min(capacity, 16));
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  get length(): number {
    return this.#buffer.length;
  }

  /** A view with only the sending methods (the same object every time). */
  get sender(): Sender<T> {
    if (this.#sender === undefined) this.#sender = new SenderView(this);
    return this.#sender;
  }

  /** A view with only the receiving methods (the same object every time). */
  get receiver(): Receiver<T> {
    if (this.#receiver === undefined) this.#receiver = new ReceiverView(this);
    return this.#receiver;
  }

  trySend(value: T): boolean {
    if (this.#closed)
      throw new ChannelClosedError(this.#oneshot ? "trySend on a oneshot channel that was already used" : "trySend on a closed channel");
    return this.#offer(value);
  }

  send(value: T, options?: WaitOptions): Promise<void> {
    let signal: AbortSignal | undefined;
    if (options !== undefined) {
      try {
        signal = signalOf(options, "send");
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const token = currentScope()?.token;
    const cancelled = cancelledAlready(signal, token);
    if (cancelled !== undefined) return Promise.reject(cancelled);
    if (this.#closed) {
      return Promise.reject(
        new ChannelClosedError(this.#oneshot ? "send on a oneshot channel that was already used" : "send on a closed channel"),
      );
    }
    if (this.#offer(value)) return RESOLVED;
    return parkSend(this.#senders, value, signal, token);
  }

  tryRecv(): TryRecvResult<T> {
    if (this.#buffer.length > 0) return { ok: true, value: this.#take() };
    for (let sender = this.#senders.shift(); sender !== undefined; sender = this.#senders.shift()) {
      if (sender.take()) return { ok: true, value: sender.value };
    }
    return this.#closed ? CLOSED : EMPTY;
  }

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
    if (this.#buffer.length > 0) return Promise.resolve(this.#take());
    for (let sender = this.#senders.shift(); sender !== undefined; sender = this.#senders.shift()) {
      if (sender.take()) return Promise.resolve(sender.value);
    }
    if (this.#closed) return Promise.reject(new ChannelClosedError("recv on a closed and drained channel"));
    return parkRecv(this.#receivers, signal, token);
  }

  close(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    for (const sender of this.#senders.drain()) sender.fail(new ChannelClosedError("channel closed while a send was waiting"));
    for (const receiver of this.#receivers.drain()) receiver.fail(new ChannelClosedError("channel closed while a recv was waiting"));
    return true;
  }

  iterate(options?: WaitOptions): AsyncIterableIterator<T> {
    if (options !== undefined) signalOf(options, "iterate");
    return new ChannelIterator(this, options);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return new ChannelIterator(this, undefined);
  }

  get [RECV_PORT](): RecvPort<T> {
    if (this.#recvPort === undefined) {
      this.#recvPort = {
        canRecvNow: () => this.#buffer.length > 0 || !this.#senders.isEmpty || this.#closed,
        tryRecv: () => this.tryRecv(),
        park: (waiter) => this.#receivers.push(waiter),
      };
    }
    return this.#recvPort;
  }

  get [SEND_PORT](): SendPort<T> {
    if (this.#sendPort === undefined) {
      this.#sendPort = {
        canSendNow: () => this.#closed || !this.#receivers.isEmpty || this.#buffer.length < this.capacity,
        trySend: (value) => this.trySend(value),
        park: (waiter) => this.#senders.push(waiter),
      };
    }
    return this.#sendPort;
  }

  get [Symbol.toStringTag](): string {
    return "Channel";
  }

  /** Hands `value` to a waiting receiver, or buffers it if there is room. */
  #offer(value: T): boolean {
    // Receivers only park while the buffer is empty, so handing off first keeps FIFO.
    for (let receiver = this.#receivers.shift(); receiver !== undefined; receiver = this.#receivers.shift()) {
      if (receiver.deliver(value)) {
        if (this.#oneshot) this.close();
        return true;
      }
    }
    if (this.#buffer.length < this.capacity) {
      this.#buffer.push(value);
      if (this.#oneshot) this.close();
      return true;
    }
    return false;
  }

  /** Dequeues the oldest buffered message and admits the oldest parked sender into the freed slot. */
  #take(): T {
    const value = this.#buffer.shift() as T;
    for (let sender = this.#senders.shift(); sender !== undefined; sender = this.#senders.shift()) {
      if (sender.take()) {
        this.#buffer.push(sender.value);
        break;
      }
    }
    return value;
  }
}

class SenderView<T> implements Sender<T> {
  readonly #channel: Channel<T>;

  constructor(channel: Channel<T>) {
    this.#channel = channel;
  }

  send(value: T, options?: WaitOptions): Promise<void> {
    return this.#channel.send(value, options);
  }

  trySend(value: T): boolean {
    return this.#channel.trySend(value);
  }

  close(): boolean {
    return this.#channel.close();
  }

  get isClosed(): boolean {
    return this.#channel.isClosed;
  }

  get length(): number {
    return this.#channel.length;
  }

  get capacity(): number {
    return this.#channel.capacity;
  }

  get [SEND_PORT](): SendPort<T> {
    return this.#channel[SEND_PORT];
  }

  get [Symbol.toStringTag](): string {
    return "Sender";
  }
}

class ReceiverView<T> implements Receiver<T> {
  readonly #channel: Channel<T>;

  constructor(channel: Channel<T>) {
    this.#channel = channel;
  }

  recv(options?: WaitOptions): Promise<T> {
    return this.#channel.recv(options);
  }

  tryRecv(): TryRecvResult<T> {
    return this.#channel.tryRecv();
  }

  iterate(options?: WaitOptions): AsyncIterableIterator<T> {
    return this.#channel.iterate(options);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this.#channel[Symbol.asyncIterator]();
  }

  get isClosed(): boolean {
    return this.#channel.isClosed;
  }

  get length(): number {
    return this.#channel.length;
  }

  get capacity(): number {
    return this.#channel.capacity;
  }

  get [RECV_PORT](): RecvPort<T> {
    return this.#channel[RECV_PORT];
  }

  get [Symbol.toStringTag](): string {
    return "Receiver";
  }
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** Iterates a channel; shared by {@link Channel} and broadcast receivers. @internal */
export class ChannelIterator<T> implements AsyncIterableIterator<T> {
  readonly #source: { tryRecv(): TryRecvResult<T>; recv(options?: WaitOptions): Promise<T> };
  readonly #options: WaitOptions | undefined;
  #finished = false;

  constructor(source: { tryRecv(): TryRecvResult<T>; recv(options?: WaitOptions): Promise<T> }, options: WaitOptions | undefined) {
    this.#source = source;
    this.#options = options;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#finished) return Promise.resolve(DONE);
    return this.#source.recv(this.#options).then(
      (value) => ({ done: false, value }),
      (error: unknown) => {
        if (error instanceof ChannelClosedError) {
          this.#finished = true;
          return DONE;
        }
        if (error instanceof CancelledError) this.#finished = true;
        throw error;
      },
    );
  }

  /** Ends this iteration only; the channel stays open for other consumers. */
  return(): Promise<IteratorResult<T, undefined>> {
    this.#finished = true;
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}

/**
 * A channel buffering up to `capacity` messages; `send` waits while it is
 * full. `capacity` 0 makes a rendezvous channel (each send waits for a
 * receiver). Throws `RangeError` unless `capacity` is an integer from 0 to 2^32.
 *
 * @example
 * ```ts
 * import { bounded } from "@zsync/runtime";
 * const jobs = bounded<string>(2);
 * await jobs.send("a");
 * await jobs.send("b");
 * jobs.trySend("c");       // false: full
 * await jobs.recv();       // "a"
 * ```
 */
export function bounded<T>(capacity: number): Channel<T> {
  checkCapacity(capacity, "bounded", 0);
  return new Channel<T>(capacity);
}

/**
 * A channel with no size limit: `send` and `trySend` never wait (memory is
 * the limit). Use it when producers are naturally bounded; prefer
 * {@link bounded} for back-pressure.
 *
 * @example
 * ```ts
 * import { unbounded } from "@zsync/runtime";
 * const events = unbounded<string>();
 * events.trySend("started"); // always true while open
 * console.log(events.tryRecv()); // { ok: true, value: "started" }
 * ```
 */
export function unbounded<T>(): Channel<T> {
  return new Channel<T>(Number.POSITIVE_INFINITY);
}

/**
 * A channel for exactly one value. The first accepted send closes the
 * channel for sending (a second send rejects, `trySend` throws
 * `ChannelClosedError`); the receiver gets the value, after which `recv`
 * rejects with `ChannelClosedError`. Calling `close()` without sending tells
 * the receiver no value will come.
 *
 * @example
 * ```ts
 * import { oneshot } from "@zsync/runtime";
 * const reply = oneshot<number>();
 * setTimeout(() => reply.trySend(42), 10);
 * console.log(await reply.recv()); // 42
 * ```
 */
export function oneshot<T>(): Channel<T> {
  return new Channel<T>(1, true);
}
