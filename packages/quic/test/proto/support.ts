/**
 * Fixtures for the connection tests: a CA and a localhost leaf (built once
 * per file), client and server configs, and `EndpointHost`, which puts an
 * {@link Endpoint} on the simulated network.
 */
import { type CryptoProvider, getProvider } from "@zsync/crypto";
import { type GeneratedCertificate, generateCertificate } from "@zsync/crypto/tls";
import {
  type ClientConfig,
  type ClientTlsOptions,
  resolveClientConfig,
  resolveEndpointConfig,
  resolveServerConfig,
  type ServerConfig,
  type TransportConfig,
} from "../../src/proto/config.js";
import type { Connection } from "../../src/proto/connection/connection.js";
import { Endpoint } from "../../src/proto/endpoint.js";
import type { ConnectionEvent } from "../../src/proto/events.js";
import { type LinkConfig, Prng, type SimAddress, type SimHost, SimNetwork } from "./sim-network.js";

export const ALPN = "zq-test";

let pki: { ca: GeneratedCertificate; leaf: GeneratedCertificate } | undefined;

/** A CA and a leaf for localhost issued by it. */
export function testPki(): { ca: GeneratedCertificate; leaf: GeneratedCertificate } {
  pki ??= (() => {
    const ca = generateCertificate({ commonName: "zsync quic test CA", isCa: true, subjectAltNames: [] });
    return { ca, leaf: generateCertificate({ issuer: ca }) };
  })();
  return pki;
}

export function clientConfig(
  provider: CryptoProvider = getProvider(),
  transport: Partial<TransportConfig> = {},
  tls: Partial<ClientTlsOptions> = {},
): ClientConfig {
  return resolveClientConfig({
    tls: { serverName: "localhost", ca: testPki().ca.certificatePem, alpnProtocols: [ALPN], ...tls },
    transport,
    provider,
  });
}

export function serverConfig(
  provider: CryptoProvider = getProvider(),
  transport: Partial<TransportConfig> = {},
  leaf: GeneratedCertificate = testPki().leaf,
): ServerConfig {
  return resolveServerConfig({
    tls: { credentials: { certificate: leaf.certificatePem, privateKey: leaf.privateKeyPem }, alpnProtocols: [ALPN] },
    transport,
    provider,
  });
}

/** Deterministic entropy from a seed, so a failing seed replays exactly. */
export function seededRandom(seed: number): (out: Uint8Array) => void {
  const prng = new Prng(seed ^ 0x5eed);
  return (out) => {
    for (let i = 0; i < out.length; i++) out[i] = prng.below(256);
  };
}

/**
 * What every test host on the simulated network shares: the connections its
 * endpoint made or accepted, and every event each of them raised, kept for
 * assertions. Subclasses call `track` for connections they open and
 * `collect` after each input to the endpoint.
 */
export abstract class EventRecordingHost {
  abstract readonly endpoint: Endpoint;
  readonly connections: Connection[] = [];
  readonly events = new Map<Connection, ConnectionEvent[]>();

  /** Events of `conn` so far, of one type. */
  eventsOf<T extends ConnectionEvent["type"]>(conn: Connection, type: T): Extract<ConnectionEvent, { type: T }>[] {
    this.collect();
    return (this.events.get(conn) ?? []).filter((e): e is Extract<ConnectionEvent, { type: T }> => e.type === type);
  }

  protected track(conn: Connection): void {
    this.connections.push(conn);
    this.events.set(conn, []);
  }

  /** Adopts the connections the endpoint accepted and drains every connection's events. */
  protected collect(): void {
    for (let e = this.endpoint.pollEvent(); e !== undefined; e = this.endpoint.pollEvent()) this.track(e.connection);
    for (const conn of this.connections) {
      const list = this.events.get(conn)!;
      for (let e = conn.pollEvent(); e !== undefined; e = conn.pollEvent()) list.push(e);
    }
  }
}

/** An endpoint on the simulated network; keeps every connection event for assertions. */
export class EndpointHost extends EventRecordingHost implements SimHost {
  readonly endpoint: Endpoint;

  constructor(
    readonly address: SimAddress,
    random: (out: Uint8Array) => void,
    server?: ServerConfig,
    versions?: readonly number[],
    /** Length of the connection IDs this endpoint issues (0: zero-length IDs, routed by address, §5.1). */
    cidLength?: number,
  ) {
    super();
    this.endpoint = new Endpoint(resolveEndpointConfig({ random, versions, cidLength }), server);
  }

  connect(now: number, config: ClientConfig, to: SimAddress): Connection {
    const conn = this.endpoint.connect(now, config, to);
    this.track(conn);
    return conn;
  }

  handleDatagram(now: number, datagram: Uint8Array, from: SimAddress, local?: SimAddress): void {
    this.endpoint.handleDatagram(now, datagram, from, local);
    this.collect();
  }

  handleTimeout(now: number): void {
    this.endpoint.handleTimeout(now);
    this.collect();
  }

  pollTransmit(now: number, buffer: Uint8Array): { length: number; to: SimAddress; from?: SimAddress | undefined } | undefined {
    return this.endpoint.pollTransmit(now, buffer);
  }

  pollTimeout(): number | undefined {
    return this.endpoint.pollTimeout();
  }
}

export const CLIENT_ADDRESS: SimAddress = { address: "192.0.2.1", port: 50_000 };
export const SERVER_ADDRESS: SimAddress = { address: "198.51.100.1", port: 4433 };

/** A client and a server endpoint on one network, the client connection started. */
export function pair(options: {
  seed: number;
  link?: LinkConfig;
  provider?: CryptoProvider;
  clientTransport?: Partial<TransportConfig>;
  serverTransport?: Partial<TransportConfig>;
  clientTls?: Partial<ClientTlsOptions>;
  serverLeaf?: GeneratedCertificate;
  /** The client's QUIC version (default v1; the server endpoint accepts v1 only). */
  clientVersion?: number;
}): { net: SimNetwork; client: EndpointHost; server: EndpointHost; conn: Connection } {
  const net = new SimNetwork({ seed: options.seed, link: options.link ?? { delay: 10 } });
  const random = seededRandom(options.seed);
  const client = net.add(new EndpointHost(CLIENT_ADDRESS, random));
  const server = net.add(
    new EndpointHost(SERVER_ADDRESS, random, serverConfig(options.provider, options.serverTransport, options.serverLeaf)),
  );
  const config = clientConfig(options.provider, options.clientTransport, options.clientTls);
  const conn = client.connect(
    net.now,
    options.clientVersion === undefined ? config : { ...config, version: options.clientVersion },
    SERVER_ADDRESS,
  );
  return { net, client, server, conn };
}

/** A deterministic byte pattern, different per stream, so misplaced bytes are caught. */
export function pattern(length: number, salt: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (salt * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Writes `data` on a stream as fast as the connection accepts it, then finishes it. */
export class StreamWriter {
  offset = 0;
  finished = false;
  constructor(
    readonly conn: Connection,
    readonly id: number,
    readonly data: Uint8Array,
  ) {}
  pump(): void {
    if (this.finished || (this.conn.state !== "established" && this.conn.state !== "handshake")) return;
    while (this.offset < this.data.length) {
      const n = this.conn.streamWrite(this.id, this.data.subarray(this.offset, Math.min(this.data.length, this.offset + 65_536)));
      if (n === 0) return;
      this.offset += n;
    }
    this.conn.streamFinish(this.id);
    this.finished = true;
  }
}

/** Reads a stream to its end into one buffer. */
export class StreamReader {
  readonly chunks: Uint8Array[] = [];
  received = 0;
  fin = false;
  readonly #scratch = new Uint8Array(16_384);
  constructor(
    readonly conn: Connection,
    readonly id: number,
  ) {}
  pump(): void {
    while (!this.fin) {
      const r = this.conn.streamRead(this.id, this.#scratch);
      if (r.bytes > 0) {
        this.chunks.push(this.#scratch.slice(0, r.bytes));
        this.received += r.bytes;
      }
      if (r.fin) this.fin = true;
      if (r.bytes === 0) return;
    }
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.received);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

/**
 * One bidirectional stream each way of `size` bytes: the client opens it and sends, the server echoes its own
 * pattern back on the same stream. Returns what both sides read, after running the network until both finished.
 */
export function exchange(
  setup: ReturnType<typeof pair>,
  size: number,
  runOptions: { maxSteps?: number; maxTime?: number } = {},
  onStep?: () => void,
): { toServer: Uint8Array; toClient: Uint8Array; clientData: Uint8Array; serverData: Uint8Array } {
  const { net, server, conn } = setup;
  const clientData = pattern(size, 1);
  const serverData = pattern(size, 2);
  let clientWriter: StreamWriter | undefined;
  let clientReader: StreamReader | undefined;
  let serverWriter: StreamWriter | undefined;
  let serverReader: StreamReader | undefined;
  net.run(() => {
    if (clientWriter === undefined && conn.isHandshakeComplete) {
      const id = conn.openStream("bidi");
      if (id !== undefined) {
        clientWriter = new StreamWriter(conn, id, clientData);
        clientReader = new StreamReader(conn, id);
      }
    }
    const accepted = server.connections[0];
    if (accepted !== undefined && serverReader === undefined) {
      const id = accepted.acceptStream("bidi");
      if (id !== undefined) {
        serverReader = new StreamReader(accepted, id);
        serverWriter = new StreamWriter(accepted, id, serverData);
      }
    }
    onStep?.();
    clientWriter?.pump();
    serverWriter?.pump();
    clientReader?.pump();
    serverReader?.pump();
    return clientReader?.fin === true && serverReader?.fin === true;
  }, runOptions);
  return { toServer: serverReader!.bytes(), toClient: clientReader!.bytes(), clientData, serverData };
}
