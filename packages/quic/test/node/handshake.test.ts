/**
 * The Node API over real loopback UDP: the handshake (RFC 9001 §4), the
 * negotiated parameters a client sees, and connection close with an
 * application error code seen by the peer (RFC 9000 §10.2, §19.19).
 */
import { describe, expect, it } from "vitest";
import {
  connect,
  MemoryTokenStore,
  QuicApplicationClosedError,
  QuicEndpointClosedError,
  QuicIdleTimeoutError,
  QuicTransportClosedError,
} from "../../src/index.js";
import { ALPN, connectTo, startServer, testPki } from "./support.js";

describe("handshake over loopback UDP", () => {
  it("completes; both sides agree on ALPN, cipher suite and version (RFC 9001 §4, §8.1)", async () => {
    const server = await startServer();
    const accepting = server.accept();
    const client = await connectTo(server);
    const conn = await accepting;
    expect(client.isActive).toBe(true);
    expect(conn.isActive).toBe(true);
    expect(client.alpn).toBe(ALPN);
    expect(conn.alpn).toBe(ALPN);
    expect(client.stats.cipherSuite).toBe(conn.stats.cipherSuite);
    expect(client.stats.version).toBe(1);
    expect(conn.stats.version).toBe(1);
    expect(client.stats.packetsSent).toBeGreaterThan(0);
    expect(conn.stats.packetsReceived).toBeGreaterThan(0);
    expect(client.stats.bytesSent).toBeGreaterThanOrEqual(1200); // the client's first datagram is padded (RFC 9000 §14.1)
    expect(client.stats.smoothedRtt).toBeGreaterThan(0);
    expect(server.stats.accepted).toBe(1);
    expect(server.stats.retries).toBe(0); // no Retry unless asked for
  });

  it("fails with a CRYPTO_ERROR when the server's certificate is not trusted (RFC 9001 §4.8)", async () => {
    const server = await startServer();
    const other = (await import("@zsync/crypto/tls")).generateSelfSignedCertificate();
    const failure = await connect("127.0.0.1", server.port, { alpn: ALPN, serverName: "localhost", ca: other.certificatePem }).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(QuicTransportClosedError);
    const error = failure as QuicTransportClosedError;
    expect(error.errorCode & 0xff00).toBe(0x0100); // CRYPTO_ERROR range: 0x0100 + TLS alert
    expect(error.remote).toBe(false);
    // The server never hands that connection out; it counts it.
    await expect.poll(() => server.stats.handshakeFailures, { timeout: 10_000 }).toBe(1);
    expect(server.stats.accepted).toBe(0);
  });

  it("an unreachable server ends in QuicIdleTimeoutError (RFC 9000 §10.1)", async () => {
    const server = await startServer();
    const port = server.port;
    await server.close(); // nothing listens on that port any more
    const failure = await connect("127.0.0.1", port, { alpn: ALPN, insecure: true, maxIdleTimeout: 500 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(QuicIdleTimeoutError);
    expect((failure as QuicIdleTimeoutError).reason).toEqual({ kind: "idle-timeout" });
  });

  it("with retry: true the server validates the address with a Retry round trip first (RFC 9000 §8.1.2)", async () => {
    const server = await startServer({ retry: true });
    const accepting = server.accept();
    const client = await connectTo(server);
    const conn = await accepting;
    expect(client.isActive && conn.isActive).toBe(true);
    // At least one Retry (one per datagram of the client's first flight: a large ClientHello spans two).
    expect(server.stats.retries).toBeGreaterThanOrEqual(1);
  });

  it("a NEW_TOKEN token from one connection spares the next one the Retry (RFC 9000 §8.1.3)", async () => {
    const server = await startServer({ retry: true });
    const tokens = new MemoryTokenStore();
    const first = await connectTo(server, { tokens });
    await expect.poll(() => tokens.size, { timeout: 10_000 }).toBe(1); // NEW_TOKEN follows the handshake
    await first.close();
    const retries = server.stats.retries;
    expect(retries).toBeGreaterThanOrEqual(1);
    const second = await connectTo(server, { tokens });
    expect(second.isActive).toBe(true);
    expect(server.stats.retries).toBe(retries); // validated by the token: no Retry this time
    expect(tokens.size).toBeLessThanOrEqual(1); // the first token was taken (used once); a new one may have arrived
  });

  it("with insecure: true accepts a certificate it cannot verify", async () => {
    const server = await startServer();
    const client = await connect("127.0.0.1", server.port, { alpn: ALPN, insecure: true });
    expect(client.isActive).toBe(true);
    await client.close();
    void testPki;
  });
});

describe("close (RFC 9000 §10.2)", () => {
  it("the peer sees our application error code and reason, and so do we", async () => {
    const server = await startServer();
    const accepting = server.accept();
    const client = await connectTo(server);
    const conn = await accepting;
    const drained = client.close(0x1234, "bye now");
    const seen = await conn.closed;
    expect(seen).toEqual({ kind: "application", remote: true, errorCode: 0x1234, reason: "bye now" });
    expect(await client.closed).toEqual({ kind: "application", remote: false, errorCode: 0x1234, reason: "bye now" });
    const error = await conn.acceptStream().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuicApplicationClosedError);
    expect((error as QuicApplicationClosedError).errorCode).toBe(0x1234);
    expect(conn.isActive).toBe(false);
    await drained;
  });
});

describe("server shutdown", () => {
  it("close() ends accept(), the server's iteration and run(); connected clients see code 0 and the reason", async () => {
    const server = await startServer();
    const accepting = server.accept();
    const client = await connectTo(server);
    await accepting;
    const iterated: unknown[] = [];
    const iteration = (async () => {
      for await (const conn of server) iterated.push(conn);
    })();
    const running = server.run(() => undefined);
    await server.close(0, "maintenance");
    expect(await client.closed).toEqual({ kind: "application", remote: true, errorCode: 0, reason: "maintenance" });
    await expect(server.accept()).rejects.toBeInstanceOf(QuicEndpointClosedError);
    await iteration;
    await running;
    expect(iterated).toEqual([]);
  });

  it("run(): a handler that throws closes its connection, telling the peer the handler failed", async () => {
    const server = await startServer();
    void server.run(() => {
      throw new Error("boom");
    });
    const client = await connectTo(server);
    expect(await client.closed).toEqual({ kind: "application", remote: true, errorCode: 0, reason: "handler failed" });
  });
});
