/**
 * Lossy-link benchmark (not a unit test): how our stack's throughput and
 * recovery hold up when the path loses packets. The `zsync-quic` CLI's
 * server and client run as two processes and download `LOSSY_BYTES`
 * (default 20 MiB) through the seeded relay of test/support/udp-relay.ts,
 * which runs in this process and adds `LOSSY_DELAY_MS` (default 10 ms) of
 * one-way delay in each direction and drops 0%, 1% and 5% of the datagrams
 * at random, each way. Printed per loss rate: MB/s at the client (every
 * byte checked), the sender's packets sent, packets it declared lost (and
 * so retransmitted, RFC 9002 §6), what the relay dropped, its congestion
 * window and smoothed RTT at the end, and CPU seconds of the sender and of
 * the relay.
 *
 * The relay is JavaScript on a shared machine, so at high rates it is a
 * third process competing for the cores: read the figures as "what loss
 * does to us" (the 0% row is the baseline of the same setup), not as a
 * ceiling.
 *
 * Optionally, when run as root with `ip netns`, `nft` and `tc` available,
 * the same transfers run inside a fresh network namespace over its
 * loopback, impaired by the kernel instead of the relay: an nftables
 * input-hook rule `numgen random mod 100 < N drop` for loss (each datagram
 * crosses the input hook once) and `tbf` for a bandwidth cap (`LOSSY_RATE`,
 * default 400mbit). No delay is added there: that would need netem, which
 * kernels without sch_netem (this machine's) lack. Otherwise that part
 * prints why it was skipped.
 *
 * Run (in packages/quic): `npx tsc -p tsconfig.bench.json && node .bench-dist/bench/lossy-link.js`
 * (`LOSSY_SEED` fixes the relay's seed; `LOSSY_RATES=0,1,5` the loss percentages).
 *
 * @module
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { cpus, loadavg } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { UdpRelay } from "../test/support/udp-relay.js";

const CLI = fileURLToPath(new URL("../src/cli/zsync-quic.js", import.meta.url));
const BYTES = Number(process.env.LOSSY_BYTES ?? 20 * 1024 * 1024);
const DELAY_MS = Number(process.env.LOSSY_DELAY_MS ?? 10);
const RATES = (process.env.LOSSY_RATES ?? "0,1,5").split(",").map(Number);
const SEED = process.env.LOSSY_SEED === undefined ? Math.floor(Math.random() * 0x7fffffff) : Number(process.env.LOSSY_SEED);
const TBF_RATE = process.env.LOSSY_RATE ?? "400mbit";
const NETNS = "zsync-quic-lossy";
/** Our bench's datagram size (bench/run.ts): the payload of a 1500-byte MTU. */
const DATAGRAM_SIZE = "1452";

type Record_ = Record<string, unknown>;

/** A CLI process and the JSON records it prints. */
class CliProcess {
  readonly child: ChildProcess;
  readonly records: Record_[] = [];
  readonly #waiters: { test: (r: Record_) => boolean; resolve: (r: Record_) => void }[] = [];

  constructor(command: string, args: string[]) {
    this.child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
    createInterface({ input: this.child.stdout! }).on("line", (line) => {
      const record = JSON.parse(line) as Record_;
      this.records.push(record);
      for (let i = this.#waiters.length - 1; i >= 0; i--) {
        const w = this.#waiters[i]!;
        if (w.test(record)) {
          this.#waiters.splice(i, 1);
          w.resolve(record);
        }
      }
    });
  }

  /** The first record of `event` (printed already or to come); rejects if the process exits first. */
  next(event: string): Promise<Record_> {
    const found = this.records.find((r) => r.event === event);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ test: (r) => r.event === event, resolve });
      this.child.once("exit", (code) => reject(new Error(`${this.child.spawnfile} exited (${code}) before printing '${event}'`)));
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await once(this.child, "exit");
    clearTimeout(timer);
  }
}

/** One row of the report. */
interface Row {
  readonly setup: string;
  readonly lossPercent: number;
  readonly mbPerSecond: number;
  readonly verified: boolean;
  readonly senderPacketsSent: number;
  readonly senderPacketsLost: number;
  /** Datagrams the path dropped, both directions (relay only; the kernel's counter is not read). */
  readonly pathDropped: number | undefined;
  readonly cwnd: number;
  readonly rttMs: number;
  readonly senderCpuSeconds: number;
  readonly relayCpuSeconds: number | undefined;
}

function serverArgs(): string[] {
  return [CLI, "server", "--port", "0", "--json", "--once", "--datagram-size", DATAGRAM_SIZE];
}

function clientArgs(port: number): string[] {
  return [
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
    String(BYTES),
    "--datagram-size",
    DATAGRAM_SIZE,
  ];
}

/** One download through the relay at `lossPercent` each way. */
async function throughRelay(lossPercent: number): Promise<Row> {
  const server = new CliProcess(process.execPath, serverArgs());
  const relay = await UdpRelay.start({
    server: { address: "127.0.0.1", port: (await server.next("listening")).port as number },
    seed: SEED + lossPercent,
    toServer: { delayMs: DELAY_MS, loss: lossPercent / 100 },
    toClient: { delayMs: DELAY_MS, loss: lossPercent / 100 },
  });
  const cpu = process.cpuUsage();
  const client = new CliProcess(process.execPath, clientArgs(relay.port));
  try {
    const bulk = await client.next("bulk");
    const served = await server.next("connection");
    const used = process.cpuUsage(cpu);
    return {
      setup: `relay, +${DELAY_MS} ms each way`,
      lossPercent,
      mbPerSecond: bulk.mbPerSecond as number,
      verified: bulk.verified === true,
      senderPacketsSent: served.packetsSent as number,
      senderPacketsLost: served.packetsLost as number,
      pathDropped: relay.stats("toServer").lost + relay.stats("toClient").lost,
      cwnd: served.cwnd as number,
      rttMs: served.rttMs as number,
      senderCpuSeconds: served.cpuSeconds as number,
      relayCpuSeconds: (used.user + used.system) / 1e6,
    };
  } finally {
    await client.stop();
    await server.stop();
    await relay.close();
  }
}

/** Why the kernel-impaired variant cannot run here, or undefined when it can. */
function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "not running as root";
  for (const tool of ["ip", "nft", "tc"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    } catch {
      return `'${tool}' is not installed`;
    }
  }
  return undefined;
}

function sh(...args: string[]): void {
  execFileSync(args[0] as string, args.slice(1), { stdio: ["ignore", "ignore", "inherit"] });
}

/**
 * One download inside a fresh network namespace whose loopback drops
 * `lossPercent` of UDP datagrams at the input hook and caps the rate with
 * tbf (see the module comment).
 */
async function throughNetns(lossPercent: number): Promise<Row> {
  sh("ip", "netns", "add", NETNS);
  try {
    sh("ip", "-n", NETNS, "link", "set", "lo", "up");
    sh(
      "ip",
      "netns",
      "exec",
      NETNS,
      "tc",
      "qdisc",
      "add",
      "dev",
      "lo",
      "root",
      "tbf",
      "rate",
      TBF_RATE,
      "burst",
      "256kb",
      "latency",
      "100ms",
    );
    const rules = [
      "add table inet zsync_lossy",
      "add chain inet zsync_lossy input { type filter hook input priority 0; policy accept; }",
      ...(lossPercent > 0 ? [`add rule inet zsync_lossy input meta l4proto udp numgen random mod 100 < ${lossPercent} drop`] : []),
    ];
    for (const rule of rules) execFileSync("ip", ["netns", "exec", NETNS, "nft", rule], { stdio: ["ignore", "ignore", "inherit"] });
    const inNs = (args: string[]) => new CliProcess("ip", ["netns", "exec", NETNS, process.execPath, ...args]);
    const server = inNs(serverArgs());
    const client = inNs(clientArgs((await server.next("listening")).port as number));
    try {
      const bulk = await client.next("bulk");
      const served = await server.next("connection");
      return {
        setup: `netns: nft drop + tbf ${TBF_RATE}, no added delay`,
        lossPercent,
        mbPerSecond: bulk.mbPerSecond as number,
        verified: bulk.verified === true,
        senderPacketsSent: served.packetsSent as number,
        senderPacketsLost: served.packetsLost as number,
        pathDropped: undefined,
        cwnd: served.cwnd as number,
        rttMs: served.rttMs as number,
        senderCpuSeconds: served.cpuSeconds as number,
        relayCpuSeconds: undefined,
      };
    } finally {
      await client.stop();
      await server.stop();
    }
  } finally {
    sh("ip", "netns", "del", NETNS);
  }
}

function printRows(rows: readonly Row[]): void {
  const header = [
    "setup",
    "loss",
    "MB/s",
    "verified",
    "sender packets",
    "declared lost (retransmitted)",
    "dropped by the path",
    "cwnd at end",
    "sRTT ms",
    "sender CPU s",
    "relay CPU s",
  ];
  const line = (cells: readonly (string | number)[]) => `| ${cells.join(" | ")} |`;
  console.log(line(header));
  console.log(line(header.map(() => "---")));
  for (const r of rows)
    console.log(
      line([
        r.setup,
        `${r.lossPercent}%`,
        r.mbPerSecond.toFixed(1),
        r.verified ? "yes" : "NO",
        r.senderPacketsSent,
        r.senderPacketsLost,
        r.pathDropped ?? "n/a",
        Math.round(r.cwnd),
        r.rttMs.toFixed(1),
        r.senderCpuSeconds.toFixed(2),
        r.relayCpuSeconds?.toFixed(2) ?? "n/a",
      ]),
    );
}

console.log(
  `lossy link: ${(BYTES / 1024 / 1024).toFixed(0)} MiB down one stream, Node ${process.version}, ${cpus().length} cores, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}, relay seed ${SEED}`,
);
const rows: Row[] = [];
/** Runs one case and reports it on stderr at once (the table comes at the end; a 5% case takes minutes). */
async function measure(run: () => Promise<Row>): Promise<void> {
  const row = await run();
  rows.push(row);
  process.stderr.write(
    `${row.setup}, ${row.lossPercent}% loss: ${row.mbPerSecond.toFixed(1)} MB/s, ${row.senderPacketsLost} declared lost\n`,
  );
}
for (const rate of RATES) await measure(() => throughRelay(rate));
const unavailable = netnsUnavailable();
if (unavailable === undefined) for (const rate of RATES) await measure(() => throughNetns(rate));
printRows(rows);
if (unavailable !== undefined) console.log(`network-namespace variant skipped: ${unavailable} (needs root, ip, nft and tc)`);
console.log(
  `load average at the end: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
if (rows.some((r) => !r.verified)) process.exitCode = 1;
