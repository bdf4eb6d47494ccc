/**
 * One QUIC connection as a sans-I/O state machine (RFC 9000, 9001, 9002):
 * datagrams and time go in, datagrams, one deadline and events come out.
 * It never reads a clock, opens a socket or sets a timer, so the same code
 * runs under the Node driver, the simulated network of the tests and a
 * fuzzer, and every run is reproducible.
 *
 * ## Driver contract (the order matters; quinn-proto's is the model)
 *
 * 1. Feed input as it happens: `handleDatagram(now, datagram, remote, local)`
 *    for every UDP datagram routed to this connection (`local` only for a
 *    socket other than the endpoint's own, see `migrate`; the connection may
 *    decrypt it in place: pass a buffer you do not reuse until the call
 *    returns), and `handleTimeout(now)` whenever `now >= pollTimeout()`.
 *    Calling `handleTimeout` early is harmless.
 * 2. After any input (and after any API call such as `streamWrite` or
 *    `close`), drain output: call `pollTransmit(now, buffer)` until it
 *    returns undefined, sending `buffer[0, length)` to `transmitRemote`
 *    from `transmitLocal` each time (usually the current path; a probe
 *    goes on its own path, RFC 9000 §8.2.2). `buffer` must hold at least
 *    1200 bytes; `maxDatagramSize` is enough.
 * 3. Drain `pollEvent()` until undefined and act on the events.
 * 4. Re-arm one timer at `pollTimeout()` (undefined: none).
 * 5. Forget the connection after the `drained` event (`isDrained`).
 *
 * `now` is in milliseconds on any monotonic clock and must never go
 * backwards.
 *
 * ## What happens inside
 *
 * Three packet number spaces (spaces.ts) with their keys; TLS 1.3 runs in
 * `@zsync/crypto/tls`'s engine, fed CRYPTO frames per level and emitting
 * handshake bytes and secrets per level; loss detection and NewReno come
 * from recovery/ and congestion/. Initial keys are discarded when the
 * client first sends (and the server first receives) a Handshake packet,
 * Handshake keys when the handshake is confirmed (RFC 9001 §4.9). A server
 * sends at most three times what it received until the client's address
 * is validated (RFC 9000 §8.1). The idle timer, CONNECTION_CLOSE and the
 * closing/draining periods follow §10.
 *
 * @example
 * ```ts
 * import { Connection, resolveClientConfig } from "@zsync/quic/proto";
 * declare const socket: { send(bytes: Uint8Array): void };
 * declare function random(out: Uint8Array): Uint8Array;
 * const now = performance.now();
 * const buf = new Uint8Array(1500);
 * const conn = Connection.connect(now, resolveClientConfig({ tls: { serverName: "example", alpnProtocols: ["zq"] } }),
 *   { remote: { address: "192.0.2.1", port: 4433 }, random });
 * for (let n = conn.pollTransmit(now, buf); n !== undefined; n = conn.pollTransmit(now, buf)) socket.send(buf.subarray(0, n));
 * ```
 * @module
 */
import { type HandshakeInfo, TlsClientEngine, TlsError, type TlsEvent, type TlsLevel, TlsServerEngine } from "@zsync/crypto/tls";
import type { ClientConfig, ServerConfig, TransportConfig } from "../config.js";
import type { CongestionController } from "../congestion/controller.js";
import { Cubic } from "../congestion/cubic.js";
import { NewReno } from "../congestion/new-reno.js";
import { AeadUsage } from "../crypto/aead-limits.js";
import { createPacketKeys, initialSecrets, type PacketKeys } from "../crypto/packet-keys.js";
import { minimumPayloadLength, OpenedPacket, openPacket, sealPacket, TAG_LENGTH } from "../crypto/packet-protection.js";
import { matchesResetToken } from "../crypto/stateless-reset.js";
import { isAcceptableRetry } from "../endpoint/retry.js";
import { PacketDecodeError, TransportError, TransportErrorCode } from "../errors.js";
import type { CloseReason, ConnectionEvent, StreamDirection } from "../events.js";
import { LossDetection, PacketNumberSpace } from "../recovery/loss-detection.js";
import { Pacer } from "../recovery/pacer.js";
import type { ReadResult } from "../streams/recv-stream.js";
import { AckRangeList, ackRangesThatFit, writeAckFrame } from "../wire/ack-frame.js";
import {
  type Frame,
  type FramePacketType,
  FrameType,
  isAckEliciting,
  isProbingFrame,
  readFrame,
  writeConnectionCloseFrame,
  writeCryptoFrame,
} from "../wire/frame.js";
import { negotiationVersions, PacketHeader, parsePacketHeader, writeLongHeader, writeShortHeader } from "../wire/packet-header.js";
import { packetNumberLength } from "../wire/packet-number.js";
import { Reader } from "../wire/reader.js";
import { encodeTransportParameters } from "../wire/transport-parameters.js";
import { varintLength, writeVarintWithLength } from "../wire/varint.js";
import { Writer } from "../wire/writer.js";
import { LocalConnectionIds, RemoteConnectionIds, type RoutingChange } from "./cid-state.js";
import { DatagramError, Datagrams } from "./datagrams.js";
import { checkEarlyLimits, EarlyData, type EarlyTransportParameters, earlyPeerParameters } from "./early-data.js";
import { KeyUpdateState } from "./key-update.js";
import { MigrationError, onlyPortsDiffer, Path, PathTable, type RttSnapshot } from "./path.js";
import { PathCongestion } from "./path-congestion.js";
import { SentFrames } from "./sent-frames.js";
import { PacketSpace } from "./spaces.js";
import { type BlockedFrameCounters, noBlockedFrames, StreamManager, StreamStateError } from "./streams.js";
import { buildTransportParameters, type PeerTransportParameters, validatePeerTransportParameters } from "./transport-params.js";

/** A UDP peer address: the shape of Node's `dgram` rinfo, opaque to the core beyond equality. */
export interface SocketAddress {
  readonly address: string;
  readonly port: number;
}

/** Counters of one connection. */
export interface ConnectionCounters {
  /** Packets sent (coalesced packets count one each). */
  packetsSent: number;
  /** Packets received and authenticated (duplicates excluded), whether or not their frames were valid. */
  packetsReceived: number;
  /** Packets declared lost by loss detection (RFC 9002 §6.1). */
  packetsLost: number;
  /** UDP payload bytes sent. */
  bytesSent: number;
  /** UDP payload bytes received (datagrams routed to this connection, valid or not). */
  bytesReceived: number;
  /**
   * Packets whose header protection or AEAD tag did not check out under the keys of their space, dropped (RFC 9001
   * §5.3, §9.5): damage on the path or forgery. 0-RTT packets count in `application`. Packets that arrived before
   * their keys (buffered or dropped) are not failures. A copy per `stats` call.
   */
  readonly authenticationFailures: PacketSpaceCounts;
}

/** A count per packet number space (RFC 9000 §12.3). */
export interface PacketSpaceCounts {
  initial: number;
  handshake: number;
  application: number;
}

/** {@link Connection.stats}: recovery state plus counters. */
export interface ConnectionStats extends ConnectionCounters, Readonly<BlockedFrameCounters> {
  readonly smoothedRtt: number;
  readonly minRtt: number;
  readonly congestionWindow: number;
  readonly bytesInFlight: number;
}

/** Lifecycle (RFC 9000 §10): handshake -> established -> closing | draining -> drained. */
export type ConnectionState = "handshake" | "established" | "closing" | "draining" | "drained";

/** Extra inputs of {@link Connection.connect}. */
export interface ConnectOptions {
  readonly remote: SocketAddress;
  /** Entropy for connection IDs (the core has none of its own). */
  readonly random: (out: Uint8Array) => void;
  /** Length of the connection IDs we issue (default 8). */
  readonly cidLength?: number;
  /** A token from a NEW_TOKEN frame of an earlier connection to this server, echoed in our Initials (RFC 9000 §8.1.3). */
  readonly token?: Uint8Array | undefined;
  /** Stateless reset token of each connection ID we issue (§10.3; the endpoint's key). Default: random tokens. */
  readonly resetToken?: ((cid: Uint8Array) => Uint8Array) | undefined;
  /**
   * The server's transport parameters remembered with `tls.session` (RFC 9000 §7.4.1). With them, `tls.earlyData`
   * and a ticket allowing early data, streams can be opened and written at once and go out as 0-RTT (RFC 9001 §4.6).
   */
  readonly earlyTransportParameters?: EarlyTransportParameters | undefined;
}

/** What the endpoint learned from a client's first Initial, for {@link Connection.accept}. */
export interface AcceptOptions {
  readonly remote: SocketAddress;
  readonly random: (out: Uint8Array) => void;
  /** Destination Connection ID of the client's first Initial (keys and original_destination_connection_id). */
  readonly originalDestinationCid: Uint8Array;
  /** Source Connection ID of the client's first Initial. */
  readonly clientSourceCid: Uint8Array;
  /** Our connection ID for this connection (routed to it by the endpoint). */
  readonly localCid: Uint8Array;
  readonly version: number;
  /** After a Retry: the connection IDs our transport parameters must carry (RFC 9000 §7.3); keys still come from `originalDestinationCid`. */
  readonly retry?: { readonly originalDestinationCid: Uint8Array; readonly retrySourceCid: Uint8Array } | undefined;
  /** The client's token validated its address (§8.1.2, §8.1.3): no anti-amplification limit. */
  readonly addressValidated?: boolean | undefined;
  /** Our stateless_reset_token for `localCid` (§10.3, §18.2). */
  readonly statelessResetToken?: Uint8Array | undefined;
  /** A NEW_TOKEN token to send once the handshake is confirmed (§8.1.3). */
  readonly newToken?: Uint8Array | undefined;
  /** Stateless reset token of each further connection ID we issue (§10.3, §19.15; the endpoint's key). Default: random. */
  readonly resetToken?: ((cid: Uint8Array) => Uint8Array) | undefined;
}

const LEVEL_SPACE: Readonly<Record<TlsLevel, PacketNumberSpace | undefined>> = {
  initial: PacketNumberSpace.Initial,
  early: undefined,
  handshake: PacketNumberSpace.Handshake,
  application: PacketNumberSpace.ApplicationData,
};
const SPACE_LEVEL: readonly TlsLevel[] = ["initial", "handshake", "application"];
/** Stats of a connection whose stream layer does not exist yet. */
const NO_BLOCKED_FRAMES: Readonly<BlockedFrameCounters> = Object.freeze(noBlockedFrames());

const SPACE_PACKET_TYPE: readonly FramePacketType[] = ["initial", "handshake", "1rtt"];
const EMPTY = new Uint8Array(0);
/** A client's datagrams carrying Initial packets are padded to this size (RFC 9000 §14.1). */
const MIN_INITIAL_DATAGRAM = 1200;
/** Smallest room worth starting a packet in: header, a frame and the tag. */
const MIN_PACKET_ROOM = 64;
/** Our ACK Delay exponent is fixed by the config; ack delays are encoded in microseconds (§19.3). */
const MICROS_PER_MS = 1000;

/** The connection; see the module comment for the driver contract. */
export class Connection {
  /** "client" or "server". */
  readonly side: "client" | "server";
  readonly #transport: TransportConfig;
  readonly #provider: ClientConfig["provider"];
  readonly #tls: TlsClientEngine | TlsServerEngine;
  readonly #spaces: readonly [PacketSpace, PacketSpace, PacketSpace];
  /** Not readonly: a Retry starts recovery and congestion control over (RFC 9002 §6.3). */
  #loss: LossDetection<SentFrames>;
  readonly #events: ConnectionEvent[] = [];
  readonly #version: number;
  #state: ConnectionState = "handshake";
  /** The connection ID we chose; the peer sends packets to it. */
  readonly localCid: Uint8Array;
  /** The connection ID we send to: the server's choice once its first Initial arrived. */
  #remoteCid: Uint8Array;
  /** Client: the random DCID of its first Initial. Server: the DCID of the client's first Initial. */
  readonly #originalDcid: Uint8Array;
  #peerParams: PeerTransportParameters | undefined;
  /** The stream layer, created when the peer's transport parameters arrive. */
  #streams: StreamManager | undefined;
  #handshakeComplete = false;
  /** Client: the ALPN protocol of the completed handshake. */
  #alpn: string | undefined;
  #handshakeConfirmed = false;
  #handshakeDonePending = false;
  /** Client: has received a packet from the server (its SCID is now our DCID, §7.2). */
  #receivedFromPeer = false;
  /** Server: the client's address is validated (a Handshake packet arrived, §8.1). Clients: always. */
  #addressValidated: boolean;
  /** Bytes received and sent, for the anti-amplification limit (server, until the address is validated). */
  #bytesReceived = 0;
  #bytesSent = 0;
  readonly #counters: ConnectionCounters = {
    packetsSent: 0,
    packetsReceived: 0,
    packetsLost: 0,
    bytesSent: 0,
    bytesReceived: 0,
    authenticationFailures: { initial: 0, handshake: 0, application: 0 },
  };
  /** Idle deadline (§10.1); undefined before the first packet exchange settles it. */
  #idleDeadline: number | undefined;
  /** An ack-eliciting packet was sent since the last packet was received (§10.1 restart rule). */
  #ackElicitingSentSinceReceive = false;
  /** End of the closing or draining period. */
  #closeDeadline: number | undefined;
  #closeReason: CloseReason | undefined;
  /** The CONNECTION_CLOSE to (re)send while closing. */
  #closeFrame: { application: boolean; errorCode: number; frameType: number; reason: Uint8Array } | undefined;
  #closeSendPending = false;
  /** Datagrams received while closing, and the count at which the next one is answered (§10.2.1: 1, 2, 4, 8...). */
  #closingReceived = 0;
  #closingAnswerAt = 1;
  readonly #header = new PacketHeader();
  readonly #opened = new OpenedPacket();
  readonly #reader = new Reader("frame");
  readonly #writer = new Writer(EMPTY);
  readonly #ackRanges = new AckRangeList();
  readonly #localCidLength: number;
  /** Paces new data (RFC 9002 §7.7). */
  readonly #pacer = new Pacer();
  /** When the pacer lets the waiting data go; undefined when not pacing-blocked. */
  #pacingDeadline: number | undefined;
  /** The datagram being built holds an in-flight packet (it consumes pacing tokens). */
  #datagramInFlight = false;
  /** Packets sealed and forged under the 1-RTT keys (RFC 9001 §6.6); created with the 1-RTT write keys. */
  #aeadUsage: AeadUsage | undefined;
  /** Entropy for PATH_CHALLENGE data (from the connect/accept options). */
  #random: ((out: Uint8Array) => void) | undefined;
  /** The network paths (§8.2, §9; path.ts): the current one, probed ones, the fallback. */
  readonly #paths: PathTable;
  /** The path the datagram being processed came in on; undefined while it is new and nothing authenticated yet. */
  #rxPath: Path | undefined;
  #rxLocal: SocketAddress | undefined;
  #rxRemote: SocketAddress = { address: "", port: 0 };
  #rxLength = 0;
  /** Whether the packet `#handlePacket` last took authenticated (decides the §10.3.1 reset check). */
  #packetOpened = false;
  /** The path of the datagram `pollTransmit` last returned. */
  #txPath: Path;
  /** Packets sent before this time went on an earlier path: their RTT samples are not the current path's (§9.4). */
  #pathEpoch = Number.NEGATIVE_INFINITY;
  /** The packet being processed carried a non-probing frame (§9.1). */
  #packetNonProbing = false;
  /** The packet being filled carries a PATH_CHALLENGE or PATH_RESPONSE: pad its datagram (§8.2.1, §8.2.2). */
  #padForChallenge = false;
  /** `ping()` was called: the next 1-RTT packet is ack-eliciting. */
  #pingPending = false;
  /** Packets that arrived before their keys (see `#bufferEarly`). */
  #early: Uint8Array[] = [];
  #replayEarly = false;
  /** 1-RTT key phases (RFC 9001 §6). */
  readonly #keyUpdate: KeyUpdateState;
  /** Client: the token of every Initial (a Retry's, else a NEW_TOKEN's, RFC 9000 §8.1). */
  #initialToken: Uint8Array = EMPTY;
  /** Client: the SCID of the Retry we followed, checked against retry_source_connection_id (§7.3). */
  #retrySourceCid: Uint8Array | undefined;
  /** Server: the NEW_TOKEN token to send after confirmation, and while it is pending (again after a loss). */
  #newToken: Uint8Array | undefined;
  #newTokenPending: Uint8Array | undefined;
  /** Connection IDs we issue with NEW_CONNECTION_ID (§5.1; cid-state.ts), set by `connect`/`accept`. */
  #localCids!: LocalConnectionIds;
  /** The peer's connection IDs, created on first use after the handshake (the ID of the handshake is settled then). */
  #peerCids: RemoteConnectionIds | undefined;
  /** Destination Connection ID of the packet being processed (RETIRE_CONNECTION_ID must not retire it, §19.16). */
  #packetDcid: Uint8Array = EMPTY;
  /** DATAGRAM frames (RFC 9221; datagrams.ts). */
  readonly #datagrams: Datagrams;
  /** 0-RTT keys and what was sent under them (early-data.ts). */
  #earlyData = new EarlyData();

  private constructor(
    side: "client" | "server",
    now: number,
    transport: TransportConfig,
    provider: ClientConfig["provider"],
    version: number,
    remote: SocketAddress,
    localCid: Uint8Array,
    remoteCid: Uint8Array,
    originalDcid: Uint8Array,
    makeTls: (transportParameters: Uint8Array) => TlsClientEngine | TlsServerEngine,
    serverIds: Pick<AcceptOptions, "retry" | "statelessResetToken"> = {},
  ) {
    this.side = side;
    this.#transport = transport;
    this.#provider = provider;
    this.#version = version;
    this.#paths = new PathTable(new Path(undefined, remote, true, now));
    this.#txPath = this.#paths.current;
    this.localCid = localCid;
    this.#localCidLength = localCid.length;
    this.#remoteCid = remoteCid;
    this.#originalDcid = originalDcid;
    this.#addressValidated = side === "client";
    this.#keyUpdate = new KeyUpdateState(provider);
    this.#datagrams = new Datagrams(transport.maxDatagramFrameSize);
    const spaces = ([0, 1, 2] as const).map((i) => new PacketSpace(i, transport.maxCryptoBuffer, transport.maxAckDelay));
    this.#spaces = spaces as unknown as [PacketSpace, PacketSpace, PacketSpace];
    const cc = new PathCongestion(createCongestionController(transport));
    this.#loss = new LossDetection<SentFrames>(cc, { isServer: side === "server", initialRtt: transport.initialRtt });
    if (side === "server") this.#loss.setAmplificationLimited(true, now);
    // Initial keys from the client's first DCID (RFC 9001 §5.2).
    const secrets = initialSecrets(provider, version, originalDcid);
    const initial = spaces[0]!;
    const [mine, theirs] = side === "client" ? [secrets.client, secrets.server] : [secrets.server, secrets.client];
    initial.writeKeys = createPacketKeys(provider, version, "aes-128-gcm", mine);
    initial.readKeys = createPacketKeys(provider, version, "aes-128-gcm", theirs);
    const params = buildTransportParameters(transport, {
      initialSourceConnectionId: localCid,
      originalDestinationConnectionId: side === "server" ? (serverIds.retry?.originalDestinationCid ?? originalDcid) : undefined,
      retrySourceConnectionId: serverIds.retry?.retrySourceCid,
      statelessResetToken: serverIds.statelessResetToken,
    });
    this.#tls = makeTls(encodeTransportParameters(params));
    this.#idleDeadline = transport.maxIdleTimeout > 0 ? now + transport.maxIdleTimeout : undefined;
  }

  /** Starts a client connection: its first flight is ready in `pollTransmit`. */
  static connect(now: number, config: ClientConfig, options: ConnectOptions): Connection {
    const cidLength = options.cidLength ?? 8;
    const localCid = new Uint8Array(cidLength);
    options.random(localCid);
    // §7.2: the first DCID is unpredictable and at least 8 bytes.
    const originalDcid = new Uint8Array(8);
    options.random(originalDcid);
    const conn = new Connection(
      "client",
      now,
      config.transport,
      config.provider,
      config.version,
      options.remote,
      localCid,
      originalDcid,
      originalDcid,
      (transportParameters) => new TlsClientEngine({ ...config.tls, provider: config.provider, quic: true, transportParameters }),
    );
    conn.#initialToken = options.token ?? EMPTY;
    conn.#random = options.random;
    if (options.earlyTransportParameters !== undefined) conn.#earlyData = new EarlyData(options.earlyTransportParameters);
    conn.#localCids = new LocalConnectionIds(localCid, options.random, options.resetToken ?? randomResetToken(options.random));
    (conn.#tls as TlsClientEngine).start();
    conn.#drainTls(now);
    return conn;
  }

  /** Creates a server connection for a client's first Initial; the endpoint then passes that datagram to `handleDatagram`. */
  static accept(now: number, config: ServerConfig, options: AcceptOptions): Connection {
    const conn = new Connection(
      "server",
      now,
      config.transport,
      config.provider,
      options.version,
      options.remote,
      options.localCid,
      options.clientSourceCid,
      options.originalDestinationCid,
      (transportParameters) =>
        new TlsServerEngine({
          ...config.tls,
          // RFC 9001 §4.6.1: early data only when configured and the policy takes this client's.
          maxEarlyData:
            (config.tls.maxEarlyData ?? 0) > 0 && config.acceptEarlyData?.({ remote: options.remote }) !== false
              ? config.tls.maxEarlyData
              : 0,
          provider: config.provider,
          quic: true,
          transportParameters,
        }),
      options,
    );
    conn.#newToken = options.newToken;
    conn.#random = options.random;
    conn.#localCids = new LocalConnectionIds(options.localCid, options.random, options.resetToken ?? randomResetToken(options.random));
    if (options.addressValidated === true) {
      conn.#addressValidated = true; // §8.1: a valid token validates the address
      conn.#loss.setAmplificationLimited(false, now);
    }
    return conn;
  }

  /** The peer's address on the current path: where everything but probes goes. */
  get remoteAddress(): SocketAddress {
    return this.#paths.current.remote;
  }

  /** Our local address on the current path (undefined: the endpoint's own socket; see {@link migrate}). */
  get localAddress(): SocketAddress | undefined {
    return this.#paths.current.local;
  }

  /**
   * Where the datagram `pollTransmit` last returned goes: the current path's peer address, or another path's
   * for a probe (a PATH_RESPONSE goes back on the path its PATH_CHALLENGE came from, RFC 9000 §8.2.2).
   */
  get transmitRemote(): SocketAddress {
    return this.#txPath.remote;
  }

  /** The local address to send that datagram from (undefined: the endpoint's own socket). */
  get transmitLocal(): SocketAddress | undefined {
    return this.#txPath.local;
  }

  /** Paths tracked now (at most `MAX_PATHS`), and created and evicted so far: stats and tests. */
  get pathStats(): { readonly tracked: number; readonly created: number; readonly evicted: number } {
    return { tracked: this.#paths.all.length, created: this.#paths.created, evicted: this.#paths.evicted };
  }

  /** The lifecycle state (§10). */
  get state(): ConnectionState {
    return this.#state;
  }

  /** True once the handshake completed on this side. */
  get isHandshakeComplete(): boolean {
    return this.#handshakeComplete;
  }

  /**
   * The negotiated ALPN protocol (RFC 9001 §8.1). A server knows it once the ClientHello is processed, before the
   * handshake completes (its 0-RTT requests need it); a client once the handshake completes.
   */
  get alpnProtocol(): string | undefined {
    return this.#tls instanceof TlsServerEngine ? this.#tls.alpnProtocol : this.#alpn;
  }

  /** True once the handshake is confirmed (RFC 9001 §4.1.2). */
  get isHandshakeConfirmed(): boolean {
    return this.#handshakeConfirmed;
  }

  /** True after the closing/draining period: the driver may forget the connection. */
  get isDrained(): boolean {
    return this.#state === "drained";
  }

  /** Why the connection closed, once it did. */
  get closeReason(): CloseReason | undefined {
    return this.#closeReason;
  }

  /** The peer's transport parameters, once received. */
  get peerTransportParameters(): PeerTransportParameters | undefined {
    return this.#peerParams;
  }

  /** The QUIC version in use (the client's choice, which a server accepting several versions learns from its Initial). */
  get version(): number {
    return this.#version;
  }

  /** RTT, congestion window and counters of this connection (a fresh snapshot per call). */
  get stats(): ConnectionStats {
    return {
      smoothedRtt: this.#loss.rtt.smoothedRtt,
      minRtt: this.#loss.rtt.minRtt,
      congestionWindow: this.#loss.cc.window,
      bytesInFlight: this.#loss.cc.bytesInFlight,
      ...this.#counters,
      authenticationFailures: { ...this.#counters.authenticationFailures },
      ...(this.#streams?.blockedFrames ?? NO_BLOCKED_FRAMES),
    };
  }

  /** The pending deadlines, for diagnosing a stall (which timer is armed, and for when). */
  get timers(): {
    readonly idle: number | undefined;
    readonly lossDetection: number | undefined;
    readonly pacing: number | undefined;
    readonly close: number | undefined;
    readonly ack: readonly (number | undefined)[];
  } {
    return {
      idle: this.#idleDeadline,
      lossDetection: this.#loss.deadline,
      pacing: this.#pacingDeadline,
      close: this.#closeDeadline,
      ack: this.#spaces.map((space) => (space.discarded ? undefined : space.acks.deadline)),
    };
  }

  /** True when `pollEvent` would return an event. */
  get hasEvents(): boolean {
    return this.#events.length > 0;
  }

  /** The next queued event, or undefined. */
  pollEvent(): ConnectionEvent | undefined {
    return this.#events.shift();
  }

  /** The earliest deadline at which `handleTimeout` must be called, or undefined. */
  pollTimeout(): number | undefined {
    if (this.#state === "drained") return undefined;
    if (this.#state === "closing" || this.#state === "draining") return this.#closeDeadline;
    let t = this.#idleDeadline;
    const loss = this.#loss.deadline;
    if (loss !== undefined && (t === undefined || loss < t)) t = loss;
    const pacing = this.#pacingDeadline;
    if (pacing !== undefined && (t === undefined || pacing < t)) t = pacing;
    const path = this.#paths.timeout;
    if (path !== undefined && (t === undefined || path < t)) t = path;
    // ACK deadlines count only when a datagram can go out: the server may be blocked by the amplification limit of
    // the handshake, or of a new peer address until it validates (§9.3; `pollTransmit` then sends nothing, and a
    // deadline in the past would be fired again and again).
    const pathLimit = this.#paths.current.sendLimit();
    if (
      (this.#addressValidated || 3 * this.#bytesReceived - this.#bytesSent >= MIN_INITIAL_DATAGRAM) &&
      (pathLimit === undefined || pathLimit >= MIN_PACKET_ROOM)
    )
      for (const space of this.#spaces) {
        // Cannot send one: the 1-RTT keys are blocked, or a client's handshake is not complete (0-RTT packets carry no
        // ACK). A server holds 1-RTT write keys once its flight is out: its ACKs of 0-RTT packets go in 0.5-RTT.
        if (
          space === this.#spaces[PacketNumberSpace.ApplicationData] &&
          (this.#aeadBlocked() || (!this.#handshakeComplete && this.side === "client"))
        )
          continue;
        const a = space.acks.deadline;
        if (a !== undefined && !space.discarded && space.writeKeys !== undefined && (t === undefined || a < t)) t = a;
      }
    return t;
  }

  /** Fires whatever is due at `now`: close period end, idle timeout, ACK delay, loss detection. */
  handleTimeout(now: number): void {
    if (this.#state === "drained") return;
    if (this.#state === "closing" || this.#state === "draining") {
      if (this.#closeDeadline !== undefined && now >= this.#closeDeadline) this.#drain();
      return;
    }
    if (this.#idleDeadline !== undefined && now >= this.#idleDeadline) {
      // §10.1: silently closed; no CONNECTION_CLOSE.
      this.#closeReason = { kind: "idle-timeout" };
      this.#events.push({ type: "closed", reason: this.#closeReason });
      this.#drain();
      return;
    }
    if (this.#pacingDeadline !== undefined && now >= this.#pacingDeadline) this.#pacingDeadline = undefined; // pollTransmit sends
    this.#onPathTimeouts(now);
    const deadline = this.#loss.deadline;
    if (deadline !== undefined && now >= deadline) {
      this.#onLossTimeout(now);
    }
    // ACK deadlines need no action here: pollTransmit sends what is due.
  }

  /**
   * Closes the connection with an application error code (CONNECTION_CLOSE
   * 0x1d, §10.2). Before the handshake completes the code travels as a
   * transport APPLICATION_ERROR, as §10.2.3 requires in Initial and Handshake packets.
   */
  close(now: number, errorCode: number, reason = ""): void {
    if (this.#state === "closing" || this.#state === "draining" || this.#state === "drained") return;
    const reasonBytes = new TextEncoder().encode(reason);
    this.#closeReason = { kind: "application", remote: false, errorCode, reason };
    this.#enterClosing(now, { application: true, errorCode, frameType: 0, reason: reasonBytes });
  }

  /**
   * RFC 9000 §10.3.1: when `datagram` ends in the stateless reset token the
   * peer gave us (compared in constant time), the peer has lost this
   * connection: enter draining, send nothing more, report `stateless-reset`.
   * Returns whether it did. `handleDatagram` checks each datagram from the
   * peer's address whose first packet it cannot authenticate (§10.3.1 lets
   * it skip the others); the endpoint also calls this for unroutable
   * datagrams from our peer's address.
   */
  handleStatelessReset(now: number, datagram: Uint8Array): boolean {
    if (this.#state === "draining" || this.#state === "drained") return false;
    if (!this.#matchesPeerResetToken(datagram)) return false;
    this.#closeReason = { kind: "stateless-reset" };
    this.#events.push({ type: "closed", reason: this.#closeReason });
    this.#state = "draining";
    this.#closeDeadline = now + 3 * this.#loss.ptoPeriod();
    return true;
  }

  /** The datagram ends in a stateless reset token of the peer: its handshake one, or one from NEW_CONNECTION_ID (§10.3.1). */
  #matchesPeerResetToken(datagram: Uint8Array): boolean {
    if (this.#peerCids === undefined) {
      const token = this.#peerParams?.statelessResetToken;
      return token !== undefined && matchesResetToken(datagram, token);
    }
    // §10.3.1: never the token of a retired ID. The handshake's (sequence 0, from the transport parameter) is among
    // these while active; once retired (a path change, §9.5), a late packet the peer no longer routes draws a genuine
    // stateless reset for it, which must not end the connection.
    for (const t of this.#peerCids.resetTokens()) if (matchesResetToken(datagram, t)) return true;
    return false;
  }

  /**
   * Routing changes for the endpoint (RFC 9000 §5.1): IDs we issued with
   * NEW_CONNECTION_ID to route to this connection, IDs the peer retired to
   * forget. The endpoint applies them after each call into the connection.
   */
  takeRoutingChanges(): RoutingChange[] | undefined {
    return this.#localCids.takeRoutingChanges();
  }

  /** The peer's connection IDs (created once the handshake settled the first one). */
  #remoteIds(): RemoteConnectionIds {
    if (this.#peerCids === undefined) {
      this.#peerCids = new RemoteConnectionIds(this.#remoteCid, this.#transport.activeConnectionIdLimit);
      this.#peerCids.setInitialResetToken(this.#peerParams?.statelessResetToken);
    }
    return this.#peerCids;
  }

  /**
   * Moves our 1-RTT keys to the next generation (RFC 9001 §6.1); the peer
   * follows. Returns false when not allowed yet: before the handshake is
   * confirmed, or while the previous update is unacknowledged.
   */
  initiateKeyUpdate(): boolean {
    if (this.#state !== "established" || !this.#handshakeConfirmed) return false;
    if (!this.#keyUpdate.canInitiate(this.#loss.largestAcked(PacketNumberSpace.ApplicationData))) return false;
    this.#keyUpdate.initiate(this.#spaces[PacketNumberSpace.ApplicationData]);
    this.#aeadUsage?.onKeysUpdated();
    return true;
  }

  /**
   * After each 1-RTT packet sealed (RFC 9001 §6.6): near the confidentiality limit, update the keys as soon as
   * §6.1 allows (see also `#aeadBlocked`).
   */
  #onSealed1Rtt(): void {
    if (this.#aeadUsage !== undefined && this.#aeadUsage.onSealed() !== "ok") this.initiateKeyUpdate();
  }

  /**
   * True while the 1-RTT write keys are used up (RFC 9001 §6.6) and no key update is possible yet (it needs an
   * acknowledgment of a packet sent with them, §6.1): no 1-RTT packet may be sealed, ACKs included. An ACK from the
   * peer lifts it; a peer that never answers ends the connection by the idle timeout.
   */
  #aeadBlocked(): boolean {
    const usage = this.#aeadUsage;
    if (usage === undefined || usage.canSeal) return false;
    return !this.initiateKeyUpdate();
  }

  /**
   * Sends an ack-eliciting packet soon (a PING if nothing else is due): a driver keeps an idle connection (and
   * the NAT bindings on its path) alive by calling this before `maxIdleTimeout` runs out (RFC 9000 §10.1.2).
   */
  ping(): void {
    if (this.#state === "established") this.#pingPending = true;
  }

  /**
   * Queues an unreliable datagram (RFC 9221): sent once in a 1-RTT packet,
   * never retransmitted. Returns false when the send queue is full (drop it
   * or try later); throws DatagramError when the peer takes no DATAGRAM
   * frames or `data` exceeds {@link maxDatagramPayload}.
   */
  sendDatagram(data: Uint8Array): boolean {
    if (this.#state !== "established" && this.#state !== "handshake") throw new DatagramError(`connection is ${this.#state}`);
    return this.#datagrams.send(data, this.#packetPayloadRoom());
  }

  /** Largest datagram `sendDatagram` takes now (0 until the peer's transport parameters allow DATAGRAM frames). */
  get maxDatagramPayload(): number {
    return this.#datagrams.maxPayload(this.#packetPayloadRoom());
  }

  /** Frame bytes of a 1-RTT packet of the largest datagram we send (short header with a 4-byte packet number, tag). */
  #packetPayloadRoom(): number {
    return this.#maxDatagramSize() - (1 + this.#remoteCid.length + 4) - TAG_LENGTH;
  }

  /** 1-RTT key updates completed (either side initiating). */
  get keyUpdates(): number {
    return this.#keyUpdate.updates;
  }

  // ---------------------------------------------------------------- streams

  /**
   * Opens a stream of ours (RFC 9000 §2.1); undefined while the peer's
   * stream limit is reached (wait for `streams-available`) or before the
   * peer's transport parameters are known.
   */
  openStream(direction: StreamDirection): number | undefined {
    if (!this.#canUseStreams()) return undefined;
    return this.#streams?.open(direction);
  }

  /** The next stream the peer opened (after a `stream-opened` event), or undefined. */
  acceptStream(direction: StreamDirection): number | undefined {
    return this.#streams?.accept(direction);
  }

  /** Queues `data` on stream `id`; returns the bytes accepted (fewer: wait for `stream-writable`). */
  streamWrite(id: number, data: Uint8Array): number {
    if (!this.#canUseStreams()) throw new StreamStateError(id, `connection is ${this.#state}`);
    return this.#streams!.write(id, data);
  }

  /** Ends stream `id` after the data written (sends FIN). */
  streamFinish(id: number): void {
    if (!this.#canUseStreams()) throw new StreamStateError(id, `connection is ${this.#state}`);
    this.#streams!.finish(id);
  }

  /**
   * Reads stream `id` into `out`: `bytes` copied, `fin` once everything was
   * read. The result object is reused by the next call.
   */
  streamRead(id: number, out: Uint8Array): ReadResult {
    if (this.#streams === undefined) throw new StreamStateError(id, "is not open");
    return this.#streams.read(id, out);
  }

  /** Abandons our sending side of `id` (RESET_STREAM with `errorCode`). */
  streamReset(id: number, errorCode: number): void {
    if (!this.#canUseStreams()) return;
    this.#streams!.reset(id, errorCode);
  }

  /** Asks the peer to stop sending on `id` (STOP_SENDING with `errorCode`). */
  streamStopSending(id: number, errorCode: number): void {
    if (!this.#canUseStreams()) return;
    this.#streams!.stopSending(id, errorCode);
  }

  /**
   * Server: peer stream `id` was opened by a 0-RTT packet or got data in one, so its request may be a replay
   * (RFC 9001 §9.2): defer what is not idempotent until the handshake completes. Settled when the stream is accepted.
   */
  streamReceivedInEarlyData(id: number): boolean {
    return this.#streams?.receivedInEarlyData(id) ?? false;
  }

  /**
   * Client: 0-RTT is on (a ticket allowing early data, `tls.earlyData` and the remembered parameters): streams can
   * be opened and written before the handshake completes, and their data goes out in 0-RTT packets. A server can
   * replay such data (RFC 9001 §9.2): send only what is safe to process twice. False once 1-RTT keys exist.
   */
  get isEarlyDataAvailable(): boolean {
    return this.side === "client" && this.#earlyData.active;
  }

  /** Whether TLS reported the server's answer to our 0-RTT offer (client) or whether we took the client's (server). */
  get earlyDataOutcome(): "none" | "accepted" | "refused" {
    return this.#earlyData.outcome;
  }

  #canUseStreams(): boolean {
    return this.#streams !== undefined && (this.#state === "handshake" || this.#state === "established");
  }

  // ---------------------------------------------------------------- receive

  /**
   * Processes one UDP datagram (possibly several coalesced packets, §12.2) that came from `remote` to `local`
   * (undefined: the endpoint's own socket; a socket bound for {@link migrate} passes its address).
   */
  handleDatagram(now: number, datagram: Uint8Array, remote: SocketAddress, local?: SocketAddress): void {
    if (this.#state === "drained" || this.#state === "draining") return;
    const current = this.#paths.current;
    // §10.3.1: tokens are compared for datagrams from the peer's address only.
    const fromPeer = remote.address === current.remote.address && remote.port === current.remote.port;
    // §10.3.1: the comparison with the peer's reset tokens is required only when the datagram's first packet cannot
    // be decrypted (or processed at all), and may be skipped once it has been: so it happens on each way out below
    // that has not authenticated the first packet, not for every datagram (a constant-time compare of 16 bytes per
    // active token, every datagram of a bulk transfer: about 3% of the sans-I/O core's CPU per packet).
    if (this.#state === "closing") {
      if (fromPeer && this.handleStatelessReset(now, datagram)) return;
      this.#countReceived(datagram.length);
      // §10.2.1: answer packets with the CONNECTION_CLOSE again, at a rate that halves with every answer (forged
      // datagrams routed here by connection ID drew one CONNECTION_CLOSE toward the peer each).
      if (++this.#closingReceived >= this.#closingAnswerAt) {
        this.#closingAnswerAt *= 2;
        this.#closeSendPending = true;
      }
      return;
    }
    const path: Path | undefined = current.is(local, remote) ? current : this.#paths.find(local, remote);
    if (path !== current) {
      // Other paths exist once the handshake is confirmed (§9). A client only hears the server's address (§9: packets
      // from an unknown server address are discarded), on its own sockets; a server meets new client addresses, and
      // keeps state for one only once a packet from it authenticates (#handlePacket), so spoofing costs nothing.
      if (!this.#handshakeConfirmed || this.#random === undefined || (this.side === "client" && (!fromPeer || path === undefined))) {
        if (!(fromPeer && this.handleStatelessReset(now, datagram))) this.#countReceived(datagram.length);
        return;
      }
    }
    this.#countReceived(datagram.length);
    path?.onReceived(datagram.length);
    this.#rxPath = path;
    this.#rxLocal = local;
    this.#rxRemote = remote;
    this.#rxLength = datagram.length;
    let offset = 0;
    let firstDcid: Uint8Array | undefined;
    while (offset < datagram.length) {
      const header = this.#header;
      try {
        parsePacketHeader(datagram, offset, this.#localCidLength, header);
      } catch {
        // §12.2: the rest of the datagram cannot be delimited. A first packet that does not parse is not decrypted.
        if (firstDcid === undefined && fromPeer) this.handleStatelessReset(now, datagram);
        return;
      }
      offset = header.end;
      const first = firstDcid === undefined;
      // The view stays valid: parsing the next packet assigns a new view, and decryption leaves connection IDs alone.
      if (first) firstDcid = header.dcid;
      else if (!bytesEqual(firstDcid as Uint8Array, header.dcid)) continue; // §12.2: ignore coalesced packets for another connection
      this.#packetOpened = false;
      try {
        this.#handlePacket(now, datagram, header);
      } catch (error) {
        this.#onError(now, error);
        return;
      }
      // Checked before any later packet is decrypted in place: the token is the datagram's last 16 bytes. Opening
      // the first packet changed at most its first byte and packet number, which a 16-byte tail never includes
      // when header protection could be removed (the sample ends at least 20 bytes past the packet number's start).
      if (first && !this.#packetOpened && fromPeer && this.handleStatelessReset(now, datagram)) return;
      if (this.#state !== "handshake" && this.#state !== "established") return;
    }
    while (this.#replayEarly && (this.#state === "handshake" || this.#state === "established")) this.#replayEarlyPackets(now);
    if (this.side === "server") this.#updateAmplification(now);
  }

  /** Counts a received datagram: stats, and a server's anti-amplification budget before validation (§8.1). */
  #countReceived(length: number): void {
    this.#counters.bytesReceived += length;
    if (this.side === "server" && !this.#addressValidated) this.#bytesReceived += length;
  }

  // ---------------------------------------------------------------- paths

  /**
   * Client: moves the connection to a new local address (RFC 9000 §9.2), probing first. The new path, from
   * `local` (a socket the driver bound; its datagrams carry `transmitLocal`) to the server's address, gets an
   * unused connection ID of the server (§9.5) and is validated with PATH_CHALLENGE in 1200-byte datagrams; once
   * a PATH_RESPONSE arrives the connection switches to it (`path-changed` event, reason `migrated`), with fresh
   * congestion control and RTT unless only the port changed (§9.4). If no response comes within three PTOs
   * (§8.2.4) the connection stays where it was (`migration-failed`). Throws {@link MigrationError} when §9 does
   * not allow it now: not a client, handshake not confirmed, the server sent disable_active_migration, it uses
   * zero-length IDs or gave us no spare one, `local` is the current path, or another migration is under way.
   */
  migrate(now: number, local: SocketAddress): void {
    const paths = this.#paths;
    if (this.side !== "client") throw new MigrationError("server", "only a client initiates migration (RFC 9000 §9)");
    if (this.#state !== "established" || !this.#handshakeConfirmed)
      throw new MigrationError("not-confirmed", "migration needs a confirmed handshake (RFC 9000 §9)");
    if (this.#peerParams?.disableActiveMigration === true)
      throw new MigrationError("disabled-by-peer", "the server sent disable_active_migration (RFC 9000 §9)");
    if (this.#remoteCid.length === 0) throw new MigrationError("zero-length-cid", "the server uses zero-length connection IDs (§9.5)");
    if (paths.migrating !== undefined) throw new MigrationError("in-progress", "a migration is already being validated");
    const remote = paths.current.remote;
    if (paths.current.is(local, remote)) throw new MigrationError("same-path", "already on that path");
    let path = paths.find(local, remote);
    if (path?.cidSequence === undefined) {
      const sequence = this.#remoteIds().reserve();
      if (sequence === undefined) throw new MigrationError("no-connection-id", "the server gave us no unused connection ID (§9.5)");
      if (path === undefined) {
        path = new Path(local, remote, false, now, false); // to the server's known address: no 3x limit
        this.#addPath(path);
      }
      path.cidSequence = sequence;
    }
    paths.migrating = path;
    path.validated = false; // a return to an old local address is validated again: its NAT binding may be gone
    path.startValidation(now, this.#validationTimeout());
  }

  /** Adds a path to the table, releasing the connection ID of one it evicted. */
  #addPath(path: Path): void {
    const evicted = this.#paths.add(path);
    if (evicted?.cidSequence !== undefined) this.#peerCids?.release(evicted.cidSequence, evicted.cidUsed);
  }

  /** §8.2.4: abandon a validation after three times the larger of the current PTO and a new path's (kInitialRtt). */
  #validationTimeout(): number {
    const initialPto = 3 * this.#transport.initialRtt + this.#loss.peerMaxAckDelay;
    return 3 * Math.max(this.#loss.ptoPeriod(), initialPto);
  }

  /** A packet authenticated on a path not yet tracked (server): now it is, with the datagram's bytes counted. */
  #trackRxPath(now: number): Path {
    const path = new Path(this.#rxLocal, this.#rxRemote, false, now);
    path.onReceived(this.#rxLength);
    // §9.5: answer on a new path with an unused ID of the peer, when it gave us one (else the current one: a NAT
    // rebinding the peer did not choose may keep its ID, §9.5).
    path.cidSequence = this.#remoteIds().reserve();
    this.#addPath(path);
    this.#rxPath = path;
    return path;
  }

  /** The peer sent the highest-numbered non-probing packet so far from another address: follow it (§9.3). */
  #onPeerMigrated(now: number, path: Path): void {
    const previous = this.#paths.current;
    if (previous.validated) this.#paths.fallback = previous;
    this.#switchPath(now, path);
    if (!path.validated) path.startValidation(now, this.#validationTimeout());
    // §9.3.3: validate the previously active path too, so that an attacker forwarding copies of genuine packets
    // draws packets onto the real path, whose next non-probing packet brings the connection back.
    previous.startValidation(now, this.#validationTimeout());
    this.#events.push({ type: "path-changed", reason: "peer-migrated", local: path.local, remote: path.remote });
  }

  /**
   * Makes `next` the current path: its reserved peer ID (else a fresh one, else the same) becomes the ID we send
   * to (§9.5), and unless only ports changed, congestion control and RTT start from initial values or from the
   * state `next` had when the connection left it (§9.4); the previous path keeps its own for a return.
   */
  #switchPath(now: number, next: Path): void {
    const previous = this.#paths.current;
    if (next === previous) return;
    const ids = this.#remoteIds();
    const sequence = next.cidSequence;
    next.cidSequence = undefined;
    if (sequence === undefined || !ids.adopt(sequence)) ids.rotate();
    this.#remoteCid = ids.current;
    if (!onlyPortsDiffer(previous, next)) {
      const cc = this.#loss.cc as PathCongestion;
      const rtt = this.#loss.rtt;
      const saved: RttSnapshot = {
        latestRtt: rtt.latestRtt,
        minRtt: rtt.minRtt,
        smoothedRtt: rtt.smoothedRtt,
        rttvar: rtt.rttvar,
        hasSample: rtt.hasSample,
      };
      const back = next.recovery;
      next.recovery = undefined;
      previous.recovery = { cc: cc.switchTo(now, back?.cc ?? createCongestionController(this.#transport)), rtt: saved };
      if (back === undefined) rtt.reset();
      else Object.assign(rtt, back.rtt);
      this.#pathEpoch = now;
    }
    this.#paths.current = next;
    next.lastActive = now;
  }

  /** A PATH_RESPONSE (§8.2.3), whichever path it came on: validates the path its challenge went out on. */
  #onPathResponse(now: number, data: Uint8Array): void {
    const paths = this.#paths;
    for (const path of paths.all) {
      if (!path.onResponse(data)) continue;
      if (path === paths.migrating) {
        paths.migrating = undefined;
        if (paths.current.validated) paths.fallback = paths.current;
        this.#switchPath(now, path);
        this.#events.push({ type: "path-changed", reason: "migrated", local: path.local, remote: path.remote });
      }
      return;
    }
  }

  /** Path timers: challenge retransmissions, and abandoned validations (§8.2.4, §9.3.2). */
  #onPathTimeouts(now: number): void {
    const paths = this.#paths;
    for (const path of [...paths.all]) {
      if (path.timeout === undefined || path.timeout > now || !path.onTimeout(now)) continue;
      if (path === paths.current) {
        // §9.3.2: a new peer address that did not validate: back to the last validated one (the handshake's path
        // is validated, so there always is one). A validated path that is current again, its §9.3.3 check cut short
        // by the peer's return, has nothing to undo (before: a spurious `reverted` to itself, dropped from the table).
        const back = paths.fallback;
        if (back === undefined || path.validated) continue;
        this.#switchPath(now, back);
        paths.fallback = undefined;
        paths.remove(path);
        this.#events.push({ type: "path-changed", reason: "reverted", local: back.local, remote: back.remote });
      } else if (path === paths.fallback && path !== paths.migrating) {
        // The old path did not answer (§9.3.3's check after a migration): nothing to undo, it stays the way back.
        // (A client's failed return to the path it left is a failed migration, below.)
      } else {
        if (path === paths.migrating && path.local !== undefined) this.#events.push({ type: "migration-failed", local: path.local });
        if (path.cidSequence !== undefined) this.#peerCids?.release(path.cidSequence, path.cidUsed);
        paths.remove(path);
      }
    }
  }

  /**
   * Keeps a copy of a packet that arrived before its keys (a Handshake packet ahead of the Initial that
   * carries the ServerHello, or a client's 1-RTT packet before the server's handshake completes, which
   * RFC 9001 §5.7 forbids processing) to process once they exist, instead of waiting for a retransmission.
   * Bounded: beyond `MAX_EARLY_PACKETS`, they are dropped as before.
   */
  #bufferEarly(datagram: Uint8Array, header: PacketHeader): void {
    if (this.#early.length < MAX_EARLY_PACKETS) this.#early.push(datagram.slice(header.start, header.end));
  }

  /** Processes the buffered packets after keys were installed or the handshake completed (each once more, at most). */
  #replayEarlyPackets(now: number): void {
    this.#replayEarly = false;
    const packets = this.#early;
    this.#early = [];
    const header = new PacketHeader();
    for (const packet of packets) {
      if (this.#state !== "handshake" && this.#state !== "established") return;
      try {
        parsePacketHeader(packet, 0, this.#localCidLength, header);
        this.#handlePacket(now, packet, header);
      } catch (error) {
        if (error instanceof PacketDecodeError) continue;
        this.#onError(now, error);
        return;
      }
    }
  }

  #handlePacket(now: number, datagram: Uint8Array, header: PacketHeader): void {
    let spaceIndex: PacketNumberSpace;
    switch (header.type) {
      case "initial":
        spaceIndex = PacketNumberSpace.Initial;
        break;
      case "handshake":
        spaceIndex = PacketNumberSpace.Handshake;
        break;
      case "1rtt":
        spaceIndex = PacketNumberSpace.ApplicationData;
        // RFC 9001 §5.7: a server must not process 1-RTT packets before the handshake completes.
        if (!this.#handshakeComplete) {
          this.#bufferEarly(datagram, header);
          return;
        }
        break;
      case "retry":
        this.#onRetry(now, datagram, header);
        return;
      case "version-negotiation":
        this.#onVersionNegotiation(header);
        return;
      case "0rtt":
        this.#on0Rtt(now, datagram, header);
        return;
      default:
        return; // unsupported versions
    }
    if (header.long && header.version !== this.#version) return;
    const space = this.#spaces[spaceIndex];
    const keys = space.readKeys;
    if (space.discarded) return;
    if (keys === undefined) {
      if (spaceIndex === PacketNumberSpace.Handshake) this.#bufferEarly(datagram, header);
      return;
    }
    const opened = this.#opened;
    const writeKeysBefore = space.writeKeys;
    const ok =
      spaceIndex === PacketNumberSpace.ApplicationData
        ? this.#keyUpdate.open(
            space,
            datagram,
            header.start,
            header.pnOffset,
            header.end,
            space.acks.largestReceived,
            opened,
            now,
            this.#loss.ptoPeriod(),
          )
        : openPacket(keys, datagram, header.start, header.pnOffset, header.end, space.acks.largestReceived, opened);
    this.#packetOpened = ok;
    if (!ok) {
      this.#countAuthenticationFailure(spaceIndex);
      // RFC 9001 §6.6: forged 1-RTT packets are counted; past the integrity limit this throws AEAD_LIMIT_REACHED.
      if (spaceIndex === PacketNumberSpace.ApplicationData) this.#aeadUsage?.onAuthenticationFailed();
      return;
    }
    if (spaceIndex === PacketNumberSpace.ApplicationData && space.writeKeys !== writeKeysBefore) this.#aeadUsage?.onKeysUpdated();
    // RFC 9001 §4.9.3: a server may drop 0-RTT keys once 1-RTT packets arrive (later 0-RTT data is resent in 1-RTT).
    if (spaceIndex === PacketNumberSpace.ApplicationData && this.side === "server" && this.#earlyData.keys !== undefined)
      this.#earlyData.discard();
    if (opened.reservedBits !== 0) throw new TransportError(TransportErrorCode.PROTOCOL_VIOLATION, "reserved header bits set");
    const pn = opened.packetNumber;
    if (space.acks.isDuplicate(pn)) return;
    this.#counters.packetsReceived++;
    const rxPath = this.#rxPath ?? this.#trackRxPath(now);
    rxPath.lastActive = now;
    if (this.side === "client" && !this.#receivedFromPeer && header.type === "initial") {
      // §7.2: the client switches to the server's chosen connection ID.
      this.#receivedFromPeer = true;
      this.#remoteCid = header.scid.slice();
    }
    if (this.side === "server" && spaceIndex === PacketNumberSpace.Handshake) {
      if (!this.#addressValidated) {
        // §8.1: a Handshake packet proves the client received our Initial.
        this.#addressValidated = true;
        this.#loss.setAmplificationLimited(false, now);
      }
      this.#discardSpace(PacketNumberSpace.Initial, now); // RFC 9001 §4.9.1
    }
    this.#onPacketReceivedIdle(now);
    this.#packetDcid = header.dcid;
    const ackEliciting = this.#processFrames(now, spaceIndex, datagram, opened.payloadStart, opened.payloadEnd);
    // Completing the handshake may have discarded this very space (the server's Handshake keys, RFC 9001 §4.9.2).
    const largestBefore = space.acks.largestReceived;
    if (!space.discarded) space.acks.onPacketReceived(pn, ackEliciting, now);
    // §9.3: only the highest-numbered non-probing packet from another address moves the connection there; a client
    // never follows the server (§9), it moves by `migrate`.
    if (
      this.side === "server" &&
      rxPath !== this.#paths.current &&
      spaceIndex === PacketNumberSpace.ApplicationData &&
      this.#packetNonProbing &&
      pn > largestBefore &&
      this.#state === "established"
    )
      this.#onPeerMigrated(now, rxPath);
  }

  /**
   * Client: a Version Negotiation packet (RFC 9000 §6.2). Ignored once any
   * packet from the server was processed, when it does not echo our
   * connection IDs, or when it lists the version we use (a forged or stale
   * one). Otherwise the server speaks none of our versions as we offered
   * them: the attempt ends at once, without CONNECTION_CLOSE, with a
   * `version-mismatch` reason listing the server's versions, so the driver
   * can retry with one it shares (incompatible negotiation is a new
   * connection, §6.2).
   */
  #onVersionNegotiation(header: PacketHeader): void {
    if (this.side !== "client" || this.#receivedFromPeer || this.#counters.packetsReceived > 0) return;
    if (!bytesEqual(header.dcid, this.localCid) || !bytesEqual(header.scid, this.#originalDcid)) return;
    const versions = negotiationVersions(header);
    if (versions.includes(this.#version)) return;
    this.#closeReason = { kind: "version-mismatch", versions };
    this.#events.push({ type: "closed", reason: this.#closeReason });
    this.#drain();
  }

  #countAuthenticationFailure(spaceIndex: PacketNumberSpace): void {
    const failures = this.#counters.authenticationFailures;
    if (spaceIndex === PacketNumberSpace.Initial) failures.initial++;
    else if (spaceIndex === PacketNumberSpace.Handshake) failures.handshake++;
    else failures.application++;
  }

  /**
   * Client: follows a Retry (RFC 9000 §17.2.5.2): at most one, only before
   * any Initial from the server was processed, only with a valid integrity
   * tag (endpoint/retry.ts). Its SCID becomes our DCID and the input of the
   * Initial keys (RFC 9001 §5.2); its token goes in every later Initial;
   * packet numbers continue; recovery and congestion control start over
   * (RFC 9002 §6.3) and the ClientHello is sent again.
   */
  #onRetry(now: number, datagram: Uint8Array, header: PacketHeader): void {
    if (this.side !== "client" || this.#retrySourceCid !== undefined || this.#receivedFromPeer) return;
    if (!isAcceptableRetry(this.#provider, this.#version, this.#originalDcid, datagram, header)) return;
    this.#retrySourceCid = header.scid.slice();
    this.#remoteCid = this.#retrySourceCid;
    this.#initialToken = header.token.slice();
    const secrets = initialSecrets(this.#provider, this.#version, this.#remoteCid);
    const initial = this.#spaces[PacketNumberSpace.Initial];
    initial.writeKeys = createPacketKeys(this.#provider, this.#version, "aes-128-gcm", secrets.client);
    initial.readKeys = createPacketKeys(this.#provider, this.#version, "aes-128-gcm", secrets.server);
    const cc = new PathCongestion(createCongestionController(this.#transport));
    this.#loss = new LossDetection<SentFrames>(cc, { isServer: false, initialRtt: this.#transport.initialRtt });
    initial.cryptoSend.requeueUnacked();
    // The server kept nothing of our 0-RTT packets either, and the new loss detection has no record of them: their
    // stream data is queued again and goes out in 0-RTT packets to the new connection ID (RFC 9000 §17.2.5.3).
    for (const frames of this.#earlyData.takeRefused()) this.#streams?.onLost(frames);
    this.#refreshIdle(now);
  }

  /** Returns whether the packet was ack-eliciting. Throws TransportError for protocol violations. */
  #processFrames(
    now: number,
    spaceIndex: PacketNumberSpace,
    buffer: Uint8Array,
    start: number,
    end: number,
    packetType: FramePacketType = SPACE_PACKET_TYPE[spaceIndex]!,
  ): boolean {
    const reader = this.#reader.reset(buffer, start, end);
    this.#packetNonProbing = false;
    let ackEliciting = false;
    if (start === end) throw new TransportError(TransportErrorCode.PROTOCOL_VIOLATION, "packet without frames"); // §12.4
    while (reader.remaining > 0) {
      const frameStart = reader.position;
      const frame = readFrame(reader, packetType, this.#ackRanges);
      if (isAckEliciting(frame.kind)) ackEliciting = true;
      if (!isProbingFrame(frame.kind)) this.#packetNonProbing = true;
      switch (frame.kind) {
        case "padding":
        case "ping":
          break;
        case "ack":
          this.#onAck(now, spaceIndex, frame.ranges, frame.ackDelay);
          break;
        case "crypto":
          this.#onCrypto(now, spaceIndex, frame.offset, frame.data);
          break;
        case "handshake-done":
          if (this.side === "server")
            throw new TransportError(TransportErrorCode.PROTOCOL_VIOLATION, "HANDSHAKE_DONE from a client", FrameType.HANDSHAKE_DONE);
          this.#confirmHandshake(now);
          break;
        case "connection-close":
          this.#onConnectionClose(now, frame.application, frame.errorCode, frame.frameType, frame.reason);
          return ackEliciting;
        case "new-token":
          if (this.side === "server")
            throw new TransportError(TransportErrorCode.PROTOCOL_VIOLATION, "NEW_TOKEN from a client", FrameType.NEW_TOKEN);
          this.#events.push({ type: "new-token", token: frame.token.slice() });
          break;
        case "new-connection-id": {
          const ids = this.#remoteIds();
          ids.onNewConnectionId(frame.sequenceNumber, frame.retirePriorTo, frame.connectionId, frame.statelessResetToken);
          this.#remoteCid = ids.current; // Retire Prior To may have retired the one in use (§5.1.2)
          break;
        }
        case "retire-connection-id":
          this.#localCids.onRetire(frame.sequenceNumber, this.#packetDcid);
          break;
        case "path-challenge": {
          // §8.2.2: echo it in a PATH_RESPONSE on the path it came on, promptly (never retransmitted, §13.3).
          const path = this.#rxPath ?? this.#paths.current;
          path.queueResponse(frame.data);
          // §8.2: a PATH_CHALLENGE of ours rides along on a probed path, so that a later move there is already validated.
          if (!path.validated && path !== this.#paths.current) path.startValidation(now, this.#validationTimeout());
          break;
        }
        case "path-response":
          this.#onPathResponse(now, frame.data); // validates the path its challenge went on (§8.2.3); else ignored
          break;
        case "datagram":
          // RFC 9221 §3: only when we advertised max_datagram_frame_size, and no larger than it.
          this.#datagrams.onReceived(reader.position - frameStart, buffer[frameStart] as number);
          this.#events.push({ type: "datagram", data: frame.data.slice() });
          break;
        default:
          this.#onStreamFrame(frame, packetType === "0rtt");
      }
    }
    return ackEliciting;
  }

  /** Stream-level frames (0-RTT and 1-RTT only, so the stream layer exists: it is created with the peer's transport parameters). */
  #onStreamFrame(frame: Frame, early: boolean): void {
    if (this.#streams === undefined)
      throw new TransportError(TransportErrorCode.PROTOCOL_VIOLATION, "stream frame before transport parameters");
    this.#streams.onFrame(frame, early);
  }

  #onAck(now: number, spaceIndex: PacketNumberSpace, ranges: AckRangeList, rawDelay: number): void {
    const exponent = this.#peerParams?.ackDelayExponent ?? 3;
    const ackDelay = (rawDelay * 2 ** exponent) / MICROS_PER_MS;
    const space = this.#spaces[spaceIndex];
    // Loss detection throws PROTOCOL_VIOLATION for an ACK of a packet never sent (RFC 9000 §13.1): every packet we
    // seal is recorded there, and it remembers the largest number sent apart from the packets it compacts away.
    const rtt = this.#loss.rtt;
    const before = this.#pathEpoch > Number.NEGATIVE_INFINITY ? { ...rtt } : undefined;
    const outcome = this.#loss.onAckReceived(spaceIndex, ranges, ackDelay, now);
    // §9.4: a packet sent on the previous path says nothing about this one's RTT: undo a sample it gave.
    const newest = outcome.acked[outcome.acked.length - 1];
    if (before !== undefined && outcome.rttSampled && newest !== undefined && newest.timeSent < this.#pathEpoch)
      Object.assign(rtt, {
        latestRtt: before.latestRtt,
        minRtt: before.minRtt,
        smoothedRtt: before.smoothedRtt,
        rttvar: before.rttvar,
        hasSample: before.hasSample,
      });
    for (const packet of outcome.acked) this.#onFramesAcked(space, packet.frames);
    this.#counters.packetsLost += outcome.lost.length;
    for (const packet of outcome.lost) this.#onFramesLost(space, packet.frames);
  }

  #onFramesAcked(space: PacketSpace, frames: SentFrames): void {
    if (frames.cryptoOffset >= 0) space.cryptoSend.onAcked(frames.cryptoOffset, frames.cryptoLength);
    if (frames.ackLargest >= 0) space.acks.onAckOfAckReceived(frames.ackLargest);
    if (space === this.#spaces[PacketNumberSpace.ApplicationData]) this.#streams?.onAcked(frames);
  }

  #onFramesLost(space: PacketSpace, frames: SentFrames): void {
    if (frames.cryptoOffset >= 0 && !space.discarded) space.cryptoSend.onLost(frames.cryptoOffset, frames.cryptoLength);
    if (frames.handshakeDone && !this.#handshakeDonePending) this.#handshakeDonePending = true;
    if (frames.newToken !== undefined && this.#state === "established") this.#newTokenPending ??= frames.newToken; // §13.3
    if (frames.newConnectionIds !== undefined) this.#localCids.onLost(frames.newConnectionIds);
    if (frames.retireConnectionIds !== undefined) this.#peerCids?.onLost(frames.retireConnectionIds);
    if (space === this.#spaces[PacketNumberSpace.ApplicationData]) this.#streams?.onLost(frames);
  }

  #onCrypto(now: number, spaceIndex: PacketNumberSpace, offset: number, data: Uint8Array): void {
    const space = this.#spaces[spaceIndex];
    // Offsets up to 2^62 parse, but no handshake comes near 2^53: far-ahead data is CRYPTO_BUFFER_EXCEEDED (§7.5)
    // before it reaches the buffer, which only takes exact (safe) integers.
    if (offset > Number.MAX_SAFE_INTEGER - data.length)
      throw new TransportError(TransportErrorCode.CRYPTO_BUFFER_EXCEEDED, `CRYPTO data at offset ${offset}`, FrameType.CRYPTO);
    space.cryptoReceive.insert(offset, data);
    if (space.cryptoReceive.readable === 0) return;
    this.#tls.handle(SPACE_LEVEL[spaceIndex]!, space.cryptoReceive.read());
    this.#drainTls(now);
  }

  /** Acts on the TLS engine's events in order (engine.ts's contract). */
  #drainTls(now: number): void {
    for (const event of this.#tls.takeEvents()) this.#onTlsEvent(now, event);
  }

  #onTlsEvent(now: number, event: TlsEvent): void {
    switch (event.type) {
      case "send": {
        const space = LEVEL_SPACE[event.level];
        if (space !== undefined) this.#spaces[space].cryptoSend.push(event.data);
        return;
      }
      case "secret": {
        const spaceIndex = LEVEL_SPACE[event.level];
        if (spaceIndex === undefined) {
          this.#onEarlySecret(
            event.direction,
            createPacketKeys(this.#provider, this.#version, event.suite.aead as "aes-128-gcm", event.secret),
          );
          return;
        }
        const space = this.#spaces[spaceIndex];
        const keys = createPacketKeys(this.#provider, this.#version, event.suite.aead as "aes-128-gcm", event.secret);
        if (event.direction === "read") {
          space.readKeys = keys;
          if (this.#early.length > 0) this.#replayEarly = true;
        } else space.writeKeys = keys;
        // RFC 9001 §4.9.3: a client drops its 0-RTT keys once it has 1-RTT keys.
        if (spaceIndex === PacketNumberSpace.ApplicationData && event.direction === "write" && this.side === "client")
          this.#earlyData.discard();
        if (spaceIndex === PacketNumberSpace.ApplicationData && event.direction === "write")
          this.#aeadUsage = new AeadUsage(keys.suite, {
            confidentialityLimit: this.#transport.aeadConfidentialityLimit,
            integrityLimit: this.#transport.aeadIntegrityLimit,
          });
        if (spaceIndex === PacketNumberSpace.Handshake && this.side === "client" && event.direction === "write")
          this.#loss.onHandshakeKeysAvailable(now);
        return;
      }
      case "transport-parameters":
        this.#peerParams = validatePeerTransportParameters(event.data, {
          peerSide: this.side === "client" ? "server" : "client",
          originalDestinationConnectionId: this.#originalDcid,
          retrySourceConnectionId: this.#retrySourceCid,
          peerSourceConnectionId: this.side === "client" ? this.#remoteCidForValidation() : this.#remoteCid,
        });
        this.#loss.setPeerMaxAckDelay(this.#peerParams.maxAckDelay, now);
        this.#datagrams.setPeerMax(this.#peerParams.maxDatagramFrameSize);
        if (this.#streams === undefined) this.#streams = new StreamManager(this.side, this.#transport, this.#peerParams, this.#events);
        else this.#onRealPeerParameters(this.#streams, this.#peerParams);
        this.#onPeerIdleTimeout(now);
        return;
      case "handshake-complete":
        this.#onHandshakeComplete(now, event.info);
        return;
      case "session":
        // Client: a NewSessionTicket (RFC 9001 §4.5); the application keeps it and passes it as `tls.session` later.
        this.#events.push({ type: "session", session: event.session });
        return;
      case "early-data":
        this.#onEarlyDataOutcome(event.accepted);
        return;
      default:
        return; // change-cipher-spec (QUIC ignores it)
    }
  }

  /** The server's SCID as seen on its first Initial: the DCID we now use (§7.3 check). */
  #remoteCidForValidation(): Uint8Array {
    return this.#remoteCid;
  }

  #onHandshakeComplete(now: number, info: HandshakeInfo): void {
    this.#handshakeComplete = true;
    this.#alpn = info.alpnProtocol;
    this.#state = "established";
    if (this.#early.length > 0) this.#replayEarly = true;
    this.#events.push({ type: "connected", info });
    this.#localCids.start(this.#peerParams?.activeConnectionIdLimit ?? 2); // §5.1.1: up to the peer's limit
    if (this.side === "server") {
      // RFC 9001 §4.1.2: the server's handshake is confirmed at completion; it tells the client with HANDSHAKE_DONE.
      this.#handshakeDonePending = true;
      this.#confirmHandshake(now);
      this.#newTokenPending = this.#newToken; // §8.1.3: a token for the client's next connection
    }
  }

  #confirmHandshake(now: number): void {
    if (this.#handshakeConfirmed) return;
    this.#handshakeConfirmed = true;
    this.#loss.onHandshakeConfirmed(now);
    this.#discardSpace(PacketNumberSpace.Handshake, now); // RFC 9001 §4.9.2
    this.#events.push({ type: "handshake-confirmed" });
  }

  #discardSpace(spaceIndex: PacketNumberSpace, now: number): void {
    const space = this.#spaces[spaceIndex];
    if (space.discarded) return;
    space.discard();
    this.#loss.discardSpace(spaceIndex, now);
  }

  #onConnectionClose(now: number, application: boolean, errorCode: number, frameType: number, reason: Uint8Array): void {
    const text = new TextDecoder().decode(reason);
    this.#closeReason = application
      ? { kind: "application", remote: true, errorCode, reason: text }
      : { kind: "transport", remote: true, errorCode, frameType, reason: text };
    this.#events.push({ type: "closed", reason: this.#closeReason });
    // §10.2.2: draining; send nothing more, wait three PTOs.
    this.#state = "draining";
    this.#closeDeadline = now + 3 * this.#loss.ptoPeriod();
  }

  #onError(now: number, error: unknown): void {
    let errorCode: number;
    let frameType = 0;
    let reason: string;
    if (error instanceof TransportError) {
      errorCode = error.errorCode;
      frameType = error.frameType ?? 0;
      reason = error.reason;
    } else if (error instanceof TlsError) {
      // RFC 9001 §4.8: TLS alerts become CRYPTO_ERROR 0x0100 + alert.
      errorCode = TransportErrorCode.CRYPTO_ERROR + error.alert;
      frameType = FrameType.CRYPTO;
      reason = error.alertName;
    } else {
      // A bug of ours, not the peer's: never let it escape into the driver's loop. Close with INTERNAL_ERROR (§20.1)
      // and keep the message (tests treat INTERNAL_ERROR as a failure).
      errorCode = TransportErrorCode.INTERNAL_ERROR;
      reason = `internal error: ${error instanceof Error ? error.message : String(error)}`;
    }
    this.#closeReason = { kind: "transport", remote: false, errorCode, frameType, reason };
    this.#enterClosing(now, { application: false, errorCode, frameType, reason: new TextEncoder().encode(reason.slice(0, 100)) });
  }

  #enterClosing(now: number, frame: { application: boolean; errorCode: number; frameType: number; reason: Uint8Array }): void {
    this.#closeFrame = frame;
    this.#closeSendPending = true;
    this.#state = "closing";
    this.#closeDeadline = now + 3 * this.#loss.ptoPeriod();
    if (this.#closeReason !== undefined) this.#events.push({ type: "closed", reason: this.#closeReason });
  }

  #drain(): void {
    this.#state = "drained";
    this.#closeDeadline = undefined;
    this.#idleDeadline = undefined;
    this.#events.push({ type: "drained" });
  }

  #onPeerIdleTimeout(now: number): void {
    this.#refreshIdle(now);
  }

  /** §10.1: the effective idle timeout is the minimum of both sides' (0 = none), at least 3 PTOs. */
  #idleTimeout(): number | undefined {
    const local = this.#transport.maxIdleTimeout;
    const peer = this.#peerParams?.maxIdleTimeout ?? 0;
    const t = local === 0 ? peer : peer === 0 ? local : Math.min(local, peer);
    if (t === 0) return undefined;
    return Math.max(t, 3 * this.#loss.ptoPeriod());
  }

  #refreshIdle(now: number): void {
    const t = this.#idleTimeout();
    this.#idleDeadline = t === undefined ? undefined : now + t;
  }

  #onPacketReceivedIdle(now: number): void {
    this.#ackElicitingSentSinceReceive = false;
    this.#refreshIdle(now);
  }

  #updateAmplification(now: number): void {
    if (this.#addressValidated) return;
    // Limited while we cannot send another full datagram.
    this.#loss.setAmplificationLimited(3 * this.#bytesReceived - this.#bytesSent < MIN_INITIAL_DATAGRAM, now);
  }

  #onLossTimeout(now: number): void {
    const outcome = this.#loss.onTimeout(now);
    switch (outcome.kind) {
      case "loss":
        this.#counters.packetsLost += outcome.lost.length;
        for (const packet of outcome.lost) this.#onFramesLost(this.#spaces[outcome.space], packet.frames);
        return;
      case "probe":
      case "anti-deadlock": {
        const space = this.#spaces[outcome.space];
        if (space.discarded || space.writeKeys === undefined) return;
        space.probes = Math.max(space.probes, outcome.kind === "probe" ? outcome.probeCount : 1);
        // RFC 9002 §6.2.4: probes carry unacknowledged CRYPTO data when there is some.
        space.cryptoSend.requeueUnacked();
        return;
      }
      default:
        return;
    }
  }

  // ------------------------------------------------------------------ 0-RTT

  /**
   * The TLS engine's `early` secret (RFC 9001 §4.6). Client: it offered early data; with remembered parameters
   * the stream layer starts from them and 0-RTT packets may carry stream data. Server: TLS accepted early data.
   */
  #onEarlySecret(direction: "read" | "write", keys: PacketKeys): void {
    const early = this.#earlyData;
    if (direction === "write") {
      if (this.side !== "client" || early.remembered === undefined || this.#peerParams !== undefined) return;
      early.keys = keys;
      this.#streams ??= new StreamManager(this.side, this.#transport, earlyPeerParameters(early.remembered), this.#events);
      this.#datagrams.setPeerMax(early.remembered.maxDatagramFrameSize); // RFC 9221 §3: DATAGRAM in 0-RTT within the remembered limit
    } else if (this.side === "server" && !early.discarded) {
      early.keys = keys;
      if (this.#early.length > 0) this.#replayEarly = true; // 0-RTT packets that came ahead of the ClientHello's keys
    }
  }

  /** TLS says whether the server accepted early data (RFC 9001 §4.6.1, §4.6.2). */
  #onEarlyDataOutcome(accepted: boolean): void {
    const early = this.#earlyData;
    early.outcome = accepted ? "accepted" : "refused";
    this.#events.push({ type: "early-data", accepted });
    if (this.side === "client" && early.remembered !== undefined && this.#peerParams !== undefined)
      checkEarlyLimits(early.remembered, this.#peerParams, accepted);
    if (accepted) return;
    if (this.side === "client") {
      // §4.6.2: every 0-RTT packet is lost; its stream data goes out again in 1-RTT. Its record is emptied so that its
      // later acknowledgement or loss (the packets stay in loss detection) does not act twice.
      for (const frames of early.takeRefused()) {
        this.#streams?.onLost(frames);
        Object.assign(frames, new SentFrames());
      }
    }
    early.discard();
  }

  /**
   * Client: the server's real parameters replace the remembered ones the stream layer started from (RFC 9000
   * §7.4.1), checked here or when TLS reports the outcome, whichever comes second (early-data.ts).
   */
  #onRealPeerParameters(streams: StreamManager, params: PeerTransportParameters): void {
    const early = this.#earlyData;
    if (early.remembered !== undefined && early.outcome !== "none")
      checkEarlyLimits(early.remembered, params, early.outcome === "accepted");
    streams.updatePeer(params);
  }

  /** Client before the handshake completes: stream data to send under 0-RTT keys. */
  #wants0Rtt(): boolean {
    return this.side === "client" && this.#earlyData.active && (this.#appWants() || this.#datagrams.wantsToSend);
  }

  /** Server: a 0-RTT packet (RFC 9001 §4.6.1), opened into the Application Data space while the 0-RTT keys are kept. */
  #on0Rtt(now: number, datagram: Uint8Array, header: PacketHeader): void {
    if (this.side !== "server" || header.version !== this.#version) return;
    const early = this.#earlyData;
    if (early.keys === undefined) {
      // Ahead of the ClientHello's keys (reordered): keep a few, as for other levels (§5.7). Never once refused or dropped.
      if (!early.discarded && early.outcome === "none" && !this.#handshakeComplete) this.#bufferEarly(datagram, header);
      return;
    }
    const space = this.#spaces[PacketNumberSpace.ApplicationData];
    const opened = this.#opened;
    if (!openPacket(early.keys, datagram, header.start, header.pnOffset, header.end, space.acks.largestReceived, opened)) {
      this.#countAuthenticationFailure(PacketNumberSpace.ApplicationData);
      return;
    }
    if (opened.reservedBits !== 0) throw new TransportError(TransportErrorCode.PROTOCOL_VIOLATION, "reserved header bits set");
    const pn = opened.packetNumber;
    if (space.acks.isDuplicate(pn)) return;
    this.#counters.packetsReceived++;
    this.#onPacketReceivedIdle(now);
    this.#packetDcid = header.dcid;
    const ackEliciting = this.#processFrames(
      now,
      PacketNumberSpace.ApplicationData,
      datagram,
      opened.payloadStart,
      opened.payloadEnd,
      "0rtt",
    );
    if (!space.discarded) space.acks.onPacketReceived(pn, ackEliciting, now);
  }

  // ------------------------------------------------------------------- send

  /**
   * Writes the next datagram into `buffer` and returns its length, or
   * undefined when there is nothing to send now. Coalesces Initial,
   * Handshake and 1-RTT packets (§12.2); pads datagrams with an Initial
   * (client: always; server: when ack-eliciting) to 1200 bytes (§14.1).
   */
  pollTransmit(now: number, buffer: Uint8Array): number | undefined {
    if (this.#state === "drained" || this.#state === "draining") return undefined;
    let limit = Math.min(buffer.length, this.#maxDatagramSize());
    if (this.#state === "established") {
      // Probes on other paths first (§8.2.2: a PATH_RESPONSE is not delayed), each within its own 3x limit (§9.3).
      const probe = this.#paths.nextProbe(MIN_PACKET_ROOM);
      if (probe !== undefined) {
        const length = this.#buildProbe(now, buffer, probe, Math.min(limit, probe.sendLimit() ?? limit));
        if (length > 0) {
          probe.onSent(length);
          this.#counters.bytesSent += length;
          this.#txPath = probe;
          return length;
        }
      }
    }
    const current = this.#paths.current;
    this.#txPath = current;
    if (!this.#addressValidated) limit = Math.min(limit, 3 * this.#bytesReceived - this.#bytesSent);
    if (limit < MIN_INITIAL_DATAGRAM) return undefined;
    const pathLimit = current.sendLimit(); // a new peer address: 3x what it brought until validated (§9.3)
    if (pathLimit !== undefined) {
      limit = Math.min(limit, pathLimit);
      if (limit < MIN_PACKET_ROOM) return undefined;
    }
    const length = this.#state === "closing" ? this.#buildClose(now, buffer, limit) : this.#buildDatagram(now, buffer, limit);
    if (length === 0) return undefined;
    this.#bytesSent += length;
    this.#counters.bytesSent += length;
    current.onSent(length);
    if (!this.#addressValidated) this.#updateAmplification(now);
    return length;
  }

  #maxDatagramSize(): number {
    const peer = this.#peerParams?.maxUdpPayloadSize ?? 65_527;
    return Math.min(this.#transport.maxDatagramSize, peer);
  }

  /** Whether space `i` has something to send now; `cwndOk` says whether congestion control allows ack-eliciting data. */
  #wants(i: PacketNumberSpace, now: number, cwndOk: boolean): boolean {
    const space = this.#spaces[i];
    // A client before completion: 0-RTT. A server before completion sends 0.5-RTT once its flight gave it 1-RTT write
    // keys (RFC 9001 §4.1.1, §5.7): stream data answering 0-RTT requests and ACKs of 0-RTT packets, within the 3x
    // limit of an unvalidated address (`pollTransmit`). HANDSHAKE_DONE, NEW_TOKEN, NEW_CONNECTION_ID and path frames
    // wait for completion or confirmation by themselves.
    if (i === PacketNumberSpace.ApplicationData && !this.#handshakeComplete && this.side === "client") return cwndOk && this.#wants0Rtt();
    if (space.discarded || space.writeKeys === undefined) return false;
    if (i === PacketNumberSpace.ApplicationData && this.#aeadBlocked()) return false;
    if (space.acks.wantsAck(now)) return true;
    if (space.probes > 0) return true;
    // Handshake CRYPTO data is not held back by the congestion window (see #fill): a few KB, and the only way out.
    if (space.cryptoSend.hasPending && (cwndOk || i !== PacketNumberSpace.ApplicationData)) return true;
    if (!cwndOk) return false;
    if (i === PacketNumberSpace.ApplicationData)
      return (
        this.#handshakeDonePending ||
        this.#newTokenPending !== undefined ||
        this.#localCids.wantsToSend ||
        this.#datagrams.wantsToSend ||
        this.#peerCids?.wantsToSend === true ||
        this.#paths.current.wantsToSend ||
        this.#pingPending ||
        this.#appWants()
      );
    return false;
  }

  /** Stream data or flow-control frames waiting. */
  #appWants(): boolean {
    return this.#streams?.wantsToSend ?? false;
  }

  #buildDatagram(now: number, buffer: Uint8Array, limit: number): number {
    const cc = this.#loss.cc;
    let cwndOk = cc.bytesInFlight < cc.window;
    this.#pacingDeadline = undefined;
    if (cwndOk) {
      // RFC 9002 §7.7: new data leaves at the pacing rate; ACKs and probes are not paced.
      const size = this.#maxDatagramSize();
      const at = this.#pacer.delay(now, size, cc.window, this.#loss.rtt.smoothedRtt, size);
      if (at !== undefined && at - now > PACING_TOLERANCE) {
        cwndOk = false;
        for (let i = 0 as PacketNumberSpace; i <= PacketNumberSpace.ApplicationData; i++)
          if (this.#wants(i, now, true)) {
            this.#pacingDeadline = at;
            break;
          }
      }
    }
    this.#datagramInFlight = false;
    const length = this.#assemble(now, buffer, limit, false, cwndOk);
    if (this.#datagramInFlight) this.#pacer.onSent(length);
    // RFC 9002 §7.8: the call that finds nothing to send decides. With room in the window (and not held by the
    // pacer), the sender is application- or flow-control-limited and the window must not grow on what it did send.
    if (length === 0 && this.#pacingDeadline === undefined) cc.appLimited = cc.bytesInFlight < cc.window;
    return length;
  }

  #buildClose(now: number, buffer: Uint8Array, limit: number): number {
    const close = this.#closeFrame;
    if (!this.#closeSendPending || close === undefined) return 0;
    this.#closeSendPending = false;
    return this.#assemble(now, buffer, limit, true, false);
  }

  /** Whether space `i` can carry the CONNECTION_CLOSE frame. */
  #closeUsable(i: PacketNumberSpace): boolean {
    const space = this.#spaces[i];
    if (space.discarded || space.writeKeys === undefined) return false;
    // The peer can only read 1-RTT packets once it has the keys: for a server, after the handshake completes.
    return i !== PacketNumberSpace.ApplicationData || this.#handshakeComplete;
  }

  /** Writes the CONNECTION_CLOSE frame of space `i` (not ack-eliciting). */
  #fillClose(i: PacketNumberSpace, w: Writer, close: CloseFrameInfo): void {
    // §10.2.3: in Initial and Handshake packets an application close travels as APPLICATION_ERROR, without its reason.
    if (close.application && i !== PacketNumberSpace.ApplicationData)
      writeConnectionCloseFrame(w, false, TransportErrorCode.APPLICATION_ERROR, 0, EMPTY);
    else {
      const reason = reasonThatFits(w, close);
      if (reason !== undefined) writeConnectionCloseFrame(w, close.application, close.errorCode, close.frameType, reason);
    }
  }

  /**
   * Builds one datagram of coalesced packets, lowest space first. A packet
   * is sealed once the next one starts, so that the last can be padded
   * (PADDING frames inside it) when the datagram must reach 1200 bytes.
   * `close` chooses what the packets carry: the CONNECTION_CLOSE frame
   * (`#closeUsable`, `#fillClose`), or whatever `#wants`/`#fill` find, with
   * `cwndOk` saying whether congestion control allows ack-eliciting data.
   * A flag and not two callbacks: this runs once per datagram (and once
   * more per flush to find nothing), and a pair of closures per call is
   * garbage on the per-packet path.
   */
  #assemble(now: number, buffer: Uint8Array, limit: number, close: boolean, cwndOk: boolean): number {
    let offset = 0;
    let padTo = 0;
    let pending: PendingPacket | undefined;
    for (let i = 0 as PacketNumberSpace; i <= PacketNumberSpace.ApplicationData; i++) {
      if (close ? !this.#closeUsable(i) : !this.#wants(i, now, cwndOk)) continue;
      // No room for another packet: stop before sealing the pending one, which must stay last to take the padding
      // (a client's Initial filling most of the datagram, with 0-RTT data waiting, was sent short of 1200 bytes).
      if (pending !== undefined && limit - sealedEnd(pending) < MIN_PACKET_ROOM) break;
      if (pending !== undefined) offset = this.#seal(now, buffer, pending, 0);
      pending = undefined;
      if (limit - offset < MIN_PACKET_ROOM) break;
      const open = this.#beginPacket(i, buffer, offset, limit);
      const w = this.#writer.reset(buffer, open.payloadStart, limit - TAG_LENGTH);
      const frames = new SentFrames();
      let ackEliciting = false;
      if (close) this.#fillClose(i, w, this.#closeFrame!);
      else ackEliciting = this.#fill(now, i, w, frames, cwndOk);
      if (w.position === open.payloadStart) continue; // nothing fitted: the header is overwritten by the next packet
      open.payloadEnd = w.position;
      open.frames = frames;
      open.ackEliciting = ackEliciting;
      pending = open;
      // §14.1: a client pads every datagram carrying an Initial; a server those with an ack-eliciting Initial.
      if (i === PacketNumberSpace.Initial && (this.side === "client" || ackEliciting)) padTo = MIN_INITIAL_DATAGRAM;
      if (this.#padForChallenge) {
        this.#padForChallenge = false;
        padTo = MIN_INITIAL_DATAGRAM; // within the path's amplification limit (`limit`)
      }
    }
    if (pending !== undefined) offset = this.#seal(now, buffer, pending, Math.min(padTo, limit));
    return offset;
  }

  #beginPacket(i: PacketNumberSpace, buffer: Uint8Array, offset: number, limit: number, dcid = this.#remoteCid): PendingPacket {
    const space = this.#spaces[i];
    const pn = space.nextPacketNumber;
    const pnLength = packetNumberLength(pn, Math.min(this.#loss.largestAcked(i), pn - 1));
    const view = buffer.subarray(0, limit);
    // A client before completion seals 0-RTT; a server then sends 0.5-RTT data in ordinary 1-RTT packets.
    const zeroRtt = i === PacketNumberSpace.ApplicationData && !this.#handshakeComplete && this.side === "client";
    const payloadStart =
      i === PacketNumberSpace.ApplicationData && !zeroRtt
        ? writeShortHeader(view, offset, {
            dcid,
            packetNumber: pn,
            packetNumberLength: pnLength,
            keyPhase: this.#keyUpdate.writePhase,
          })
        : writeLongHeader(view, offset, {
            type: i === PacketNumberSpace.Initial ? "initial" : zeroRtt ? "0rtt" : "handshake",
            version: this.#version,
            dcid: this.#remoteCid,
            scid: this.localCid,
            token: i === PacketNumberSpace.Initial ? this.#initialToken : EMPTY,
            packetNumber: pn,
            packetNumberLength: pnLength,
            length: 0,
            lengthFieldSize: 2,
          });
    return {
      space: i,
      start: offset,
      pnOffset: payloadStart - pnLength,
      pnLength,
      packetNumber: pn,
      payloadStart,
      payloadEnd: payloadStart,
      frames: undefined,
      ackEliciting: false,
      zeroRtt,
      probe: false,
    };
  }

  /** Pads (to the sample minimum, or so the datagram reaches `padTo`), fixes Length, seals and records the packet. */
  #seal(now: number, buffer: Uint8Array, p: PendingPacket, padTo: number): number {
    const space = this.#spaces[p.space];
    let end = Math.max(p.payloadEnd, p.payloadStart + minimumPayloadLength(p.pnLength));
    if (padTo > 0) end = Math.max(end, padTo - TAG_LENGTH);
    const padded = end > p.payloadEnd;
    buffer.fill(0, p.payloadEnd, end); // PADDING frames are zero bytes
    if (p.space !== PacketNumberSpace.ApplicationData || p.zeroRtt)
      writeVarintWithLength(buffer, p.pnOffset - 2, end + TAG_LENGTH - p.pnOffset, 2);
    const keys = p.zeroRtt ? this.#earlyData.keys! : space.writeKeys!;
    const packetEnd = sealPacket(keys, buffer, p.start, p.pnOffset, p.pnLength, p.packetNumber, end);
    space.nextPacketNumber++;
    if (p.zeroRtt) this.#earlyData.onSent(p.frames ?? new SentFrames());
    else if (p.space === PacketNumberSpace.ApplicationData) {
      this.#keyUpdate.onPacketSent(p.packetNumber);
      this.#onSealed1Rtt();
    }
    const frames = p.frames ?? new SentFrames();
    this.#counters.packetsSent++;
    // A probe on another path is recorded (its number must be known to ACKs) but outside recovery (#buildProbe).
    const inFlight = !p.probe && (p.ackEliciting || padded);
    this.#loss.onPacketSent(
      p.space,
      {
        packetNumber: p.packetNumber,
        timeSent: now,
        sentBytes: packetEnd - p.start,
        ackEliciting: p.ackEliciting && !p.probe,
        inFlight,
        frames,
      },
      now,
    );
    if (inFlight) this.#datagramInFlight = true;
    if (p.ackEliciting && !p.probe && !this.#ackElicitingSentSinceReceive) {
      // §10.1: sending an ack-eliciting packet restarts the idle timer, once per received packet.
      this.#ackElicitingSentSinceReceive = true;
      this.#refreshIdle(now);
    }
    // RFC 9001 §4.9.1: a client discards Initial keys when it first sends a Handshake packet.
    if (this.side === "client" && p.space === PacketNumberSpace.Handshake) this.#discardSpace(PacketNumberSpace.Initial, now);
    return packetEnd;
  }

  /** Writes the frames of one packet in space `i`; returns whether any is ack-eliciting. */
  #fill(now: number, i: PacketNumberSpace, w: Writer, frames: SentFrames, cwndOk: boolean): boolean {
    // 0-RTT (RFC 9000 §12.4, RFC 9001 §4.6.1): stream data, its flow control and DATAGRAM only, no ACK, CRYPTO or others.
    if (i === PacketNumberSpace.ApplicationData && !this.#handshakeComplete && this.side === "client") {
      const datagrams = this.#datagrams.fill(w); // RFC 9221 §3 allows them in 0-RTT
      return this.#fillApp(now, w, frames) || datagrams;
    }
    const space = this.#spaces[i];
    let ackEliciting = false;
    if (space.acks.hasUnreported) {
      const delay = space.acks.ackDelayField(now, this.#transport.ackDelayExponent);
      const n = ackRangesThatFit(space.acks.ranges, delay, w.remaining);
      if (n > 0) {
        writeAckFrame(w, space.acks.ranges, delay, undefined, n);
        frames.ackLargest = space.acks.onAckSent();
      }
    }
    const probing = space.probes > 0;
    if (!cwndOk && !probing && i !== PacketNumberSpace.ApplicationData) {
      // Initial and Handshake CRYPTO data goes out even when the window is full. The window can be full of 1-RTT packets
      // a server drops until its handshake completes (RFC 9001 §5.7) and whose PTO is not armed before confirmation
      // (RFC 9002 A.8): if a lost Finished waited for that window, neither side would ever send again.
      const room = w.remaining - CRYPTO_OVERHEAD;
      const chunk = room > 0 ? space.cryptoSend.next(room) : undefined;
      if (chunk !== undefined) {
        writeCryptoFrame(w, chunk.offset, chunk.data);
        frames.cryptoOffset = chunk.offset;
        frames.cryptoLength = chunk.data.length;
        ackEliciting = true;
      }
    }
    if (cwndOk || probing) {
      if (i === PacketNumberSpace.ApplicationData && this.#handshakeDonePending && w.remaining >= 1) {
        w.u8(FrameType.HANDSHAKE_DONE);
        frames.handshakeDone = true;
        this.#handshakeDonePending = false;
        ackEliciting = true;
      }
      if (i === PacketNumberSpace.ApplicationData && this.#writePathFrames(now, w, this.#paths.current)) ackEliciting = true;
      const newToken = this.#newTokenPending;
      if (i === PacketNumberSpace.ApplicationData && newToken !== undefined && w.remaining >= 3 + newToken.length) {
        w.u8(FrameType.NEW_TOKEN).varint(newToken.length).bytes(newToken); // §19.7
        frames.newToken = newToken;
        this.#newTokenPending = undefined;
        ackEliciting = true;
      }
      if (i === PacketNumberSpace.ApplicationData) {
        const issued = this.#localCids.fill(w);
        const retired = this.#peerCids?.fill(w);
        if (issued !== undefined) frames.newConnectionIds = issued;
        if (retired !== undefined) frames.retireConnectionIds = retired;
        if (issued !== undefined || retired !== undefined) ackEliciting = true;
        // RFC 9221 §5.2: ack-eliciting and congestion controlled, but not in `frames`: a lost DATAGRAM is not resent.
        if (this.#datagrams.fill(w)) ackEliciting = true;
      }
      const room = w.remaining - CRYPTO_OVERHEAD;
      const chunk = room > 0 ? space.cryptoSend.next(room) : undefined;
      if (chunk !== undefined) {
        writeCryptoFrame(w, chunk.offset, chunk.data);
        frames.cryptoOffset = chunk.offset;
        frames.cryptoLength = chunk.data.length;
        ackEliciting = true;
      }
      if (i === PacketNumberSpace.ApplicationData) ackEliciting = this.#fillApp(now, w, frames) || ackEliciting;
      const ping = probing || (i === PacketNumberSpace.ApplicationData && this.#pingPending);
      if (ping && !ackEliciting && w.remaining >= 1) {
        w.u8(FrameType.PING);
        ackEliciting = true;
      }
      if (i === PacketNumberSpace.ApplicationData && ackEliciting) this.#pingPending = false;
      if (probing && ackEliciting) space.probes--;
    }
    return ackEliciting;
  }

  /**
   * PATH_RESPONSEs owed on `path` and its PATH_CHALLENGE if due; returns whether any was written. Their datagram
   * is expanded to 1200 bytes (§8.2.1, §8.2.2), within the path's amplification limit (the caller's `limit`).
   */
  #writePathFrames(now: number, w: Writer, path: Path): boolean {
    let wrote = false;
    while (path.responses.length > 0 && w.remaining >= 9) {
      w.u8(FrameType.PATH_RESPONSE).bytes(path.responses.shift()!);
      wrote = true;
    }
    const challenge = w.remaining >= 9 ? path.takeChallenge(now, this.#loss.ptoPeriod(), this.#random!) : undefined;
    if (challenge !== undefined) {
      w.u8(FrameType.PATH_CHALLENGE).bytes(challenge);
      wrote = true;
    }
    if (wrote) this.#padForChallenge = true;
    return wrote;
  }

  /**
   * A probing datagram on a path other than the current one (§9.1): one 1-RTT packet of PATH_RESPONSE and
   * PATH_CHALLENGE frames and PADDING only, so that it moves nothing at the peer, to the path's own peer
   * connection ID (§9.5). It is not congestion controlled nor counted in flight: its loss on a dead path must not
   * shrink the window of the live one (§9.4 lets probes be exempt); the path's timers resend challenges.
   */
  #buildProbe(now: number, buffer: Uint8Array, path: Path, limit: number): number {
    const space = this.#spaces[PacketNumberSpace.ApplicationData];
    if (!this.#handshakeComplete || space.writeKeys === undefined || this.#aeadBlocked() || this.#random === undefined) return 0;
    const reserved = path.cidSequence === undefined ? undefined : this.#peerCids?.cidOf(path.cidSequence);
    const dcid = reserved ?? this.#remoteCid;
    const open = this.#beginPacket(PacketNumberSpace.ApplicationData, buffer, 0, limit, dcid);
    const w = this.#writer.reset(buffer, open.payloadStart, limit - TAG_LENGTH);
    if (!this.#writePathFrames(now, w, path)) return 0;
    this.#padForChallenge = false;
    if (reserved !== undefined) path.cidUsed = true;
    open.payloadEnd = w.position;
    open.frames = new SentFrames();
    open.probe = true;
    return this.#seal(now, buffer, open, Math.min(MIN_INITIAL_DATAGRAM, limit));
  }

  /** Stream and flow-control frames of a 1-RTT packet (all ack-eliciting). */
  #fillApp(now: number, w: Writer, frames: SentFrames): boolean {
    return this.#streams?.fill(w, frames, now, this.#loss.rtt.smoothedRtt) ?? false;
  }
}

/** A pacing delay this short (1 µs) is floating-point noise, not a reason to wait: send now. */
const PACING_TOLERANCE = 0.001;

/** Packets kept while their keys are missing (RFC 9001 §5.7 lets an endpoint buffer a limited number). */
const MAX_EARLY_PACKETS = 8;

/** Upper bound of a CRYPTO frame's header: type, an offset below 2^30 and a length below 2^14. */
const CRYPTO_OVERHEAD = 1 + 4 + 2;

/** A packet being built: header written, frames being added, not yet sealed. */
interface PendingPacket {
  readonly space: PacketNumberSpace;
  readonly start: number;
  readonly pnOffset: number;
  readonly pnLength: 1 | 2 | 3 | 4;
  readonly packetNumber: number;
  readonly payloadStart: number;
  payloadEnd: number;
  frames: SentFrames | undefined;
  ackEliciting: boolean;
  /** A 0-RTT packet (long header, 0-RTT keys) in the Application Data space. */
  readonly zeroRtt: boolean;
  /** A probing packet on a path other than the current one (#buildProbe). */
  probe: boolean;
}

/** Where `#seal` will end packet `p` when not padding it to a datagram size. */
function sealedEnd(p: PendingPacket): number {
  return Math.max(p.payloadEnd, p.payloadStart + minimumPayloadLength(p.pnLength)) + TAG_LENGTH;
}

/**
 * The reason phrase of a CONNECTION_CLOSE cut to the room left in its packet, at a UTF-8 character boundary (§19.19
 * sets no length; an application's long reason, or the small 3x budget of an unvalidated current path, otherwise
 * overflowed the writer and threw out of `pollTransmit`). Undefined when not even an empty reason fits.
 */
/** The CONNECTION_CLOSE frame a closing connection sends. */
interface CloseFrameInfo {
  readonly application: boolean;
  readonly errorCode: number;
  readonly frameType: number;
  readonly reason: Uint8Array;
}

function reasonThatFits(w: Writer, close: CloseFrameInfo): Uint8Array | undefined {
  const room = w.remaining - 1 - varintLength(close.errorCode) - (close.application ? 0 : varintLength(close.frameType));
  const reason = close.reason;
  if (reason.length + varintLength(reason.length) <= room) return reason;
  if (room < 1) return undefined;
  let cut = room - 1;
  while (cut > 0 && cut + varintLength(cut) > room) cut--;
  while (cut > 0 && ((reason[cut] as number) & 0xc0) === 0x80) cut--; // not inside a multi-byte character
  return reason.subarray(0, cut);
}

/** Stateless reset tokens when the caller gave no key: unpredictable, so still safe, though no endpoint can send them. */
function randomResetToken(random: (out: Uint8Array) => void): (cid: Uint8Array) => Uint8Array {
  return () => {
    const token = new Uint8Array(16);
    random(token);
    return token;
  };
}

/** The configured congestion controller, fresh (a Retry starts one over too, RFC 9002 §6.3). */
function createCongestionController(transport: TransportConfig): CongestionController {
  const options = { maxDatagramSize: transport.maxDatagramSize };
  return transport.congestionControl === "cubic" ? new Cubic(options) : new NewReno(options);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
