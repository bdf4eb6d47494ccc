/**
 * Session resumption (RFC 9001 §4.5, RFC 8446 §2.2): a server hands its
 * clients NewSessionTicket messages in 1-RTT CRYPTO frames; a later
 * connection of a client that offers one resumes (PSK with (EC)DHE, no
 * certificate exchange). Every connection of one server must be able to open
 * the tickets of the others, so the ticket key lives in the `ServerConfig`,
 * not in one connection's TLS engine.
 */
import { getProvider, nobleProvider } from "@zsync/crypto";
import { SessionTicketer, type TlsSession } from "@zsync/crypto/tls";
import { describe, expect, it } from "vitest";
import { resolveServerConfig, type ServerConfig } from "../../src/proto/config.js";
import type { Connection } from "../../src/proto/connection/connection.js";
import { SimNetwork } from "./sim-network.js";
import { ALPN, CLIENT_ADDRESS, clientConfig, EndpointHost, SERVER_ADDRESS, seededRandom, serverConfig, testPki } from "./support.js";

/** One server endpoint on a network; clients connect from distinct ports, each on its own endpoint. */
function world(seed: number, server: ServerConfig) {
  const net = new SimNetwork({ seed, link: { delay: 10 } });
  const random = seededRandom(seed);
  const host = net.add(new EndpointHost(SERVER_ADDRESS, random, server));
  let port = CLIENT_ADDRESS.port;
  return {
    net,
    server: host,
    /** Connects a fresh client endpoint, runs until the ticket arrived, returns the connection and what it reported. */
    connect(session?: TlsSession, expectTicket = true): { conn: Connection; client: EndpointHost; sessions: TlsSession[] } {
      const client = net.add(new EndpointHost({ address: CLIENT_ADDRESS.address, port: port++ }, random));
      const conn = client.connect(net.now, clientConfig(server.provider, {}, session === undefined ? {} : { session }), SERVER_ADDRESS);
      net.run(() => conn.isHandshakeConfirmed && (!expectTicket || client.eventsOf(conn, "session").length > 0));
      return { conn, client, sessions: client.eventsOf(conn, "session").map((e) => e.session) };
    },
  };
}

describe.each([getProvider("node"), nobleProvider])("session resumption on the $name provider", (provider) => {
  it("a second connection to the same server resumes with the ticket of the first", () => {
    const w = world(1, serverConfig(provider));
    const first = w.connect();
    expect(first.client.eventsOf(first.conn, "connected")[0]?.info.resumed).toBe(false);
    expect(first.sessions.length).toBeGreaterThan(0);
    const second = w.connect(first.sessions[0]);
    const [connected] = second.client.eventsOf(second.conn, "connected");
    expect(connected?.info.resumed).toBe(true);
    expect(connected?.info.peerCertificates).toHaveLength(0); // §2.2: no certificate on resumption
    expect(connected?.info.alpnProtocol).toBe(ALPN);
    const accepted = w.server.connections[1]!;
    expect(w.server.eventsOf(accepted, "connected")[0]?.info.resumed).toBe(true);
  });
});

describe("session tickets in the server config", () => {
  const credentials = { certificate: testPki().leaf.certificatePem, privateKey: testPki().leaf.privateKeyPem };

  it("sessionTickets: false issues no ticket (resumption disabled)", () => {
    const w = world(2, resolveServerConfig({ tls: { credentials, alpnProtocols: [ALPN], sessionTickets: false } }));
    const { conn, client } = w.connect(undefined, false);
    w.net.runFor(200);
    expect(conn.isHandshakeConfirmed).toBe(true);
    expect(client.eventsOf(conn, "session")).toHaveLength(0);
  });

  it("keeps a ticketer the caller shares between two servers: one's ticket resumes on the other", () => {
    const shared = new SessionTicketer(getProvider());
    const a = resolveServerConfig({ tls: { credentials, alpnProtocols: [ALPN], sessionTickets: shared } });
    const b = resolveServerConfig({ tls: { credentials, alpnProtocols: [ALPN], sessionTickets: shared } });
    expect(a.tls.sessionTickets).toBe(shared);
    const first = world(3, a).connect();
    const second = world(4, b).connect(first.sessions[0]);
    expect(second.client.eventsOf(second.conn, "connected")[0]?.info.resumed).toBe(true);
  });
});
