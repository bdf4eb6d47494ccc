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
 * Run: `pnpm --filter @zsync/quic bench` (BENCH_BYTES overrides the 100 MiB).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { type BenchCase, runSuite } from "@zsync/bench-harness";

const CLI = fileURLToPath(new URL("../src/cli/zsync-quic.js", import.meta.url));
const ANCHOR = fileURLToPath(new URL("./tls-anchor.js", import.meta.url));
const BYTES = Number(process.env.BENCH_BYTES ?? 100 * 1024 * 1024);
const GiB = 1024 ** 3;

type Record_ = Record<string, unknown>;

interface Side {
  readonly name: string;
  readonly server: string[];
  client(port: number, bytes: number, repeat: number): string[];
}

const quic: Side = {
  name: "quic",
  server: [CLI, "server", "--port", "0", "--json"],
  client: (port, bytes, repeat) => [
    CLI,
    "client",
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

/** One bulk transfer on `side`: MB/s, and CPU seconds per GiB on each end. */
interface Transfer {
  mbPerSecond: number;
  clientCpuPerGiB: number;
  serverCpuPerGiB: number;
}

function transferCases(): BenchCase[] {
  const results: Record<string, Transfer[]> = { quic: [], tls: [] };
  const servers: Record<string, ServerProcess> = {};
  let connections: Record<string, number> = { quic: 0, tls: 0 };
  const transfer = async (side: Side): Promise<number> => {
    const server = servers[side.name] as ServerProcess;
    const [bulk] = await runClient(side, await server.port, BYTES, 1);
    if (bulk?.verified !== true) throw new Error(`${side.name}: transfer not verified`);
    connections[side.name] = (connections[side.name] ?? 0) + 1;
    const served = await server.nextConnection(connections[side.name] as number);
    const t: Transfer = {
      mbPerSecond: bulk.mbPerSecond as number,
      clientCpuPerGiB: ((bulk.cpuSeconds as number) * GiB) / BYTES,
      serverCpuPerGiB: ((served.cpuSeconds as number) * GiB) / BYTES,
    };
    results[side.name]?.push(t);
    return t.mbPerSecond;
  };
  // The CPU cases read the figures of the transfer case's runs (warm-up included), in the same order.
  const replay = (side: string, pick: (t: Transfer) => number) => {
    let i = 0;
    return () => pick(results[side]?.[i++] as Transfer);
  };
  const mib = Math.round(BYTES / 1024 / 1024);
  return [
    {
      name: `${mib} MiB down one stream, two processes`,
      unit: "MB/s",
      better: "higher",
      ours: () => transfer(quic),
      anchor: { name: "node:tls over TCP", sample: () => transfer(tls) },
      rounds: 3,
      setup: () => {
        servers.quic = new ServerProcess(quic);
        servers.tls = new ServerProcess(tls);
        connections = { quic: 0, tls: 0 };
      },
      teardown: async () => {
        await Promise.all(Object.values(servers).map((s) => s.stop()));
      },
    },
    {
      name: "client CPU per GiB (same runs)",
      unit: "s",
      better: "lower",
      ours: replay("quic", (t) => t.clientCpuPerGiB),
      anchor: { name: "node:tls over TCP", sample: replay("tls", (t) => t.clientCpuPerGiB) },
      rounds: 3,
    },
    {
      name: "server CPU per GiB (same runs)",
      unit: "s",
      better: "lower",
      ours: replay("quic", (t) => t.serverCpuPerGiB),
      anchor: { name: "node:tls over TCP", sample: replay("tls", (t) => t.serverCpuPerGiB) },
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

await runSuite("quic", [...transferCases(), firstByteCase()]);
