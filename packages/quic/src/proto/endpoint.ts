/**
 * The endpoint: one UDP socket's worth of QUIC, sans-I/O. It routes each
 * datagram to its connection by Destination Connection ID, creates server
 * connections from valid client Initials, answers unknown versions with
 * Version Negotiation, and drops everything else without allocating state
 * for it (an off-path sender cannot make it grow).
 *
 * Driver contract: the connection's (see connection/connection.ts), one
 * level up: `handleDatagram(now, datagram, remote)` for every datagram the
 * socket reads; `handleTimeout(now)` when `now >= pollTimeout()`; after
 * either, drain `pollTransmit(now, buffer)` (each result says where to send
 * it) and `pollEvent()` (new connections), then the events of the
 * connections the driver holds (`Connection.pollEvent`). Drained
 * connections are forgotten by the endpoint itself.
 *
 * What it refuses (RFC 9000 §14.1, §10.3, §5.2.2): datagrams under 1200
 * bytes that would open a connection, long headers with an unknown version
 * under 1200 bytes (no Version Negotiation for them: amplification), short
 * headers for unknown connection IDs (a server endpoint answers them with a
 * size-bounded, rate-limited stateless reset, §10.3), and new connections beyond
 * `maxConnections`. With `addressValidation.retry`, client Initials without
 * a valid token get a Retry instead of a connection (§8.1.2; see
 * endpoint/address-validation.ts).
 *
 * @example
 * ```ts
 * import type { Socket } from "node:dgram";
 * import { Endpoint, resolveEndpointConfig, type ServerConfig, type SocketAddress } from "@zsync/quic/proto";
 * declare const serverConfig: ServerConfig;
 * declare const socket: Socket;
 * declare const datagram: Uint8Array;
 * declare const rinfo: SocketAddress;
 * declare function random(out: Uint8Array): Uint8Array;
 * const now = performance.now();
 * const buf = new Uint8Array(1500);
 * const endpoint = new Endpoint(resolveEndpointConfig({ random }), serverConfig);
 * endpoint.handleDatagram(now, datagram, rinfo);
 * for (let t = endpoint.pollTransmit(now, buf); t; t = endpoint.pollTransmit(now, buf)) socket.send(buf.subarray(0, t.length), t.to.port, t.to.address);
 * ```
 * @module
 */
import { getProvider } from "@zsync/crypto";
import type { ClientConfig, EndpointConfig, ServerConfig } from "./config.js";
import type { RoutingChange } from "./connection/cid-state.js";
import { Connection, type SocketAddress } from "./connection/connection.js";
import type { EarlyTransportParameters } from "./connection/early-data.js";
import { AddressValidator } from "./endpoint/address-validation.js";
import { writeInvalidTokenClose, writeRetryPacket } from "./endpoint/retry.js";
import { StatelessResetDetector, StatelessResetResponder } from "./endpoint/stateless-reset.js";
import { PacketHeader, parsePacketHeader, writeVersionNegotiation } from "./wire/packet-header.js";

/** One datagram to send and where. */
export interface Transmit {
  readonly length: number;
  readonly to: SocketAddress;
  /**
   * The local address to send it from: undefined for the endpoint's own socket, else the address of a socket the
   * driver bound for `Connection.migrate` (a client probing or using a new path, RFC 9000 §9).
   */
  readonly from?: SocketAddress | undefined;
}

/** Endpoint-level events. */
export type EndpointEvent = { readonly type: "connection"; readonly connection: Connection };

/** Counters for diagnosis: what was dropped and why. */
export interface EndpointStats {
  /** Datagrams whose first header did not parse. */
  malformed: number;
  /** Datagrams for no known connection that could not open one. */
  unroutable: number;
  /** Initials under 1200 bytes (§14.1). */
  shortInitials: number;
  /** Version Negotiation packets queued. */
  versionNegotiations: number;
  /** Initials refused because `maxConnections` was reached. */
  refused: number;
  /** Connections accepted. */
  accepted: number;
  /** Initials whose first packet did not authenticate: no connection kept. */
  unauthenticated: number;
  /** Retry packets queued (RFC 9000 §8.1.2). */
  retries: number;
  /** Initials answered with CONNECTION_CLOSE(INVALID_TOKEN) for a Retry token that did not validate. */
  invalidTokens: number;
  /** Stateless resets queued (§10.3). */
  statelessResets: number;
}

const MIN_INITIAL_DATAGRAM = 1200;
/** Version Negotiation packets waiting at most: beyond, new ones are dropped (they are only a courtesy). */
const MAX_PENDING_VN = 64;

/** See the module comment. */
export class Endpoint {
  readonly config: EndpointConfig;
  readonly #server: ServerConfig | undefined;
  /** Connection ID (as a binary string) -> connection. A connection has one entry per ID it answers to. */
  readonly #routes = new Map<string, Connection>();
  readonly #connections = new Set<Connection>();
  readonly #keys = new Map<Connection, string[]>();
  readonly #events: EndpointEvent[] = [];
  readonly #pendingVn: { bytes: Uint8Array; to: SocketAddress }[] = [];
  readonly #header = new PacketHeader();
  /** Connections with events queued since `pollDirtyConnection` last returned them. */
  readonly #dirty = new Set<Connection>();
  /** The result of `pollTransmit`, reused. */
  readonly #transmit: { length: number; to: SocketAddress; from: SocketAddress | undefined } = {
    length: 0,
    to: { address: "", port: 0 },
    from: undefined,
  };
  /** Round-robin position of `pollTransmit`. */
  #order: Connection[] = [];
  #next = 0;
  readonly stats: EndpointStats = {
    malformed: 0,
    unroutable: 0,
    shortInitials: 0,
    versionNegotiations: 0,
    refused: 0,
    accepted: 0,
    unauthenticated: 0,
    retries: 0,
    invalidTokens: 0,
    statelessResets: 0,
  };
  /** Retry policy, token and reset keys (endpoint/address-validation.ts). */
  readonly #validation: AddressValidator;
  readonly #resetResponder: StatelessResetResponder | undefined;
  readonly #resetDetector = new StatelessResetDetector<Connection>();

  /** A server endpoint when `server` is given; every endpoint can also `connect`. */
  constructor(config: EndpointConfig, server?: ServerConfig) {
    this.config = config;
    this.#server = server;
    this.#validation = new AddressValidator(server?.provider ?? getProvider(), config.random, config.addressValidation);
    const limits = this.#validation.resetLimits;
    // Only servers hand out reset tokens (stateless_reset_token; clients would need NEW_CONNECTION_ID, not sent yet):
    // a client endpoint's resets could never be recognised, so it sends none.
    this.#resetResponder =
      limits === false || server === undefined
        ? undefined
        : new StatelessResetResponder(this.#validation.resetKey, config.cidLength, config.random, limits);
  }

  /** Live connections. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /**
   * Opens a client connection through this endpoint. `token`: a token from a
   * NEW_TOKEN frame of an earlier connection to this server (the `new-token`
   * event), sent in every Initial so the server can skip its Retry and the
   * anti-amplification limit (RFC 9000 §8.1.3); use each token once.
   * `earlyTransportParameters`: the server's parameters remembered with
   * `config.tls.session`, for 0-RTT (see `ConnectOptions`).
   */
  connect(
    now: number,
    config: ClientConfig,
    remote: SocketAddress,
    token?: Uint8Array,
    earlyTransportParameters?: EarlyTransportParameters,
  ): Connection {
    const conn = Connection.connect(now, config, {
      remote,
      random: this.config.random,
      cidLength: this.config.cidLength,
      token,
      earlyTransportParameters,
      resetToken: (cid) => this.#validation.resetKey.token(cid),
    });
    this.#add(conn, [conn.localCid]);
    return conn;
  }

  /** The next endpoint event (a new server connection), or undefined. */
  pollEvent(): EndpointEvent | undefined {
    return this.#events.shift();
  }

  /**
   * Routes one datagram (see the module comment) that came from `remote`. `local`: the address of the socket
   * it arrived on when that is not the endpoint's own (a client's socket bound for `Connection.migrate`).
   */
  handleDatagram(now: number, datagram: Uint8Array, remote: SocketAddress, local?: SocketAddress): void {
    const header = this.#header;
    try {
      parsePacketHeader(datagram, 0, this.config.cidLength, header);
    } catch {
      this.stats.malformed++;
      return;
    }
    if (
      header.type === "unsupported-version" ||
      (header.long && !this.config.versions.includes(header.version) && header.type !== "version-negotiation")
    ) {
      this.#versionNegotiation(datagram, header, remote);
      return;
    }
    const conn = this.#routes.get(key(header.dcid));
    if (conn !== undefined) {
      conn.handleDatagram(now, datagram, remote, local);
      this.#reap(conn);
      return;
    }
    if (this.#server === undefined || header.type !== "initial") {
      this.#unroutable(now, datagram, header, remote);
      return;
    }
    if (datagram.length < MIN_INITIAL_DATAGRAM) {
      this.stats.shortInitials++; // §14.1: a server MUST discard an Initial in a datagram under 1200 bytes
      return;
    }
    // §7.2: the client's first DCID must be at least 8 bytes.
    if (header.dcid.length < 8) {
      this.stats.unroutable++;
      return;
    }
    if (this.#connections.size >= this.config.maxConnections) {
      this.stats.refused++; // a CONNECTION_REFUSED close would need Initial keys per refusal; dropping costs nothing
      return;
    }
    // §8.1: Retry, token validation or INVALID_TOKEN before any state is created.
    const decision = this.#validation.decide(now, header, remote);
    if (decision.action !== "accept") {
      this.#answerInitial(now, decision.action, header, remote, this.#server);
      return;
    }
    const localCid = new Uint8Array(this.config.cidLength);
    this.config.random(localCid);
    const originalDcid = header.dcid.slice();
    const accepted = Connection.accept(now, this.#server, {
      remote,
      random: this.config.random,
      originalDestinationCid: originalDcid,
      clientSourceCid: header.scid.slice(),
      localCid,
      version: header.version,
      retry: decision.retry,
      addressValidated: decision.addressValidated,
      statelessResetToken: this.#validation.resetKey.token(localCid),
      resetToken: (cid) => this.#validation.resetKey.token(cid),
      newToken: this.#validation.sendNewTokens ? this.#validation.tokens.issueNewToken(now, remote) : undefined,
    });
    accepted.handleDatagram(now, datagram, remote);
    if (accepted.stats.packetsReceived === 0) {
      // Nothing authenticated: garbage shaped like an Initial. Keep no state for it (an attacker could otherwise pin a
      // connection, its TLS engine and an idle timer per forged datagram).
      this.stats.unauthenticated++;
      return;
    }
    // The client keeps using the original DCID until it sees our SCID: route both.
    this.#add(accepted, [localCid, originalDcid]);
    this.stats.accepted++;
    this.#events.push({ type: "connection", connection: accepted });
    this.#reap(accepted);
  }

  /**
   * The next datagram of any connection (round-robin), or a Version
   * Negotiation packet. The returned object is reused by the next call:
   * read it before calling again.
   */
  pollTransmit(now: number, buffer: Uint8Array): Transmit | undefined {
    const out = this.#transmit;
    const vn = this.#pendingVn.shift();
    if (vn !== undefined) {
      buffer.set(vn.bytes);
      out.length = vn.bytes.length;
      out.to = vn.to;
      out.from = undefined;
      return out;
    }
    const order = this.#order;
    for (let tried = 0; tried < order.length; tried++) {
      if (this.#next >= order.length) this.#next = 0;
      const conn = order[this.#next] as Connection;
      const length = conn.pollTransmit(now, buffer);
      if (length !== undefined) {
        out.length = length;
        out.to = conn.transmitRemote; // the current path's peer, or a probed path's (RFC 9000 §8.2.2)
        out.from = conn.transmitLocal;
        return out;
      }
      this.#next++;
    }
    return undefined;
  }

  /**
   * The next connection with events queued since it was last returned
   * (after `handleDatagram`/`handleTimeout` work), so a driver drains only
   * the connections that changed instead of all of them. Events caused by
   * the driver's own calls on a connection (stream reads, `close`) are
   * for the driver to drain right after those calls.
   */
  pollDirtyConnection(): Connection | undefined {
    for (const conn of this.#dirty) {
      this.#dirty.delete(conn);
      return conn;
    }
    return undefined;
  }

  /** The earliest deadline of any connection. */
  pollTimeout(): number | undefined {
    let t: number | undefined;
    for (const conn of this.#connections) {
      const c = conn.pollTimeout();
      if (c !== undefined && (t === undefined || c < t)) t = c;
    }
    return t;
  }

  /** Fires the deadlines that are due and forgets drained connections. */
  handleTimeout(now: number): void {
    for (const conn of [...this.#connections]) {
      const t = conn.pollTimeout();
      if (t !== undefined && t <= now) conn.handleTimeout(now);
      this.#reap(conn);
    }
  }

  #add(conn: Connection, cids: Uint8Array[]): void {
    const keys = cids.map(key);
    for (const k of keys) this.#routes.set(k, conn);
    this.#keys.set(conn, keys);
    this.#connections.add(conn);
    this.#order.push(conn);
    this.#resetDetector.add(conn);
  }

  /**
   * A datagram for no connection that cannot open one (RFC 9000 §10.3):
   * it may be a stateless reset for a connection of ours with that peer
   * (checked against their tokens, §10.3.1); otherwise a short header is
   * answered with a stateless reset, within endpoint/stateless-reset.ts's
   * size and rate bounds.
   */
  #unroutable(now: number, datagram: Uint8Array, header: PacketHeader, remote: SocketAddress): void {
    const reset = this.#resetDetector.detect(now, datagram, remote);
    if (reset !== undefined) {
      this.#reap(reset);
      return;
    }
    this.stats.unroutable++;
    if (header.type !== "1rtt" || this.#resetResponder === undefined || this.#pendingVn.length >= MAX_PENDING_VN) return;
    const out = new Uint8Array(datagram.length);
    const length = this.#resetResponder.respond(now, datagram, header.dcid, out);
    if (length === 0) return;
    this.#pendingVn.push({ bytes: out.subarray(0, length), to: remote });
    this.stats.statelessResets++;
  }

  /** Queues a Retry (§8.1.2) or a CONNECTION_CLOSE(INVALID_TOKEN) answering a client Initial; no state is kept. */
  #answerInitial(now: number, action: "retry" | "invalid-token", header: PacketHeader, remote: SocketAddress, server: ServerConfig): void {
    if (this.#pendingVn.length >= MAX_PENDING_VN) return;
    // The client's next Initial goes to this ID; §7.2's 8-byte minimum keeps it routable as a new connection.
    const scid = new Uint8Array(Math.max(8, this.config.cidLength));
    this.config.random(scid);
    const out = new Uint8Array(256);
    let length: number;
    if (action === "retry") {
      const unused = new Uint8Array(1);
      this.config.random(unused);
      const token = this.#validation.tokens.issueRetry(now, remote, header.dcid, scid);
      length = writeRetryPacket(server.provider, out, header, scid, token, unused[0] as number);
      this.stats.retries++;
    } else {
      length = writeInvalidTokenClose(server.provider, out, header, scid);
      this.stats.invalidTokens++;
    }
    this.#pendingVn.push({ bytes: out.subarray(0, length), to: remote });
  }

  #reap(conn: Connection): void {
    if (conn.hasEvents) this.#dirty.add(conn);
    const changes = conn.takeRoutingChanges();
    if (changes !== undefined) this.#reroute(conn, changes);
    if (!conn.isDrained) {
      this.#resetDetector.update(conn); // a server may have followed its client to a new address (§9)
      return;
    }
    for (const k of this.#keys.get(conn) ?? []) if (this.#routes.get(k) === conn) this.#routes.delete(k);
    this.#keys.delete(conn);
    this.#connections.delete(conn);
    this.#resetDetector.delete(conn);
    this.#order = this.#order.filter((c) => c !== conn);
  }

  /** Routes the connection IDs `conn` issued with NEW_CONNECTION_ID and forgets those the peer retired (RFC 9000 §5.1). */
  #reroute(conn: Connection, changes: readonly RoutingChange[]): void {
    const keys = this.#keys.get(conn);
    if (keys === undefined) return;
    for (const change of changes) {
      const k = key(change.cid);
      if (change.kind === "add") {
        if (this.#routes.has(k)) continue; // a random collision with another connection's ID: never steal its route
        this.#routes.set(k, conn);
        keys.push(k);
      } else {
        if (this.#routes.get(k) === conn) this.#routes.delete(k);
        const at = keys.indexOf(k);
        if (at >= 0) keys.splice(at, 1);
      }
    }
  }

  #versionNegotiation(datagram: Uint8Array, header: PacketHeader, remote: SocketAddress): void {
    // §6.1/§14.1: only answer datagrams a client could have padded as an Initial, never a VN, never as a client.
    if (this.#server === undefined || datagram.length < MIN_INITIAL_DATAGRAM || this.#pendingVn.length >= MAX_PENDING_VN) return;
    const unused = new Uint8Array(1);
    this.config.random(unused);
    const bytes = new Uint8Array(7 + header.dcid.length + header.scid.length + 4 * this.config.versions.length);
    const end = writeVersionNegotiation(bytes, 0, header.dcid, header.scid, this.config.versions, unused[0]);
    this.#pendingVn.push({ bytes: bytes.subarray(0, end), to: remote });
    this.stats.versionNegotiations++;
  }
}

/**
 * A Map key for a connection ID (binary string: cheaper than hex, exact).
 * Built per received datagram, so a loop rather than `fromCharCode(...cid)`:
 * the spread goes through the iterator protocol and cost about 3x as much
 * (2% of a bulk client's profile; README, Performance).
 */
function key(cid: Uint8Array): string {
  let s = "";
  for (let i = 0; i < cid.length; i++) s += String.fromCharCode(cid[i] as number);
  return s;
}
