/**
 * TLS 1.3 benchmarks: our client and server against node:tls's (OpenSSL
 * inside Node), over loopback in this process, with the same suite, group
 * and certificate on both sides so the only difference is the stack:
 *
 * - full handshakes per second (no resumption; each side sends close_notify
 *   and waits for the TCP close, as an application closing politely would);
 * - bulk transfer of 256 MiB over one connection, client→server and
 *   server→client, written in 1 MiB application writes with back-pressure,
 *   timed until the receiver has every byte. The server runs in a child
 *   process (`tls-peer.ts`), so each side has its own event loop and its
 *   CPU time (user + system, `process.cpuUsage`) is printed per GiB beside
 *   the table (`BENCH_BULK_MIB` shrinks the transfer for a quick look);
 * - handshake reassembly of a 128 KiB message cut as finely as the caps
 *   allow (`handshake-fragments.ts`).
 *
 * Run alone: `cd packages/crypto && ../../node_modules/.bin/tsc -p tsconfig.bench.json && node .bench-dist/bench/tls-run.js`
 *
 * @example
 * ```ts
 * import { runSuite } from "@zsync/bench-harness";
 * import { tlsCases } from "./tls.js";
 * await runSuite("crypto-tls", tlsCases);
 * ```
 * @module
 */
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { loadavg } from "node:os";
import * as tls from "node:tls";
import { type BenchCase, batchThroughput, median } from "@zsync/bench-harness";
import { type GeneratedCertificate, generateSelfSignedCertificate } from "../src/tls/pki/certificate-generator.js";
import { TlsListener, TlsStream } from "../src/tls/stream/tls-stream.js";
import { fragmentCases } from "./handshake-fragments.js";
import { countFullCollections } from "./tls-gc-count.js";
import type { Mode, PeerCommand, PeerReply, Stack, TransferCost } from "./tls-peer.js";
import { type RecordFloor, recordFloor } from "./tls-record-floor.js";

const SUITE = "TLS_AES_128_GCM_SHA256";
const CONFIG = `${SUITE}, X25519, ECDSA P-256 cert`;
const MiB = 1024 * 1024;
/** 256 MiB; `BENCH_BULK_MIB` overrides it for a quick look. */
const BULK_BYTES = Number(process.env.BENCH_BULK_MIB ?? 256) * MiB;
const WRITE_SIZE = MiB;
const HANDSHAKES_PER_SAMPLE = 60;
/** `BENCH_TLS_WORKER=1`: our streams seal and open on the record worker (`recordWorker: true`), in both processes. */
const RECORD_WORKER = process.env.BENCH_TLS_WORKER === "1";

interface Fixture {
  readonly cert: GeneratedCertificate;
  readonly chunk: Uint8Array;
}

let fixture: Fixture | undefined;
function getFixture(): Fixture {
  fixture ??= (() => {
    const chunk = new Uint8Array(WRITE_SIZE);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 131 + (i >>> 9)) & 0xff;
    return { cert: generateSelfSignedCertificate(), chunk };
  })();
  return fixture;
}

/* ---------------------------------------------------------------- ours */

async function oursListener(): Promise<TlsListener> {
  const { cert } = getFixture();
  return TlsListener.bind({
    credentials: { certificate: cert.certificatePem, privateKey: cert.privateKeyPem },
    cipherSuites: [SUITE],
    groups: ["x25519"],
  });
}

function oursConnect(port: number): Promise<TlsStream> {
  const { cert } = getFixture();
  return TlsStream.connect({
    port,
    serverName: "localhost",
    ca: cert.certificatePem,
    cipherSuites: [SUITE],
    groups: ["x25519"],
    recordWorker: RECORD_WORKER,
  });
}

async function oursHandshakes(n: number): Promise<number> {
  const listener = await oursListener();
  try {
    return await batchThroughput(n, async () => {
      for (let i = 0; i < n; i++) {
        const [server, client] = await Promise.all([listener.accept(), oursConnect(listener.port)]);
        await Promise.all([client.close(), server.close()]);
      }
    });
  } finally {
    await listener.close();
  }
}

/* ----------------------------------------------------------- node:tls */

interface NodeServer {
  readonly server: tls.Server;
  readonly port: number;
  readonly sockets: tls.TLSSocket[];
  readonly waiters: ((s: tls.TLSSocket) => void)[];
}

async function nodeListen(): Promise<NodeServer> {
  const { cert } = getFixture();
  const sockets: tls.TLSSocket[] = [];
  const waiters: ((s: tls.TLSSocket) => void)[] = [];
  const server = tls.createServer(
    {
      key: cert.privateKeyPem,
      cert: cert.certificatePem,
      minVersion: "TLSv1.3",
      ciphers: SUITE,
      ecdhCurve: "X25519",
    },
    (socket) => {
      const waiter = waiters.shift();
      if (waiter) waiter(socket);
      else sockets.push(socket);
    },
  );
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, port: (server.address() as AddressInfo).port, sockets, waiters };
}

function nodeAccept(s: NodeServer): Promise<tls.TLSSocket> {
  const ready = s.sockets.shift();
  if (ready) return Promise.resolve(ready);
  return new Promise((resolve) => s.waiters.push(resolve));
}

async function nodeConnect(port: number): Promise<tls.TLSSocket> {
  const { cert } = getFixture();
  const socket = tls.connect({
    host: "127.0.0.1",
    port,
    servername: "localhost",
    ca: cert.certificatePem,
    minVersion: "TLSv1.3",
    ciphers: SUITE,
    ecdhCurve: "X25519",
  });
  await once(socket, "secureConnect");
  return socket;
}

async function nodeClosePolitely(socket: tls.TLSSocket): Promise<void> {
  if (socket.closed) return; // the peer closed first and this end followed
  const closed = once(socket, "close");
  socket.resume(); // read the peer's close_notify and FIN
  socket.end();
  await closed;
}

const closeNodeServer = (server: tls.Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

async function nodeHandshakes(n: number): Promise<number> {
  const s = await nodeListen();
  try {
    return await batchThroughput(n, async () => {
      for (let i = 0; i < n; i++) {
        const [server, client] = await Promise.all([nodeAccept(s), nodeConnect(s.port)]);
        await Promise.all([nodeClosePolitely(client), nodeClosePolitely(server)]);
      }
    });
  } finally {
    await closeNodeServer(s.server);
  }
}

/* --------------------------------------------------------------- bulk */

/**
 * Bulk transfers run between two processes: this one is the client, the
 * server is `tls-peer.ts` in a child process, so each side has a core's
 * worth of event loop (as real peers would) and its own CPU counter.
 */
interface Peer {
  readonly child: ChildProcess;
  request(command: PeerCommand): Promise<PeerReply>;
}

let peer: Peer | undefined;
function getPeer(): Peer {
  peer ??= (() => {
    const child = fork(new URL("./tls-peer.js", import.meta.url), { stdio: "inherit" });
    const replies: ((r: PeerReply) => void)[] = [];
    child.on("message", (r: PeerReply) => replies.shift()?.(r));
    return {
      child,
      request: (command) =>
        new Promise<PeerReply>((resolve, reject) => {
          replies.push((r) => ("error" in r ? reject(new Error(`tls-peer: ${r.error}`)) : resolve(r)));
          child.send(command);
        }),
    };
  })();
  return peer;
}

function stopPeer(): void {
  peer?.child.send({ cmd: "exit" } satisfies PeerCommand);
  peer = undefined;
}

/**
 * Waits for `drain`, or for the socket to close: once the peer has every
 * byte it ends the connection, and a socket closed with the last write
 * still queued emits no `drain` (seen on Node 24: a sample hung here).
 */
async function drained(socket: tls.TLSSocket): Promise<void> {
  // The listener that lost the race is removed (it used to pile up: MaxListenersExceededWarning).
  const lost = new AbortController();
  const { signal } = lost;
  try {
    await Promise.race([once(socket, "drain", { signal }), once(socket, "close", { signal })]);
  } finally {
    lost.abort();
  }
}

/** Process CPU time (user + system) in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** CPU ms per GiB and full collections per GiB of each sample, per stack and side, printed after each bulk case. */
interface SideLog {
  readonly client: number[];
  readonly server: number[];
  readonly clientGcs: number[];
  readonly serverGcs: number[];
}
type CpuLog = Record<Stack, SideLog>;
const newSideLog = (): SideLog => ({ client: [], server: [], clientGcs: [], serverGcs: [] });
const newCpuLog = (): CpuLog => ({ ours: newSideLog(), node: newSideLog() });

const GiB = BULK_BYTES / (1024 * MiB);
/** A bulk sample normally takes seconds; after this long without finishing, it reports its stage. */
const WATCHDOG_MS = 60_000;

/** Reads `bytes` of application data from our client. */
async function oursDrain(stream: TlsStream, bytes: number): Promise<void> {
  let got = 0;
  while (got < bytes) {
    const data = await stream.read();
    if (data === null) throw new RangeError(`stream ended after ${got} of ${bytes} bytes`);
    got += data.length;
  }
}

function nodeDrain(socket: tls.TLSSocket, bytes: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let got = 0;
    const onData = (data: Buffer): void => {
      got += data.length;
      if (got >= bytes) {
        socket.off("data", onData);
        resolve();
      }
    };
    socket.on("data", onData);
    socket.once("error", reject);
    socket.once("end", () => {
      if (got < bytes) reject(new RangeError(`stream ended after ${got} of ${bytes} bytes`));
    });
  });
}

/** One 256 MiB transfer; returns MiB/s and logs both sides' CPU per GiB. */
async function bulk(stack: Stack, mode: Mode, log: CpuLog): Promise<number> {
  const { cert, chunk } = getFixture();
  const p = getPeer();
  // A sample that stops making progress says where, instead of hanging the run.
  let stage = "listen";
  let moved = 0;
  const watchdog = setInterval(() => {
    console.error(`  bulk ${stack} ${mode}: still at "${stage}" after ${WATCHDOG_MS / 1000} s (${moved} bytes moved by the client)`);
  }, WATCHDOG_MS);
  try {
    const { port } = (await p.request({
      cmd: "listen",
      stack,
      certificatePem: cert.certificatePem,
      privateKeyPem: cert.privateKeyPem,
    })) as { port: number };
    stage = "connect";
    const serverDone = p.request({ cmd: "transfer", mode, bytes: BULK_BYTES }) as Promise<TransferCost>;
    let clientCpu: number;
    let elapsed: number;
    let fullGcs: () => Promise<number>;
    const logCosts = async (server: TransferCost): Promise<void> => {
      const side = log[stack];
      side.client.push(clientCpu / GiB);
      side.server.push(server.cpuMs / GiB);
      side.clientGcs.push((await fullGcs()) / GiB);
      side.serverGcs.push(server.fullGcs / GiB);
    };
    if (stack === "ours") {
      const client = await oursConnect(port);
      stage = "transfer";
      const cpu0 = cpuMs();
      fullGcs = countFullCollections();
      const start = performance.now();
      if (mode === "sink")
        for (let sent = 0; sent < BULK_BYTES; sent += WRITE_SIZE) {
          await client.write(chunk);
          moved = sent + WRITE_SIZE;
        }
      else await oursDrain(client, BULK_BYTES);
      clientCpu = cpuMs() - cpu0;
      stage = "wait for the server's report";
      const server = await serverDone;
      elapsed = performance.now() - start;
      await logCosts(server);
      stage = "close";
      await client.close();
    } else {
      const client = await nodeConnect(port);
      stage = "transfer";
      const cpu0 = cpuMs();
      fullGcs = countFullCollections();
      const start = performance.now();
      if (mode === "sink") {
        for (let sent = 0; sent < BULK_BYTES; sent += WRITE_SIZE) {
          if (!client.write(chunk)) await drained(client);
          moved = sent + WRITE_SIZE;
        }
      } else await nodeDrain(client, BULK_BYTES);
      clientCpu = cpuMs() - cpu0;
      stage = "wait for the server's report";
      const server = await serverDone;
      elapsed = performance.now() - start;
      await logCosts(server);
      stage = "close";
      await nodeClosePolitely(client);
    }
    return BULK_BYTES / MiB / (elapsed / 1000);
  } finally {
    clearInterval(watchdog);
  }
}

function printCpu(label: string, log: CpuLog, floor: RecordFloor | undefined): void {
  const f = (xs: number[]): string => (xs.length === 0 ? "-" : `${(median(xs) / 1000).toFixed(2)}`);
  const g = (cpu: number[], gcs: number[]): string => cpu.map((c, i) => `${(c / 1000).toFixed(2)}(${(gcs[i] ?? 0).toFixed(0)})`).join(" ");
  console.log(
    `  ${label}: CPU s/GiB (median; sender's CPU is the writer's process, receiver's the reader's): ` +
      `ours client ${f(log.ours.client)}, server ${f(log.ours.server)}; ` +
      `node:tls client ${f(log.node.client)}, server ${f(log.node.server)}; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")}`,
  );
  if (floor !== undefined)
    console.log(
      `  ${label}: node:crypto's fixed calls per record on this machine (tls-record-floor.ts): seal ${floor.sealUs.toFixed(2)} µs + ` +
        `open ${floor.openUs.toFixed(2)} µs of CPU = ${floor.bothEndsSecondsPerGiB.toFixed(2)} s/GiB of ours' sender + receiver that node:tls does not spend`,
    );
  // The receiver's CPU swings with the full collections it ran (see tls-gc-count.ts): each sample, side by side.
  console.log(
    `  ${label}: each sample, CPU s/GiB (full collections per GiB): ours client ${g(log.ours.client, log.ours.clientGcs)}; ` +
      `server ${g(log.ours.server, log.ours.serverGcs)}; node:tls client ${g(log.node.client, log.node.clientGcs)}; ` +
      `server ${g(log.node.server, log.node.serverGcs)}`,
  );
}

function bulkCase(mode: Mode): BenchCase {
  const label = mode === "sink" ? "client→server" : "server→client";
  const log = newCpuLog();
  let floor: RecordFloor | undefined;
  return {
    name: `TLS 1.3 bulk ${BULK_BYTES / MiB} MiB ${label}, 1 MiB writes, loopback, server in a child process (${CONFIG})`,
    unit: "MiB/s",
    better: "higher",
    target: "≥ 0.8x",
    rounds: 5,
    setup: () => {
      getFixture();
      getPeer();
      floor = recordFloor(); // before the transfers, with nothing else running in this process
    },
    ours: () => bulk("ours", mode, log),
    anchor: { name: "node:tls", sample: () => bulk("node", mode, log) },
    teardown: () => {
      // The warm-up round is logged too; drop it.
      for (const side of [log.ours, log.node]) for (const xs of [side.client, side.server, side.clientGcs, side.serverGcs]) xs.shift();
      printCpu(label, log, floor);
      stopPeer();
    },
  };
}

/* -------------------------------------------------------------- cases */

/** The TLS cases: handshake rate and bulk throughput, ours vs node:tls; then handshake reassembly under the worst allowed fragmenting. */
export const tlsCases: BenchCase[] = [
  {
    name: `TLS 1.3 full handshake, loopback, client+server (${CONFIG})`,
    unit: "handshakes/s",
    better: "higher",
    target: "≥ 0.5x",
    rounds: 5,
    setup: async () => {
      getFixture();
      await oursHandshakes(10); // warm up both stacks (JIT, OpenSSL contexts)
      await nodeHandshakes(10);
    },
    ours: () => oursHandshakes(HANDSHAKES_PER_SAMPLE),
    anchor: { name: "node:tls", sample: () => nodeHandshakes(HANDSHAKES_PER_SAMPLE) },
  },
  bulkCase("sink"),
  bulkCase("source"),
  ...fragmentCases(),
];
