/**
 * `connect()`: a client connection on its own UDP socket (one connection
 * per socket, as quinn's and ngtcp2's example clients do), resolved once
 * the handshake completed. The socket closes itself when the connection
 * has drained.
 *
 * @example
 * ```ts
 * import { connect } from "@zsync/quic";
 * declare const caPem: string;
 * await using conn = await connect("localhost", 4433, { alpn: "echo", ca: caPem });
 * ```
 * @module
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { CertificateInput } from "@zsync/crypto/tls";
import { dangerouslyAcceptAnyCertificateForTestsOnly } from "@zsync/crypto/tls";
import { CancelledError, currentTask, spawnUrgent } from "@zsync/runtime";
import { Endpoint, resolveClientConfig, resolveEndpointConfig, TransportErrorCode } from "../proto/index.js";
import { QuicConnection } from "./connection.js";
import { EndpointDriver } from "./driver.js";
import { alpnList, type CommonOptions, DEFAULT_VERSION, osRandom, transportOptions } from "./options.js";
import type { QuicSession } from "./session.js";

/** Options of {@link connect}. */
export interface QuicConnectOptions extends CommonOptions {
  /** Name for SNI and certificate verification (default: `host` unless it is an IP literal). */
  readonly serverName?: string;
  /** Trust anchors (PEM/DER); default: the system roots. */
  readonly ca?: CertificateInput;
  /** Accept any server certificate (CertificateVerify is still checked). Tests and debugging only. */
  readonly insecure?: boolean;
  /** Local address to bind (default: the wildcard of the server's family). */
  readonly localHost?: string;
  /** Aborts the handshake (the connection is closed and `connect` rejects with `CancelledError`). */
  readonly signal?: AbortSignal;
  /** Where NEW_TOKEN tokens are kept between connections (default: one in-memory store per process). */
  readonly tokens?: QuicTokenStore;
  /**
   * A session from an earlier connection to this server (`conn.session`,
   * `conn.sessionReady()`, or `QuicSession.decode` of a saved one): the
   * handshake resumes with its ticket (RFC 9001 §4.5; no certificate
   * exchange, `handshake.resumed`). An expired or refused ticket falls back
   * to a full handshake. Use each session once.
   */
  readonly session?: QuicSession;
  /** Called with every resumable session the server sends on this connection (the latest is also `conn.session`). */
  readonly onSession?: (session: QuicSession) => void;
  /**
   * 0-RTT (RFC 9001 §4.6): with a `session` whose ticket allows early data and that remembers the server's
   * limits, `connect` resolves at once, before the handshake, and streams opened then carry their data in 0-RTT
   * packets. `conn.established()` waits for the handshake; `conn.handshake.earlyDataAccepted` says whether the
   * server took the data early (if not, it was resent after the handshake). The server can replay early data
   * (RFC 9001 §9.2): send only requests that are safe to process twice. Without such a session: a normal connect.
   */
  readonly earlyData?: boolean;
}

/**
 * Address-validation tokens a server gave us with NEW_TOKEN (RFC 9000
 * §8.1.3), by server. Presenting one on the next connection spares the
 * Retry round trip and the 3x amplification limit of an unvalidated
 * client. Each token is used once (`take` removes it): reusing one would
 * let observers link our connections (§8.1.3).
 */
export interface QuicTokenStore {
  take(server: string): Uint8Array | undefined;
  put(server: string, token: Uint8Array): void;
}

/** The default {@link QuicTokenStore}: the latest token per server, in memory, at most `capacity` servers. */
export class MemoryTokenStore implements QuicTokenStore {
  readonly #tokens = new Map<string, Uint8Array>();
  readonly #capacity: number;

  constructor(capacity = 256) {
    this.#capacity = capacity;
  }

  /** Servers with a token waiting. */
  get size(): number {
    return this.#tokens.size;
  }

  take(server: string): Uint8Array | undefined {
    const token = this.#tokens.get(server);
    this.#tokens.delete(server);
    return token;
  }

  put(server: string, token: Uint8Array): void {
    this.#tokens.delete(server);
    this.#tokens.set(server, token.slice());
    if (this.#tokens.size > this.#capacity) this.#tokens.delete(this.#tokens.keys().next().value as string);
  }
}

const processTokens = new MemoryTokenStore();

/**
 * Connects to `host:port` and resolves once the handshake completed.
 * Rejects with a `QuicConnectionClosedError` subclass when the handshake
 * fails (a TLS alert arrives as {@link QuicTransportClosedError} with
 * CRYPTO_ERROR 0x01xx; an unreachable server as {@link QuicIdleTimeoutError}).
 *
 * The wait for the handshake is an urgent runtime task (`spawnUrgent`: it
 * starts before queued normal tasks), a child of the calling task: if that
 * task is cancelled, or `signal` aborts, the half-made connection is closed
 * and `connect` rejects with `CancelledError`. The handshake's packets are
 * processed in the UDP driver's callbacks, not in a task.
 */
export async function connect(host: string, port: number, options: QuicConnectOptions): Promise<QuicConnection> {
  if (options.signal?.aborted) throw CancelledError.from(options.signal.reason);
  const address = isIP(host) !== 0 ? host : (await lookup(host)).address;
  const family = isIP(address) === 6 ? "udp6" : "udp4";
  const serverName = options.serverName ?? (isIP(host) === 0 ? host : undefined);
  const config = resolveClientConfig({
    tls: {
      alpnProtocols: alpnList(options.alpn),
      ...(serverName === undefined ? {} : { serverName }),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.insecure === true ? { verifier: dangerouslyAcceptAnyCertificateForTestsOnly() } : {}),
      ...(options.keyLog === undefined ? {} : { keyLog: options.keyLog }),
      ...(options.session === undefined ? {} : { session: options.session.tls }),
      ...(options.earlyData === true && options.session?.transportParameters !== undefined ? { earlyData: true } : {}),
    },
    transport: transportOptions(options),
    version: options.version ?? DEFAULT_VERSION,
    ...(options.provider === undefined ? {} : { provider: options.provider }),
  });
  const endpoint = new Endpoint(resolveEndpointConfig({ random: osRandom, versions: [config.version] }));
  const driver = await EndpointDriver.bind(endpoint, {
    host: options.localHost ?? (family === "udp6" ? "::" : "0.0.0.0"),
    port: 0,
    type: family,
    maxDatagramSize: Math.max(config.transport.maxDatagramSize, 1500),
    signal: options.signal,
  });
  // Tokens are per server name (the server validates our address with it, whatever address it has now), and port.
  const tokens = options.tokens ?? processTokens;
  const tokenKey = `${serverName ?? address}:${port}`;
  const early = options.earlyData === true ? options.session?.transportParameters : undefined;
  const core = endpoint.connect(driver.now(), config, { address, port }, tokens.take(tokenKey), early);
  const conn = new QuicConnection(core, driver, {
    cancelCode: options.cancelCode ?? 0,
    onToken: (token) => tokens.put(tokenKey, token),
    onSession: options.onSession,
  });
  driver.register(core, conn);
  driver.closeWhenIdle = true;
  driver.wake();
  if (core.isEarlyDataAvailable) return conn; // 0-RTT: streams can be used now; `established()` is the handshake
  // The handshake is owned by an urgent task (a child of the caller's task, if any): it starts ahead of queued normal
  // tasks, and cancelling the caller's task cancels it, which closes the half-made connection.
  try {
    await spawnUrgent(awaitHandshake, conn, options.signal);
  } catch (error) {
    void conn.close(TransportErrorCode.NO_ERROR, "connect cancelled"); // also when cancelled before the task started
    throw error;
  }
  return conn;
}

/** The body of `connect`'s handshake task: waits for the handshake; the task's cancellation or `signal` closes the connection. */
async function awaitHandshake(conn: QuicConnection, signal: AbortSignal | undefined): Promise<void> {
  const task = currentTask()?.signal; // read before the first await (browsers lose the ambient task after it)
  const stop = task === undefined ? signal : signal === undefined ? task : AbortSignal.any([task, signal]);
  try {
    await conn.established(stop === undefined ? undefined : { signal: stop });
  } catch (error) {
    if (stop?.aborted) {
      void conn.close(TransportErrorCode.NO_ERROR, "connect cancelled");
      throw CancelledError.from(stop.reason);
    }
    throw error;
  }
}
