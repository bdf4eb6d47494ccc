/**
 * A server marks the streams it received in 0-RTT (RFC 9001 §4.6.1, §9.2):
 * `Connection.streamReceivedInEarlyData(id)` is true for a stream a 0-RTT
 * packet opened or carried data for, so an application can defer work that
 * is not idempotent until the handshake completes (0-RTT data can be
 * replayed). Streams opened in 1-RTT, and early data the server refused and
 * the client resent in 1-RTT, are not marked. A client also sends DATAGRAM
 * frames in 0-RTT when the remembered parameters allow them (RFC 9221 §3).
 */
import { getProvider } from "@zsync/crypto";
import type { TlsSession } from "@zsync/crypto/tls";
import { describe, expect, it } from "vitest";
import { QUIC_MAX_EARLY_DATA, resolveServerConfig, type ServerConfig } from "../../src/proto/config.js";
import type { Connection } from "../../src/proto/connection/connection.js";
import type { EarlyTransportParameters } from "../../src/proto/connection/early-data.js";
import { SimNetwork } from "./sim-network.js";
import { ALPN, CLIENT_ADDRESS, clientConfig, EndpointHost, SERVER_ADDRESS, seededRandom, testPki } from "./support.js";

const credentials = { certificate: testPki().leaf.certificatePem, privateKey: testPki().leaf.privateKeyPem };
const bytes = (text: string) => new TextEncoder().encode(text);

function server(acceptEarlyData?: () => boolean, maxDatagramFrameSize = 0): ServerConfig {
  return resolveServerConfig({
    tls: { credentials, alpnProtocols: [ALPN], maxEarlyData: QUIC_MAX_EARLY_DATA },
    transport: { maxDatagramFrameSize },
    provider: getProvider(),
    acceptEarlyData,
  });
}

/** A server, a first connection for its ticket, then a resuming client with 0-RTT on (nothing run yet). */
function resumed(seed: number, config: ServerConfig) {
  const net = new SimNetwork({ seed, link: { delay: 10 } });
  const random = seededRandom(seed);
  const host = net.add(new EndpointHost(SERVER_ADDRESS, random, config));
  const first = net.add(new EndpointHost(CLIENT_ADDRESS, random));
  const conn1 = first.connect(net.now, clientConfig(config.provider), SERVER_ADDRESS);
  net.run(() => conn1.isHandshakeConfirmed && first.eventsOf(conn1, "session").length > 0);
  const session: TlsSession = first.eventsOf(conn1, "session")[0]!.session;
  const remembered: EarlyTransportParameters = conn1.peerTransportParameters!;
  const client = net.add(new EndpointHost({ address: CLIENT_ADDRESS.address, port: CLIENT_ADDRESS.port + 1 }, random));
  const conn = client.endpoint.connect(
    net.now,
    clientConfig(config.provider, {}, { session, earlyData: true }),
    SERVER_ADDRESS,
    undefined,
    remembered,
  );
  expect(conn.isEarlyDataAvailable).toBe(true);
  return { net, host, conn };
}

/** The streams the resumed connection's server side accepted, with their early marks, once `count` were accepted. */
function acceptAll(s: ReturnType<typeof resumed>, count: number): { server: Connection; early: Map<number, boolean> } {
  const early = new Map<number, boolean>();
  let server: Connection | undefined;
  s.net.run(() => {
    server = s.host.connections.at(-1);
    if (server === undefined || server === s.host.connections[0]) return false;
    for (let id = server.acceptStream("bidi"); id !== undefined; id = server.acceptStream("bidi"))
      early.set(id, server.streamReceivedInEarlyData(id));
    return early.size >= count && s.conn.isHandshakeComplete;
  });
  return { server: server!, early };
}

describe("streams received in 0-RTT", () => {
  it("marks the streams a 0-RTT packet opened, and not those opened after the handshake", () => {
    const s = resumed(71, server());
    const first = s.conn.openStream("bidi")!;
    const second = s.conn.openStream("bidi")!;
    s.conn.streamWrite(second, bytes("GET /replayable")); // only the second has data: it opens the first implicitly (§3.2)
    s.conn.streamFinish(second);
    s.net.run(() => s.conn.isHandshakeComplete);
    expect(s.conn.earlyDataOutcome).toBe("accepted");
    const late = s.conn.openStream("bidi")!;
    s.conn.streamWrite(late, bytes("POST /once"));
    s.conn.streamFinish(late);
    const { server: conn, early } = acceptAll(s, 3);
    expect(conn.earlyDataOutcome).toBe("accepted");
    expect([...early]).toEqual([
      [first, true],
      [second, true],
      [late, false],
    ]);
  });

  it("does not mark early data the server refused (it arrives again in 1-RTT)", () => {
    let refuse = false; // the first connection's ticket allows early data; the policy refuses the resumption's
    const s = resumed(
      72,
      server(() => !refuse),
    );
    refuse = true;
    const id = s.conn.openStream("bidi")!;
    s.conn.streamWrite(id, bytes("GET /refused"));
    s.conn.streamFinish(id);
    const { server: conn, early } = acceptAll(s, 1);
    expect(conn.earlyDataOutcome).toBe("refused");
    expect(early.get(id)).toBe(false);
  });
});

describe("DATAGRAM in 0-RTT", () => {
  it("goes out before the handshake within the remembered max_datagram_frame_size, and the server takes it", () => {
    const s = resumed(73, server(undefined, 1200));
    expect(s.conn.maxDatagramPayload).toBeGreaterThan(0);
    expect(s.conn.sendDatagram(bytes("early datagram"))).toBe(true);
    let serverHandshakeDoneFirst: boolean | undefined;
    s.net.run(() => {
      const conn = s.host.connections.at(-1);
      if (conn === undefined || conn === s.host.connections[0]) return false;
      const got = s.host.eventsOf(conn, "datagram");
      if (got.length === 0) return false;
      serverHandshakeDoneFirst = conn.isHandshakeComplete;
      expect(new TextDecoder().decode(got[0]!.data)).toBe("early datagram");
      return true;
    });
    expect(serverHandshakeDoneFirst).toBe(false); // it came in the client's first flight, in a 0-RTT packet
  });

  it("a datagram too large for a 0-RTT packet's longer header waits for 1-RTT instead of spinning", () => {
    const s = resumed(75, server(undefined, 65_535));
    const size = s.conn.maxDatagramPayload; // sized for a short-header packet
    expect(s.conn.sendDatagram(new Uint8Array(size).fill(7))).toBe(true);
    s.net.run(() => {
      const conn = s.host.connections.at(-1);
      return conn !== undefined && conn !== s.host.connections[0] && s.host.eventsOf(conn, "datagram").length > 0;
    });
    const conn = s.host.connections.at(-1)!;
    expect(s.host.eventsOf(conn, "datagram")[0]!.data.length).toBe(size);
  });

  it("waits for the handshake when the remembered parameters allowed none", () => {
    const s = resumed(74, server());
    expect(s.conn.maxDatagramPayload).toBe(0);
  });
});
