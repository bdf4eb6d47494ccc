/**
 * Time to first byte over a path with a real round trip (not a unit test):
 * the `zsync-quic` CLI's server and client as two processes, the client
 * talking through the relay of test/support/udp-relay.ts (in this process),
 * which delays every datagram by `TTFB_DELAY_MS` (default 20) each way. The
 * client runs echo with `--repeat N` (`TTFB_REPEAT`, default 21) and reports
 * the median time from the start of `connect` to the first echoed byte, for:
 *
 * - a full handshake (no session);
 * - resumed (a session file, no early data: the request follows the handshake);
 * - resumed with `--0rtt` (the request leaves in 0-RTT; the server accepts
 *   early and answers in 0.5-RTT packets, RFC 9001 §4.1.1).
 *
 * Each case runs `TTFB_ROUNDS` times (default 2), alternating, with the load
 * average printed next to it. The bottom is one RTT (2 x delay) for 0-RTT and
 * two for the others, plus the handshake's CPU.
 *
 * Run (in packages/quic): `npx tsc -p tsconfig.bench.json && node .bench-dist/bench/ttfb-relay.js`
 *
 * @module
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { UdpRelay } from "../test/support/udp-relay.js";

const CLI = fileURLToPath(new URL("../src/cli/zsync-quic.js", import.meta.url));
const DELAY = Number(process.env.TTFB_DELAY_MS ?? 20);
const REPEAT = Number(process.env.TTFB_REPEAT ?? 21);
const ROUNDS = Number(process.env.TTFB_ROUNDS ?? 2);

/** Runs the CLI and resolves with its JSON records (every line of stdout). */
function runCli(args: readonly string[]): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    const records: Record<string, unknown>[] = [];
    createInterface({ input: child.stdout }).on("line", (line) => records.push(JSON.parse(line) as Record<string, unknown>));
    child.once("exit", (code) => (code === 0 ? resolve(records) : reject(new Error(`zsync-quic ${args.join(" ")} exited ${code}`))));
  });
}

async function main(): Promise<void> {
  const server = spawn(process.execPath, [CLI, "server", "--port", "0", "--json"], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve) => {
    createInterface({ input: server.stdout }).on("line", (line) => {
      const record = JSON.parse(line) as Record<string, unknown>;
      if (record.event === "listening") resolve(record.port as number);
    });
  });
  const relay = await UdpRelay.start({
    server: { address: "127.0.0.1", port },
    toServer: { delayMs: DELAY },
    toClient: { delayMs: DELAY },
  });
  const dir = mkdtempSync(join(tmpdir(), "zsync-ttfb-"));
  const client = ["client", "--port", String(relay.port), "--insecure", "--json", "--mode", "echo"];
  const median = async (...extra: string[]): Promise<{ ms: number; early: number }> => {
    const records = await runCli([...client, "--repeat", String(REPEAT), ...extra]);
    const summary = records.find((r) => r.event === "summary");
    const early = records.filter((r) => r.earlyData === "accepted").length;
    return { ms: summary?.medianTimeToFirstByteMs as number, early };
  };
  try {
    const rows: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const resumed = join(dir, `resumed-${round}.bin`);
      const early = join(dir, `early-${round}.bin`);
      await runCli([...client, "--session-file", resumed]); // a ticket to start from
      await runCli([...client, "--session-file", early]);
      const load = loadavg()[0]!.toFixed(1);
      const full = await median();
      const resume = await median("--session-file", resumed);
      const zeroRtt = await median("--session-file", early, "--0rtt");
      const line = `round ${round} (load ${load}-${loadavg()[0]!.toFixed(1)}): full ${full.ms} ms, resumed ${resume.ms} ms, --0rtt ${zeroRtt.ms} ms (${zeroRtt.early}/${REPEAT} accepted early)`;
      console.log(line);
      rows.push(line);
    }
    console.log(`\n${DELAY} ms each way (RTT ${2 * DELAY} ms), median of ${REPEAT} echo connections per case:\n${rows.join("\n")}`);
  } finally {
    await relay.close();
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
