/**
 * The handshake between two sans-I/O endpoints over the simulated network
 * (RFC 9000 §7, RFC 9001 §4): both sides complete, confirm, discard
 * Initial and Handshake keys, and agree on ALPN and cipher suite, on both
 * crypto providers; the client's first datagram is padded to 1200 bytes
 * (§14.1); lost first flights are recovered by PTO probes (RFC 9002 §6.2).
 */
import { getProvider, nobleProvider } from "@zsync/crypto";
import { generateCertificate } from "@zsync/crypto/tls";
import { describe, expect, it } from "vitest";
import { splitDatagram } from "../../src/proto/wire/packet-header.js";
import { ALPN, CLIENT_ADDRESS, exchange, pair, SERVER_ADDRESS, testPki } from "./support.js";

describe.each([getProvider("node"), nobleProvider])("handshake on the $name provider", (provider) => {
  it("completes and confirms on both sides in about one round trip", () => {
    const { net, client, server, conn } = pair({ seed: 1, provider });
    net.run(() => conn.isHandshakeConfirmed && server.connections[0]?.isHandshakeConfirmed === true);
    const accepted = server.connections[0]!;
    expect(conn.state).toBe("established");
    expect(accepted.state).toBe("established");
    const [clientConnected] = client.eventsOf(conn, "connected");
    const [serverConnected] = server.eventsOf(accepted, "connected");
    expect(clientConnected?.info.alpnProtocol).toBe(ALPN);
    expect(serverConnected?.info.alpnProtocol).toBe(ALPN);
    expect(clientConnected?.info.cipherSuite.name).toBe(serverConnected?.info.cipherSuite.name);
    // Client Initial -> server flight -> client Finished -> HANDSHAKE_DONE: two round trips of 20 ms.
    expect(net.now).toBeLessThanOrEqual(45);
    expect(conn.peerTransportParameters?.initialMaxData).toBeGreaterThan(0);
  });
});

describe("handshake details", () => {
  it("pads every client datagram carrying an Initial to at least 1200 bytes (RFC 9000 §14.1)", () => {
    const { net, server, conn } = pair({ seed: 2 });
    net.run(() => conn.isHandshakeConfirmed && server.connections[0]?.isHandshakeConfirmed === true);
    const first = net.trace.find((r) => r.from === CLIENT_ADDRESS);
    expect(first?.length).toBeGreaterThanOrEqual(1200);
  });

  it("keeps the server within 3x what it received before the client's address is validated (RFC 9000 §8.1)", () => {
    // One 1200-byte client datagram (x25519 only), then silence; the server's flight (a certificate with many names) is far
    // larger than 3600 bytes, so the limit, not the flight, decides what it sends.
    const serverLeaf = generateCertificate({
      issuer: testPki().ca,
      subjectAltNames: ["localhost", ...Array.from({ length: 120 }, (_, i) => `host-${i}.a-rather-long-subdomain.example.net`)],
    });
    const { net, server, conn } = pair({ seed: 3, clientTls: { groups: ["x25519"] }, serverLeaf });
    net.setLink(CLIENT_ADDRESS, SERVER_ADDRESS, { delay: 10, dropList: Array.from({ length: 500 }, (_, i) => i + 2) });
    net.runFor(5000);
    const received = net.trace.filter((r) => r.from === CLIENT_ADDRESS && r.fate === "delivered").reduce((n, r) => n + r.length, 0);
    const sent = net.trace.filter((r) => r.from === SERVER_ADDRESS).reduce((n, r) => n + r.length, 0);
    expect(received).toBe(1200);
    expect(sent).toBeGreaterThan(2400);
    expect(sent).toBeLessThanOrEqual(3 * received);
    expect(server.connections[0]?.isHandshakeComplete).toBe(false);
    expect(conn.isHandshakeComplete).toBe(false);
  });

  it("recovers from a lost client Initial and a lost server flight by PTO (RFC 9002 §6.2)", () => {
    const { net, server, conn } = pair({ seed: 4 });
    net.setLink(CLIENT_ADDRESS, SERVER_ADDRESS, { delay: 10, dropList: [1] });
    net.setLink(SERVER_ADDRESS, CLIENT_ADDRESS, { delay: 10, dropList: [1] });
    net.run(() => conn.isHandshakeConfirmed && server.connections[0]?.isHandshakeConfirmed === true);
    expect(conn.state).toBe("established");
  });
});

describe("packets ahead of their keys (RFC 9001 §5.7)", () => {
  it("the server keeps 1-RTT packets that overtake the client's Finished and processes them on completion", () => {
    // The client's datagram carrying its Handshake packet (Finished) is held back 30 ms; the 1-RTT data behind it arrives first.
    let held = false;
    const holdFinished = (_index: number, datagram: Uint8Array): number => {
      if (held) return 0;
      const headers = splitDatagram(datagram, 8);
      if (!headers.some((h) => h.type === "handshake")) return 0;
      held = true;
      return 30;
    };
    const setup = pair({ seed: 61 });
    setup.net.setLink(CLIENT_ADDRESS, SERVER_ADDRESS, { delay: 10, extraDelay: holdFinished });
    const { toServer, clientData } = exchange(setup, 20_000);
    expect(held).toBe(true);
    expect(Buffer.compare(toServer, clientData)).toBe(0);
    // 12 1-RTT packets overtake the Finished; the server keeps 8 (its bound), so only the other 4 are lost and resent
    // (all 12 are, without the buffer).
    expect(setup.conn.stats.packetsLost).toBeLessThanOrEqual(4);
  });
});
