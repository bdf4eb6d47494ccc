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

/** An endpoint on the simulated network; keeps every connection event for assertions. */
export class EndpointHost implements SimHost {
  readonly endpoint: Endpoint;
  readonly connections: Connection[] = [];
  readonly events = new Map<Connection, ConnectionEvent[]>();

  constructor(
    readonly address: SimAddress,
    random: (out: Uint8Array) => void,
    server?: ServerConfig,
  ) {
    this.endpoint = new Endpoint(resolveEndpointConfig({ random }), server);
  }

  connect(now: number, config: ClientConfig, to: SimAddress): Connection {
    const conn = this.endpoint.connect(now, config, to);
    this.#track(conn);
    return conn;
  }

  handleDatagram(now: number, datagram: Uint8Array, from: SimAddress): void {
    this.endpoint.handleDatagram(now, datagram, from);
    this.#collect();
  }

  handleTimeout(now: number): void {
    this.endpoint.handleTimeout(now);
    this.#collect();
  }

  pollTransmit(now: number, buffer: Uint8Array): { length: number; to: SimAddress } | undefined {
    return this.endpoint.pollTransmit(now, buffer);
  }

  pollTimeout(): number | undefined {
    return this.endpoint.pollTimeout();
  }

  /** Events of `conn` so far, of one type. */
  eventsOf<T extends ConnectionEvent["type"]>(conn: Connection, type: T): Extract<ConnectionEvent, { type: T }>[] {
    this.#collect();
    return (this.events.get(conn) ?? []).filter((e): e is Extract<ConnectionEvent, { type: T }> => e.type === type);
  }

  #track(conn: Connection): void {
    this.connections.push(conn);
    this.events.set(conn, []);
  }

  #collect(): void {
    for (let e = this.endpoint.pollEvent(); e !== undefined; e = this.endpoint.pollEvent()) this.#track(e.connection);
    for (const conn of this.connections) {
      const list = this.events.get(conn)!;
      for (let e = conn.pollEvent(); e !== undefined; e = conn.pollEvent()) list.push(e);
    }
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
}): { net: SimNetwork; client: EndpointHost; server: EndpointHost; conn: Connection } {
  const net = new SimNetwork({ seed: options.seed, link: options.link ?? { delay: 10 } });
  const random = seededRandom(options.seed);
  const client = net.add(new EndpointHost(CLIENT_ADDRESS, random));
  const server = net.add(
    new EndpointHost(SERVER_ADDRESS, random, serverConfig(options.provider, options.serverTransport, options.serverLeaf)),
  );
  const conn = client.connect(net.now, clientConfig(options.provider, options.clientTransport, options.clientTls), SERVER_ADDRESS);
  return { net, client, server, conn };
}
