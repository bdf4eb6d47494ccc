/**
 * QUIC demo: our client against our server over loopback UDP in this
 * process, once over QUIC v1 (RFC 9000) and once over QUIC v2 (RFC 9369).
 * The server presents a generated self-signed certificate; the client
 * verifies it. Each run echoes a few messages on one bidirectional stream,
 * then a bulk payload on another, compares the echo byte for byte, and
 * prints what the connection negotiated and measured (`conn.stats`).
 *
 * The bulk payload is a fixed pseudo-random sequence ({@link bulkPayload}),
 * so the demo's test can recompute the digest the echo must have.
 *
 * Where the handshake runs: each side's handshake is owned by an urgent
 * runtime task (it starts before any queued normal task): the server
 * spawns one per new connection, and `connect` waits for its handshake in
 * one (started here with `spawnUrgent` as well). The handshake's packets
 * are processed inside the UDP driver's callbacks on both sides; the
 * printed line says so.
 *
 * @example
 * ```ts
 * import { quicDemo } from "./quic-demo.js";
 * await quicDemo();
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { generateSelfSignedCertificate } from "@zsync/crypto/tls";
import { connect, type QuicConnection, QuicServer, type QuicStream, QuicVersion } from "@zsync/quic";
import { spawn, spawnUrgent } from "@zsync/runtime";

const MiB = 1024 * 1024;
/** Bytes of the bulk echo per run. */
export const BULK_BYTES = 8 * MiB;
const WRITE_SIZE = 64 * 1024;
const ALPN = "zsync-echo";
const MESSAGES = ["hello over QUIC", "a second message", "and a third"] as const;
const TIMEOUT_MS = 20_000;

/**
 * The bulk payload: xorshift32 from `seed`, one byte per step (the low
 * byte). Deterministic so that the test can recompute its SHA-256.
 */
export function bulkPayload(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

const versionName = (v: number): string => (v === QuicVersion.V1 ? "v1" : v === QuicVersion.V2 ? "v2" : "unknown");
const hex32 = (v: number): string => `0x${v.toString(16).padStart(8, "0")}`;

/** Server side of every stream: echo each chunk, then FIN when the client's FIN arrives. */
async function echoStream(stream: QuicStream): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  for (let n = await stream.read(buf); n !== null; n = await stream.read(buf)) await stream.write(buf.subarray(0, n));
  stream.end();
}

/** Reads exactly `length` bytes (or fewer if the stream ends first). */
async function readExactly(stream: QuicStream, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = await stream.read(out.subarray(got));
    if (n === null) break;
    got += n;
  }
  return out.subarray(0, got);
}

/** Sends each message and reads its echo before the next, all on one bidirectional stream. */
async function echoMessages(conn: QuicConnection): Promise<string[]> {
  const stream = await conn.openBidirectionalStream();
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const echoed: string[] = [];
  for (const text of MESSAGES) {
    const bytes = encoder.encode(text);
    await stream.write(bytes);
    echoed.push(decoder.decode(await readExactly(stream, bytes.length)));
  }
  stream.end();
  const rest = await stream.readAll(1024);
  if (rest.length !== 0) throw new Error(`the echo sent ${rest.length} bytes more than the messages`);
  return echoed;
}

interface BulkResult {
  readonly sent: number;
  readonly received: number;
  readonly ms: number;
  readonly digest: string;
  readonly identical: boolean;
}

/** Writes `payload` while reading its echo on a second stream, then compares the two byte for byte. */
async function echoBulk(conn: QuicConnection, payload: Uint8Array): Promise<BulkResult> {
  const stream = await conn.openBidirectionalStream();
  const started = performance.now();
  const reading = spawn(async () => {
    const received = new Uint8Array(payload.length + 1); // one spare byte: an over-long echo shows up
    let got = 0;
    while (got < received.length) {
      const n = await stream.read(received.subarray(got));
      if (n === null) break;
      got += n;
    }
    return received.subarray(0, got);
  });
  for (let at = 0; at < payload.length; at += WRITE_SIZE)
    await stream.write(payload.subarray(at, Math.min(at + WRITE_SIZE, payload.length)));
  stream.end();
  const received = await reading;
  const ms = performance.now() - started;
  return {
    sent: payload.length,
    received: received.length,
    ms,
    digest: createHash("sha256").update(received).digest("hex"),
    identical: Buffer.compare(received, payload) === 0,
  };
}

async function runOnce(version: number, seed: number, certificate: string, key: string): Promise<void> {
  await using server = await QuicServer.bind({
    host: "127.0.0.1",
    port: 0,
    certificate,
    key,
    alpn: ALPN,
    versions: [version],
    maxIdleTimeout: TIMEOUT_MS,
  });
  void server.run(async (conn) => {
    const echoes = [];
    for await (const stream of conn) echoes.push(spawn(echoStream, stream));
    await Promise.allSettled(echoes);
  });

  const handshakeStart = performance.now();
  const conn = await spawnUrgent(() =>
    connect("127.0.0.1", server.port, { alpn: ALPN, serverName: "localhost", ca: certificate, version, maxIdleTimeout: TIMEOUT_MS }),
  );
  const handshakeMs = performance.now() - handshakeStart;
  try {
    const echoed = await echoMessages(conn);
    const bulk = await echoBulk(conn, bulkPayload(BULK_BYTES, seed));
    const s = conn.stats;
    const mbPerS = bulk.received / 1e6 / (bulk.ms / 1000);
    console.log(`  QUIC ${versionName(version)} requested`);
    console.log(
      `    negotiated version ${hex32(s.version)} (${versionName(s.version)}), ${s.cipherSuite ?? "none"}, ALPN ${s.alpn ?? "none"}; handshake ${handshakeMs.toFixed(1)} ms`,
    );
    console.log(`    messages echoed: ${echoed.map((m) => JSON.stringify(m)).join(", ")}`);
    console.log(
      `    bulk: sent ${bulk.sent} bytes, echoed ${bulk.received} bytes in ${bulk.ms.toFixed(1)} ms = ${mbPerS.toFixed(1)} MB/s each way; echo sha256 ${bulk.digest}; byte for byte ${bulk.identical ? "identical" : "DIFFERENT"}`,
    );
    console.log(
      `    smoothed RTT ${s.smoothedRtt.toFixed(3)} ms, min RTT ${s.minRtt.toFixed(3)} ms, cwnd ${s.congestionWindow} bytes; UDP bytes sent ${s.bytesSent}, received ${s.bytesReceived}; packets sent ${s.packetsSent}, received ${s.packetsReceived}, lost ${s.packetsLost}`,
    );
  } finally {
    await conn.flush();
    conn.close(0, "done");
    await conn.closed;
  }
}

/** Runs the echo over QUIC v1 and then v2, printing what each connection negotiated and measured. */
export async function quicDemo(): Promise<void> {
  const cert = generateSelfSignedCertificate();
  console.log(
    "quic demo: our client <-> our server over loopback UDP, self-signed ECDSA P-256 certificate for localhost, verified by the client",
  );
  console.log(
    "  handshake: each side's handshake is owned by an urgent runtime task (ahead of queued normal tasks): the server's one per connection, the client's inside connect(), itself started with spawnUrgent; the packets are processed in the UDP driver's callbacks",
  );
  await runOnce(QuicVersion.V1, 1, cert.certificatePem, cert.privateKeyPem);
  await runOnce(QuicVersion.V2, 2, cert.certificatePem, cert.privateKeyPem);
}
