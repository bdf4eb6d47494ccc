/**
 * The anchor of the transfer bench: the same bulk protocol as
 * `zsync-quic`'s `zq-bulk` (9-byte request, pattern bytes down, checked by
 * the client) over node:tls on TCP loopback: kernel TCP plus OpenSSL,
 * what a Node service uses today. Prints the same JSON records as the CLI.
 *
 * Usage: `node tls-anchor.js server` (prints {"event":"listening","port":N});
 * `node tls-anchor.js client PORT BYTES [REPEAT]`.
 */
import { once } from "node:events";
import { performance } from "node:perf_hooks";
import { connect, createServer, type TLSSocket } from "node:tls";
import { generateSelfSignedCertificate } from "@zsync/crypto/tls";
import { BulkPattern } from "../src/cli/pattern.js";

const CHUNK = 60_000;

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function serve(socket: TLSSocket): Promise<void> {
  const cpu = cpuSeconds();
  // Not `for await`: leaving that loop early destroys the socket.
  let header: Buffer | null = socket.read(9) as Buffer | null;
  while (header === null) {
    await once(socket, "readable");
    header = socket.read(9) as Buffer | null;
  }
  const length = Number(header.readBigUInt64BE(1));
  const pattern = new BulkPattern();
  for (let offset = 0; offset < length; ) {
    const n = Math.min(CHUNK, length - offset);
    if (!socket.write(pattern.slice(offset, n))) await once(socket, "drain");
    offset += n;
  }
  socket.end();
  await once(socket, "close");
  process.stdout.write(`${JSON.stringify({ event: "connection", sent: length, cpuSeconds: cpuSeconds() - cpu })}\n`);
}

async function server(): Promise<void> {
  const cert = generateSelfSignedCertificate();
  const srv = createServer({ cert: cert.certificatePem, key: cert.privateKeyPem, minVersion: "TLSv1.3" }, (socket) => {
    serve(socket).catch(() => socket.destroy());
  });
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  process.stdout.write(`${JSON.stringify({ event: "listening", port: (srv.address() as { port: number }).port })}\n`);
  process.once("SIGTERM", () => srv.close());
}

async function client(port: number, length: number, repeat: number): Promise<void> {
  const firstByte: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const started = performance.now();
    const cpu = cpuSeconds();
    const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false, minVersion: "TLSv1.3" });
    await once(socket, "secureConnect");
    const header = Buffer.alloc(9);
    header[0] = "d".charCodeAt(0);
    header.writeBigUInt64BE(BigInt(length), 1);
    socket.write(header);
    const pattern = new BulkPattern();
    const transferStart = performance.now();
    let offset = 0;
    let ok = true;
    for await (const chunk of socket as AsyncIterable<Buffer>) {
      if (offset === 0) firstByte.push(performance.now() - started);
      for (let at = 0; at < chunk.length; ) {
        const n = Math.min(CHUNK, chunk.length - at);
        if (ok && (offset + n > length || chunk.compare(pattern.slice(offset, n), 0, n, at, at + n) !== 0)) ok = false;
        at += n;
        offset += n;
      }
    }
    const seconds = (performance.now() - transferStart) / 1000;
    process.stdout.write(
      `${JSON.stringify({ event: "bulk", bytes: length, verified: ok && offset === length, seconds, mbPerSecond: length / 1e6 / seconds, cpuSeconds: cpuSeconds() - cpu })}\n`,
    );
  }
  if (repeat > 1) {
    const sorted = [...firstByte].sort((a, b) => a - b);
    process.stdout.write(`${JSON.stringify({ event: "summary", medianTimeToFirstByteMs: sorted[Math.floor(sorted.length / 2)] })}\n`);
  }
}

const [command, ...args] = process.argv.slice(2);
if (command === "server") await server();
else if (command === "client") await client(Number(args[0]), Number(args[1]), Number(args[2] ?? 1));
else {
  process.stderr.write("usage: tls-anchor server | client PORT BYTES [REPEAT]\n");
  process.exitCode = 2;
}
