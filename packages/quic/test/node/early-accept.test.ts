/**
 * `QuicServer`'s `acceptEarly` over real loopback sockets (RFC 9001 §4.1.1,
 * §9.2): a connection whose 0-RTT data was accepted is handed to `accept()`
 * before its handshake completes, its early stream is readable and its
 * answer leaves as 0.5-RTT data; when the handshake then fails, the
 * connection closes with a typed error and its streams fail with it.
 *
 * The client's Handshake packets are held back by the relay to keep the
 * server's handshake from completing: what is asserted is the order of
 * events, never durations.
 */
import { describe, expect, it } from "vitest";
import { QuicApplicationClosedError, type QuicConnection, QuicConnectionClosedError } from "../../src/index.js";
import { carriesHandshakePacket } from "../support/packets.js";
import { connectThrough, startRelay } from "../support/relayed.js";
import { ALPN, connectTo, pattern, startServer } from "./support.js";

async function earlyServer(options: { handshakeTimeout?: number; acceptEarly?: boolean } = {}) {
  const server = await startServer({ earlyData: true, acceptEarly: options.acceptEarly ?? true, ...options });
  // A first connection for the ticket (and the remembered transport parameters).
  const first = await connectTo(server);
  const session = await first.sessionReady();
  await first.close();
  const firstServerSide = await server.accept();
  expect(firstServerSide.isHandshakeComplete).toBe(true);
  let hold = true;
  const relay = await startRelay(server, { toServer: { drop: (_, datagram) => hold && carriesHandshakePacket(datagram) } });
  return { server, session, relay, release: () => (hold = false) };
}

describe("QuicServer acceptEarly", () => {
  it("hands out a connection at 0-RTT acceptance: its early stream is readable and answered before the handshake completes", async () => {
    const { server, session, relay, release } = await earlyServer();
    const client = await connectThrough(relay, { session, earlyData: true });
    const request = await client.openBidirectionalStream();
    await request.write(pattern(1000, 4));
    request.end();

    const conn: QuicConnection = await server.accept();
    expect(conn.isHandshakeComplete).toBe(false);
    expect(conn.isActive).toBe(true);
    expect(conn.alpn).toBe(ALPN); // known from the ClientHello, before completion
    const stream = await conn.acceptStream();
    expect(stream.receivedInEarlyData).toBe(true);
    expect(await stream.readAll()).toEqual(pattern(1000, 4));
    // Answered while the client's Finished is still held back.
    await stream.write(pattern(3000, 5));
    stream.end();
    expect(conn.isHandshakeComplete).toBe(false);
    expect(server.stats.acceptedEarly).toBe(1);

    release();
    expect(await request.readAll()).toEqual(pattern(3000, 5));
    await conn.established();
    expect(conn.isHandshakeComplete).toBe(true);
    expect(conn.handshake?.earlyDataAccepted).toBe(true);
    await client.close();
    await relay.close();
  }, 30_000);

  it("a handshake that fails after early accept closes the connection with a typed error and fails its streams", async () => {
    const { server, session, relay } = await earlyServer({ handshakeTimeout: 1000 });
    const client = await connectThrough(relay, { session, earlyData: true });
    const request = await client.openBidirectionalStream();
    await request.write(pattern(100, 6)); // not ended: the server's read waits for more

    const conn = await server.accept();
    const stream = await conn.acceptStream();
    expect(stream.receivedInEarlyData).toBe(true);
    const buffer = new Uint8Array(4096);
    expect(await stream.read(buffer)).toBe(100);
    // The client's Finished never arrives: the handshake times out and the read waiting on the stream fails.
    const failure = await stream.read(buffer).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(QuicConnectionClosedError);
    expect(failure).toBeInstanceOf(QuicApplicationClosedError);
    expect((failure as QuicApplicationClosedError).reason).toMatchObject({
      kind: "application",
      remote: false,
      reason: "handshake timeout",
    });
    await expect(conn.established()).rejects.toBe(failure);
    await expect(stream.write(pattern(10, 1))).rejects.toBe(failure);
    expect(conn.isActive).toBe(false);
    expect(server.stats.handshakeTimeouts).toBe(1);
    expect(server.stats.acceptedEarly).toBe(1);
    await client.close();
    await relay.close();
  }, 30_000);

  it("without acceptEarly the same connection waits for its handshake", async () => {
    const { server, session, relay, release } = await earlyServer({ acceptEarly: false });
    const client = await connectThrough(relay, { session, earlyData: true });
    const request = await client.openBidirectionalStream();
    await request.write(pattern(1000, 7));
    request.end();
    let accepted: QuicConnection | undefined;
    const accepting = server.accept().then((conn) => {
      accepted = conn;
      return conn;
    });
    // The client's Finished was held back: the client had the server's flight, so the server had the 0-RTT request
    // (it came first) and settled 0-RTT. A few turns of the event loop later, nothing was handed out.
    while (relay.stats("toServer").dropped === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(accepted).toBeUndefined();
    expect(server.stats.handshaking).toBe(1);
    release();
    const conn = await accepting;
    expect(conn.isHandshakeComplete).toBe(true);
    expect(server.stats.acceptedEarly).toBe(0);
    await client.close();
    await relay.close();
  }, 30_000);
});
