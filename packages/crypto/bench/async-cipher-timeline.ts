/**
 * Per-call timelines of pooled 256 MiB AsyncCipher calls, in the order the
 * bench (bench/run.ts) makes them: a forced collection, then pooled and
 * inline calls alternating which goes first each round. For every pooled call
 * it prints when the output's allocation task and each lane ran (and on which
 * worker), the lanes' CPU time and page faults, the event loop's staging
 * copies and wipes, and every garbage collection on any thread that overlaps
 * the call, all relative to the call's start. This is a diagnostic, not a
 * verdict: it is what explains a slow sample of the bench.
 *
 * Run: `cd packages/crypto && ../../node_modules/.bin/tsc -p tsconfig.bench.json &&
 * node --expose-gc .bench-dist/bench/async-cipher-timeline.js`
 * (env: `TIMELINE_ROUNDS`, default 10; `TIMELINE_CASE`: encrypt (default), decrypt, shared, reused (encrypt into a reused `output`), reused-shared (the same from a shared input);
 * `CRYPTO_BENCH_MIB`, default 256; `TIMELINE_SETTLE_MS`, idle time after the forced collection, default 0; `BENCH_WORKER_NICENESS`, default 10).
 * @module
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { PerformanceObserver } from "node:perf_hooks";
import { BroadcastChannel } from "node:worker_threads";
import { ThreadPoolIo } from "@zsync/runtime/node";
import { AsyncCipher } from "../src/index.js";
import { TIMELINE_CHANNEL, type TimelineEvent } from "./async-cipher-timeline-tasks.js";

const MiB = 1024 * 1024;
const BIG = Number(process.env.CRYPTO_BENCH_MIB ?? 256) * MiB;
const ROUNDS = Number(process.env.TIMELINE_ROUNDS ?? 10);
const CASE = process.env.TIMELINE_CASE ?? "encrypt";
/** Idle time between the forced collection and the call (0: none, as in the bench). */
const SETTLE_MS = Number(process.env.TIMELINE_SETTLE_MS ?? 0);
const NICENESS = Number(process.env.BENCH_WORKER_NICENESS ?? 10);
const collect = (globalThis as { gc?: () => void }).gc ?? (() => {});
const now = (): number => performance.timeOrigin + performance.now();

/** Busy and steal ms of the whole machine so far (all CPUs; /proc/stat, 10 ms ticks). */
function machineMs(): { busy: number; steal: number } {
  const cpu = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return { busy: (user + nice + system + irq + softirq) * 10, steal: steal * 10 };
}

function threadCpuMs(): number {
  return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]) / 1e6;
}

/** Event-loop thread events: staging copies, wipes, collections (thread 0). */
interface LoopEvent {
  readonly kind: "copy" | "fill" | "gc" | "collect";
  readonly start: number;
  readonly end: number;
  readonly bytes?: number;
  readonly detail?: number;
}
const loop: LoopEvent[] = [];
const workers: TimelineEvent[] = [];
const channel = new BroadcastChannel(TIMELINE_CHANNEL);
channel.onmessage = (message) => {
  workers.push((message as unknown as { data: TimelineEvent }).data);
};
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const start = performance.timeOrigin + entry.startTime;
    loop.push({ kind: "gc", start, end: start + entry.duration, detail: (entry as { detail?: { kind?: number } }).detail?.kind ?? 0 });
  }
}).observe({ entryTypes: ["gc"] });

// Large copies into and fills of shared memory on this thread are AsyncCipher's staging and wipes.
const typedProto = Object.getPrototypeOf(Uint8Array.prototype) as {
  set: (this: Uint8Array, source: ArrayLike<number>, offset?: number) => void;
  fill: (this: Uint8Array, value: number, start?: number, end?: number) => Uint8Array;
};
const originalSet = typedProto.set;
const originalFill = typedProto.fill;
const LARGE = 64 * 1024;
typedProto.set = function set(this: Uint8Array, source: ArrayLike<number>, offset?: number): void {
  if (source.length < LARGE || !(this.buffer instanceof SharedArrayBuffer)) {
    originalSet.call(this, source, offset);
    return;
  }
  const start = now();
  originalSet.call(this, source, offset);
  loop.push({ kind: "copy", start, end: now(), bytes: source.length });
};
typedProto.fill = function fill(this: Uint8Array, value: number, start?: number, end?: number): Uint8Array {
  const from = start ?? 0;
  const to = end ?? this.length;
  if (to - from < LARGE || !(this.buffer instanceof SharedArrayBuffer)) return originalFill.call(this, value, start, end);
  const t0 = now();
  const result = originalFill.call(this, value, start, end);
  loop.push({ kind: "fill", start: t0, end: now(), bytes: to - from });
  return result;
};

const pool = new ThreadPoolIo({ minThreads: 2, maxThreads: 2, workerNiceness: NICENESS });
const key = AsyncCipher.generateKey();
const taskModule = new URL("./async-cipher-timeline-tasks.js", import.meta.url);
const pooled = new AsyncCipher(key, { io: pool, workers: 2, taskModule });
const single = new AsyncCipher(key);
const big = randomBytes(BIG);
const shared = new Uint8Array(new SharedArrayBuffer(BIG));
shared.set(big);
const envelope = (await single.encrypt(big)).slice();
// The bench's reused outputs: 2 bytes into an 8-aligned allocation (the chunks land 8-aligned), faulted in once.
const sealedLength = single.encryptedLength(BIG);
const reusedShared = new Uint8Array(new SharedArrayBuffer(sealedLength + 2), 2).fill(1);
const reusedPlain = new Uint8Array(new ArrayBuffer(sealedLength + 2), 2).fill(1);

interface Call {
  readonly side: "pooled" | "inline";
  readonly index: number;
  readonly collectStart: number;
  readonly start: number;
  readonly end: number;
  readonly loopCpuMs: number;
  readonly processCpuMs: number;
  /** Machine CPU ms not ours during the call (other processes), and steal, both from 10 ms ticks. */
  readonly othersMs: number;
  readonly stealMs: number;
}
const calls: Call[] = [];

async function sample(side: "pooled" | "inline", index: number): Promise<void> {
  const cipher = side === "pooled" ? pooled : single;
  const collectStart = now();
  collect();
  loop.push({ kind: "collect", start: collectStart, end: now() });
  if (SETTLE_MS > 0) await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const cpu0 = process.cpuUsage();
  const machine0 = machineMs();
  const loop0 = threadCpuMs();
  const start = now();
  if (CASE === "decrypt") await cipher.decrypt(envelope);
  else if (CASE === "reused" || CASE === "reused-shared")
    await cipher.encrypt(CASE === "reused" ? big : shared, { output: side === "pooled" ? reusedShared : reusedPlain });
  else await cipher.encrypt(CASE === "shared" ? shared : big);
  const end = now();
  const cpu = process.cpuUsage(cpu0);
  const machine1 = machineMs();
  const processCpuMs = (cpu.user + cpu.system) / 1000;
  calls.push({
    side,
    index,
    collectStart,
    start,
    end,
    loopCpuMs: threadCpuMs() - loop0,
    processCpuMs,
    othersMs: Math.max(0, machine1.busy - machine0.busy - processCpuMs),
    stealMs: machine1.steal - machine0.steal,
  });
}

// The harness's order: one warm-up round, then rounds alternating which side goes first.
await sample("pooled", -1);
await sample("inline", -1);
for (let round = 0; round < ROUNDS; round++) {
  if (round % 2 === 0) {
    await sample("pooled", round);
    await sample("inline", round);
  } else {
    await sample("inline", round);
    await sample("pooled", round);
  }
}
// Let the workers' after-lane collections run and their observers report.
await new Promise((resolve) => setTimeout(resolve, 500));
await pool.shutdown();
await new Promise((resolve) => setTimeout(resolve, 100));
channel.close();

const f = (ms: number): string => ms.toFixed(1);
const threadIds = [...new Set(workers.map((e) => e.thread))].sort((a, b) => a - b);
const name = (thread: number): string => `w${threadIds.indexOf(thread) + 1}`;
console.log(
  `### AsyncCipher ${CASE} ${BIG / MiB} MiB timelines (node ${process.version}, ${new Date().toISOString()}, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}, workerNiceness ${NICENESS})\n`,
);
console.log("times in ms from the call's start; [start-end]; gc kinds: 1 minor, 2 major, 4 incremental, 8 weak callbacks\n");
let previous: Call | undefined;
for (const call of calls) {
  const at = (t: number): string => f(t - call.start);
  const inCall = (e: { start: number; end: number }): boolean => e.end > call.collectStart && e.start < call.end;
  const after = previous === undefined ? "" : ` after ${previous.side}`;
  const head = `${call.side} #${call.index}${after}: wall ${f(call.end - call.start)}, collect+settle ${f(call.start - call.collectStart)}, loop CPU ${f(call.loopCpuMs)}, process CPU ${f(call.processCpuMs)}, others ~${f(call.othersMs)}, steal ${f(call.stealMs)}`;
  previous = call;
  if (call.side === "inline") {
    const gcs = loop.filter((e) => e.kind === "gc" && inCall(e));
    console.log(`${head}${gcs.length > 0 ? `; loop gc ${gcs.map((e) => `${e.detail}:[${at(e.start)}-${at(e.end)}]`).join(" ")}` : ""}`);
    continue;
  }
  console.log(head);
  const mine = workers.filter((e) => inCall(e) || (e.kind === "gc" && e.end > call.collectStart - 100 && e.start < call.end));
  for (const e of mine.filter((x) => x.kind !== "gc")) {
    console.log(
      `  ${name(e.thread)} ${e.kind} [${at(e.start)}-${at(e.end)}] ${f(e.end - e.start)} ms, CPU ${f(e.cpuMs ?? 0)} (kernel ~${e.sysMs ?? "?"}), faults ${e.faults}${e.kind === "lane" ? `, jobs ${e.detail}` : ""}`,
    );
  }
  for (const e of mine.filter((x) => x.kind === "gc" && x.end - x.start >= 0.5)) {
    console.log(`  ${name(e.thread)} gc ${e.detail} [${at(e.start)}-${at(e.end)}] ${f(e.end - e.start)} ms`);
  }
  const copies = loop.filter((e) => e.kind === "copy" && e.start >= call.start && e.end <= call.end);
  if (copies.length > 0) {
    const durations = copies.map((e) => e.end - e.start);
    const sum = durations.reduce((a, b) => a + b, 0);
    const first16 = copies.slice(0, 16);
    console.log(
      `  loop staging: ${copies.length} copies, ${f(sum)} ms, max ${f(Math.max(...durations))}, [${at(copies[0]?.start ?? 0)}-${at(copies.at(-1)?.end ?? 0)}], first 16 MiB staged by ${at(first16.at(-1)?.end ?? 0)}`,
    );
  }
  const fills = loop.filter((e) => e.kind === "fill" && e.start >= call.start && e.end <= call.end);
  if (fills.length > 0)
    console.log(
      `  loop wipes: ${fills.length}, ${f(fills.reduce((a, e) => a + e.end - e.start, 0))} ms, [${at(fills[0]?.start ?? 0)}-${at(fills.at(-1)?.end ?? 0)}]`,
    );
  for (const e of loop.filter((x) => x.kind === "gc" && inCall(x) && x.end - x.start >= 0.5))
    console.log(`  loop gc ${e.detail} [${at(e.start)}-${at(e.end)}] ${f(e.end - e.start)} ms`);
}
// One line per side for tabulating runs: where each pooled call's wall-clock went.
const pooledCalls = calls.filter((c) => c.side === "pooled" && c.index >= 0);
const parts = pooledCalls.map((call) => {
  // A lane may return just after the call resolved (the coordinator wakes on the last job, not on the lane's return).
  const mine = workers.filter((e) => e.start >= call.start && e.start <= call.end);
  const lanes = mine.filter((e) => e.kind === "lane");
  const firstLane = Math.min(...lanes.map((e) => e.start));
  const lastLane = Math.max(...lanes.map((e) => e.end));
  const laneCpu = lanes.reduce((a, e) => a + (e.cpuMs ?? 0), 0);
  return `${f(call.end - call.start)} = ${f(firstLane - call.start)} start + ${f(lastLane - firstLane)} lanes (CPU ${f(laneCpu)}) + ${f(call.end - lastLane)} tail [others ~${f(call.othersMs)}]`;
});
console.log(`\npooled walls (ms): ${parts.join("; ")}`);
console.log(
  `inline walls (ms): ${calls
    .filter((c) => c.side === "inline" && c.index >= 0)
    .map((c) => `${f(c.end - c.start)} [others ~${f(c.othersMs)}]`)
    .join(", ")}`,
);
process.exit(0);
