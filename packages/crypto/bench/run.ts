/**
 * Crypto benchmarks: each provider against its library called directly, and
 * AsyncCipher on a 2-worker ThreadPoolIo against the single-thread rate
 * (with the machine's own 2-thread ceiling measured in the same run).
 * Run: `cd packages/crypto && ../../node_modules/.bin/tsc -p tsconfig.bench.json && node .bench-dist/bench/run.js`
 */
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { Worker } from "node:worker_threads";
import { gcm } from "@noble/ciphers/aes.js";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { type BenchCase, type BenchRow, measureLoopLag, median, percentile, runSuite, timed } from "@zsync/bench-harness";
import { ThreadPoolIo } from "@zsync/runtime/node";
import { AsyncCipher, getProvider, nobleProvider } from "../src/index.js";
import { tlsCases } from "./tls.js";

const node = getProvider("node");
const KiB = 1024;
const MiB = 1024 * KiB;
const nonce = new Uint8Array(12);
const key16 = randomBytes(16);
const key32 = randomBytes(32);

function sealCases(size: number, label: string): BenchCase[] {
  const data = randomBytes(size);
  const nodeGcm = node.aead("aes-128-gcm", key16);
  const nodeChacha = node.aead("chacha20-poly1305", key32);
  const nobleGcm = nobleProvider.aead("aes-128-gcm", key16);
  const nobleChacha = nobleProvider.aead("chacha20-poly1305", key32);
  const time = size >= MiB ? 400 : 250;
  const directNode = (algorithm: "aes-128-gcm" | "chacha20-poly1305", key: Uint8Array) => () => {
    const cipher = createCipheriv(algorithm as "aes-128-gcm", key, nonce, { authTagLength: 16 });
    return Buffer.concat([cipher.update(data), cipher.final(), cipher.getAuthTag()]);
  };
  const cases: BenchCase[] = [
    timed({
      name: `node AES-128-GCM seal ${label}`,
      ours: () => nodeGcm.seal(nonce, data),
      anchor: { name: "node:crypto", fn: directNode("aes-128-gcm", key16) },
      target: "≥ 0.90x",
      timeMs: time,
    }),
    timed({
      name: `node ChaCha20-Poly1305 seal ${label}`,
      ours: () => nodeChacha.seal(nonce, data),
      anchor: { name: "node:crypto", fn: directNode("chacha20-poly1305", key32) },
      target: "≥ 0.90x",
      timeMs: time,
    }),
    timed({
      name: `noble AES-128-GCM seal ${label}`,
      ours: () => nobleGcm.seal(nonce, data),
      anchor: { name: "@noble/ciphers", fn: () => gcm(key16, nonce).encrypt(data) },
      target: "≥ 0.90x",
      timeMs: time,
      rounds: size >= MiB ? 3 : 5,
    }),
    timed({
      name: `noble ChaCha20-Poly1305 seal ${label}`,
      ours: () => nobleChacha.seal(nonce, data),
      anchor: { name: "@noble/ciphers", fn: () => chacha20poly1305(key32, nonce).encrypt(data) },
      target: "≥ 0.90x",
      timeMs: time,
      rounds: size >= MiB ? 3 : 5,
    }),
  ];
  return cases;
}

const mib = randomBytes(MiB);
const hashCases: BenchCase[] = [
  timed({
    name: "node SHA-256 1 MiB",
    ours: () => node.hash("sha256", mib),
    anchor: { name: "node:crypto", fn: () => createHash("sha256").update(mib).digest() },
    target: "≥ 0.90x",
    timeMs: 400,
  }),
  timed({
    name: "noble SHA-256 1 MiB",
    ours: () => nobleProvider.hash("sha256", mib),
    anchor: { name: "@noble/hashes", fn: () => sha256(mib) },
    target: "≥ 0.90x",
    timeMs: 400,
    rounds: 3,
  }),
];

const BIG = Number(process.env.CRYPTO_BENCH_MIB ?? 256) * MiB;
/**
 * Nice steps the pool's workers (and the bare threads of the ceiling and floor rows, so both sides
 * follow one policy) run below the event loop: `workerNiceness` (runtime docs/node.md, "Priority").
 * Default 10, what the README recommends for pools that run AsyncCipher lanes; `BENCH_WORKER_NICENESS=0`
 * measures workers at the event loop's priority.
 */
const NICENESS = Number(process.env.BENCH_WORKER_NICENESS ?? 10);
const pool = new ThreadPoolIo({ minThreads: 2, maxThreads: 2, workerNiceness: NICENESS });
const cipherKey = AsyncCipher.generateKey();
const pooled = new AsyncCipher(cipherKey, { io: pool, workers: 2 });
const single = new AsyncCipher(cipherKey);
let big: Uint8Array = new Uint8Array(0);
let sharedBig: Uint8Array = new Uint8Array(0);
let envelope: Uint8Array = new Uint8Array(0);
/** Reused outputs for the `output` rows: shared for the pooled side (the lanes write it), unshared for inline. */
let reuse: Record<"sealedShared" | "sealedPlain" | "openedShared" | "openedPlain", Uint8Array<ArrayBufferLike>> = {
  sealedShared: new Uint8Array(0),
  sealedPlain: new Uint8Array(0),
  openedShared: new Uint8Array(0),
  openedPlain: new Uint8Array(0),
};
const collect = (globalThis as { gc?: () => void }).gc ?? (() => {});

async function ensureBig(): Promise<void> {
  if (big.length === BIG) return;
  big = randomBytes(BIG);
  sharedBig = new Uint8Array(new SharedArrayBuffer(BIG));
  sharedBig.set(big);
  // A plain (non-shared) copy, so pooled decryption pays for staging like any caller's buffer.
  envelope = (await single.encrypt(big)).slice();
  // Start the workers and let both sides' code warm up (the inline side warmed up making `envelope`).
  await pooled.decrypt(await pooled.encrypt(big));
  await pooled.decrypt(envelope);
  const sealed = pooled.encryptedLength(BIG);
  // Envelopes start with a 38-byte header: 2 bytes in, the chunks land 8-aligned (shared memory is copied
  // word by word only between equally aligned addresses; AsyncCipher's own outputs are laid out the same way).
  reuse = {
    sealedShared: new Uint8Array(new SharedArrayBuffer(sealed + 2), 2),
    sealedPlain: new Uint8Array(new ArrayBuffer(sealed + 2), 2),
    openedShared: new Uint8Array(new SharedArrayBuffer(BIG)),
    openedPlain: new Uint8Array(BIG),
  };
  // Touched once here, so the rows measure calls into memory already faulted in (what reusing it buys).
  for (const bytes of Object.values(reuse)) bytes.fill(1);
}

/** CPU time (ms) this thread has run, from the kernel's per-thread accounting; NaN off Linux. */
function threadCpuMs(): number {
  try {
    return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]) / 1e6;
  } catch {
    return Number.NaN;
  }
}

/** Wall and CPU cost of one sample: CPU of every thread of the process, and of the event-loop thread alone. */
interface Cost {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly mainMs: number;
  /**
   * CPU the rest of the machine used meanwhile (all CPUs' busy time in /proc/stat minus this process's;
   * 10 ms ticks). A pooled call needs both cores and an inline one only one, so other processes' work
   * lengthens pooled samples far more than inline ones: what makes a run's ratio miss.
   */
  readonly othersMs: number;
}

/** Busy ms of every CPU so far (/proc/stat, 10 ms ticks); NaN off Linux. */
function machineBusyMs(): number {
  try {
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "")
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return (user + nice + system + irq + softirq + steal) * 10;
  } catch {
    return Number.NaN;
  }
}
/** Costs per case and side, printed in the mechanism table after the suite. */
const costs = new Map<string, { ours: Cost[]; anchor: Cost[] }>();
function costsOf(name: string): { ours: Cost[]; anchor: Cost[] } {
  const entry = costs.get(name) ?? { ours: [], anchor: [] };
  costs.set(name, entry);
  return entry;
}

/** A MiB/s sampler that also records its wall and CPU cost (a collection first, outside the clock). */
const rate = (record: Cost[], work: () => Promise<unknown>) => async (): Promise<number> => {
  collect();
  const cpu0 = process.cpuUsage();
  const main0 = threadCpuMs();
  const machine0 = machineBusyMs();
  const start = performance.now();
  await work();
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  record.push({ wallMs, cpuMs, mainMs: threadCpuMs() - main0, othersMs: Math.max(0, machineBusyMs() - machine0 - cpuMs) });
  return BIG / MiB / (wallMs / 1000);
};

/**
 * Event-loop lag while `work` runs: a 1 ms timer's lateness (what callers
 * feel, load included) and, per tick, the event-loop thread's own CPU time
 * since the previous tick (what our code made it do, which load barely moves).
 */
async function lagProbe(work: () => Promise<unknown>): Promise<{ lag: number[]; busy: number[] }> {
  // Collect before the first busy reading: a forced full collection is the bench's, not the work's.
  collect();
  const busy: number[] = [];
  let cpuAt = threadCpuMs();
  let running = true;
  const tick = (): void => {
    if (!running) return;
    const cpu = threadCpuMs();
    busy.push(cpu - cpuAt);
    cpuAt = cpu;
    setTimeout(tick, 1);
  };
  setTimeout(tick, 1);
  try {
    const lag = await measureLoopLag(work);
    return { lag, busy: busy.length > 0 ? busy : [0] };
  } finally {
    running = false;
  }
}
/** Per-case p99 of event-loop busy time between ticks, printed after the suite. */
const busyP99 = new Map<string, { ours: number[]; anchor: number[] }>();
const lagSample = (name: string, side: "ours" | "anchor", work: () => Promise<unknown>) => async (): Promise<number> => {
  const { lag, busy } = await lagProbe(work);
  const entry = busyP99.get(name) ?? { ours: [], anchor: [] };
  busyP99.set(name, entry);
  entry[side].push(percentile(busy, 99));
  return percentile(lag, 99);
};

/**
 * What the machine offers right now: node:crypto ChaCha20-Poly1305 over the
 * same bytes in two bare worker threads versus one, no AsyncCipher involved.
 * On a shared 2-core host this is often far below 2x; read the AsyncCipher
 * ratio against it. Outputs are fresh memory per call, as AsyncCipher's are
 * (first-touch page faults included), but unshared, so the workers' heaps
 * account for them and free them.
 */
const BARE_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
if (workerData > 0 && (process.platform === "linux" || process.platform === "android")) {
  require("node:os").setPriority(0, Math.min(19, require("node:os").getPriority(0) + workerData));
}
const { createCipheriv, randomBytes } = require("node:crypto");
const key = randomBytes(32), nonce = randomBytes(12);
parentPort.on("message", ({ data }) => {
  const out = Buffer.allocUnsafeSlow(data.length + Math.ceil(data.length / 65536) * 16);
  for (let at = 0, w = 0; at < data.length; at += 65536) {
    const cipher = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
    const body = cipher.update(data.subarray(at, at + 65536));
    cipher.final();
    out.set(body, w);
    out.set(cipher.getAuthTag(), w + body.length);
    w += body.length + 16;
  }
  parentPort.postMessage(0);
});`;
let bare: Worker[] = [];
const bareRun = (worker: Worker, data: Uint8Array): Promise<void> =>
  new Promise((resolve) => {
    worker.once("message", () => resolve());
    worker.postMessage({ data });
  });

const CEILING = `ceiling: bare node:crypto over ${BIG / MiB} MiB, 2 threads vs 1`;
const ENCRYPT = `AsyncCipher encrypt ${BIG / MiB} MiB, 2 workers vs 1 thread`;
const ENCRYPT_SHARED = `AsyncCipher encrypt ${BIG / MiB} MiB from a SharedArrayBuffer, 2 workers vs 1 thread`;
const DECRYPT = `AsyncCipher decrypt ${BIG / MiB} MiB, 2 workers vs 1 thread`;
const ENCRYPT_REUSED = `AsyncCipher encrypt ${BIG / MiB} MiB into a reused output (options.output), 2 workers vs 1 thread`;
const DECRYPT_REUSED = `AsyncCipher decrypt ${BIG / MiB} MiB into a reused output (options.output), 2 workers vs 1 thread`;
const LAG_FLOOR = `event-loop lag p99 while 2 bare threads encrypt ${BIG / MiB} MiB (OS floor)`;
const LAG_ENCRYPT = `event-loop lag p99 during ${BIG / MiB} MiB pooled encrypt`;
const LAG_DECRYPT = `event-loop lag p99 during ${BIG / MiB} MiB pooled decrypt`;
const SCALING_TARGET = 1.6;
const LAG_TARGET_MS = 5;

/** Throughput case: `rounds` interleaved rounds, costs recorded under `name`. */
function throughput(name: string, target: string, rounds: number, ours: () => Promise<unknown>, anchor: () => Promise<unknown>): BenchCase {
  const record = costsOf(name);
  return {
    name,
    unit: "MiB/s",
    better: "higher",
    rounds,
    target,
    setup: ensureBig,
    ours: rate(record.ours, ours),
    anchor: { name: "AsyncCipher inline (1 thread)", sample: rate(record.anchor, anchor) },
  };
}

const ceilingCosts = costsOf(CEILING);
const parallelCases: BenchCase[] = [
  {
    name: CEILING,
    unit: "MiB/s",
    better: "higher",
    rounds: 5,
    target: "(context)",
    setup: async () => {
      await ensureBig();
      bare = [0, 1, 2].map(() => new Worker(BARE_WORKER, { eval: true, workerData: NICENESS }));
      await Promise.all(bare.map((worker) => bareRun(worker, sharedBig.subarray(0, MiB))));
    },
    ours: rate(ceilingCosts.ours, () =>
      Promise.all([bareRun(bare[0] as Worker, sharedBig.subarray(0, BIG / 2)), bareRun(bare[1] as Worker, sharedBig.subarray(BIG / 2))]),
    ),
    anchor: { name: "1 bare thread", sample: rate(ceilingCosts.anchor, () => bareRun(bare[2] as Worker, sharedBig)) },
    teardown: async () => {
      await Promise.all(bare.map((worker) => worker.terminate()));
    },
  },
  {
    // What the scheduler alone costs the event loop while two threads crunch on two cores: the
    // part of the pooled rows' lag that no change to AsyncCipher can remove.
    name: LAG_FLOOR,
    unit: "ms",
    better: "lower",
    rounds: 5,
    target: "(context)",
    setup: async () => {
      await ensureBig();
      bare = [0, 1].map(() => new Worker(BARE_WORKER, { eval: true, workerData: NICENESS }));
      await Promise.all(bare.map((worker) => bareRun(worker, sharedBig.subarray(0, MiB))));
    },
    ours: lagSample(LAG_FLOOR, "ours", () =>
      Promise.all([bareRun(bare[0] as Worker, sharedBig.subarray(0, BIG / 2)), bareRun(bare[1] as Worker, sharedBig.subarray(BIG / 2))]),
    ),
    anchor: {
      name: "idle loop (300 ms timer)",
      sample: lagSample(LAG_FLOOR, "anchor", () => new Promise((resolve) => setTimeout(resolve, 300))),
    },
    teardown: async () => {
      await Promise.all(bare.map((worker) => worker.terminate()));
    },
  },
  throughput(
    ENCRYPT,
    `≥ ${SCALING_TARGET}x`,
    5,
    () => pooled.encrypt(big),
    () => single.encrypt(big),
  ),
  throughput(
    ENCRYPT_SHARED,
    "(no staging copy)",
    3,
    () => pooled.encrypt(sharedBig),
    () => single.encrypt(sharedBig),
  ),
  throughput(
    DECRYPT,
    `≥ ${SCALING_TARGET}x, ≥ encrypt's`,
    5,
    () => pooled.decrypt(envelope),
    () => single.decrypt(envelope),
  ),
  throughput(
    ENCRYPT_REUSED,
    "(no fresh-memory faults)",
    5,
    () => pooled.encrypt(big, { output: reuse.sealedShared }),
    () => single.encrypt(big, { output: reuse.sealedPlain }),
  ),
  throughput(
    DECRYPT_REUSED,
    "(no fresh-memory faults)",
    5,
    () => pooled.decrypt(envelope, { output: reuse.openedShared }),
    () => single.decrypt(envelope, { output: reuse.openedPlain }),
  ),
  {
    name: LAG_ENCRYPT,
    unit: "ms",
    better: "lower",
    rounds: 5,
    target: `< ${LAG_TARGET_MS} ms`,
    setup: ensureBig,
    ours: lagSample(LAG_ENCRYPT, "ours", () => pooled.encrypt(big)),
    anchor: { name: "inline encrypt (same data)", sample: lagSample(LAG_ENCRYPT, "anchor", () => single.encrypt(big)) },
  },
  {
    name: LAG_DECRYPT,
    unit: "ms",
    better: "lower",
    rounds: 5,
    target: `< ${LAG_TARGET_MS} ms`,
    setup: ensureBig,
    ours: lagSample(LAG_DECRYPT, "ours", () => pooled.decrypt(envelope)),
    anchor: { name: "inline decrypt (same data)", sample: lagSample(LAG_DECRYPT, "anchor", () => single.decrypt(envelope)) },
    teardown: async () => {
      big = new Uint8Array(0);
      sharedBig = new Uint8Array(0);
      envelope = new Uint8Array(0);
      reuse = { sealedShared: big, sealedPlain: big, openedShared: big, openedPlain: big };
      await pool.shutdown();
    },
  },
];

/**
 * The AsyncCipher rows again, with verdicts and what load does not move much:
 * CPU seconds per GiB (all threads, and the event-loop thread alone) beside
 * wall-clock, and the event loop's own busy time between lag ticks.
 */
function printMechanisms(rows: readonly BenchRow[]): void {
  const row = (name: string) => rows.find((r) => r.case === name);
  const med = (costs: readonly Cost[], key: keyof Cost) => (costs.length === 0 ? Number.NaN : median(costs.map((c) => c[key])));
  const perGiB = (ms: number) => `${((ms / 1000) * (1024 / (BIG / MiB))).toFixed(2)} s`;
  const perMiB = (ms: number) => `${((ms * 1000) / (BIG / MiB)).toFixed(0)} µs`;
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(", ");
  console.log(
    `\n### AsyncCipher verdicts and costs (load average ${load} at the end; ${BIG / MiB} MiB per call; workerNiceness ${NICENESS})\n`,
  );
  console.log(
    "| case | ratio | target | verdict | ours: wall / CPU per GiB / event-loop CPU per MiB | anchor: wall / CPU per GiB / event-loop CPU per MiB |",
  );
  console.log("|---|---|---|---|---|---|");
  const ceiling = row(CEILING);
  const encrypt = row(ENCRYPT);
  for (const name of [CEILING, ENCRYPT, ENCRYPT_SHARED, DECRYPT, ENCRYPT_REUSED, DECRYPT_REUSED]) {
    const r = row(name);
    if (r === undefined) continue;
    const c = costs.get(name) ?? { ours: [], anchor: [] };
    let target = "(context)";
    let verdict = "";
    if (name === ENCRYPT || name === DECRYPT) {
      // "1.6x where the ceiling allows": the bar is the lower of 1.6x and what two bare threads reached.
      const bar = Math.min(SCALING_TARGET, ceiling?.ratio ?? SCALING_TARGET);
      target = `≥ ${SCALING_TARGET}x (ceiling ${ceiling?.ratio.toFixed(2) ?? "?"}x → bar ${bar.toFixed(2)}x)`;
      verdict = r.ratio >= bar ? "pass" : "MISSED";
      if (name === DECRYPT && encrypt !== undefined) {
        target += `, ≥ encrypt ${encrypt.ratio.toFixed(2)}x`;
        verdict += r.ratio >= encrypt.ratio * 0.95 ? " / pass" : " / MISSED";
      }
    }
    const side = (list: readonly Cost[]) =>
      `${med(list, "wallMs").toFixed(0)} ms / ${perGiB(med(list, "cpuMs"))} / ${perMiB(med(list, "mainMs"))}`;
    console.log(`| ${name} | ${r.ratio.toFixed(2)}x | ${target} | ${verdict} | ${side(c.ours)} | ${side(c.anchor)} |`);
  }
  for (const name of [LAG_FLOOR, LAG_ENCRYPT, LAG_DECRYPT]) {
    const r = row(name);
    if (r === undefined) continue;
    const busy = busyP99.get(name) ?? { ours: [], anchor: [] };
    const b = (list: number[]) => (list.length === 0 ? "?" : `${median(list).toFixed(2)} ms`);
    const floor = name === LAG_FLOOR;
    const verdict = floor ? "" : r.ours < LAG_TARGET_MS ? "pass" : "MISSED";
    console.log(
      `| ${name} | ${r.ours.toFixed(2)} ms | ${floor ? "(context)" : `< ${LAG_TARGET_MS} ms`} | ${verdict} | ` +
        `event-loop busy between ticks, p99: ${b(busy.ours)} | ${r.anchorName}: ${r.anchor.toFixed(2)} ms lag, busy p99 ${b(busy.anchor)} |`,
    );
  }
  // Every sample's wall-clock in run order (warm-up excluded), so a missed median shows which calls were slow.
  console.log(
    "\nPer-sample wall-clock in ms, in run order (rounds alternate which side goes first), with other processes' CPU ms meanwhile in brackets:\n",
  );
  for (const name of [CEILING, ENCRYPT, ENCRYPT_SHARED, DECRYPT, ENCRYPT_REUSED, DECRYPT_REUSED]) {
    const c = costs.get(name);
    if (c === undefined || c.ours.length === 0) continue;
    // The first sample of each side is the harness's warm-up round.
    const walls = (list: readonly Cost[]) =>
      list
        .slice(1)
        .map((x) => `${x.wallMs.toFixed(0)} [${x.othersMs.toFixed(0)}]`)
        .join(", ");
    console.log(`- ${name}: ours ${walls(c.ours)}; anchor ${walls(c.anchor)}`);
  }
}

const cryptoRows = await runSuite("crypto", [...sealCases(1200, "1200 B"), ...sealCases(MiB, "1 MiB"), ...hashCases, ...parallelCases]);
printMechanisms(cryptoRows);
// TLS 1.3 over loopback against node:tls, as its own table (bench/tls-run.ts runs it alone; BENCH_SKIP_TLS=1 skips it here).
if (process.env.BENCH_SKIP_TLS !== "1") await runSuite("crypto-tls", tlsCases);
process.exit(0);
