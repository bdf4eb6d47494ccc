#!/usr/bin/env node
/**
 * `zsync-quic`: example endpoints for trying the stack, the way ngtcp2 and
 * quinn ship theirs. One server serves two ALPNs, so one process answers
 * both client modes:
 *
 * - `zq-echo`: every stream is echoed back until the client ends it;
 * - `zq-bulk`: the client asks for N bytes (`down`) or sends N bytes (`up`)
 *   of a known pattern; the receiving side checks every byte and both
 *   report MB/s. The request is a 9-byte header: `d` or `u`, then N as a
 *   64-bit big-endian integer; an upload is answered with `ok` or `bad`.
 *
 * Stats (RTT, cwnd, bytes, version, ALPN, cipher suite, resumption and
 * 0-RTT) are printed at the end, as text or, with `--json`, as one JSON
 * object per line (the bench and the tests read those).
 *
 * 0-RTT (RFC 9001 §4.6): the server takes early data unless `--no-0rtt`
 * (then its tickets allow none);
 * a client with `--0rtt --session-file FILE` sends its request (the echo
 * message, the bulk header and an upload's first bytes) before the
 * handshake completes when the saved session allows it. Both workloads are
 * safe to replay (RFC 9001 §9.2), so the server serves a connection from
 * the moment its 0-RTT is accepted (`acceptEarly`): the response leaves as
 * 0.5-RTT data, one round trip after the client started. It reports how
 * many streams arrived in early data.
 *
 * @module
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { generateSelfSignedCertificate, keyLogFile } from "@zsync/crypto/tls";
import { connect, type QuicConnection, QuicServer, QuicSession, type QuicStream } from "../node/index.js";
import { QuicVersion } from "../proto/index.js";
import { BulkPattern } from "./pattern.js";

const USAGE = `usage:
  zsync-quic server [--host 127.0.0.1] [--port 4433] [--cert cert.pem --key key.pem] [--alpn zq-echo,zq-bulk]
                    [--version v1|v2] [--datagram-size N] [--retry] [--no-0rtt] [--keylog FILE] [--json] [--once]
  zsync-quic client [--host 127.0.0.1] [--port 4433] [--ca ca.pem | --insecure] [--server-name NAME]
                    [--mode echo|bulk] [--message TEXT] [--bytes N] [--direction down|up] [--repeat K]
                    [--version v1|v2] [--datagram-size N] [--session-file FILE [--0rtt]] [--keylog FILE] [--json]

Without --cert/--key the server makes a self-signed certificate for localhost (clients then need --insecure).
--bytes takes a suffix: 100M, 1G, 64K. --repeat K makes K connections and reports the median time to first byte.
--session-file FILE resumes with the session saved there (if any) and saves the server's latest one (secret: mode 0600).
--0rtt (client, with --session-file) sends the request as early data when the saved session allows it;
--no-0rtt (server) refuses early data: its tickets do not allow any, so clients send their request after the handshake.`;

const ECHO = "zq-echo";
const BULK = "zq-bulk";

type Values = Record<string, string | boolean | undefined>;

function fail(message: string): never {
  process.stderr.write(`zsync-quic: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseBytes(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([KMG]i?B?|B)?$/i.exec(text.trim());
  if (match === null) fail(`--bytes: cannot parse ${JSON.stringify(text)}`);
  const unit = (match[2] ?? "").toUpperCase()[0];
  const scale = unit === "K" ? 1024 : unit === "M" ? 1024 ** 2 : unit === "G" ? 1024 ** 3 : 1;
  const n = Math.round(Number(match[1]) * scale);
  if (!Number.isSafeInteger(n) || n < 0) fail(`--bytes: out of range: ${text}`);
  return n;
}

function parseVersion(text: string | undefined): number {
  if (text === undefined || text === "v1" || text === "1") return QuicVersion.V1;
  if (text === "v2" || text === "2") return QuicVersion.V2;
  return fail(`--version: expected v1 or v2, got ${text}`);
}

/** `--datagram-size N`: the largest UDP payload we send (1200 is always safe; 1452 fits any 1500-byte MTU path). */
function datagramSize(values: Values): { maxDatagramSize?: number } {
  if (values["datagram-size"] === undefined) return {};
  const n = Number(values["datagram-size"]);
  if (!Number.isInteger(n) || n < 1200 || n > 65_527) fail("--datagram-size: an integer in [1200, 65527]");
  return { maxDatagramSize: n };
}

function output(json: boolean, record: Record<string, unknown>, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(record)}\n` : `${text}\n`);
}

function statsRecord(conn: QuicConnection): Record<string, unknown> {
  const s = conn.stats;
  return {
    rttMs: round(s.smoothedRtt),
    minRttMs: round(s.minRtt),
    cwnd: s.congestionWindow,
    bytesSent: s.bytesSent,
    bytesReceived: s.bytesReceived,
    packetsSent: s.packetsSent,
    packetsReceived: s.packetsReceived,
    packetsLost: s.packetsLost,
    version: `0x${s.version.toString(16).padStart(8, "0")}`,
    alpn: s.alpn,
    cipherSuite: s.cipherSuite,
    resumed: conn.handshake?.resumed ?? false,
    earlyDataAccepted: conn.handshake?.earlyDataAccepted ?? false,
    blockedFrames: s.blockedFrames,
  };
}

/** What became of a client's early data: sent in 0-RTT and accepted, sent and refused (then resent), or not sent. */
function earlyDataOutcome(conn: QuicConnection, sent: boolean): "accepted" | "refused" | "not sent" {
  if (!sent) return "not sent";
  return conn.handshake?.earlyDataAccepted === true ? "accepted" : "refused";
}

/** `--session-file`: the saved session, if the file exists (a corrupt file is an error, not a silent full handshake). */
function loadSession(file: string | undefined): QuicSession | undefined {
  if (file === undefined || !existsSync(file)) return undefined;
  return QuicSession.decode(readFileSync(file));
}

/**
 * Saves the connection's latest session for the next run. Servers send tickets right after the handshake, so
 * it is normally there by the end of the workload; otherwise wait a little for one (a server may send none).
 */
async function saveSession(conn: QuicConnection, file: string): Promise<QuicSession | undefined> {
  const session = conn.session ?? (await conn.sessionReady({ signal: AbortSignal.timeout(1000) }).catch(() => undefined));
  if (session !== undefined) writeFileSync(file, session.encode(), { mode: 0o600 });
  return session;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

// ---------------------------------------------------------------- server

async function server(values: Values): Promise<void> {
  const json = values.json === true;
  let certificate: string;
  let key: string;
  if (typeof values.cert === "string" || typeof values.key === "string") {
    if (typeof values.cert !== "string" || typeof values.key !== "string") fail("--cert and --key go together");
    certificate = readFileSync(values.cert, "utf8");
    key = readFileSync(values.key, "utf8");
  } else {
    const generated = generateSelfSignedCertificate();
    certificate = generated.certificatePem;
    key = generated.privateKeyPem;
  }
  const version = parseVersion(values.version as string | undefined);
  const alpn = typeof values.alpn === "string" ? values.alpn.split(",") : [ECHO, BULK];
  const server = await QuicServer.bind({
    host: (values.host as string | undefined) ?? "127.0.0.1",
    port: values.port === undefined ? 4433 : Number(values.port),
    certificate,
    key,
    alpn,
    versions: version === QuicVersion.V2 ? [QuicVersion.V2, QuicVersion.V1] : [QuicVersion.V1],
    ...datagramSize(values),
    ...(values.retry === true ? { retry: true } : {}),
    ...(typeof values.keylog === "string" ? { keyLog: keyLogFile(values.keylog) } : {}),
    // With --no-0rtt the tickets do not offer early data (RFC 9001 §4.6.1), so clients do not even try. With 0-RTT,
    // a connection is served from the moment its early data is accepted: the answer leaves as 0.5-RTT data and the
    // client has it one round trip after it started. Both workloads are safe to replay (RFC 9001 §9.2).
    earlyData: values["no-0rtt"] !== true,
    acceptEarly: values["no-0rtt"] !== true,
  });
  output(
    json,
    { event: "listening", address: server.address.address, port: server.port },
    `listening on ${server.address.address}:${server.port} (ALPN ${alpn.join(", ")})`,
  );
  const stop = (): void => {
    void server.close();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const once = values.once === true;
  await server.run(async (conn) => {
    const started = performance.now();
    const cpu = cpuSeconds();
    // Handed out at 0-RTT acceptance (`acceptEarly`): its requests are served while the handshake completes.
    const acceptedEarly = !conn.isHandshakeComplete;
    const bytes = { received: 0, sent: 0, verified: true };
    const streams: Promise<void>[] = [];
    let earlyStreams = 0; // echo and bulk are safe to replay (RFC 9001 §9.2), so they are served at once
    for await (const stream of conn) {
      if (stream.receivedInEarlyData) earlyStreams++;
      streams.push(serveStream(conn, stream, bytes).catch(() => {}));
    }
    await Promise.all(streams);
    const seconds = (performance.now() - started) / 1000;
    output(
      json,
      {
        event: "connection",
        remote: `${conn.remoteAddress.address}:${conn.remoteAddress.port}`,
        seconds: round(seconds),
        cpuSeconds: round(cpuSeconds() - cpu),
        ...bytes,
        earlyStreams,
        acceptedEarly,
        ...statsRecord(conn),
        retriesSent: server.stats.retries,
      },
      `connection from ${conn.remoteAddress.address}:${conn.remoteAddress.port}: ${bytes.received} B in, ${bytes.sent} B out, ${round(seconds)} s; ${JSON.stringify(statsRecord(conn))}`,
    );
    if (once) stop();
  });
}

async function serveStream(
  conn: QuicConnection,
  stream: QuicStream,
  bytes: { received: number; sent: number; verified: boolean },
): Promise<void> {
  if (conn.alpn === BULK) return serveBulk(stream, bytes);
  const buffer = new Uint8Array(64 * 1024);
  for (let n = await stream.read(buffer); n !== null; n = await stream.read(buffer)) {
    bytes.received += n;
    await stream.write(buffer.subarray(0, n));
    bytes.sent += n;
  }
  stream.end();
}

async function readHeader(stream: QuicStream): Promise<{ op: string; length: number }> {
  const header = new Uint8Array(9);
  let have = 0;
  while (have < 9) {
    const n = await stream.read(header.subarray(have));
    if (n === null) throw new Error("bulk: stream ended inside the request header");
    have += n;
  }
  const length = Number(new DataView(header.buffer).getBigUint64(1));
  return { op: String.fromCharCode(header[0] as number), length };
}

async function serveBulk(stream: QuicStream, bytes: { received: number; sent: number; verified: boolean }): Promise<void> {
  const { op, length } = await readHeader(stream);
  const pattern = new BulkPattern();
  if (op === "d") {
    bytes.sent += await pattern.send(stream, length);
    stream.end();
    return;
  }
  const received = await pattern.receive(stream, length);
  bytes.received += received.bytes;
  bytes.verified &&= received.ok;
  await stream.write(new TextEncoder().encode(received.ok ? "ok" : "bad"));
  stream.end();
}

// ---------------------------------------------------------------- client

async function client(values: Values): Promise<number> {
  const json = values.json === true;
  const mode = (values.mode as string | undefined) ?? "echo";
  if (mode !== "echo" && mode !== "bulk") fail(`--mode: expected echo or bulk, got ${mode}`);
  const host = (values.host as string | undefined) ?? "127.0.0.1";
  const port = values.port === undefined ? 4433 : Number(values.port);
  const repeat = values.repeat === undefined ? 1 : Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) fail("--repeat: a positive integer");
  const options = {
    alpn: typeof values.alpn === "string" ? values.alpn.split(",") : [mode === "bulk" ? BULK : ECHO],
    ...(typeof values["server-name"] === "string" ? { serverName: values["server-name"] } : {}),
    ...(typeof values.ca === "string" ? { ca: readFileSync(values.ca, "utf8") } : {}),
    ...(values.insecure === true ? { insecure: true } : {}),
    ...(typeof values.keylog === "string" ? { keyLog: keyLogFile(values.keylog) } : {}),
    version: parseVersion(values.version as string | undefined),
    ...datagramSize(values),
  };
  const sessionFile = values["session-file"] as string | undefined;
  const zeroRtt = values["0rtt"] === true;
  if (zeroRtt && sessionFile === undefined) fail("--0rtt needs --session-file (the session of an earlier run)");
  let session = loadSession(sessionFile);
  const firstByte: number[] = [];
  let status = 0;
  for (let i = 0; i < repeat; i++) {
    const started = performance.now();
    const cpu = cpuSeconds();
    // Each connection resumes with the ticket of the previous one (a ticket is used once, RFC 9846 §C.4).
    const conn = await connect(host, port, session === undefined ? options : { ...options, session, earlyData: zeroRtt });
    // With 0-RTT, connect resolves before the handshake and the request below goes out as early data.
    const earlySent = conn.handshake === undefined;
    const handshakeDone = conn.established().then(
      () => performance.now(),
      () => Number.NaN,
    );
    let record: Record<string, unknown>;
    let text: string;
    if (mode === "echo") {
      const message = (values.message as string | undefined) ?? "hello from zsync-quic";
      const stream = await conn.openBidirectionalStream();
      await stream.write(new TextEncoder().encode(message));
      stream.end();
      const buffer = new Uint8Array(64 * 1024);
      const first = await stream.read(buffer);
      firstByte.push(performance.now() - started);
      const rest = await stream.readAll();
      const echoed = new TextDecoder().decode(Buffer.concat([buffer.subarray(0, first ?? 0), rest]));
      const ok = echoed === message;
      if (!ok) status = 1;
      record = { event: "echo", ok, echoed };
      text = `echo: ${JSON.stringify(echoed)} ${ok ? "(matches)" : "(MISMATCH)"}`;
    } else {
      const length = parseBytes((values.bytes as string | undefined) ?? "10M");
      const direction = (values.direction as string | undefined) ?? "down";
      if (direction !== "down" && direction !== "up") fail(`--direction: expected down or up, got ${direction}`);
      const stream = await conn.openBidirectionalStream();
      const header = new Uint8Array(9);
      header[0] = (direction === "down" ? "d" : "u").charCodeAt(0);
      new DataView(header.buffer).setBigUint64(1, BigInt(length));
      await stream.write(header);
      const pattern = new BulkPattern();
      const transferStart = performance.now();
      let ok: boolean;
      if (direction === "down") {
        stream.end();
        const result = await pattern.receive(stream, length, () => firstByte.push(performance.now() - started));
        ok = result.ok;
      } else {
        await pattern.send(stream, length);
        stream.end();
        const reply = new TextDecoder().decode(await stream.readAll(16));
        firstByte.push(performance.now() - started);
        ok = reply === "ok";
      }
      const seconds = (performance.now() - transferStart) / 1000;
      const mbps = length / 1e6 / seconds;
      if (!ok) status = 1;
      record = { event: "bulk", direction, bytes: length, verified: ok, seconds: round(seconds), mbPerSecond: round(mbps) };
      text = `bulk ${direction}: ${length} bytes in ${round(seconds)} s = ${round(mbps)} MB/s, ${ok ? "verified" : "VERIFICATION FAILED"}`;
    }
    const handshakeMs = (await handshakeDone) - started;
    const earlyData = earlyDataOutcome(conn, earlySent);
    if (sessionFile !== undefined) session = await saveSession(conn, sessionFile);
    await conn.close(0, "done");
    const stats = statsRecord(conn);
    output(
      json,
      { ...record, handshakeMs: round(handshakeMs), earlyData, cpuSeconds: round(cpuSeconds() - cpu), ...stats },
      `${text}\nhandshake ${round(handshakeMs)} ms; early data ${earlyData}; ${JSON.stringify(stats)}`,
    );
  }
  if (repeat > 1) {
    const sorted = [...firstByte].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] as number;
    output(
      json,
      { event: "summary", connections: repeat, medianTimeToFirstByteMs: round(median) },
      `median time to first byte over ${repeat} connections: ${round(median)} ms`,
    );
  }
  return status;
}

// ------------------------------------------------------------------ main

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      host: { type: "string" },
      port: { type: "string" },
      cert: { type: "string" },
      key: { type: "string" },
      ca: { type: "string" },
      insecure: { type: "boolean" },
      "server-name": { type: "string" },
      alpn: { type: "string" },
      mode: { type: "string" },
      message: { type: "string" },
      bytes: { type: "string" },
      direction: { type: "string" },
      repeat: { type: "string" },
      version: { type: "string" },
      keylog: { type: "string" },
      "session-file": { type: "string" },
      "datagram-size": { type: "string" },
      json: { type: "boolean" },
      once: { type: "boolean" },
      retry: { type: "boolean" },
      "0rtt": { type: "boolean" },
      "no-0rtt": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help === true || command === undefined || command === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command === "server") {
    await server(values);
    return 0;
  }
  if (command === "client") return client(values);
  return fail(`unknown command ${JSON.stringify(command)}`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`zsync-quic: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
