/**
 * 0.5-RTT data (RFC 9001 §4.1.1, §5.7): a server that sent its handshake
 * flight holds 1-RTT write keys, so the answer to a 0-RTT request leaves at
 * once instead of after the client's Finished. On the simulated network with
 * its virtual clock (deterministic, so times are asserted exactly): a
 * resumed request/response completes one RTT after the client starts when
 * the server answers early, two when it waits for its handshake; 0.5-RTT
 * data stays within three times what an unvalidated client sent (RFC 9000
 * §8.1); and a client 1-RTT packet that overtakes the client's Finished is
 * held, not processed, until the Finished arrives (RFC 9001 §5.7).
 */
import { getProvider } from "@zsync/crypto";
import type { TlsSession } from "@zsync/crypto/tls";
import { describe, expect, it } from "vitest";
import { QUIC_MAX_EARLY_DATA, resolveServerConfig, type ServerConfig } from "../../src/proto/config.js";
import type { Connection } from "../../src/proto/connection/connection.js";
import type { EarlyTransportParameters } from "../../src/proto/connection/early-data.js";
import { carriesHandshakePacket } from "../support/packets.js";
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

/** One-way delay of every link: RTT 20 ms. */
const DELAY = 10;
const RTT = 2 * DELAY;
const provider = getProvider();

function earlyServer(): ServerConfig {
  const credentials = { certificate: testPki().leaf.certificatePem, privateKey: testPki().leaf.privateKeyPem };
  return resolveServerConfig({ tls: { credentials, alpnProtocols: [ALPN], maxEarlyData: QUIC_MAX_EARLY_DATA }, provider });
}

/**
 * The server application, run right after every input to the endpoint (as the Node driver dispatches events
 * before it transmits): it answers each request stream with `responseSize` bytes once the request's FIN was read,
 * either as soon as it can (`early`) or only once the connection's handshake completed.
 */
class ServingHost implements SimHost {
  readonly #readers = new Map<number, StreamReader>();
  readonly #writers: StreamWriter[] = [];
  /** Observes each datagram the server sends (before it goes on the link). */
  onTransmit: (datagram: Uint8Array) => void = () => {};
  /** Observes each datagram the server receives. */
  onReceive: (datagram: Uint8Array) => void = () => {};
  constructor(
    readonly inner: EndpointHost,
    readonly early: boolean,
    readonly responseSize: number,
  ) {}
  get address(): SimAddress {
    return this.inner.address;
  }
  get conn(): Connection | undefined {
    return this.inner.connections.at(-1);
  }
  handleDatagram(now: number, datagram: Uint8Array, from: SimAddress): void {
    this.onReceive(datagram);
    this.inner.handleDatagram(now, datagram, from);
    this.#serve();
  }
  handleTimeout(now: number): void {
    this.inner.handleTimeout(now);
    this.#serve();
  }
  pollTransmit(now: number, buffer: Uint8Array): { length: number; to: SimAddress } | undefined {
    const out = this.inner.pollTransmit(now, buffer);
    if (out !== undefined) this.onTransmit(buffer.subarray(0, out.length));
    return out;
  }
  pollTimeout(): number | undefined {
    return this.inner.pollTimeout();
  }
  #serve(): void {
    const conn = this.conn;
    if (conn === undefined || (conn.state !== "handshake" && conn.state !== "established")) return;
    if (!this.early && !conn.isHandshakeComplete) return;
    for (let id = conn.acceptStream("bidi"); id !== undefined; id = conn.acceptStream("bidi"))
      this.#readers.set(id, new StreamReader(conn, id));
    for (const [id, reader] of this.#readers) {
      reader.pump();
      if (!reader.fin) continue;
      this.#readers.delete(id);
      this.#writers.push(new StreamWriter(conn, id, pattern(this.responseSize, id + 1)));
    }
    for (const writer of this.#writers) writer.pump();
  }
}

/** A server on a network and a first (full) connection's ticket, remembered parameters and NEW_TOKEN token. */
function world(seed: number, early: boolean, responseSize: number) {
  const net = new SimNetwork({ seed, link: { delay: DELAY } });
  const random = seededRandom(seed);
  const host = net.add(new ServingHost(new EndpointHost(SERVER_ADDRESS, random, earlyServer()), early, responseSize));
  let port = CLIENT_ADDRESS.port;
  const newClient = () => net.add(new EndpointHost({ address: CLIENT_ADDRESS.address, port: port++ }, random));
  const first = newClient();
  const conn = first.connect(net.now, clientConfig(provider), SERVER_ADDRESS);
  net.run(() => conn.isHandshakeConfirmed && first.eventsOf(conn, "session").length > 0 && first.eventsOf(conn, "new-token").length > 0);
  const session: TlsSession = first.eventsOf(conn, "session")[0]!.session;
  const remembered: EarlyTransportParameters = conn.peerTransportParameters!;
  const token = first.eventsOf(conn, "new-token")[0]!.token;
  conn.close(net.now, 0);
  net.run(() => conn.isDrained && host.conn?.isDrained === true);
  return {
    net,
    server: host,
    /** A resuming client with 0-RTT on (and the NEW_TOKEN token, when `withToken`); nothing is run yet. */
    resume(withToken: boolean): { client: EndpointHost; conn: Connection } {
      const client = newClient();
      const config = clientConfig(provider, {}, { session, earlyData: true });
      const resumed = client.endpoint.connect(net.now, config, SERVER_ADDRESS, withToken ? token : undefined, remembered);
      client.connections.push(resumed);
      client.events.set(resumed, []);
      return { client, conn: resumed };
    },
  };
}

/** Sends a 100-byte request in 0-RTT and runs until its whole response arrived; returns the virtual time it took. */
function requestResponse(w: ReturnType<typeof world>, conn: Connection): { elapsed: number; response: Uint8Array; id: number } {
  const start = w.net.now;
  const id = conn.openStream("bidi");
  expect(id).toBeDefined();
  const writer = new StreamWriter(conn, id!, pattern(100, 9));
  writer.pump();
  expect(writer.finished).toBe(true);
  const reader = new StreamReader(conn, id!);
  w.net.run(() => {
    reader.pump();
    return reader.fin;
  });
  return { elapsed: w.net.now - start, response: reader.bytes(), id: id! };
}

describe("0.5-RTT data (RFC 9001 §4.1.1)", () => {
  it("the answer to a 0-RTT request leaves before the client's Finished: the response arrives one RTT after the client starts", () => {
    const w = world(31, true, 2000);
    const { conn } = w.resume(true);
    const { elapsed, response, id } = requestResponse(w, conn);
    expect(response).toEqual(pattern(2000, id + 1));
    expect(conn.earlyDataOutcome).toBe("accepted");
    // Request out at 0, the server's flight and its 0.5-RTT answer back at one RTT (virtual time: exact).
    expect(elapsed).toBeLessThan(1.5 * RTT);
    expect(elapsed).toBe(RTT);
  });

  it("a server that answers only after its handshake completed: two RTTs", () => {
    const w = world(32, false, 2000);
    const { conn } = w.resume(true);
    const { elapsed, response, id } = requestResponse(w, conn);
    expect(response).toEqual(pattern(2000, id + 1));
    expect(elapsed).toBeGreaterThanOrEqual(2 * RTT);
  });

  it("before the client's address is validated, 0.5-RTT data stays within 3x what the client sent (RFC 9000 §8.1)", () => {
    const w = world(33, true, 30_000);
    let validated = false;
    let received = 0;
    let sent = 0;
    let worst = 0;
    w.server.onReceive = (datagram) => {
      // §8.1: a Handshake packet from the client proves it received our Initial.
      if (carriesHandshakePacket(datagram)) validated = true;
      if (!validated) received += datagram.length;
    };
    w.server.onTransmit = (datagram) => {
      if (validated) return;
      sent += datagram.length;
      worst = Math.max(worst, sent - 3 * received);
    };
    // No NEW_TOKEN token: the server cannot know the client's address is real until its Handshake packet.
    const { conn } = w.resume(false);
    const { response, id } = requestResponse(w, conn);
    expect(response).toEqual(pattern(30_000, id + 1));
    expect(received).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(0);
    // The limit, not an absence of 0.5-RTT data, kept it there: the server sent up to the limit before validation.
    expect(sent).toBeGreaterThan(2 * received);
    expect(w.server.conn!.stats.bytesSent).toBeGreaterThan(30_000);
  });

  it("a client with a NEW_TOKEN token is validated at once: its 0.5-RTT answer is not held to 3x", () => {
    const w = world(34, true, 30_000);
    let validated = false;
    let received = 0;
    let sent = 0;
    w.server.onReceive = (datagram) => {
      if (carriesHandshakePacket(datagram)) validated = true;
      if (!validated) received += datagram.length;
    };
    w.server.onTransmit = (datagram) => {
      if (!validated) sent += datagram.length;
    };
    const { conn } = w.resume(true);
    const { response, id } = requestResponse(w, conn);
    expect(response).toEqual(pattern(30_000, id + 1));
    expect(sent).toBeGreaterThan(3 * received);
  });
});

describe("a client 1-RTT packet ahead of the client's Finished (RFC 9001 §5.7)", () => {
  it("is held, not processed, until the Finished arrives; then processed at once", () => {
    const net = new SimNetwork({ seed: 35, link: { delay: DELAY } });
    const random = seededRandom(35);
    const inner = new EndpointHost(SERVER_ADDRESS, random, earlyServer());
    // Client datagrams with a Handshake packet (its Finished) wait in `held` until released.
    const held: { datagram: Uint8Array; from: SimAddress }[] = [];
    let holding = true;
    let shortHeaderDelivered = 0;
    const server = net.add<SimHost>({
      address: SERVER_ADDRESS,
      handleDatagram(now, datagram, from) {
        if (holding && carriesHandshakePacket(datagram)) {
          held.push({ datagram: datagram.slice(), from });
          return;
        }
        if ((datagram[0]! & 0x80) === 0) shortHeaderDelivered++;
        inner.handleDatagram(now, datagram, from);
      },
      handleTimeout: (now) => inner.handleTimeout(now),
      pollTransmit: (now, buffer) => inner.pollTransmit(now, buffer),
      pollTimeout: () => inner.pollTimeout(),
    });
    const client = net.add(new EndpointHost(CLIENT_ADDRESS, random));
    const conn = client.connect(net.now, clientConfig(provider), SERVER_ADDRESS);
    let id: number | undefined;
    net.run(() => {
      if (id === undefined && conn.isHandshakeComplete) {
        id = conn.openStream("bidi");
        new StreamWriter(conn, id!, pattern(500, 3)).pump();
      }
      return shortHeaderDelivered > 0;
    });
    const accepted = inner.connections[0]!;
    expect(held.length).toBeGreaterThan(0);
    expect(accepted.isHandshakeComplete).toBe(false);
    // Not processed: no packet counted, no stream, nothing to acknowledge.
    const packetsBefore = accepted.stats.packetsReceived;
    expect(inner.eventsOf(accepted, "stream-opened")).toHaveLength(0);
    expect(accepted.acceptStream("bidi")).toBeUndefined();
    // The Finished arrives: the held 1-RTT packet is processed with it, not after a retransmission.
    holding = false;
    const at = net.now;
    for (const h of held.splice(0)) server.handleDatagram(at, h.datagram, h.from);
    expect(accepted.isHandshakeComplete).toBe(true);
    expect(accepted.stats.packetsReceived).toBeGreaterThan(packetsBefore + 1);
    const sid = accepted.acceptStream("bidi");
    expect(sid).toBe(id);
    const reader = new StreamReader(accepted, sid!);
    reader.pump();
    expect(reader.bytes()).toEqual(pattern(500, 3));
    expect(reader.fin).toBe(true);
  });
});
