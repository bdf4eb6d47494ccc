/**
 * `QuicConnection`: one QUIC connection as the application sees it, over a
 * core {@link Connection} and the {@link EndpointDriver} that feeds it.
 *
 * It turns the core's edge-triggered events into awakened waits (streams
 * readable or writable, streams opened by the peer, the stream limit
 * raised) and its close reason into the `closed` promise and typed errors.
 * Every call into the core is followed by `driver.wake()`, which batches
 * the resulting datagrams into the driver's next flush.
 *
 * @example
 * ```ts
 * import { connect } from "@zsync/quic";
 * declare const ca: string;
 * const conn = await connect("127.0.0.1", 4433, { alpn: "echo", ca });
 * const stream = await conn.openBidirectionalStream();
 * // ...
 * await conn.close(0, "done");
 * console.log(await conn.closed); // { kind: "application", remote: false, errorCode: 0, reason: "done" }
 * ```
 * @module
 */
import type { HandshakeInfo } from "@zsync/crypto/tls";
import { CancelledError } from "@zsync/runtime";
import {
  type BlockedFrameCounters,
  type CloseReason,
  type Connection,
  type ConnectionEvent,
  MigrationError,
  type PacketSpaceCounts,
  type SocketAddress,
  type StreamDirection,
} from "../proto/index.js";
import type { ConnectionSink, EndpointDriver } from "./driver.js";
import { QuicConnectionClosedError } from "./errors.js";
import { QuicSession, rememberTransportParameters } from "./session.js";
import { QuicStream, type StreamHost } from "./stream.js";
import { type QuicWaitOptions, throwIfAborted, Waiter } from "./wait.js";

/** Figures of one connection, for logs and the CLI's report. */
export interface QuicConnectionStats {
  /** Smoothed RTT in ms (RFC 9002 §5.3). */
  readonly smoothedRtt: number;
  readonly minRtt: number;
  /** Congestion window in bytes. */
  readonly congestionWindow: number;
  readonly bytesInFlight: number;
  /** UDP payload bytes of this connection, each way. */
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** QUIC packets sent and received (authenticated, duplicates excluded); coalesced packets count one each. */
  readonly packetsSent: number;
  readonly packetsReceived: number;
  /** Packets declared lost by loss detection (RFC 9002 §6.1). */
  readonly packetsLost: number;
  /**
   * Packets from the peer dropped because header protection or the AEAD tag did not check out (RFC 9001 §5.3),
   * per packet number space (0-RTT in `application`): damage on the path or forgery.
   */
  readonly authenticationFailures: Readonly<PacketSpaceCounts>;
  /** 1-RTT key updates completed, either side initiating (RFC 9001 §6). */
  readonly keyUpdates: number;
  /** Datagrams from the peer dropped because the application did not read them (at most {@link MAX_QUEUED_DATAGRAMS} wait). */
  readonly datagramsDropped: number;
  /** The QUIC version in use, e.g. 0x00000001 (v1) or 0x6b3343cf (v2). */
  readonly version: number;
  /** The negotiated ALPN protocol (RFC 9001 §8.1 requires one). */
  readonly alpn: string | undefined;
  /** The TLS cipher suite, e.g. `TLS_AES_128_GCM_SHA256`. */
  readonly cipherSuite: string | undefined;
  /**
   * DATA_BLOCKED, STREAM_DATA_BLOCKED and STREAMS_BLOCKED frames (RFC 9000 §19.12-19.14) sent and received:
   * ours say the peer's limits held us back; the peer's say ours held it back (windows too small for its rate).
   */
  readonly blockedFrames: Readonly<BlockedFrameCounters>;
}

/**
 * Received datagrams waiting for `receiveDatagram`. Datagrams are unreliable (RFC 9221 §5): an application
 * that stops reading loses the newest ones instead of growing memory without bound.
 */
export const MAX_QUEUED_DATAGRAMS = 256;

/** How long a socket a migration left stays open for the server's late packets. */
const OLD_SOCKET_GRACE_MS = 3000;

/** Internal settings shared by a server's or client's connections. */
export interface ConnectionSettings {
  /** Error code of RESET_STREAM / STOP_SENDING when a stream wait is cancelled (default 0). */
  readonly cancelCode: number;
  /** Receives NEW_TOKEN tokens (client side), for the next connection to the same server. */
  readonly onToken?: ((token: Uint8Array) => void) | undefined;
  /** Receives each resumable session the server sends (client side). */
  readonly onSession?: ((session: QuicSession) => void) | undefined;
}

/** A QUIC connection; see the module comment. */
export class QuicConnection implements ConnectionSink, StreamHost, AsyncIterable<QuicStream> {
  /** @internal */
  readonly core: Connection;
  /** @internal */
  readonly driver: EndpointDriver;
  /** @internal */
  readonly cancelCode: number;
  /** Resolves with the reason once the connection is closing or draining (never rejects). */
  readonly closed: Promise<CloseReason>;
  readonly #streams = new Map<number, QuicStream>();
  readonly #incoming: QuicStream[] = [];
  readonly #acceptWaiter = new Waiter();
  readonly #openWaiters: Record<StreamDirection, Waiter> = { bidi: new Waiter(), uni: new Waiter() };
  readonly #established: Promise<void>;
  #resolveEstablished!: () => void;
  #rejectEstablished!: (error: Error) => void;
  #resolveClosed!: (reason: CloseReason) => void;
  #drained = false;
  readonly #drainedWaiters: (() => void)[] = [];
  #info: HandshakeInfo | undefined;
  /** Server: TLS took the client's 0-RTT data (the connection is usable before its handshake completes). */
  #earlyDataAccepted = false;
  /** @internal the server's hook for `acceptEarly`: called when TLS settles the client's 0-RTT offer. */
  onEarlyData: ((accepted: boolean) => void) | undefined;
  #closeError: QuicConnectionClosedError | undefined;
  readonly #onToken: ((token: Uint8Array) => void) | undefined;
  readonly #onSession: ((session: QuicSession) => void) | undefined;
  #session: QuicSession | undefined;
  readonly #sessionWaiter = new Waiter();
  readonly #datagrams: Uint8Array[] = [];
  readonly #datagramWaiter = new Waiter();
  #datagramsDropped = 0;
  /** The `migrate` under way: the socket it left behind on success, and how to settle it. */
  #migration: { readonly previous: SocketAddress | undefined; readonly settle: (error?: Error) => void } | undefined;

  /** @internal created by `connect` and `QuicServer` */
  constructor(core: Connection, driver: EndpointDriver, settings: ConnectionSettings) {
    this.core = core;
    this.driver = driver;
    this.cancelCode = settings.cancelCode;
    this.#onToken = settings.onToken;
    this.#onSession = settings.onSession;
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.#established = new Promise((resolve, reject) => {
      this.#resolveEstablished = resolve;
      this.#rejectEstablished = reject;
    });
    // A handshake failure is also reported through `closed`; nobody has to await this one.
    this.#established.catch(() => {});
  }

  /** "client" or "server". */
  get side(): "client" | "server" {
    return this.core.side;
  }

  /** The peer's address. */
  get remoteAddress(): { readonly address: string; readonly port: number } {
    return this.core.remoteAddress;
  }

  /**
   * True from the end of the handshake until the connection starts closing (the seeds' `isActive`). A server
   * connection handed out early (`QuicServer`'s `acceptEarly`) is active from its 0-RTT acceptance.
   */
  get isActive(): boolean {
    return (this.#info !== undefined || this.#earlyDataAccepted) && this.#closeError === undefined;
  }

  /**
   * True once the TLS handshake completed on this side (the client's Finished verified, on a server). Always true
   * for connections `accept()` returns, except those a server with `acceptEarly` hands out at 0-RTT acceptance:
   * their early requests may be replays (RFC 9001 §9.2) until `await conn.established()` resolves.
   */
  get isHandshakeComplete(): boolean {
    return this.#info !== undefined;
  }

  /** The negotiated ALPN protocol (on a server, known before the handshake completes: see `acceptEarly`). */
  get alpn(): string | undefined {
    return this.#info?.alpnProtocol ?? this.core.alpnProtocol;
  }

  /** TLS details of the handshake (cipher suite, group, ALPN, SNI, peer certificates), once complete. */
  get handshake(): HandshakeInfo | undefined {
    return this.#info;
  }

  /** Resolves when the handshake completed; rejects with the close error if it failed. */
  established(options?: QuicWaitOptions): Promise<void> {
    if (options?.signal === undefined) return this.#established;
    throwIfAborted(options);
    const signal = options.signal;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(CancelledError.from(signal.reason));
      signal.addEventListener("abort", onAbort, { once: true });
      this.#established.then(
        () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        },
        (error: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  }

  /** Transport and TLS figures now (see {@link QuicConnectionStats}). */
  get stats(): QuicConnectionStats {
    const core = this.core.stats;
    return {
      smoothedRtt: core.smoothedRtt,
      minRtt: core.minRtt,
      congestionWindow: core.congestionWindow,
      bytesInFlight: core.bytesInFlight,
      bytesSent: core.bytesSent,
      bytesReceived: core.bytesReceived,
      packetsSent: core.packetsSent,
      packetsReceived: core.packetsReceived,
      packetsLost: core.packetsLost,
      authenticationFailures: core.authenticationFailures,
      keyUpdates: this.core.keyUpdates,
      datagramsDropped: this.#datagramsDropped,
      version: this.core.version,
      alpn: this.#info?.alpnProtocol,
      cipherSuite: this.#info?.cipherSuite.name,
      blockedFrames: {
        dataBlockedSent: core.dataBlockedSent,
        streamDataBlockedSent: core.streamDataBlockedSent,
        streamsBlockedSent: core.streamsBlockedSent,
        dataBlockedReceived: core.dataBlockedReceived,
        streamDataBlockedReceived: core.streamDataBlockedReceived,
        streamsBlockedReceived: core.streamsBlockedReceived,
      },
    };
  }

  // ------------------------------------------------------------ resumption

  /**
   * Client: the latest resumable session the server sent (NewSessionTicket,
   * RFC 9001 §4.5), or undefined before the first one. Pass it as
   * `connect({ session })` to resume; save it with `session.encode()`.
   */
  get session(): QuicSession | undefined {
    return this.#session;
  }

  /**
   * Client: resolves with a resumable session once the server sent one
   * (at once if it already did). Servers send tickets right after the
   * handshake, so this is what to await before closing a connection whose
   * session you want to keep. Rejects with the close error if the
   * connection ends first (a server with tickets disabled never sends one).
   */
  async sessionReady(options?: QuicWaitOptions): Promise<QuicSession> {
    throwIfAborted(options);
    for (;;) {
      if (this.#session !== undefined) return this.#session;
      if (this.#closeError !== undefined) throw this.#closeError;
      await this.#sessionWaiter.wait(options);
    }
  }

  // ------------------------------------------------------------- key update

  /**
   * Starts a 1-RTT key update (RFC 9001 §6): our next packets use the next
   * generation of keys and the peer follows. Returns false when §6.1 does
   * not allow one now (handshake not confirmed yet, or the previous update
   * not acknowledged yet); try again later. Updates also happen by
   * themselves near the AEAD limits (§6.6); `stats.keyUpdates` counts them.
   */
  updateKeys(): boolean {
    if (this.#closeError !== undefined) return false;
    if (!this.core.initiateKeyUpdate()) return false;
    this.driver.wake();
    return true;
  }

  // ------------------------------------------------------------- migration

  /**
   * Client: moves this connection to a new local UDP socket (RFC 9000 §9.2), e.g. after a network change or to
   * unlink traffic from the old port. Binds a socket on `localHost` (default: the first socket's address) with a
   * new port, validates the path from it with PATH_CHALLENGE before anything else uses it, then sends everything
   * from it; the server follows. Streams carry on across the switch. Resolves once switched; the old socket is
   * closed a few seconds later (late packets to it still count). Rejects with `MigrationError`: `reason` says
   * why §9 does not allow it now (server side, handshake not confirmed, the server's disable_active_migration,
   * no spare connection ID from the server, another migration under way) or `validation-failed` when the new
   * path did not answer within three PTOs (the connection stays on the old socket).
   */
  async migrate(options?: QuicWaitOptions & { readonly localHost?: string }): Promise<void> {
    throwIfAborted(options);
    if (this.#closeError !== undefined) throw this.#closeError;
    if (this.core.side !== "client") throw new MigrationError("server", "only a client initiates migration (RFC 9000 §9)");
    if (this.#migration !== undefined) throw new MigrationError("in-progress", "a migration is already being validated");
    const local = await this.driver.bindSocket(options?.localHost ?? this.driver.localAddress.address, 0, options?.signal);
    const previous = this.core.localAddress;
    try {
      if (this.#closeError !== undefined) throw this.#closeError;
      this.core.migrate(this.driver.now(), local);
    } catch (error) {
      this.driver.closeSocket(local);
      throw error;
    }
    this.driver.wake();
    const done = new Promise<void>((resolve, reject) => {
      this.#migration = { previous, settle: (error) => (error === undefined ? resolve() : reject(error)) };
    });
    const signal = options?.signal;
    if (signal === undefined) return done;
    // Cancelling stops the wait only: the probe runs its course (and a late success still switches).
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(CancelledError.from(signal.reason));
      signal.addEventListener("abort", onAbort, { once: true });
      done.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  #onPathEvent(event: Extract<ConnectionEvent, { type: "path-changed" | "migration-failed" }>): void {
    const migration = this.#migration;
    if (migration === undefined) return;
    if (event.type === "path-changed" && event.reason === "migrated") {
      this.#migration = undefined;
      // Packets the server sent before it saw us move still arrive on the old socket for about an RTT.
      setTimeout(() => this.driver.closeSocket(migration.previous), OLD_SOCKET_GRACE_MS).unref();
      migration.settle();
    } else if (event.type === "migration-failed") {
      this.#migration = undefined;
      this.driver.closeSocket(event.local);
      migration.settle(new MigrationError("validation-failed", "the new path did not answer PATH_CHALLENGE in time (RFC 9000 §8.2.4)"));
    }
  }

  // ------------------------------------------------------------- datagrams

  /**
   * Largest payload {@link sendDatagram} takes now: 0 until the peer's
   * transport parameters allow DATAGRAM frames (RFC 9221 §3; both sides
   * set `maxDatagramFrameSize`), then what fits one packet.
   */
  get maxDatagramPayload(): number {
    return this.core.maxDatagramPayload;
  }

  /**
   * Sends an unreliable datagram (RFC 9221): once, congestion controlled,
   * never retransmitted. Returns false when the send queue is full (the
   * datagram is not sent). Throws `DatagramError` when the peer takes no
   * datagrams or `data` is larger than {@link maxDatagramPayload}.
   */
  sendDatagram(data: Uint8Array): boolean {
    if (this.#closeError !== undefined) throw this.#closeError;
    const queued = this.core.sendDatagram(data);
    if (queued) this.driver.wake();
    return queued;
  }

  /** The next datagram from the peer. Rejects with the close error once the connection ended and none is left. */
  async receiveDatagram(options?: QuicWaitOptions): Promise<Uint8Array> {
    throwIfAborted(options);
    for (;;) {
      const datagram = this.#datagrams.shift();
      if (datagram !== undefined) return datagram;
      if (this.#closeError !== undefined) throw this.#closeError;
      await this.#datagramWaiter.wait(options);
    }
  }

  /** Datagrams from the peer until the connection ends (then the loop simply stops). */
  async *datagrams(options?: QuicWaitOptions): AsyncGenerator<Uint8Array, void, undefined> {
    for (;;) {
      try {
        yield await this.receiveDatagram(options);
      } catch (error) {
        if (error instanceof QuicConnectionClosedError) return;
        throw error;
      }
    }
  }

  // --------------------------------------------------------------- streams

  /** Opens a bidirectional stream, waiting while the peer's stream limit (MAX_STREAMS) is reached. */
  openBidirectionalStream(options?: QuicWaitOptions): Promise<QuicStream> {
    return this.#open("bidi", options);
  }

  /** Opens a unidirectional (send-only) stream, waiting while the peer's limit is reached. */
  openUnidirectionalStream(options?: QuicWaitOptions): Promise<QuicStream> {
    return this.#open("uni", options);
  }

  async #open(direction: StreamDirection, options: QuicWaitOptions | undefined): Promise<QuicStream> {
    throwIfAborted(options);
    // With 0-RTT keys a stream opens at once and its data goes as early data (see `connect`'s `earlyData`); a server
    // that took 0-RTT opens one at once too, and its data leaves as 0.5-RTT data (RFC 9001 §4.1.1).
    if (!this.core.isEarlyDataAvailable && !this.#earlyDataAccepted) await this.established(options);
    for (;;) {
      if (this.#closeError !== undefined) throw this.#closeError;
      const id = this.core.openStream(direction);
      if (id !== undefined) {
        const stream = new QuicStream(this, id, true);
        this.#streams.set(id, stream);
        return stream;
      }
      await this.#openWaiters[direction].wait(options);
    }
  }

  /** The next stream the peer opened (either direction). Rejects with the close error once the connection ended. */
  async acceptStream(options?: QuicWaitOptions): Promise<QuicStream> {
    throwIfAborted(options);
    for (;;) {
      const stream = this.#incoming.shift();
      if (stream !== undefined) return stream;
      if (this.#closeError !== undefined) throw this.#closeError;
      await this.#acceptWaiter.wait(options);
    }
  }

  /** Streams the peer opens, until the connection ends (then the loop simply stops). */
  async *[Symbol.asyncIterator](): AsyncIterator<QuicStream> {
    for (;;) {
      try {
        yield await this.acceptStream();
      } catch (error) {
        if (error instanceof QuicConnectionClosedError) return;
        throw error;
      }
    }
  }

  // ----------------------------------------------------------------- close

  /**
   * Resolves once every stream we ended (`end()`) had all its data and FIN
   * acknowledged, or was stopped or reset, or the connection ended. Call it
   * before `close()` for a graceful end: `close()` is immediate, and data
   * not yet delivered is lost with it (RFC 9000 §10.2). Streams not ended
   * are not waited for.
   */
  async flush(options?: QuicWaitOptions): Promise<void> {
    for (const stream of [...this.#streams.values()]) {
      if (!stream.flushing) continue;
      try {
        await stream.finished(options);
      } catch (error) {
        if (error instanceof CancelledError) throw error;
        // stopped, reset or closed: nothing left to deliver on this stream
      }
    }
  }

  /**
   * Closes with an application error code and reason (CONNECTION_CLOSE,
   * RFC 9000 §10.2); the peer sees both. Immediate: data not yet
   * acknowledged is abandoned (`await flush()` first for a graceful end).
   * Resolves once the closing period is over. Idempotent.
   */
  close(errorCode = 0, reason = ""): Promise<void> {
    if (this.#closeError === undefined && !this.#drained) {
      this.core.close(this.driver.now(), errorCode, reason);
      this.driver.wake();
    }
    return this.drained();
  }

  /** Resolves after the closing/draining period, when the connection is forgotten. */
  drained(): Promise<void> {
    if (this.#drained) return Promise.resolve();
    return new Promise((resolve) => this.#drainedWaiters.push(resolve));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ------------------------------------------------------------ StreamHost

  /** @internal */
  closedError(): Error | undefined {
    return this.#closeError;
  }

  /** @internal */
  forget(stream: QuicStream): void {
    this.#streams.delete(stream.id);
  }

  // ---------------------------------------------------------------- events

  /** @internal called by the driver for each core event, in order. */
  handleEvent(event: ConnectionEvent): void {
    switch (event.type) {
      case "connected":
        this.#info = event.info;
        this.#resolveEstablished();
        return;
      case "handshake-confirmed":
        return;
      case "early-data":
        if (this.side === "server" && event.accepted) this.#earlyDataAccepted = true;
        this.onEarlyData?.(event.accepted);
        return;
      case "new-token":
        this.#onToken?.(event.token);
        return;
      case "session": {
        const params = this.core.peerTransportParameters;
        // Tickets come after the handshake, so the server's parameters are known: remember them with it (RFC 9000 §7.4.1).
        this.#session = new QuicSession(event.session, params === undefined ? undefined : rememberTransportParameters(params));
        this.#onSession?.(this.#session);
        this.#sessionWaiter.wake();
        return;
      }
      case "datagram":
        if (this.#datagrams.length >= MAX_QUEUED_DATAGRAMS) this.#datagramsDropped++;
        else this.#datagrams.push(event.data);
        this.#datagramWaiter.wake();
        return;
      case "stream-opened":
        for (let id = this.core.acceptStream(event.direction); id !== undefined; id = this.core.acceptStream(event.direction)) {
          const stream = new QuicStream(this, id, false);
          this.#streams.set(id, stream);
          this.#incoming.push(stream);
        }
        this.#acceptWaiter.wake();
        return;
      case "streams-available":
        this.#openWaiters[event.direction].wake();
        return;
      case "stream-readable":
        this.#streams.get(event.id)?.onReadable();
        return;
      case "stream-writable":
        this.#streams.get(event.id)?.onWritable();
        return;
      case "stream-finished":
        this.#streams.get(event.id)?.onFinished();
        return;
      case "stream-reset":
        this.#streams.get(event.id)?.onReset(event.errorCode);
        return;
      case "stream-stopped":
        this.#streams.get(event.id)?.onStopped(event.errorCode);
        return;
      case "path-changed":
      case "migration-failed":
        this.#onPathEvent(event);
        return;
      case "closed":
        this.#onClosed(event.reason);
        return;
      case "drained":
        this.#drained = true;
        if (this.#closeError === undefined && this.core.closeReason !== undefined) this.#onClosed(this.core.closeReason);
        for (const resolve of this.#drainedWaiters.splice(0)) resolve();
        return;
    }
  }

  #onClosed(reason: CloseReason): void {
    if (this.#closeError !== undefined) return;
    const error = QuicConnectionClosedError.from(reason);
    this.#closeError = error;
    this.#rejectEstablished(error);
    this.#resolveClosed(reason);
    this.#acceptWaiter.fail(error);
    this.#openWaiters.bidi.fail(error);
    this.#openWaiters.uni.fail(error);
    this.#sessionWaiter.fail(error);
    this.#datagramWaiter.fail(error);
    this.#migration?.settle(error);
    this.#migration = undefined;
    for (const stream of this.#streams.values()) stream.onClosed(error);
  }
}
