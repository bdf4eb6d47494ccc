/**
 * QUIC benchmarks, client and server in two processes over loopback UDP
 * (the `zsync-quic` CLI itself), anchored on node:tls over TCP loopback
 * running the same bulk protocol (bench/tls-anchor.ts):
 *
 * - 100 MiB down one stream: MB/s at the client;
 * - CPU seconds per GiB transferred, client and server (from each
 *   process's `process.cpuUsage()` over the connection: the same runs);
 * - time to first byte: from `connect` to the first response byte of a
 *   1-byte download, median of 20 fresh connections (handshake included).
 *
 * - the same 100 MiB over ngtcp2 (`gtlsclient` downloading a file from
 *   `gtlsserver` over h3, both with `--initial-rtt=1ms`, Debian packages
 *   ngtcp2-client/ngtcp2-server) as the native reference, from bench/ngtcp2.ts;
 *   skipped with a note when the binaries are missing.
 *
 * Our client and server run with `--datagram-size 1452` (the payload of a
 * 1500-byte Ethernet MTU, as ngtcp2 uses): loopback carries it, and a
 * packet's fixed cost is most of its cost, so fewer, larger packets are
 * cheaper per byte (README, Performance). The default stays 1200, the size
 * every path must carry (RFC 9000 §14).
 *
 * Run: `pnpm --filter @zsync/quic bench` (BENCH_BYTES overrides the 100 MiB).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { type BenchCase, runSuite } from "@zsync/bench-harness";
import { Ngtcp2Reference } from "./ngtcp2.js";

const CLI = fileURLToPath(new URL("../src/cli/zsync-quic.js", import.meta.url));
const ANCHOR = fileURLToPath(new URL("./tls-anchor.js", import.meta.url));
const BYTES = Number(process.env.BENCH_BYTES ?? 100 * 1024 * 1024);
/** The datagram size of our bulk runs (see the module comment). */
const DATAGRAM_SIZE = "1452";
const GiB = 1024 ** 3;

type Record_ = Record<string, unknown>;

interface Side {
  readonly name: string;
  readonly server: string[];
  client(port: number, bytes: number, repeat: number): string[];
}

const quic: Side = {
  name: "quic",
  server: [CLI, "server", "--port", "0", "--json", "--datagram-size", DATAGRAM_SIZE],
  client: (port, bytes, repeat) => [
    CLI,
    "client",
    "--datagram-size",
    DATAGRAM_SIZE,
    "--port",
    String(port),
    "--insecure",
    "--json",
    "--mode",
    "bulk",
    "--direction",
    "down",
    "--bytes",
    String(bytes),
    "--repeat",
    String(repeat),
  ],
};

const tls: Side = {
  name: "tls",
  server: [ANCHOR, "server"],
  client: (port, bytes, repeat) => [ANCHOR, "client", String(port), String(bytes), String(repeat)],
};

/** A running server process and the JSON records it printed. */
class ServerProcess {
  readonly child: ChildProcess;
  readonly records: Record_[] = [];
  readonly port: Promise<number>;

  constructor(side: Side) {
    this.child = spawn(process.execPath, side.server, { stdio: ["ignore", "pipe", "inherit"] });
    this.port = new Promise((resolve) => {
      createInterface({ input: this.child.stdout! }).on("line", (line) => {
        const r = JSON.parse(line) as Record_;
        this.records.push(r);
        if (r.event === "listening") resolve(r.port as number);
      });
    });
  }

  async nextConnection(count: number): Promise<Record_> {
    while (this.records.filter((r) => r.event === "connection").length < count) await new Promise((r) => setTimeout(r, 20));
    return this.records.filter((r) => r.event === "connection")[count - 1] as Record_;
  }

  async stop(): Promise<void> {
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await once(this.child, "exit");
    clearTimeout(timer);
  }
}

async function runClient(side: Side, port: number, bytes: number, repeat: number): Promise<Record_[]> {
  const child = spawn(process.execPath, side.client(port, bytes, repeat), { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout!.on("data", (c: Buffer) => {
    out += c.toString();
  });
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`${side.name} client exited with ${code}`);
  return out
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record_);
}

/** One bulk transfer: MB/s at the client, and CPU seconds per GiB on each end. */
export interface Transfer {
  mbPerSecond: number;
  clientCpuPerGiB: number;
  serverCpuPerGiB: number;
}

/** Something that runs bulk transfers against a server it started: our CLI, the node:tls anchor, ngtcp2. */
interface TransferRunner {
  readonly name: string;
  start(): void | Promise<void>;
  transfer(): Promise<Transfer>;
  stop(): Promise<void>;
}

/** A {@link Side} (our CLI or the node:tls anchor) as a transfer runner: one server process, one client per transfer. */
function sideRunner(side: Side, name: string): TransferRunner {
  let server: ServerProcess | undefined;
  let connections = 0;
  return {
    name,
    start: () => {
      server = new ServerProcess(side);
      connections = 0;
    },
    transfer: async () => {
      const s = server as ServerProcess;
      const [bulk] = await runClient(side, await s.port, BYTES, 1);
      if (bulk?.verified !== true) throw new Error(`${side.name}: transfer not verified`);
      const served = await s.nextConnection(++connections);
      return {
        mbPerSecond: bulk.mbPerSecond as number,
        clientCpuPerGiB: ((bulk.cpuSeconds as number) * GiB) / BYTES,
        serverCpuPerGiB: ((served.cpuSeconds as number) * GiB) / BYTES,
      };
    },
    stop: async () => {
      await server?.stop();
    },
  };
}

/**
 * The three rows of one comparison (MB/s, client CPU per GiB, server CPU
 * per GiB): the MB/s case runs the transfers, the CPU cases read the
 * figures of the same runs (warm-up included), in the same order.
 */
function transferCases(ours: TransferRunner, anchor: TransferRunner): BenchCase[] {
  const results: Record<"ours" | "anchor", Transfer[]> = { ours: [], anchor: [] };
  const run = async (which: "ours" | "anchor"): Promise<number> => {
    const t = await (which === "ours" ? ours : anchor).transfer();
    results[which].push(t);
    return t.mbPerSecond;
  };
  const replay = (which: "ours" | "anchor", pick: (t: Transfer) => number) => {
    let i = 0;
    return () => pick(results[which][i++] as Transfer);
  };
  const mib = Math.round(BYTES / 1024 / 1024);
  const vs = `vs ${anchor.name}`;
  return [
    {
      name: `${mib} MiB down one stream, two processes (${vs})`,
      unit: "MB/s",
      better: "higher",
      ours: () => run("ours"),
      anchor: { name: anchor.name, sample: () => run("anchor") },
      target: ">= 40 MB/s (aim 80)",
      rounds: 3,
      setup: async () => {
        results.ours.length = 0;
        results.anchor.length = 0;
        await ours.start();
        await anchor.start();
      },
      teardown: async () => {
        await Promise.all([ours.stop(), anchor.stop()]);
      },
    },
    {
      name: `client CPU per GiB (same runs, ${vs})`,
      unit: "s",
      better: "lower",
      ours: replay("ours", (t) => t.clientCpuPerGiB),
      anchor: { name: anchor.name, sample: replay("anchor", (t) => t.clientCpuPerGiB) },
      rounds: 3,
    },
    {
      name: `server CPU per GiB (same runs, ${vs})`,
      unit: "s",
      better: "lower",
      ours: replay("ours", (t) => t.serverCpuPerGiB),
      anchor: { name: anchor.name, sample: replay("anchor", (t) => t.serverCpuPerGiB) },
      rounds: 3,
    },
  ];
}

function firstByteCase(): BenchCase {
  const servers: Record<string, ServerProcess> = {};
  const sample = async (side: Side): Promise<number> => {
    const records = await runClient(side, await (servers[side.name] as ServerProcess).port, 1, 20);
    const summary = records.find((r) => r.event === "summary");
    return summary?.medianTimeToFirstByteMs as number;
  };
  return {
    name: "time to first byte, new connection (median of 20)",
    unit: "ms",
    better: "lower",
    ours: () => sample(quic),
    anchor: { name: "node:tls over TCP", sample: () => sample(tls) },
    rounds: 3,
    setup: () => {
      servers.quic = new ServerProcess(quic);
      servers.tls = new ServerProcess(tls);
    },
    teardown: async () => {
      await Promise.all(Object.values(servers).map((s) => s.stop()));
    },
  };
}

/** Our time to first byte against ngtcp2's (issue 15: within 2x). */
function ngtcp2FirstByteCase(ngtcp2: Ngtcp2Reference): BenchCase {
  let server: ServerProcess | undefined;
  return {
    name: "time to first byte, new connection (median of 20; ngtcp2: whole client process)",
    unit: "ms",
    better: "lower",
    ours: async () => {
      const records = await runClient(quic, await (server as ServerProcess).port, 1, 20);
      return records.find((r) => r.event === "summary")?.medianTimeToFirstByteMs as number;
    },
    anchor: { name: ngtcp2.name, sample: () => ngtcp2.firstByteMs(20) },
    target: "within 2x of ngtcp2",
    rounds: 3,
    setup: async () => {
      server = new ServerProcess(quic);
      await ngtcp2.start();
    },
    teardown: async () => {
      await Promise.all([server?.stop(), ngtcp2.stop()]);
    },
  };
}

const ngtcp2 = Ngtcp2Reference.create(BYTES);
if (ngtcp2 === undefined)
  process.stderr.write("ngtcp2 reference skipped: gtlsclient/gtlsserver not installed (Debian ngtcp2-client, ngtcp2-server)\n");
await runSuite("quic", [
  ...transferCases(sideRunner(quic, "quic"), sideRunner(tls, "node:tls over TCP")),
  ...(ngtcp2 === undefined ? [] : transferCases(sideRunner(quic, "quic"), ngtcp2)),
  firstByteCase(),
  ...(ngtcp2 === undefined ? [] : [ngtcp2FirstByteCase(ngtcp2)]),
]);
