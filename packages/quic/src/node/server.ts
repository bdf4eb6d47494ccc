/**
 * `QuicServer`: a QUIC server on one UDP socket (the seeds' zquic
 * `QuicServer`), handing out connections once their handshake completed.
 *
 * Each new connection's handshake is owned by an urgent runtime task (the
 * seeds' `spawnUrgent`: it starts before every queued normal task). The
 * packets themselves are processed in the driver's socket callbacks (the
 * core is synchronous, and a task or promise per packet would tax the hot
 * path); the task waits for the handshake to complete or fail, bounded by
 * `handshakeTimeout` and by the server's close, counts failures, and hands
 * the established connection to `accept()` / `run()`. One task and one
 * promise per handshake, none per packet. `run(handler)` then spawns one
 * runtime task per established connection; the handler's task is the
 * connection's scope, and the connection is closed (code 0) when it
 * returns or fails.
 *
 * Connections whose handshake fails or times out never reach `accept()`;
 * they are counted in `stats.handshakeFailures` (and `handshakeTimeouts`).
 *
 * Early accept (`acceptEarly`, with `earlyData`): a connection whose 0-RTT
 * data TLS took is handed out at once, still handshaking, so that its
 * requests are answered in 0.5-RTT packets (RFC 9001 §4.1.1) and the client
 * has its response one round trip after it started, instead of two (quinn's
 * `Connecting::into_0rtt`). The handshake task still owns the handshake: if
 * it fails or times out, the connection closes and its streams fail with
 * the close error; if it was still waiting in the accept queue, it is taken
 * out unseen.
 *
 * @example
 * ```ts
 * import { spawn } from "@zsync/runtime";
 * import { QuicServer } from "@zsync/quic";
 * declare const certificate: string, key: string;
 * await using server = await QuicServer.bind({ port: 4433, certificate, key, alpn: "echo" });
 * for await (const conn of server) {
 *   spawn(async () => {
 *     for await (const stream of conn) for await (const chunk of stream) await stream.write(chunk);
 *   });
 * }
 * ```
 * @module
 */
import { isIPv6 } from "node:net";
import { spawn, spawnWith } from "@zsync/runtime";
import {
  type Connection,
  type EarlyDataRequest,
  Endpoint,
  QUIC_MAX_EARLY_DATA,
  QuicConfigError,
  type RetryPolicy,
  resolveEndpointConfig,
  resolveServerConfig,
} from "../proto/index.js";
import { QuicConnection } from "./connection.js";
import { EndpointDriver } from "./driver.js";
import { QuicEndpointClosedError } from "./errors.js";
import { alpnList, type CommonOptions, osRandom, transportOptions } from "./options.js";
import { type QuicWaitOptions, throwIfAborted, Waiter } from "./wait.js";

/** Options of {@link QuicServer.bind}. */
export interface QuicServerOptions extends Omit<CommonOptions, "version"> {
  /** Address to bind (default `127.0.0.1`). */
  readonly host?: string;
  /** Port (default 0: any free port). */
  readonly port?: number;
  /** Certificate chain, PEM (leaf first). */
  readonly certificate: string | Uint8Array;
  /** The leaf's private key, PEM. */
  readonly key: string | Uint8Array;
  /** QUIC versions accepted, preferred first (default `[QuicVersion.V1]`). */
  readonly versions?: readonly number[];
  /** Concurrent connections accepted at most (default 10,000). */
  readonly maxConnections?: number;
  /**
   * Address validation with a Retry round trip (RFC 9000 §8.1.2): `true`
   * for every client without a valid token, a function to decide per
   * Initial (e.g. only under load), `false` (default) for none. Clients
   * that come back with a NEW_TOKEN token skip it.
   */
  readonly retry?: boolean | RetryPolicy;
  /**
   * 32 secret bytes protecting address-validation tokens, and 32 from which
   * stateless reset tokens derive (RFC 9000 §8.1, §10.3). Default: random
   * per server, so tokens and resets do not survive a restart; pass
   * persisted keys (shared by the servers behind one address) for that.
   */
  readonly tokenKey?: Uint8Array;
  readonly statelessResetKey?: Uint8Array;
  /** Established connections waiting for `accept()` at most; beyond, new ones are closed (default 1024). */
  readonly acceptBacklog?: number;
  /**
   * Milliseconds a handshake may take, from the client's first Initial (default 10,000): a client that keeps a
   * handshake alive without finishing it is closed then, and counted in `stats.handshakeTimeouts`.
   */
  readonly handshakeTimeout?: number;
  /**
   * 0-RTT (RFC 9001 §4.6): `true` accepts early data from resuming clients, a function decides per client
   * (false: its data is resent after the handshake instead); default off. Early data can be replayed by an
   * attacker (RFC 9001 §9.2): only turn it on for requests that are safe to process twice. Streams a client
   * opened in 0-RTT are accepted like others, with their data, once the handshake completes (at once with
   * `acceptEarly`).
   */
  readonly earlyData?: boolean | ((request: EarlyDataRequest) => boolean);
  /**
   * With `earlyData`: hand a connection to `accept()` / `run()` as soon as TLS took its 0-RTT data, before the
   * handshake completes (default false: after it). Its 0-RTT streams are there to accept at once, and what the
   * application writes leaves as 0.5-RTT data (RFC 9001 §4.1.1), so a response reaches the client one round trip
   * after it started. Connections without accepted early data are handed out after their handshake, as usual.
   *
   * Replay (RFC 9001 §9.2, RFC 8446 §8): until the handshake completes, nothing proves the client is live. An
   * attacker can replay a recorded first flight, and a replay runs everything its 0-RTT streams ask for (with
   * this option, even the response is produced); only its handshake never completes. Answer at once only
   * requests that are safe to process twice (`stream.receivedInEarlyData` marks them), and `await
   * conn.established()` (or check `conn.isHandshakeComplete`) before anything else. The client's address is
   * not validated yet either: before it is, the server sends at most three times what it received (RFC 9000
   * §8.1), 0.5-RTT data included, unless the client brought a NEW_TOKEN token. If the handshake then fails or
   * times out, the connection closes with a typed error (`QuicConnectionClosedError`) and its streams fail.
   */
  readonly acceptEarly?: boolean;
  readonly signal?: AbortSignal;
}

/** Counters of a server. */
export interface QuicServerStats {
  /** Connections whose handshake completed. */
  readonly accepted: number;
  /** Connections handed to `accept()` before their handshake completed (`acceptEarly`). */
  readonly acceptedEarly: number;
  /** Connections that ended before completing the handshake (timeouts included). */
  readonly handshakeFailures: number;
  /** Handshakes closed by `handshakeTimeout`. */
  readonly handshakeTimeouts: number;
  /** Handshake tasks running now. */
  readonly handshaking: number;
  /** Established connections closed because the accept backlog was full. */
  readonly backlogRefused: number;
  /** Retry packets sent (address validation, RFC 9000 §8.1.2). */
  readonly retries: number;
  /** Datagrams dropped by the endpoint (malformed, unroutable, short Initials, over `maxConnections`). */
  readonly dropped: number;
  readonly datagramsReceived: number;
  readonly datagramsSent: number;
}

/** Code the server closes connections with when it shuts down or its backlog is full. */
const SERVER_CLOSING = 0;
/** Default {@link QuicServerOptions.handshakeTimeout}. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Start priority and name of handshake tasks; detached: the server's close, not the task that bound it, ends them. */
const HANDSHAKE_TASK = { priority: "urgent", name: "quic-handshake", detached: true } as const;

/** A QUIC server; see the module comment. */
export class QuicServer implements AsyncDisposable, AsyncIterable<QuicConnection> {
  readonly #driver: EndpointDriver;
  readonly #connections = new Set<QuicConnection>();
  readonly #ready: QuicConnection[] = [];
  /** Connections queued for `accept()` already (early ones before their handshake completed). */
  readonly #handedOut = new WeakSet<QuicConnection>();
  readonly #acceptWaiter = new Waiter();
  readonly #backlog: number;
  readonly #cancelCode: number;
  readonly #handshakeTimeout: number;
  readonly #acceptEarly: boolean;
  /** Aborted by `close()`: ends the handshake tasks. */
  readonly #closing = new AbortController();
  #closed: Promise<void> | undefined;
  #accepted = 0;
  #acceptedEarly = 0;
  #handshakeFailures = 0;
  #handshakeTimeouts = 0;
  #handshaking = 0;
  #backlogRefused = 0;

  /** Binds the socket and starts accepting handshakes. */
  static async bind(options: QuicServerOptions): Promise<QuicServer> {
    const timeout = options.handshakeTimeout;
    if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0))
      throw new QuicConfigError("handshakeTimeout", `a positive number of milliseconds, got ${timeout}`);
    const serverConfig = resolveServerConfig({
      tls: {
        credentials: { certificate: options.certificate, privateKey: options.key },
        alpnProtocols: alpnList(options.alpn),
        ...(options.keyLog === undefined ? {} : { keyLog: options.keyLog }),
        ...(options.earlyData === undefined || options.earlyData === false ? {} : { maxEarlyData: QUIC_MAX_EARLY_DATA }),
      },
      transport: transportOptions(options),
      ...(options.provider === undefined ? {} : { provider: options.provider }),
      ...(typeof options.earlyData === "function" ? { acceptEarlyData: options.earlyData } : {}),
    });
    const endpointConfig = resolveEndpointConfig({
      random: osRandom,
      ...(options.versions === undefined ? {} : { versions: options.versions }),
      ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
      addressValidation: {
        ...(options.retry === undefined ? {} : { retry: options.retry }),
        ...(options.tokenKey === undefined ? {} : { tokenKey: options.tokenKey }),
        ...(options.statelessResetKey === undefined ? {} : { statelessResetKey: options.statelessResetKey }),
      },
    });
    const endpoint = new Endpoint(endpointConfig, serverConfig);
    const host = options.host ?? "127.0.0.1";
    const driver = await EndpointDriver.bind(endpoint, {
      host,
      port: options.port ?? 0,
      type: isIPv6(host) ? "udp6" : "udp4",
      maxDatagramSize: Math.max(serverConfig.transport.maxDatagramSize, 1500),
      signal: options.signal,
    });
    return new QuicServer(driver, options);
  }

  private constructor(driver: EndpointDriver, options: QuicServerOptions) {
    this.#driver = driver;
    this.#backlog = options.acceptBacklog ?? 1024;
    this.#cancelCode = options.cancelCode ?? 0;
    this.#handshakeTimeout = options.handshakeTimeout ?? HANDSHAKE_TIMEOUT_MS;
    this.#acceptEarly = options.acceptEarly === true && options.earlyData !== undefined && options.earlyData !== false;
    driver.onConnection = (core) => this.#onConnection(core);
  }

  /** The bound address. */
  get address(): { readonly address: string; readonly port: number; readonly family: string } {
    return this.#driver.localAddress;
  }

  get port(): number {
    return this.#driver.localAddress.port;
  }

  get stats(): QuicServerStats {
    const e = this.#driver.endpoint.stats;
    return {
      accepted: this.#accepted,
      acceptedEarly: this.#acceptedEarly,
      handshakeFailures: this.#handshakeFailures,
      handshakeTimeouts: this.#handshakeTimeouts,
      handshaking: this.#handshaking,
      backlogRefused: this.#backlogRefused,
      retries: e.retries,
      dropped: e.malformed + e.unroutable + e.shortInitials + e.refused,
      datagramsReceived: this.#driver.stats.datagramsReceived,
      datagramsSent: this.#driver.stats.datagramsSent,
    };
  }

  /** The next established connection (or one whose 0-RTT was accepted, with `acceptEarly`). Rejects with {@link QuicEndpointClosedError} once the server is closed. */
  async accept(options?: QuicWaitOptions): Promise<QuicConnection> {
    throwIfAborted(options);
    for (;;) {
      const conn = this.#ready.shift();
      if (conn !== undefined) return conn;
      if (this.#closed !== undefined) throw new QuicEndpointClosedError("QUIC server closed");
      await this.#acceptWaiter.wait(options);
    }
  }

  /** Connections until the server is closed. */
  async *[Symbol.asyncIterator](): AsyncIterator<QuicConnection> {
    for (;;) {
      try {
        yield await this.accept();
      } catch (error) {
        if (error instanceof QuicEndpointClosedError) return;
        throw error;
      }
    }
  }

  /**
   * Serves every connection with `handler` in its own runtime task (see the
   * module comment) until the server is closed or `signal` aborts. When the
   * handler returns, the connection is flushed (streams it ended are
   * delivered) and closed with code 0; if it throws, closed at once.
   * Resolves when the server is closed, rejects with `CancelledError` when
   * `signal` aborts; handler tasks keep running either way.
   */
  async run(handler: (conn: QuicConnection) => unknown, options?: QuicWaitOptions): Promise<void> {
    try {
      for (;;) {
        const conn = await this.accept(options);
        spawn(async () => {
          let failed = true;
          try {
            await handler(conn);
            await conn.flush(); // what the handler ended is delivered before the close
            failed = false;
          } finally {
            // A failure stays in the task's handle; the peer learns only that the server gave up.
            await conn.close(SERVER_CLOSING, failed ? "handler failed" : "");
          }
        });
      }
    } catch (error) {
      if (error instanceof QuicEndpointClosedError) return;
      throw error;
    }
  }

  /**
   * Stops accepting, closes every connection with `errorCode` (default 0)
   * and `reason`, waits for their closing periods, and closes the socket.
   * Idempotent.
   */
  close(errorCode = SERVER_CLOSING, reason = "server closing"): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing.abort(new QuicEndpointClosedError("QUIC server closed"));
      this.#acceptWaiter.fail(new QuicEndpointClosedError("QUIC server closed"));
      for (const conn of this.#ready.splice(0)) this.#connections.add(conn);
      await Promise.all([...this.#connections].map((conn) => conn.close(errorCode, reason)));
      await this.#driver.close();
    })();
    return this.#closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #onConnection(core: Connection): QuicConnection {
    const conn = new QuicConnection(core, this.#driver, { cancelCode: this.#cancelCode });
    this.#connections.add(conn);
    this.#handshaking++;
    // Set before the driver dispatches the connection's first event, which may already settle 0-RTT.
    if (this.#acceptEarly)
      conn.onEarlyData = (accepted) => {
        conn.onEarlyData = undefined;
        if (!accepted || conn.isHandshakeComplete || conn.closedError() !== undefined) return;
        this.#acceptedEarly++;
        this.#handOut(conn);
      };
    void spawnWith(HANDSHAKE_TASK, () => this.#handshake(conn));
    void conn.drained().then(() => this.#connections.delete(conn));
    return conn;
  }

  /** The body of a handshake task (see the module comment). */
  async #handshake(conn: QuicConnection): Promise<void> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this.#handshakeTimeout);
    try {
      await conn.established({ signal: AbortSignal.any([this.#closing.signal, timeout.signal]) });
    } catch {
      // Handed out early but never taken: nobody will see it fail.
      const waiting = this.#ready.indexOf(conn);
      if (waiting >= 0) this.#ready.splice(waiting, 1);
      this.#handshakeFailures++;
      if (timeout.signal.aborted && !this.#closing.signal.aborted) {
        this.#handshakeTimeouts++;
        void conn.close(SERVER_CLOSING, "handshake timeout");
      }
      return; // a failed handshake closed itself; close() closes the rest
    } finally {
      clearTimeout(timer);
      this.#handshaking--;
    }
    this.#accepted++;
    if (!this.#handedOut.has(conn)) this.#handOut(conn);
  }

  /** Queues `conn` for `accept()`, or closes it when the server is closing or the backlog is full. */
  #handOut(conn: QuicConnection): void {
    this.#handedOut.add(conn);
    if (this.#closed !== undefined) return; // close() is closing it
    if (this.#ready.length >= this.#backlog) {
      this.#backlogRefused++;
      void conn.close(SERVER_CLOSING, "server busy");
      return;
    }
    this.#ready.push(conn);
    this.#acceptWaiter.wake();
  }
}
