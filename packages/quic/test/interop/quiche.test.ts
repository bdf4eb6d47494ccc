/**
 * Interoperability with quiche, Cloudflare's QUIC stack (Rust, BoringSSL),
 * through `@matrixai/quic`, which ships it prebuilt for linux-x64 (issue 15,
 * "Interop"). Both pairings run in this process over loopback UDP with a
 * custom ALPN: quiche's client against our `QuicServer`, and our `connect`
 * against quiche's server. Each pairing checks, byte for byte:
 *
 * - the handshake (RFC 9001: ALPN agreed, certificate verified against our CA);
 * - 4 MiB on one bidirectional stream each way (the peer echoes it back);
 * - 100 concurrent bidirectional streams, each with its own payload;
 * - CONNECTION_CLOSE with an application error code (RFC 9000 §10.2.3,
 *   frame 0x1d) sent by the client and by the server, whose code the other
 *   side reports;
 * - Retry (RFC 9000 §8.1.2) both ways: quiche's client through our server's
 *   Retry (a case of its own), and our client through quiche's, which this
 *   wrapper's server sends to every client without a token (so every case
 *   against quiche's server starts with one).
 *
 * Only bidirectional streams are used: this quiche wrapper crashes when a
 * peer opens unidirectional streams early. quiche is slow here (a few MB/s,
 * its wrapper copies every chunk through JavaScript), so this file measures
 * nothing.
 */
import { createHmac, randomFillSync, timingSafeEqual } from "node:crypto";
import { realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  QUICClient,
  QUICServer,
  type QUICConnection as QuicheConnection,
  type QUICStream as QuicheStream,
  events as quicheEvents,
} from "@matrixai/quic";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { type CloseReason, connect, type QuicConnection, type QuicServer, type QuicStream } from "../../src/index.js";
import { bindInteropServer, byteDifference, concat, deferred, interopPki, pattern, within } from "./support.js";

const ALPN = "zq-interop";
const MIB = 1024 * 1024;
const STREAMS = 100;
/** Close codes (ours, quiche's) that neither side could report by accident: not 0, and different from each other. */
const QUICHE_CLOSE_CODE = 0x2a17;
const OUR_CLOSE_CODE = 0x1b3;

type Logger = import("@matrixai/quic").QUICConnection extends { logger: infer L } ? L : never;
interface LoggerModule {
  default: new (key: string, level: number) => Logger;
  LogLevel: { WARN: number };
}

/**
 * quiche's wrapper logs every event at the root level unless given a logger;
 * its logger package is a dependency of the wrapper, not of ours, so it is
 * loaded from next to it.
 */
let quicheLogger: Logger;
beforeAll(async () => {
  const wrapper = realpathSync(join(import.meta.dirname, "../../node_modules/@matrixai/quic"));
  const mod = (await import(pathToFileURL(join(dirname(wrapper), "logger/dist/index.js")).href)) as LoggerModule;
  quicheLogger = new mod.default("quiche", mod.LogLevel.WARN);
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

// ---------------------------------------------------------------- quiche side

/** Reads a quiche stream to its end. */
async function quicheReadAll(stream: QuicheStream): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream.readable) chunks.push(new Uint8Array(chunk));
  return concat(chunks);
}

/** Writes `data` on a quiche stream in 64 KiB chunks, then FIN. */
async function quicheWriteAll(stream: QuicheStream, data: Uint8Array): Promise<void> {
  const writer = stream.writable.getWriter();
  for (let at = 0; at < data.length; at += 64 * 1024) await writer.write(data.subarray(at, at + 64 * 1024));
  await writer.close();
}

/** What a quiche connection reports when it ends: its error event's data (`isApp`, `errorCode`). */
function quicheCloseReport(conn: QuicheConnection): Promise<{ isApp: boolean; errorCode: number; peer: boolean }> {
  const done = deferred<{ isApp: boolean; errorCode: number; peer: boolean }>();
  conn.addEventListener(quicheEvents.EventQUICConnectionError.name, (event) => {
    const error = (event as quicheEvents.EventQUICConnectionError).detail as Error & { data?: { isApp: boolean; errorCode: number } };
    done.resolve({
      isApp: error.data?.isApp ?? false,
      errorCode: error.data?.errorCode ?? -1,
      peer: error.constructor.name.startsWith("ErrorQUICConnectionPeer"),
    });
  });
  return done.promise;
}

interface QuicheEchoServer {
  readonly port: number;
  /** Resolves with the first connection quiche accepts. */
  readonly connection: Promise<QuicheConnection>;
}

/** A quiche server that echoes every bidirectional stream back (data then FIN). */
async function startQuicheServer(): Promise<QuicheEchoServer> {
  const { leaf } = interopPki();
  const key = new Uint8Array(32);
  randomFillSync(key);
  const hmac = (data: ArrayBuffer): Buffer => createHmac("sha256", key).update(new Uint8Array(data)).digest();
  const server = new QUICServer({
    crypto: {
      key: key.buffer,
      ops: {
        sign: async (_key, data) => new Uint8Array(hmac(data)).buffer,
        verify: async (_key, data, sig) => {
          const expected = hmac(data);
          return sig.byteLength === expected.length && timingSafeEqual(expected, new Uint8Array(sig));
        },
      },
    },
    config: { key: leaf.privateKeyPem, cert: leaf.certificatePem, verifyPeer: false, applicationProtos: [ALPN], maxIdleTimeout: 20_000 },
    logger: quicheLogger,
  });
  const connection = deferred<QuicheConnection>();
  server.addEventListener(quicheEvents.EventQUICServerConnection.name, (event) => {
    const conn = (event as quicheEvents.EventQUICServerConnection).detail;
    connection.resolve(conn);
    conn.addEventListener(quicheEvents.EventQUICConnectionStream.name, (streamEvent) => {
      const stream = (streamEvent as quicheEvents.EventQUICConnectionStream).detail;
      stream.readable.pipeTo(stream.writable).catch(() => undefined);
    });
  });
  await server.start({ host: "127.0.0.1", port: 0 });
  cleanups.push(() => server.stop({ force: true }));
  return { port: server.port, connection: connection.promise };
}

async function quicheConnect(port: number): Promise<QUICClient> {
  const client = await QUICClient.createQUICClient({
    host: "127.0.0.1",
    port,
    serverName: "localhost",
    localHost: "127.0.0.1",
    crypto: { ops: { randomBytes: async (data: ArrayBuffer) => void randomFillSync(new Uint8Array(data)) } },
    config: { verifyPeer: true, ca: interopPki().ca.certificatePem, applicationProtos: [ALPN], maxIdleTimeout: 20_000 },
    logger: quicheLogger,
  });
  cleanups.push(() => client.destroy({ force: true }));
  return client;
}

// ------------------------------------------------------------------- our side

/** Our server: echoes every stream a peer opens; `connections` get every accepted connection's close reason. */
async function startOurServer(
  options: { retry?: boolean } = {},
): Promise<{ server: QuicServer; connections: QuicConnection[]; closes: Promise<CloseReason>[]; errors: unknown[] }> {
  const server = await bindInteropServer({ alpn: ALPN, initialMaxStreamsBidi: STREAMS, ...options });
  cleanups.push(() => server.close());
  const connections: QuicConnection[] = [];
  const closes: Promise<CloseReason>[] = [];
  const errors: unknown[] = [];
  void (async () => {
    for await (const conn of server) {
      connections.push(conn);
      closes.push(conn.closed);
      void (async () => {
        for await (const stream of conn) ourEcho(stream).catch((error: unknown) => errors.push(error));
      })().catch((error: unknown) => errors.push(error));
    }
  })().catch((error: unknown) => errors.push(error));
  return { server, connections, closes, errors };
}

async function ourEcho(stream: QuicStream): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  for (let n = await stream.read(buffer); n !== null; n = await stream.read(buffer)) await stream.write(buffer.subarray(0, n));
  await stream.end();
}

/** Sends `data` on a new stream of ours and reads the echo, concurrently (the echo may fill windows before we finish). */
async function ourRoundTrip(conn: QuicConnection, data: Uint8Array): Promise<Uint8Array> {
  const stream = await conn.openBidirectionalStream();
  const sending = (async () => {
    for (let at = 0; at < data.length; at += 64 * 1024) await stream.write(data.subarray(at, at + 64 * 1024));
    await stream.end();
  })();
  const [echo] = await Promise.all([stream.readAll(data.length + 1), sending]);
  return echo;
}

async function quicheRoundTrip(client: QUICClient, data: Uint8Array): Promise<Uint8Array> {
  const stream = client.connection.newStream("bidi");
  const [echo] = await Promise.all([quicheReadAll(stream), quicheWriteAll(stream, data)]);
  return echo;
}

function payloads(): Uint8Array[] {
  // Sizes from one byte to about 20 KB, each stream its own pattern seed.
  return Array.from({ length: STREAMS }, (_, i) => pattern(1 + ((i * 7919) % 20_000), i + 2));
}

// ---------------------------------------------------------------------- cases

describe("quiche client -> our server (ALPN zq-interop)", () => {
  it("completes the handshake and echoes 4 MiB on one bidirectional stream each way", async () => {
    const { server, errors } = await startOurServer();
    const client = await within(10_000, quicheConnect(server.port), "quiche client handshake with our server");
    const data = pattern(4 * MIB, 7);
    const echo = await within(60_000, quicheRoundTrip(client, data), "4 MiB echo through our server");
    expect(byteDifference(echo, data)).toBe("");
    expect(errors).toEqual([]);
  }, 90_000);

  it("runs 100 concurrent bidirectional streams, each echoed intact", async () => {
    const { server, errors } = await startOurServer();
    const client = await within(10_000, quicheConnect(server.port), "quiche client handshake with our server");
    const sent = payloads();
    const echoes = await within(30_000, Promise.all(sent.map((p) => quicheRoundTrip(client, p))), "100 streams through our server");
    expect(echoes.map((e, i) => byteDifference(e, sent[i]!)).filter((d) => d !== "")).toEqual([]);
    expect(errors).toEqual([]);
  }, 60_000);

  it("sees the application error code our server closes with", async () => {
    const { server, connections } = await startOurServer();
    const client = await within(10_000, quicheConnect(server.port), "quiche client handshake with our server");
    const report = quicheCloseReport(client.connection);
    expect(byteDifference(await quicheRoundTrip(client, pattern(1000, 17)), pattern(1000, 17))).toBe("");
    expect(connections).toHaveLength(1);
    await connections[0]!.close(OUR_CLOSE_CODE, "zsync server done");
    expect(await within(10_000, report, "quiche's client seeing our server's CONNECTION_CLOSE")).toEqual({
      isApp: true,
      errorCode: OUR_CLOSE_CODE,
      peer: true,
    });
  }, 30_000);

  it("completes the handshake through our Retry (RFC 9000 §8.1.2) and echoes a stream", async () => {
    const { server, errors } = await startOurServer({ retry: true });
    const client = await within(10_000, quicheConnect(server.port), "quiche client handshake through our Retry");
    expect(server.stats.retries).toBeGreaterThanOrEqual(1);
    const data = pattern(100_000, 13);
    expect(byteDifference(await within(20_000, quicheRoundTrip(client, data), "echo after Retry"), data)).toBe("");
    expect(errors).toEqual([]);
  }, 30_000);

  it("closes with an application error code that our server reports (RFC 9000 §10.2.3)", async () => {
    const { server, closes } = await startOurServer();
    const client = await within(10_000, quicheConnect(server.port), "quiche client handshake with our server");
    expect(byteDifference(await quicheRoundTrip(client, pattern(1000, 3)), pattern(1000, 3))).toBe("");
    await client.destroy({ isApp: true, errorCode: QUICHE_CLOSE_CODE, reason: new TextEncoder().encode("quiche done") });
    expect(closes).toHaveLength(1);
    const reason = await within(10_000, closes[0]!, "our server seeing quiche's CONNECTION_CLOSE");
    expect(reason).toMatchObject({ kind: "application", errorCode: QUICHE_CLOSE_CODE, remote: true, reason: "quiche done" });
  }, 30_000);
});

describe("our client -> quiche server (ALPN zq-interop)", () => {
  async function ourConnect(port: number): Promise<QuicConnection> {
    const conn = await connect("127.0.0.1", port, { alpn: ALPN, serverName: "localhost", ca: interopPki().ca.certificatePem });
    cleanups.push(() => conn.close());
    return conn;
  }

  it("completes the handshake and gets 4 MiB echoed on one bidirectional stream", async () => {
    const quiche = await startQuicheServer();
    const conn = await within(10_000, ourConnect(quiche.port), "our handshake with quiche");
    expect(conn.alpn).toBe(ALPN);
    const data = pattern(4 * MIB, 11);
    const echo = await within(60_000, ourRoundTrip(conn, data), "4 MiB echo through quiche");
    expect(byteDifference(echo, data)).toBe("");
  }, 90_000);

  it("runs 100 concurrent bidirectional streams, each echoed intact", async () => {
    const quiche = await startQuicheServer();
    const conn = await within(10_000, ourConnect(quiche.port), "our handshake with quiche");
    const sent = payloads();
    const echoes = await within(30_000, Promise.all(sent.map((p) => ourRoundTrip(conn, p))), "100 streams through quiche");
    expect(echoes.map((e, i) => byteDifference(e, sent[i]!)).filter((d) => d !== "")).toEqual([]);
  }, 60_000);

  it("sees the application error code quiche's server closes with", async () => {
    const quiche = await startQuicheServer();
    const conn = await within(10_000, ourConnect(quiche.port), "our handshake with quiche");
    expect(byteDifference(await ourRoundTrip(conn, pattern(1000, 19)), pattern(1000, 19))).toBe("");
    await (await quiche.connection).stop({
      isApp: true,
      errorCode: QUICHE_CLOSE_CODE,
      reason: new TextEncoder().encode("quiche server done"),
    });
    expect(await within(10_000, conn.closed, "our client seeing quiche's CONNECTION_CLOSE")).toMatchObject({
      kind: "application",
      errorCode: QUICHE_CLOSE_CODE,
      remote: true,
      reason: "quiche server done",
    });
  }, 30_000);

  it("closes with an application error code that quiche reports (RFC 9000 §10.2.3)", async () => {
    const quiche = await startQuicheServer();
    const conn = await within(10_000, ourConnect(quiche.port), "our handshake with quiche");
    expect(byteDifference(await ourRoundTrip(conn, pattern(1000, 5)), pattern(1000, 5))).toBe("");
    const report = quicheCloseReport(await quiche.connection);
    await conn.close(OUR_CLOSE_CODE, "zsync done");
    expect(await within(10_000, report, "quiche seeing our CONNECTION_CLOSE")).toEqual({
      isApp: true,
      errorCode: OUR_CLOSE_CODE,
      peer: true,
    });
  }, 30_000);
});
