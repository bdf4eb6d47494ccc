/**
 * 0-RTT (RFC 9001 §4.6, RFC 9000 §7.4.1): a client resuming with a ticket
 * that allows early data, and remembering the server's transport
 * parameters, sends stream data in 0-RTT packets before the handshake
 * completes; a server configured with `maxEarlyData` reads it at once. A
 * server that refuses (policy) still gets the data exactly once, resent in
 * 1-RTT (§4.6.2); lost 0-RTT packets are resent; a client that was never
 * given a ticket cannot make the server take 0-RTT packets.
 */
import { type CryptoProvider, getProvider, nobleProvider } from "@zsync/crypto";
import { SessionTicketer, type TlsSession } from "@zsync/crypto/tls";
import { describe, expect, it } from "vitest";
import { QUIC_MAX_EARLY_DATA, QuicConfigError, resolveServerConfig, type ServerConfig } from "../../src/proto/config.js";
import type { Connection } from "../../src/proto/connection/connection.js";
import type { EarlyTransportParameters } from "../../src/proto/connection/early-data.js";
import { createPacketKeys } from "../../src/proto/crypto/packet-keys.js";
import { sealPacket } from "../../src/proto/crypto/packet-protection.js";
import { TransportErrorCode } from "../../src/proto/errors.js";
import { PacketHeader, parsePacketHeader, writeLongHeader } from "../../src/proto/wire/packet-header.js";
import { QuicVersion } from "../../src/proto/wire/version.js";
import { type SimAddress, type SimHost, SimNetwork } from "./sim-network.js";
import {
  ALPN,
  CLIENT_ADDRESS,
  clientConfig,
  EndpointHost,
  pattern,
  SERVER_ADDRESS,
  StreamReader,
  StreamWriter,
  seededRandom,
  testPki,
} from "./support.js";

const credentials = { certificate: testPki().leaf.certificatePem, privateKey: testPki().leaf.privateKeyPem };

function earlyServer(provider: CryptoProvider, acceptEarlyData?: () => boolean, initialMaxStreamsBidi?: number): ServerConfig {
  return resolveServerConfig({
    tls: { credentials, alpnProtocols: [ALPN], maxEarlyData: QUIC_MAX_EARLY_DATA },
    transport: initialMaxStreamsBidi === undefined ? {} : { initialMaxStreamsBidi },
    provider,
    acceptEarlyData,
  });
}

/** Counts the 0-RTT packets a host receives and can spoil them (flip their last byte: the AEAD tag) to lose them. */
class ZeroRttTap implements SimHost {
  seen = 0;
  /** Datagrams with an Initial packet shorter than 1200 bytes (RFC 9000 §14.1: the server drops them). */
  shortInitialDatagrams = 0;
  /** Destination Connection ID of the first Initial received (what a client's 0-RTT packets are sent to). */
  firstDcid: Uint8Array | undefined;
  spoil: (index: number) => boolean = () => false;
  readonly #header = new PacketHeader();
  constructor(readonly inner: EndpointHost) {}
  get address(): SimAddress {
    return this.inner.address;
  }
  handleDatagram(now: number, datagram: Uint8Array, from: SimAddress): void {
    let offset = 0;
    while (offset < datagram.length) {
      try {
        parsePacketHeader(datagram, offset, 8, this.#header);
      } catch {
        break;
      }
      if (this.#header.type === "initial") {
        this.firstDcid ??= this.#header.dcid.slice();
        if (datagram.length < 1200) this.shortInitialDatagrams++;
      }
      if (this.#header.type === "0rtt" && this.spoil(++this.seen)) datagram[this.#header.end - 1]! ^= 0xff;
      if (!this.#header.long) break;
      offset = this.#header.end;
    }
    this.inner.handleDatagram(now, datagram, from);
  }
  handleTimeout(now: number): void {
    this.inner.handleTimeout(now);
  }
  pollTransmit(now: number, buffer: Uint8Array): { length: number; to: SimAddress } | undefined {
    return this.inner.pollTransmit(now, buffer);
  }
  pollTimeout(): number | undefined {
    return this.inner.pollTimeout();
  }
}

/** A server on a network; `ticket()` runs a first connection and returns its ticket and remembered parameters. */
function world(seed: number, server: ServerConfig, version: number = QuicVersion.V1) {
  const net = new SimNetwork({ seed, link: { delay: 10 } });
  const random = seededRandom(seed);
  const host = new EndpointHost(SERVER_ADDRESS, random, server, [version]);
  const tap = net.add(new ZeroRttTap(host));
  let port = CLIENT_ADDRESS.port;
  const newClient = () => net.add(new EndpointHost({ address: CLIENT_ADDRESS.address, port: port++ }, random, undefined, [version]));
  return {
    net,
    server: host,
    tap,
    ticket(): { session: TlsSession; remembered: EarlyTransportParameters } {
      const client = newClient();
      const conn = client.connect(net.now, { ...clientConfig(server.provider), version }, SERVER_ADDRESS);
      net.run(() => conn.isHandshakeConfirmed && client.eventsOf(conn, "session").length > 0);
      const params = conn.peerTransportParameters!;
      return { session: client.eventsOf(conn, "session")[0]!.session, remembered: params };
    },
    /** A resuming client with 0-RTT on; nothing is run yet. */
    resume(session: TlsSession, remembered: EarlyTransportParameters | undefined): { client: EndpointHost; conn: Connection } {
      const client = newClient();
      const config = { ...clientConfig(server.provider, {}, { session, earlyData: true }), version };
      const conn = client.endpoint.connect(net.now, config, SERVER_ADDRESS, undefined, remembered);
      client.connections.push(conn);
      client.events.set(conn, []);
      return { client, conn };
    },
  };
}

/**
 * Writes `data` on a new stream right after connect (0-RTT when available) and runs until the server read all
 * of it; records whether the server's first byte came before its handshake completed.
 */
function sendEarly(w: ReturnType<typeof world>, conn: Connection, data: Uint8Array) {
  const id = conn.openStream("bidi");
  expect(id).toBeDefined();
  const writer = new StreamWriter(conn, id!, data);
  writer.pump();
  let reader: StreamReader | undefined;
  let readBeforeHandshake = false;
  let clientConnectedAt: number | undefined;
  let serverDoneAt: number | undefined;
  w.net.run(() => {
    writer.pump();
    if (clientConnectedAt === undefined && conn.isHandshakeComplete) clientConnectedAt = w.net.now;
    const accepted = w.server.connections.at(-1);
    if (accepted === undefined || accepted.state === "closing" || accepted.state === "draining") return true;
    if (reader === undefined) {
      const sid = accepted.acceptStream("bidi");
      if (sid !== undefined) reader = new StreamReader(accepted, sid);
    }
    const before = reader?.received ?? 0;
    reader?.pump();
    if ((reader?.received ?? 0) > before && before === 0 && !accepted.isHandshakeComplete) readBeforeHandshake = true;
    if (serverDoneAt === undefined && reader?.fin === true) serverDoneAt = w.net.now;
    return reader?.fin === true && conn.isHandshakeConfirmed;
  });
  // Virtual time of the simulator (deterministic): from the client's handshake completion to the server's last byte.
  const afterHandshake = serverDoneAt! - clientConnectedAt!;
  return { received: reader?.bytes(), readBeforeHandshake, afterHandshake, server: w.server.connections.at(-1)! };
}

describe.each([getProvider("node"), nobleProvider])("0-RTT on the $name provider", (provider) => {
  it.each([
    ["v1", QuicVersion.V1],
    ["v2", QuicVersion.V2],
  ])("accepted (%s): the server reads the early stream data before its handshake completes (RFC 9001 §4.6)", (_, version) => {
    const w = world(11, earlyServer(provider), version);
    const { session, remembered } = w.ticket();
    expect(session.maxEarlyData).toBe(QUIC_MAX_EARLY_DATA); // RFC 9001 §4.6.1
    const { client, conn } = w.resume(session, remembered);
    expect(conn.isEarlyDataAvailable).toBe(true);
    const data = pattern(3000, 5);
    const seenBefore = w.tap.seen;
    const { received, readBeforeHandshake, server } = sendEarly(w, conn, data);
    expect(w.tap.seen - seenBefore).toBeGreaterThan(0); // it did travel in 0-RTT packets
    expect(w.tap.shortInitialDatagrams).toBe(0); // the 0-RTT packet after an Initial takes the §14.1 padding
    expect(received).toEqual(data);
    expect(readBeforeHandshake).toBe(true);
    expect(client.eventsOf(conn, "connected")[0]?.info.earlyDataAccepted).toBe(true);
    expect(w.server.eventsOf(server, "connected")[0]?.info.earlyDataAccepted).toBe(true);
    expect(conn.earlyDataOutcome).toBe("accepted");
    expect(conn.isEarlyDataAvailable).toBe(false); // RFC 9001 §4.9.3: 0-RTT keys dropped with 1-RTT keys
    expect(conn.closeReason).toBeUndefined();
  });

  it("refused by the server's policy: the data arrives once, in 1-RTT (RFC 9001 §4.6.2)", () => {
    let refuse = false;
    const w = world(
      12,
      earlyServer(provider, () => !refuse),
    );
    const { session, remembered } = w.ticket();
    refuse = true;
    const { client, conn } = w.resume(session, remembered);
    expect(conn.isEarlyDataAvailable).toBe(true); // the client cannot know before the server answers
    const data = pattern(5000, 6);
    const { received, readBeforeHandshake, afterHandshake, server } = sendEarly(w, conn, data);
    expect(received).toEqual(data); // exactly the bytes written, in order, once
    expect(readBeforeHandshake).toBe(false);
    // Resent at once in the client's first 1-RTT flight (one 10 ms link delay), not when loss detection gets to it.
    expect(afterHandshake).toBeLessThanOrEqual(10);
    expect(client.eventsOf(conn, "connected")[0]?.info.earlyDataAccepted).toBe(false);
    expect(w.server.eventsOf(server, "connected")[0]?.info.earlyDataAccepted).toBe(false);
    expect(w.server.eventsOf(server, "connected")[0]?.info.resumed).toBe(true);
    expect(conn.earlyDataOutcome).toBe("refused");
  });

  it("lost 0-RTT packets: their stream data is resent and arrives once", () => {
    const w = world(13, earlyServer(provider));
    const { session, remembered } = w.ticket();
    const { client, conn } = w.resume(session, remembered);
    w.tap.spoil = () => true; // every 0-RTT packet is lost
    const data = pattern(4000, 7);
    const { received, readBeforeHandshake } = sendEarly(w, conn, data);
    expect(received).toEqual(data);
    expect(readBeforeHandshake).toBe(false);
    expect(client.eventsOf(conn, "connected")[0]?.info.earlyDataAccepted).toBe(true);
    expect(conn.stats.packetsLost).toBeGreaterThan(0);
  });

  it("a server that accepts 0-RTT but lowered a remembered limit: PROTOCOL_VIOLATION at the client (RFC 9000 §7.4.1)", () => {
    const w = world(14, earlyServer(provider, undefined, 10));
    const { session, remembered } = w.ticket();
    const { conn } = w.resume(session, { ...remembered, initialMaxStreamsBidi: 50 });
    conn.openStream("bidi");
    w.net.run(() => conn.closeReason !== undefined);
    expect(conn.closeReason).toMatchObject({ kind: "transport", remote: false, errorCode: TransportErrorCode.PROTOCOL_VIOLATION });
  });
});

describe("0-RTT without what it needs", () => {
  const provider = getProvider();

  it("without remembered parameters the client sends no 0-RTT (it cannot know the limits, RFC 9000 §7.4.1)", () => {
    const w = world(21, earlyServer(provider));
    const { session } = w.ticket();
    const { conn } = w.resume(session, undefined);
    expect(conn.isEarlyDataAvailable).toBe(false);
    expect(conn.openStream("bidi")).toBeUndefined();
    const before = w.tap.seen;
    w.net.run(() => conn.isHandshakeConfirmed);
    expect(w.tap.seen).toBe(before);
  });

  it("a server without maxEarlyData refuses early data; the client's data arrives in 1-RTT", () => {
    const server = resolveServerConfig({ tls: { credentials, alpnProtocols: [ALPN] }, provider });
    const w = world(22, server);
    const { session, remembered } = w.ticket();
    expect(session.maxEarlyData).toBe(0);
    const { conn } = w.resume(session, remembered);
    expect(conn.isEarlyDataAvailable).toBe(false); // the ticket does not allow early data: TLS offers none
  });

  it("a hostile client's 0-RTT packets without a ticket are dropped: no data, no error, the handshake completes", () => {
    const w = world(23, earlyServer(provider));
    const client = w.net.add(new EndpointHost({ address: CLIENT_ADDRESS.address, port: 40_000 }, seededRandom(23)));
    const conn = client.connect(w.net.now, clientConfig(provider), SERVER_ADDRESS);
    // Its first datagram (an Initial) reaches the server; then 0-RTT packets to the same connection ID under keys of
    // the client's own making carry a STREAM frame: the server has no 0-RTT keys for a handshake without a ticket.
    w.net.run(() => w.server.connections.length > 0, { allowIncomplete: true, maxSteps: 50 });
    const forged = forgeZeroRtt(provider, w.tap.firstDcid!, conn.localCid);
    w.server.handleDatagram(w.net.now, forged, client.address);
    // And to an unknown connection ID: the endpoint creates nothing for it.
    const count = w.server.connections.length;
    w.server.handleDatagram(w.net.now, forgeZeroRtt(provider, new Uint8Array(8).fill(7), conn.localCid), {
      ...client.address,
      port: 40_001,
    });
    expect(w.server.connections.length).toBe(count);
    w.net.run(() => conn.isHandshakeConfirmed);
    const accepted = w.server.connections[0]!;
    expect(accepted.closeReason).toBeUndefined();
    expect(accepted.acceptStream("bidi")).toBeUndefined();
    expect(w.server.eventsOf(accepted, "stream-opened")).toHaveLength(0);
  });
});

describe("server config for 0-RTT", () => {
  it("maxEarlyData is 0 or 0xffffffff (RFC 9001 §4.6.1)", () => {
    expect(() => resolveServerConfig({ tls: { credentials, alpnProtocols: [ALPN], maxEarlyData: 16_384 } })).toThrow(QuicConfigError);
    expect(resolveServerConfig({ tls: { credentials, alpnProtocols: [ALPN], maxEarlyData: QUIC_MAX_EARLY_DATA } }).tls.maxEarlyData).toBe(
      QUIC_MAX_EARLY_DATA,
    );
  });

  it("refuses 0-RTT with a caller's ticketer, whose tickets may come from servers with other limits (RFC 9000 §7.4.1)", () => {
    const sessionTickets = new SessionTicketer(getProvider());
    expect(() =>
      resolveServerConfig({ tls: { credentials, alpnProtocols: [ALPN], maxEarlyData: QUIC_MAX_EARLY_DATA, sessionTickets } }),
    ).toThrow(QuicConfigError);
  });
});

/** A 0-RTT packet with a STREAM frame on stream 0, sealed under keys of the sender's own making. */
function forgeZeroRtt(provider: CryptoProvider, dcid: Uint8Array, scid: Uint8Array): Uint8Array {
  const buffer = new Uint8Array(1200);
  const keys = createPacketKeys(provider, QuicVersion.V1, "aes-128-gcm", new Uint8Array(32).fill(9));
  const payloadStart = writeLongHeader(buffer, 0, {
    type: "0rtt",
    version: QuicVersion.V1,
    dcid,
    scid,
    packetNumber: 0,
    packetNumberLength: 2,
    length: 0,
    lengthFieldSize: 2,
  });
  const end = buffer.length - 16;
  buffer.set([0x0b, 0x00, 0x04, 1, 2, 3, 4], payloadStart); // STREAM (OFF=0, LEN, FIN) id 0, 4 bytes
  const length = end + 16 - (payloadStart - 2);
  buffer[payloadStart - 4] = 0x40 | (length >> 8);
  buffer[payloadStart - 3] = length & 0xff;
  return buffer.subarray(0, sealPacket(keys, buffer, 0, payloadStart - 2, 2, 0, end));
}
