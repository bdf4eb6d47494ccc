// HTTP/3 side by side with ngtcp2/nghttp3 (not part of the test suite: a measurement, run by hand under the
// shared bench lock, after `pnpm --filter @zsync/quic build`):
//
//   flock /tmp/bench.lock node test/interop/ngtcp2-h3-bench.mjs [requests|bulk]
//
// requests: 2,000 GETs of a 1 KiB body on one connection, 64 in flight (ours: Http3Client -> Http3Server;
//   anchor: gtlsclient --nstreams=2000 -> gtlsserver, which keeps as many in flight as MAX_STREAMS allows).
// bulk: one 64 MiB GET (ours -> ours, gtlsclient -> gtlsserver, and both mixed pairings).
// Each figure is the median of 3 rounds; wall time from the request's start (ngtcp2: the client process's
// whole life, including process start and the handshake: a lower bound on its speed). requests: gtlsclient's
// log is checked for every 200 response, so it writes one line per frame to a file, at a cost; bulk: it runs
// quiet, and the file it saves is checked for all the bytes.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateCertificate } from "@zsync/crypto/tls";
import { Http3Client, Http3Server } from "../../dist/index.js";

const ROUNDS = 3;
const REQUESTS = 2000;
const IN_FLIGHT = 64;
const BULK = 64 << 20;

const ca = generateCertificate({ commonName: "h3 bench CA", isCa: true, subjectAltNames: [] });
const leaf = generateCertificate({ issuer: ca });
const dir = mkdtempSync(join(tmpdir(), "zsync-h3-bench-"));
writeFileSync(join(dir, "cert.pem"), leaf.certificatePem + ca.certificatePem);
writeFileSync(join(dir, "key.pem"), leaf.privateKeyPem);
writeFileSync(join(dir, "small"), new Uint8Array(1024).fill(7));
writeFileSync(join(dir, "bulk"), new Uint8Array(BULK).fill(9));
const small = new Uint8Array(1024).fill(7);
const bulk = new Uint8Array(BULK).fill(9);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function ourServer() {
  return Http3Server.bind({
    port: 0,
    certificate: leaf.certificatePem,
    key: leaf.privateKeyPem,
    handler: (request) => new Response(new URL(request.url).pathname === "/bulk" ? bulk : small),
  });
}

async function gtlsServer() {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(
    "gtlsserver",
    ["-q", "--initial-rtt=1ms", `--htdocs=${dir}`, "127.0.0.1", String(port), join(dir, "key.pem"), join(dir, "cert.pem")],
    {
      stdio: "ignore",
    },
  );
  await new Promise((r) => setTimeout(r, 300));
  return {
    port,
    close: async () => {
      child.kill("SIGKILL");
      await once(child, "exit");
    },
  };
}

/**
 * Runs gtlsclient. `expected` 200 responses: checked in its log (written to a file; piping it costs more),
 * which it then writes at some cost. `download`: quiet (-q), and the saved file must have all the bytes.
 */
async function gtlsClient(port, options, uris, expected, download = false) {
  const log = join(dir, "client.log");
  const saved = join(dir, "download");
  rmSync(saved, { recursive: true, force: true });
  mkdirSync(saved);
  const quiet = download ? `-q --download=${saved}` : "--no-quic-dump --no-http-dump";
  const start = performance.now();
  const child = spawn(
    "sh",
    [
      "-c",
      `exec gtlsclient --initial-rtt=1ms --exit-on-all-streams-close ${quiet} --timeout=60s ${options.join(" ")} 127.0.0.1 ${port} ${uris.join(" ")} > ${log} 2>&1`,
    ],
    { stdio: "ignore" },
  );
  await once(child, "exit");
  const ms = performance.now() - start;
  if (download) {
    const size = statSync(join(saved, "bulk")).size;
    if (size !== BULK) throw new Error(`gtlsclient saved ${size} bytes`);
  } else {
    const ok = (readFileSync(log, "latin1").match(/:status: 200\]/g) ?? []).length;
    if (ok !== expected) throw new Error(`gtlsclient: ${ok} of ${expected} responses`);
  }
  return ms;
}

async function ourRequests(port) {
  const client = new Http3Client({ ca: ca.certificatePem });
  await (await client.fetch(`https://localhost:${port}/small`)).arrayBuffer(); // handshake outside the timing
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < REQUESTS) {
        next++;
        await (await client.fetch(`https://localhost:${port}/small`)).arrayBuffer();
      }
    }),
  );
  const ms = performance.now() - start;
  await client.close();
  return ms;
}

async function ourBulk(port) {
  const client = new Http3Client({ ca: ca.certificatePem });
  const start = performance.now();
  const response = await client.fetch(`https://localhost:${port}/bulk`);
  let n = 0;
  for await (const chunk of response.body) n += chunk.length;
  const ms = performance.now() - start;
  if (n !== BULK) throw new Error(`got ${n} bytes`);
  await client.close();
  return ms;
}

async function round(name, run) {
  const times = [];
  for (let i = 0; i < ROUNDS; i++) times.push(await run());
  return { name, ms: median(times) };
}

const mode = process.argv[2] ?? "requests";
const rows = [];
if (mode === "requests") {
  const server = await ourServer();
  rows.push(await round("ours -> ours", () => ourRequests(server.port)));
  await server.close({ timeout: 1000 });
  const g = await gtlsServer();
  const urls = Array.from({ length: 1 }, () => `https://localhost:${g.port}/small`);
  rows.push(await round("gtlsclient -> gtlsserver", () => gtlsClient(g.port, [`--nstreams=${REQUESTS}`], urls, REQUESTS)));
  await g.close();
  for (const r of rows) console.log(`| ${r.name} | ${(REQUESTS / (r.ms / 1000)).toFixed(0)} req/s | ${r.ms.toFixed(0)} ms |`);
} else {
  const server = await ourServer();
  rows.push(await round("ours -> ours", () => ourBulk(server.port)));
  rows.push(await round("gtlsclient -> ours", () => gtlsClient(server.port, [], [`https://localhost:${server.port}/bulk`], 1, true)));
  await server.close({ timeout: 1000 });
  const g = await gtlsServer();
  rows.push(await round("ours -> gtlsserver", () => ourBulk(g.port)));
  rows.push(await round("gtlsclient -> gtlsserver", () => gtlsClient(g.port, [], [`https://localhost:${g.port}/bulk`], 1, true)));
  await g.close();
  for (const r of rows) console.log(`| ${r.name} | ${(BULK / 2 ** 20 / (r.ms / 1000)).toFixed(1)} MiB/s | ${r.ms.toFixed(0)} ms |`);
}
rmSync(dir, { recursive: true, force: true });
