/**
 * The I/O loop of one QUIC endpoint: a UDP socket and one timer around the
 * sans-I/O {@link Endpoint}. This is the only place where datagrams meet the
 * core; everything above (connections, streams) calls into the core and
 * asks the driver to `wake()`.
 *
 * Why node:dgram directly and not `@zsync/runtime/node`'s `UdpSocket`: that
 * socket is pull-based (a queue of `Datagram` objects and a promise per
 * `recvFrom`), which costs an object and a promise hop per packet before the
 * core sees it. The core wants push delivery: each datagram goes into
 * `Endpoint.handleDatagram` synchronously inside the socket's `message`
 * callback. Neither API can send several datagrams in one system call
 * (Node has no sendmmsg/GSO), so batching happens one level up, here.
 *
 * The loop, per the core's driver contract:
 * - every received datagram is fed at once (`performance.now()` as `now`);
 * - input and API calls only mark the driver dirty; one `setImmediate`
 *   per event-loop turn then fires due deadlines, dispatches connection
 *   events, drains `pollTransmit` into pooled buffers and re-arms the
 *   timer. So every datagram read in one poll phase is processed before
 *   anything is sent (ACKs coalesce), and a burst of stream writes from
 *   many tasks becomes one batch of sends. A callback-driven send loop
 *   (send, wait for the callback, send the next) would run entirely on
 *   `process.nextTick` and starve timers and I/O;
 * - one timer, armed at `pollTimeout()`; a later deadline keeps the armed
 *   (earlier) timer, which then fires early: harmless by the contract.
 *
 * Buffers: datagrams are written into a pool of fixed-size buffers; a
 * buffer returns to the pool in its own send callback (Node reads it
 * until then), through a callback bound once per buffer, so steady-state
 * transfer allocates nothing of ours per packet. When every buffer is in
 * flight the driver stops draining and resumes from the next callback:
 * that is the back-pressure from the kernel's send queue.
 *
 * Extra sockets: a client migrating (`QuicConnection.migrate`, RFC 9000 §9)
 * binds a second socket with {@link EndpointDriver.bindSocket}. Its datagrams
 * reach the core with that socket's address as `local`, and datagrams the
 * core gives back with `from` set leave through it; the socket a migration
 * left is closed later with {@link EndpointDriver.closeSocket}.
 *
 * Sends skip DNS: the socket's `lookup` hook passes the address through
 * synchronously (every address the core gives back is an IP literal from
 * `rinfo` or resolved once by `connect`), instead of Node's default of a
 * `dns.lookup` and a `nextTick` per datagram.
 *
 * @module
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { lookup as dnsLookup } from "node:dns";
import { isIP } from "node:net";
import { performance } from "node:perf_hooks";
import { CancelledError } from "@zsync/runtime";
import type { Connection, ConnectionEvent, Endpoint, SocketAddress } from "../proto/index.js";

/** Receives a connection's events, in order, from the driver. */
export interface ConnectionSink {
  handleEvent(event: ConnectionEvent): void;
}

/** Options of {@link EndpointDriver.bind}. */
export interface DriverBindOptions {
  readonly host: string;
  readonly port: number;
  readonly type: "udp4" | "udp6";
  /** Largest datagram written; sizes the pool's buffers. */
  readonly maxDatagramSize: number;
  /** Buffers in flight at most (default 512). */
  readonly maxBuffers?: number;
  /** Kernel socket buffers in bytes (default 4 MiB; best effort, the OS may cap it). */
  readonly socketBufferSize?: number;
  readonly signal?: AbortSignal | undefined;
}

/** Counters of the socket side, for stats and the bench. */
export interface DriverStats {
  datagramsReceived: number;
  bytesReceived: number;
  datagramsSent: number;
  bytesSent: number;
  /** Sends the kernel refused (ENOBUFS and the like); QUIC recovers them as losses. */
  sendErrors: number;
  /** Flushes that stopped because every pooled buffer was in flight. */
  poolExhausted: number;
  /** Buffers the pool allocated (they are reused; this stays flat in steady state). */
  buffersAllocated: number;
  /** Flushes run (one per event-loop turn with work, plus timer wake-ups). */
  flushes: number;
  /** Times the deadline timer fired. */
  timerFires: number;
  /** Datagrams whose processing threw (a core bug: peer errors never throw); see `lastInternalError`. */
  internalErrors: number;
}

/**
 * A pooled send buffer with its completion callback, bound once. The core
 * writes through `view`, a plain `Uint8Array` over the same memory: its
 * per-packet `subarray` calls then make plain typed-array views, not
 * `Buffer`s (whose `subarray` runs Node's JavaScript wrapper and constructs a
 * `FastBuffer`: about 2% of the sender's busy time in the bulk profile).
 */
interface PoolSlot {
  readonly view: Uint8Array;
  readonly done: (error: Error | null) => void;
}

/** The I/O loop; see the module comment. */
export class EndpointDriver {
  readonly endpoint: Endpoint;
  readonly stats: DriverStats = {
    datagramsReceived: 0,
    bytesReceived: 0,
    datagramsSent: 0,
    bytesSent: 0,
    sendErrors: 0,
    poolExhausted: 0,
    buffersAllocated: 0,
    flushes: 0,
    timerFires: 0,
    internalErrors: 0,
  };
  /** The last error counted in `stats.internalErrors`. */
  lastInternalError: unknown;
  /** Called for each new server connection before its first event is dispatched. */
  onConnection: ((conn: Connection) => ConnectionSink) | undefined;
  /** Called once the socket is closed. */
  onClosed: (() => void) | undefined;
  readonly #socket: Socket;
  #socketOpen = true;
  readonly #localAddress: { readonly address: string; readonly port: number; readonly family: string };
  /** Sockets bound by `bindSocket`, by "address:port". */
  readonly #extra = new Map<string, Socket>();
  readonly #type: "udp4" | "udp6";
  readonly #socketBufferSize: number | undefined;
  readonly #sinks = new Map<Connection, ConnectionSink>();
  readonly #free: PoolSlot[] = [];
  readonly #bufferSize: number;
  readonly #maxBuffers: number;
  #inFlight = 0;
  #scheduled = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** Close the socket once the last connection has drained (client endpoints). */
  closeWhenIdle = false;

  /** Binds a UDP socket and starts driving `endpoint`. */
  static bind(endpoint: Endpoint, options: DriverBindOptions): Promise<EndpointDriver> {
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(CancelledError.from(options.signal.reason));
        return;
      }
      const socket = createSocket({ type: options.type, lookup: passThroughLookup });
      const onError = (error: Error): void => {
        options.signal?.removeEventListener("abort", onAbort);
        socket.close();
        reject(error);
      };
      const onAbort = (): void => {
        socket.off("error", onError);
        socket.close();
        reject(CancelledError.from(options.signal?.reason));
      };
      options.signal?.addEventListener("abort", onAbort, { once: true });
      socket.once("error", onError);
      socket.bind({ port: options.port, address: options.host }, () => {
        socket.off("error", onError);
        options.signal?.removeEventListener("abort", onAbort);
        const size = options.socketBufferSize ?? 4 * 1024 * 1024;
        try {
          socket.setRecvBufferSize(size);
          socket.setSendBufferSize(size);
        } catch {
          // best effort: the OS caps socket buffers (net.core.rmem_max); QUIC still works, with more losses under load
        }
        resolve(new EndpointDriver(endpoint, socket, options));
      });
    });
  }

  private constructor(endpoint: Endpoint, socket: Socket, options: DriverBindOptions) {
    this.endpoint = endpoint;
    this.#socket = socket;
    this.#localAddress = socket.address();
    this.#type = options.type;
    this.#socketBufferSize = options.socketBufferSize;
    this.#bufferSize = options.maxDatagramSize;
    this.#maxBuffers = options.maxBuffers ?? 512;
    socket.on("message", this.#onMessage);
    // A send error after bind (ICMP unreachable reported on the next call, ENOBUFS) is not fatal to QUIC: count it.
    socket.on("error", () => {
      this.stats.sendErrors++;
    });
  }

  /** The local address of the socket `bind` bound (it stays the same after a migration closed that socket). */
  get localAddress(): { readonly address: string; readonly port: number; readonly family: string } {
    return this.#localAddress;
  }

  /**
   * Binds another UDP socket on `host` (an ephemeral port unless `port` is given) for a migrating connection:
   * resolves with its local address, which the core names as the path's `local`.
   */
  bindSocket(host: string, port = 0, signal?: AbortSignal): Promise<SocketAddress> {
    return new Promise((resolve, reject) => {
      if (this.#closed) {
        reject(new Error("the endpoint's driver is closed"));
        return;
      }
      if (signal?.aborted) {
        reject(CancelledError.from(signal.reason));
        return;
      }
      const socket = createSocket({ type: this.#type, lookup: passThroughLookup });
      const onError = (error: Error): void => {
        signal?.removeEventListener("abort", onAbort);
        socket.close();
        reject(error);
      };
      const onAbort = (): void => {
        socket.off("error", onError);
        socket.close();
        reject(CancelledError.from(signal?.reason));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      socket.once("error", onError);
      socket.bind({ port, address: host }, () => {
        socket.off("error", onError);
        signal?.removeEventListener("abort", onAbort);
        if (this.#closed) {
          socket.close();
          reject(new Error("the endpoint's driver is closed"));
          return;
        }
        const size = this.#socketBufferSize ?? 4 * 1024 * 1024;
        try {
          socket.setRecvBufferSize(size);
          socket.setSendBufferSize(size);
        } catch {
          // best effort, as for the first socket
        }
        const bound = socket.address();
        const local: SocketAddress = { address: bound.address, port: bound.port };
        this.#extra.set(socketKey(local), socket);
        socket.on("message", (data: Buffer, rinfo: RemoteInfo) => this.#receive(data, rinfo, local));
        socket.on("error", () => {
          this.stats.sendErrors++;
        });
        resolve(local);
      });
    });
  }

  /**
   * Closes the socket of `local` (undefined: the one `bind` bound) once no path uses it any more; datagrams the
   * core still gives back for it are dropped (counted in `sendErrors`). Closing the last socket is `close()`'s job.
   */
  closeSocket(local: SocketAddress | undefined): void {
    if (this.#closed) return;
    if (local === undefined) {
      if (!this.#socketOpen) return;
      this.#socketOpen = false;
      this.#socket.close();
      return;
    }
    const socket = this.#extra.get(socketKey(local));
    if (socket === undefined) return;
    this.#extra.delete(socketKey(local));
    socket.close();
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Delivers `conn`'s events to `sink` from now on. */
  register(conn: Connection, sink: ConnectionSink): void {
    this.#sinks.set(conn, sink);
  }

  /** Current time on the driver's clock (ms, monotonic). */
  now(): number {
    return performance.now();
  }

  /** Asks for one flush in this event-loop turn (after API calls that queue data or frames). */
  wake(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    setImmediate(this.#flush);
  }

  /** Closes the socket and the timer at once (connections are not closed: close them first). Idempotent. */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const sockets = [...this.#extra.values()];
    this.#extra.clear();
    if (this.#socketOpen) sockets.push(this.#socket);
    this.#socketOpen = false;
    this.#closing = Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve())))).then(() => {
      this.onClosed?.();
    });
    return this.#closing;
  }

  readonly #onMessage = (data: Buffer, rinfo: RemoteInfo): void => {
    this.#receive(data, rinfo, undefined);
  };

  #receive(data: Buffer, rinfo: RemoteInfo, local: SocketAddress | undefined): void {
    this.stats.datagramsReceived++;
    this.stats.bytesReceived += data.length;
    try {
      // A plain Uint8Array over the datagram's memory, for the same reason as PoolSlot.view: the core takes several
      // views of each datagram (header, ciphertext, AAD, frame data), and a Buffer's would each construct a FastBuffer.
      // It also makes the core's `slice()` copies copies: on a Buffer, `slice` is a view, so connection IDs, tokens
      // and DATAGRAM payloads the core meant to copy pinned and aliased the received datagram.
      this.endpoint.handleDatagram(performance.now(), new Uint8Array(data.buffer, data.byteOffset, data.length), rinfo, local);
    } catch (error) {
      // The core turns every peer error into a close or a drop; reaching here is a core bug. One datagram must not
      // take the whole endpoint (and the process) down: count it, keep the error for diagnosis.
      this.stats.internalErrors++;
      this.lastInternalError = error;
    }
    this.wake();
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    this.stats.timerFires++;
    this.#flush();
  };

  readonly #flush = (): void => {
    this.#scheduled = false;
    if (this.#closed) return;
    this.stats.flushes++;
    const endpoint = this.endpoint;
    let now = performance.now();
    const due = endpoint.pollTimeout();
    if (due !== undefined && due <= now) endpoint.handleTimeout(now);
    this.#dispatchEvents();
    this.#transmit(now);
    now = performance.now();
    this.#arm(endpoint.pollTimeout(), now);
    if (this.closeWhenIdle && this.#sinks.size === 0 && endpoint.connectionCount === 0) void this.close();
  };

  #dispatchEvents(): void {
    for (let e = this.endpoint.pollEvent(); e !== undefined; e = this.endpoint.pollEvent()) {
      const sink = this.onConnection?.(e.connection);
      if (sink !== undefined) this.#sinks.set(e.connection, sink);
    }
    this.#sinks.forEach(this.#drainSink); // forEach with a bound callback: no entry arrays per flush
  }

  readonly #drainSink = (sink: ConnectionSink, conn: Connection): void => {
    for (let e = conn.pollEvent(); e !== undefined; e = conn.pollEvent()) {
      sink.handleEvent(e);
      if (e.type === "drained") this.#sinks.delete(conn);
    }
  };

  #transmit(now: number): void {
    const endpoint = this.endpoint;
    const socket = this.#socket;
    for (;;) {
      const slot = this.#take();
      if (slot === undefined) {
        this.stats.poolExhausted++;
        return; // resumed by the next send callback
      }
      const t = endpoint.pollTransmit(now, slot.view);
      if (t === undefined) {
        this.#free.push(slot);
        return;
      }
      // A datagram for a path's own socket (a migration's, RFC 9000 §9) leaves through it; one for a socket closed
      // meanwhile is dropped, as the network would drop it (the core's recovery or path timers deal with it).
      const from = t.from === undefined ? (this.#socketOpen ? socket : undefined) : this.#extra.get(socketKey(t.from));
      if (from === undefined) {
        this.#free.push(slot);
        this.stats.sendErrors++;
        continue;
      }
      this.#inFlight++;
      this.stats.datagramsSent++;
      this.stats.bytesSent += t.length;
      // The exact-length view: with an offset and length, dgram would make a Buffer of them per datagram.
      from.send(slot.view.subarray(0, t.length), t.to.port, t.to.address, slot.done);
    }
  }

  #take(): PoolSlot | undefined {
    const slot = this.#free.pop();
    if (slot !== undefined) return slot;
    if (this.#inFlight >= this.#maxBuffers) return undefined;
    const view = new Uint8Array(this.#bufferSize);
    this.stats.buffersAllocated++;
    const made: PoolSlot = {
      view,
      done: (error) => {
        this.#inFlight--;
        if (error) this.stats.sendErrors++;
        const starved = this.#free.length === 0;
        this.#free.push(made);
        if (starved) this.wake();
      },
    };
    return made;
  }

  #arm(deadline: number | undefined, now: number): void {
    if (deadline === undefined || this.#closed) return; // a stale armed timer only causes a harmless early flush
    if (this.#timer !== undefined && this.#timerAt <= deadline) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = deadline;
    // setTimeout has 1 ms granularity and may fire up to 1 ms early relative to performance.now(): round up.
    this.#timer = setTimeout(this.#onTimer, Math.max(0, Math.ceil(deadline - now)));
  }
}

function socketKey(address: SocketAddress): string {
  return `${address.address}:${address.port}`;
}

/**
 * dgram's `lookup` hook: IP literals go straight through (synchronously, so
 * `send` does not wait a tick), host names fall back to DNS.
 */
function passThroughLookup(
  address: string,
  family: unknown,
  callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const version = isIP(address);
  if (version !== 0) {
    callback(null, address, version);
    return;
  }
  dnsLookup(address, { family: family === 6 || family === "IPv6" ? 6 : 4 }, callback);
}
