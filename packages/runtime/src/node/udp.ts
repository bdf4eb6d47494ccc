/**
 * Pull-style UDP over node:dgram. `recvFrom()` takes the next datagram from a
 * bounded receive queue; when the queue is full, new datagrams are dropped
 * (as the kernel would) and counted in `dropped`, so a slow consumer cannot
 * grow memory without bound. `sendTo()` resolves once the datagram is handed
 * to the kernel.
 *
 * @example
 * ```ts
 * import { UdpSocket } from "@zsync/runtime/node";
 * await using server = await UdpSocket.bind({ port: 0 });
 * await using client = await UdpSocket.bind();
 * await client.sendTo(new TextEncoder().encode("hi"), server.port, "127.0.0.1");
 * const { data, address, port } = await server.recvFrom({ timeoutMs: 1000 });
 * await server.sendTo(data, port, address); // echo
 * ```
 * @module
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";
import { currentScope } from "../internal/context.js";
import { ResourceClosedError, toIoError } from "./errors.js";
import { cancellation, PendingWait, type TimedWaitOptions, type Waiter, WaitQueue } from "./pending-wait.js";

/** One received datagram. */
export interface Datagram {
  readonly data: Buffer;
  readonly address: string;
  readonly port: number;
  readonly family: string;
}

export interface UdpBindOptions extends TimedWaitOptions {
  /** Port (default 0: any free port). */
  readonly port?: number;
  /** Address to bind (default `127.0.0.1`, or `::1` for `udp6`). */
  readonly host?: string;
  /** Address family (default from `host`, else `udp4`). */
  readonly type?: "udp4" | "udp6";
  /** Datagrams buffered for `recvFrom()`; more are dropped and counted (default 1024). */
  readonly queueCapacity?: number;
  readonly reuseAddr?: boolean;
}

/** A bound UDP socket. */
export class UdpSocket implements AsyncDisposable, AsyncIterable<Datagram> {
  readonly #socket: Socket;
  readonly #capacity: number;
  #queue: (Datagram | undefined)[] = [];
  #head = 0;
  #dropped = 0;
  #closed = false;
  #error: Error | undefined;
  #sendErrors = 0;
  #lastSendError: Error | undefined;
  readonly #receivers = new WaitQueue<Datagram>();
  #closedPromise: Promise<void> | undefined;

  /** Binds a socket. Rejects with `AddressInUseError` (or another `IoError`) or `CancelledError`. */
  static bind(options: UdpBindOptions = {}): Promise<UdpSocket> {
    const cancelled = cancellation(options);
    if (cancelled !== undefined) return Promise.reject(cancelled);
    const type = options.type ?? (options.host !== undefined && isIPv6(options.host) ? "udp6" : "udp4");
    const host = options.host ?? (type === "udp6" ? "::1" : "127.0.0.1");
    const capacity = options.queueCapacity ?? 1024;
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`UdpSocket.bind: queueCapacity must be a positive integer, got ${capacity}`);
    const socket = createSocket({ type, reuseAddr: options.reuseAddr ?? false });
    const udp = new UdpSocket(socket, capacity);
    const wait = new PendingWait<UdpSocket>(options, () => socket.close());
    const onError = (error: Error): void => wait.reject(toIoError(error, `bind udp ${host}:${options.port ?? 0}`));
    socket.once("error", onError);
    socket.bind({ port: options.port ?? 0, address: host }, () => {
      socket.off("error", onError);
      wait.resolve(udp);
    });
    return wait.promise;
  }

  private constructor(socket: Socket, capacity: number) {
    this.#socket = socket;
    this.#capacity = capacity;
    socket.on("message", this.#onMessage);
    socket.on("error", (error) => {
      this.#error = toIoError(error, "udp");
      this.#receivers.rejectAll(this.#error);
    });
  }

  /** The bound port. */
  get port(): number {
    return this.#socket.address().port;
  }

  get address(): { readonly address: string; readonly port: number; readonly family: string } {
    const { address, port, family } = this.#socket.address();
    return { address, port, family };
  }

  /** Datagrams discarded because the receive queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Datagrams waiting in the receive queue. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** Sends `data` to `port`/`address`; resolves when the kernel has it. */
  sendTo(data: Uint8Array | string, port: number, address: string): Promise<void> {
    if (this.#closed) return Promise.reject(new ResourceClosedError("udp socket closed"));
    return new Promise((resolve, reject) => {
      this.#socket.send(data, port, address, (error) => {
        if (error) reject(toIoError(error, `send to ${address}:${port}`));
        else resolve();
      });
    });
  }

  /**
   * Hands `data` to the kernel without a completion promise, for per-packet
   * hot paths (echo servers, QUIC). A failure does not throw: it is counted
   * in `sendErrors` and kept in `lastSendError`.
   */
  queueSendTo(data: Uint8Array | string, port: number, address: string): void {
    if (this.#closed) throw new ResourceClosedError("udp socket closed");
    this.#socket.send(data, port, address, this.#onSent);
  }

  /** Failed `queueSendTo` calls. */
  get sendErrors(): number {
    return this.#sendErrors;
  }

  /** The most recent `queueSendTo` failure, as an `IoError`. */
  get lastSendError(): Error | undefined {
    return this.#lastSendError;
  }

  readonly #onSent = (error: Error | null): void => {
    if (error) {
      this.#sendErrors++;
      this.#lastSendError = toIoError(error, "udp send");
    }
  };

  /** The next queued datagram without waiting, or `undefined`. */
  tryRecvFrom(): Datagram | undefined {
    if (this.#head === this.#queue.length) return undefined;
    return this.#take();
  }

  /**
   * The next datagram. Rejects with `ResourceClosedError` once closed and
   * drained; a cancelled or timed-out receive takes nothing from the queue.
   */
  recvFrom(options?: TimedWaitOptions): Promise<Datagram> {
    if (this.#head < this.#queue.length) return Promise.resolve(this.#take());
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#closed) return Promise.reject(new ResourceClosedError("udp socket closed"));
    const cancelled = cancellation(options);
    if (cancelled !== undefined) return Promise.reject(cancelled);
    const wait = new PendingWait<Datagram>(options, (w) => this.#receivers.remove(w));
    if (!wait.done) this.#receivers.push(wait);
    return wait.promise;
  }

  /** Closes the socket; pending receives reject with `ResourceClosedError`. Idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#receivers.rejectAll(new ResourceClosedError("udp socket closed"));
      this.#closedPromise = new Promise((resolve) => this.#socket.close(() => resolve()));
    }
    return this.#closedPromise as Promise<void>;
  }

  /**
   * Yields datagrams until the socket is closed. Hand-written rather than an
   * async generator: this is a per-packet path and a generator costs several
   * extra promise hops per item.
   */
  [Symbol.asyncIterator](): AsyncIterator<Datagram> {
    return {
      next: () => {
        if (this.#head < this.#queue.length) return Promise.resolve({ done: false, value: this.#take() });
        if (this.#error !== undefined) return Promise.reject(this.#error);
        if (this.#closed) return Promise.resolve(ITERATION_DONE);
        // Inside a task the wait must also end when the task is cancelled,
        // which is what recvFrom's PendingWait watches for.
        if (currentScope()?.token !== undefined) return this.recvFrom().then(wrapDatagram, endIteration);
        return new Promise((resolve, reject) => this.#receivers.push(new NextDatagram(resolve, reject)));
      },
      return: () => Promise.resolve(ITERATION_DONE),
    };
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  readonly #onMessage = (data: Buffer, rinfo: RemoteInfo): void => {
    const datagram: Datagram = { data, address: rinfo.address, port: rinfo.port, family: rinfo.family };
    const receiver = this.#receivers.shift();
    if (receiver !== undefined) {
      receiver.resolve(datagram);
      return;
    }
    if (this.#queue.length - this.#head >= this.#capacity) {
      this.#dropped++;
      return;
    }
    this.#queue.push(datagram);
  };

  #take(): Datagram {
    const datagram = this.#queue[this.#head] as Datagram;
    this.#queue[this.#head++] = undefined;
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return datagram;
  }
}

const ITERATION_DONE: IteratorResult<Datagram> = Object.freeze({ done: true, value: undefined });

function wrapDatagram(value: Datagram): IteratorResult<Datagram> {
  return { done: false, value };
}

function endIteration(error: unknown): IteratorResult<Datagram> {
  if (error instanceof ResourceClosedError) return ITERATION_DONE;
  throw error;
}

/**
 * The waiting `next()` of a datagram iterator: it settles the iterator's own
 * promise directly, one promise per datagram instead of a wait plus a `then`.
 */
class NextDatagram implements Waiter<Datagram> {
  done = false;

  constructor(
    private readonly settle: (result: IteratorResult<Datagram>) => void,
    private readonly fail: (error: unknown) => void,
  ) {}

  resolve(value: Datagram): void {
    if (this.done) return;
    this.done = true;
    this.settle({ done: false, value });
  }

  reject(error: unknown): void {
    if (this.done) return;
    this.done = true;
    if (error instanceof ResourceClosedError) this.settle(ITERATION_DONE);
    else this.fail(error);
  }
}
