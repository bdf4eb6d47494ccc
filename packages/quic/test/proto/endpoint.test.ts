/**
 * The endpoint's stateless work (RFC 9000 §5.2, §6, §14.1): routing by
 * connection ID, new connections only from client Initials of at least
 * 1200 bytes, Version Negotiation for unknown versions (and only for
 * datagrams that could be Initials), junk dropped without state.
 */
import { getProvider } from "@zsync/crypto";
import { describe, expect, it } from "vitest";
import { resolveEndpointConfig } from "../../src/proto/config.js";
import { Endpoint } from "../../src/proto/endpoint.js";
import { negotiationVersions, PacketHeader, parsePacketHeader, writeVersionNegotiation } from "../../src/proto/wire/packet-header.js";
import { QuicVersion } from "../../src/proto/wire/version.js";
import { CLIENT_ADDRESS, pair, SERVER_ADDRESS, seededRandom, serverConfig } from "./support.js";

const FROM = { address: "203.0.113.9", port: 999 };

function serverEndpoint(options: { maxConnections?: number } = {}): Endpoint {
  return new Endpoint(resolveEndpointConfig({ random: seededRandom(1), ...options }), serverConfig(getProvider()));
}

/** A long header with `version`, DCID 8 x 0xaa, SCID 4 x 0xbb, padded to `size`. */
function longHeaderDatagram(version: number, size: number, typeBits = 0): Uint8Array {
  const d = new Uint8Array(size);
  d.set([0xc0 | (typeBits << 4), version >>> 24, (version >>> 16) & 0xff, (version >>> 8) & 0xff, version & 0xff, 8]);
  d.fill(0xaa, 6, 14);
  d[14] = 4;
  d.fill(0xbb, 15, 19);
  d[19] = 0; // token length (Initial)
  d[20] = 0x40; // 2-byte Length
  d[21] = 0x10;
  return d;
}

describe("Endpoint", () => {
  it("answers an unknown version with Version Negotiation listing ours, connection IDs swapped (RFC 9000 §6, §17.2.1)", () => {
    const endpoint = serverEndpoint();
    endpoint.handleDatagram(0, longHeaderDatagram(0x1a2a3a4a, 1200), FROM);
    const buffer = new Uint8Array(1500);
    const t = endpoint.pollTransmit(0, buffer);
    expect(t?.to).toEqual(FROM);
    const header = parsePacketHeader(buffer.subarray(0, t!.length), 0, 8, new PacketHeader());
    expect(header.type).toBe("version-negotiation");
    expect(negotiationVersions(header)).toEqual([QuicVersion.V1]);
    expect([...header.dcid]).toEqual([0xbb, 0xbb, 0xbb, 0xbb]);
    expect([...header.scid]).toEqual(new Array(8).fill(0xaa));
    expect(endpoint.connectionCount).toBe(0);
    expect(endpoint.pollTransmit(0, buffer)).toBeUndefined();
  });

  it("sends no Version Negotiation for datagrams under 1200 bytes (no amplification, §14.1)", () => {
    const endpoint = serverEndpoint();
    endpoint.handleDatagram(0, longHeaderDatagram(0x1a2a3a4a, 1199), FROM);
    expect(endpoint.pollTransmit(0, new Uint8Array(1500))).toBeUndefined();
  });

  it("opens no connection for an Initial in a datagram under 1200 bytes (§14.1)", () => {
    const endpoint = serverEndpoint();
    endpoint.handleDatagram(0, longHeaderDatagram(QuicVersion.V1, 1000), FROM);
    expect(endpoint.connectionCount).toBe(0);
    expect(endpoint.stats.shortInitials).toBe(1);
  });

  it("drops junk and short headers for unknown connection IDs without creating state", () => {
    const endpoint = serverEndpoint();
    const random = seededRandom(7);
    for (let i = 0; i < 200; i++) {
      const d = new Uint8Array(1 + (i % 50) * 30);
      random(d);
      endpoint.handleDatagram(0, d, FROM);
    }
    endpoint.handleDatagram(0, new Uint8Array(0), FROM);
    expect(endpoint.connectionCount).toBe(0);
    expect(endpoint.stats.malformed + endpoint.stats.unroutable + endpoint.stats.shortInitials).toBeGreaterThan(0);
  });

  it("stops accepting at maxConnections", () => {
    const endpoint = new Endpoint(resolveEndpointConfig({ random: seededRandom(2), maxConnections: 1 }), serverConfig(getProvider()));
    // The first datagrams of two real clients.
    for (const seed of [32, 33]) {
      const other = pair({ seed });
      const buffer = new Uint8Array(1500);
      const t = other.client.pollTransmit(0, buffer)!;
      endpoint.handleDatagram(0, buffer.slice(0, t.length), { address: "192.0.2.50", port: seed });
    }
    expect(endpoint.connectionCount).toBe(1);
    expect(endpoint.stats.refused).toBe(1);
  });

  it("reports which connections have events, and per-connection counters that match the wire", () => {
    const { net, client, server, conn } = pair({ seed: 34 });
    net.run(() => conn.isHandshakeConfirmed && server.connections[0]?.isHandshakeConfirmed === true);
    net.runFor(100);
    const accepted = server.connections[0]!;
    const sentByClient = net.trace.filter((r) => r.from === CLIENT_ADDRESS).reduce((n, r) => n + r.length, 0);
    const sentByServer = net.trace.filter((r) => r.from === SERVER_ADDRESS).reduce((n, r) => n + r.length, 0);
    expect(conn.stats.bytesSent).toBe(sentByClient);
    expect(accepted.stats.bytesReceived).toBe(sentByClient);
    expect(accepted.stats.bytesSent).toBe(sentByServer);
    expect(conn.stats.packetsReceived).toBeGreaterThan(0);
    expect(conn.stats.packetsLost).toBe(0);
    expect(conn.version).toBe(QuicVersion.V1);
    expect(accepted.version).toBe(QuicVersion.V1);
    // EndpointHost drains events itself; a fresh close shows up through pollDirtyConnection.
    expect(client.endpoint.pollDirtyConnection()).toBe(conn); // it had events when they were produced
    expect(client.endpoint.pollDirtyConnection()).toBeUndefined();
    accepted.close(net.now, 1);
    net.run(() => conn.state === "draining");
    expect(client.endpoint.pollDirtyConnection()).toBe(conn);
  });
});

describe("Version Negotiation on the client (RFC 9000 §6.2)", () => {
  it("a client offering a version the server lacks ends with version-mismatch and the server's list", () => {
    const { net, client, conn } = pair({ seed: 35, clientVersion: QuicVersion.V2 });
    net.run(() => conn.isDrained);
    expect(client.eventsOf(conn, "closed")[0]?.reason).toEqual({ kind: "version-mismatch", versions: [QuicVersion.V1] });
    expect(client.endpoint.connectionCount).toBe(0);
  });

  it("ignores a Version Negotiation that lists the version in use (forged or stale)", () => {
    const { net, client, conn } = pair({ seed: 36 });
    const first = new Uint8Array(1500);
    const t = client.pollTransmit(0, first)!;
    const header = parsePacketHeader(first.subarray(0, t.length), 0, 8, new PacketHeader());
    const vn = new Uint8Array(100);
    const end = writeVersionNegotiation(vn, 0, header.dcid, header.scid, [QuicVersion.V2, QuicVersion.V1]);
    client.handleDatagram(1, vn.subarray(0, end), SERVER_ADDRESS);
    expect(conn.state).toBe("handshake");
    net.run(() => conn.isHandshakeConfirmed);
  });
});
