/**
 * Benchmarks of `@zsync/sqlite` against better-sqlite3 called synchronously
 * on the main thread, same process, same file database in WAL mode.
 *
 * Run: `cd packages/sqlite && ../../node_modules/.bin/tsc -p tsconfig.bench.json && node .bench-dist/bench/run.js`
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { type BenchCase, measureLoopLag, median, percentile, runSuite } from "@zsync/bench-harness";
import Database from "better-sqlite3";
import { AsyncDatabase } from "../src/index.js";

const ROWS = 100_000;
const IN_FLIGHT = 64;
const SELECT_OPS = 40_000;
const dir = mkdtempSync(join(tmpdir(), "zsync-sqlite-bench-"));
const path = join(dir, "bench.db");

const seed = new Database(path);
seed.pragma("journal_mode = WAL");
seed.pragma("synchronous = NORMAL");
seed.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL NOT NULL, qty INTEGER NOT NULL)");
const seedInsert = seed.prepare("INSERT INTO items (id, name, price, qty) VALUES (?, ?, ?, ?)");
seed.transaction(() => {
  for (let i = 1; i <= ROWS; i++) seedInsert.run(i, `item-${i}`, i * 0.5, i % 100);
})();
seed.close();

const sync = new Database(path);
sync.pragma("journal_mode = WAL");
sync.pragma("synchronous = NORMAL");
const syncSelect = sync.prepare("SELECT * FROM items WHERE id = ?");
const db = await AsyncDatabase.open(path);
const SELECT = "SELECT * FROM items WHERE id = ?";

let rng = 1;
function nextId(): number {
  rng = (rng * 1103515245 + 12345) & 0x7fffffff;
  return (rng % ROWS) + 1;
}

async function asyncSelects(ops: number, inFlight: number): Promise<void> {
  let remaining = ops;
  const lane = async (): Promise<void> => {
    while (remaining > 0) {
      remaining--;
      const row = await db.get(SELECT, [nextId()]);
      if (row === undefined) throw new RangeError("missing row");
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
}

function syncSelects(ops: number): void {
  for (let i = 0; i < ops; i++) {
    if (syncSelect.get(nextId()) === undefined) throw new RangeError("missing row");
  }
}

/**
 * The synchronous anchor with the reads grouped 32 to an explicit read
 * transaction, as our readers group the reads of one message: a reference
 * printed beside the anchor, so the table does not credit the thread
 * crossing with what sharing a read transaction saves.
 */
const syncBegin = sync.prepare("BEGIN");
const syncCommit = sync.prepare("COMMIT");
function syncSelectsGrouped(ops: number): void {
  for (let i = 0; i < ops; i += 32) {
    syncBegin.run();
    for (let j = 0; j < 32 && i + j < ops; j++) {
      if (syncSelect.get(nextId()) === undefined) throw new RangeError("missing row");
    }
    syncCommit.run();
  }
}

/** Messages each way between the main thread and the connection workers, counted on the main thread. */
const messages = { posted: 0, received: 0 };
const postMessage = Worker.prototype.postMessage;
Worker.prototype.postMessage = function (this: Worker, ...args: Parameters<Worker["postMessage"]>): void {
  messages.posted++;
  postMessage.apply(this, args);
};
const emit = Worker.prototype.emit;
Worker.prototype.emit = function (this: Worker, event: string | symbol, ...args: unknown[]): boolean {
  if (event === "message") messages.received++;
  return emit.call(this, event, ...args);
};

/** The synchronous baseline run in slices so that a lag timer can fire between them. */
async function syncSelectsSliced(ops: number, slice: number): Promise<void> {
  for (let done = 0; done < ops; done += slice) {
    syncSelects(Math.min(slice, ops - done));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

const insertRows = Array.from({ length: ROWS }, (_, i) => ({ id: i + 1, name: `row-${i}`, price: i * 0.25, qty: i % 7 }));
let table = 0;

function freshTable(): string {
  table++;
  const name = `bulk_${table}`;
  sync.exec(`CREATE TABLE ${name} (id INTEGER PRIMARY KEY, name TEXT, price REAL, qty INTEGER)`);
  return name;
}

const latencies = { ours: [] as number[], anchor: [] as number[] };
const lags = { ours: [] as number[], anchor: [] as number[] };

const cases: BenchCase[] = [
  {
    name: `point select by primary key, ${IN_FLIGHT} in flight`,
    unit: "ops/s",
    better: "higher",
    target: ">= 0.9x",
    rounds: 5,
    setup: async () => {
      await asyncSelects(5000, IN_FLIGHT);
      syncSelects(5000);
    },
    ours: async () => {
      const start = performance.now();
      await asyncSelects(SELECT_OPS, IN_FLIGHT);
      return (SELECT_OPS * 1000) / (performance.now() - start);
    },
    anchor: {
      name: "better-sqlite3 sync, main thread",
      sample: () => {
        const start = performance.now();
        syncSelects(SELECT_OPS);
        return (SELECT_OPS * 1000) / (performance.now() - start);
      },
    },
  },
  {
    name: "batchInsert 100k rows (one transaction)",
    unit: "rows/s",
    better: "higher",
    target: ">= 0.9x",
    rounds: 5,
    ours: async () => {
      const name = freshTable();
      const start = performance.now();
      const inserted = await db.batchInsert(name, insertRows);
      const elapsed = performance.now() - start;
      if (inserted !== ROWS) throw new RangeError(`inserted ${inserted}`);
      return (ROWS * 1000) / elapsed;
    },
    anchor: {
      name: "better-sqlite3 sync transaction",
      sample: () => {
        const name = freshTable();
        const insert = sync.prepare(`INSERT INTO ${name} (id, name, price, qty) VALUES (?, ?, ?, ?)`);
        const start = performance.now();
        sync.transaction(() => {
          for (const row of insertRows) insert.run(row.id, row.name, row.price, row.qty);
        })();
        return (ROWS * 1000) / (performance.now() - start);
      },
    },
  },
  {
    name: `event-loop lag p99 during point selects (${IN_FLIGHT} in flight)`,
    unit: "ms",
    better: "lower",
    target: "< 2 ms",
    rounds: 3,
    ours: async () => {
      const samples = await measureLoopLag(() => asyncSelects(SELECT_OPS, IN_FLIGHT));
      lags.ours.push(...samples);
      return percentile(samples, 99);
    },
    anchor: {
      name: "better-sqlite3 sync (1000-query slices)",
      sample: async () => {
        const samples = await measureLoopLag(() => syncSelectsSliced(SELECT_OPS, 1000));
        lags.anchor.push(...samples);
        return percentile(samples, 99);
      },
    },
  },
  {
    name: "one in-flight point select, p50 round trip",
    unit: "µs",
    better: "lower",
    target: "printed",
    rounds: 3,
    ours: async () => {
      const samples: number[] = [];
      for (let i = 0; i < 2000; i++) {
        const start = performance.now();
        await db.get(SELECT, [nextId()]);
        samples.push((performance.now() - start) * 1000);
      }
      latencies.ours.push(...samples);
      return median(samples);
    },
    anchor: {
      name: "better-sqlite3 sync call",
      sample: () => {
        const samples: number[] = [];
        for (let i = 0; i < 2000; i++) {
          const start = performance.now();
          syncSelect.get(nextId());
          samples.push((performance.now() - start) * 1000);
        }
        latencies.anchor.push(...samples);
        return median(samples);
      },
    },
  },
];

/**
 * CPU time (ms) consumed so far by each thread of this process, from
 * /proc (Linux only). Wall-clock ratios on a machine shared with other jobs
 * depend on how much CPU the threads got; CPU per operation does not.
 */
function threadCpu(): Map<string, number> | undefined {
  if (!existsSync("/proc/self/task")) return undefined;
  const ticks = new Map<string, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks.set(tid, (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ticks;
}

/** Microseconds of CPU per operation: the main thread, the busiest other thread, and all threads. */
async function cpuPerOp(ops: number, run: () => unknown): Promise<string> {
  const before = threadCpu();
  await run();
  const after = threadCpu();
  if (before === undefined || after === undefined) return "n/a (needs /proc)";
  const main = String(process.pid);
  let total = 0;
  let busiest = 0;
  for (const [tid, ms] of after) {
    const used = ms - (before.get(tid) ?? 0);
    total += used;
    if (tid !== main) busiest = Math.max(busiest, used);
  }
  const mainUsed = (after.get(main) ?? 0) - (before.get(main) ?? 0);
  const us = (ms: number): string => ((ms * 1000) / ops).toFixed(2);
  return `main ${us(mainUsed)} µs, busiest worker ${us(busiest)} µs, all threads ${us(total)} µs`;
}

try {
  await runSuite("sqlite", cases);
  const CPU_OPS = 200_000;
  const sent = messages.posted;
  const received = messages.received;
  console.log(
    `\nCPU per point select (${CPU_OPS} ops): ours ${await cpuPerOp(CPU_OPS, () => asyncSelects(CPU_OPS, IN_FLIGHT))}; ` +
      `sync ${await cpuPerOp(CPU_OPS, () => syncSelects(CPU_OPS))}; ` +
      `sync with 32 reads per explicit transaction ${await cpuPerOp(CPU_OPS, () => syncSelectsGrouped(CPU_OPS))}`,
  );
  console.log(
    `messages per point select (same run): ${((messages.posted - sent) / CPU_OPS).toFixed(4)} to workers, ` +
      `${((messages.received - received) / CPU_OPS).toFixed(4)} back`,
  );
  const bulk = freshTable();
  const bulkSync = freshTable();
  const insertSync = sync.prepare(`INSERT INTO ${bulkSync} (id, name, price, qty) VALUES (?, ?, ?, ?)`);
  console.log(
    `CPU per batchInsert row (${ROWS} rows): ours ${await cpuPerOp(ROWS, () => db.batchInsert(bulk, insertRows))}; ` +
      `sync ${await cpuPerOp(ROWS, () =>
        sync.transaction(() => {
          for (const row of insertRows) insertSync.run(row.id, row.name, row.price, row.qty);
        })(),
      )}`,
  );
  if (lags.ours.length > 0) {
    console.log(
      `\nloop lag during point selects: ours p50 ${percentile(lags.ours, 50).toFixed(2)} ms, p99 ${percentile(lags.ours, 99).toFixed(2)} ms; ` +
        `sync baseline (sliced) p50 ${percentile(lags.anchor, 50).toFixed(2)} ms, p99 ${percentile(lags.anchor, 99).toFixed(2)} ms ` +
        `(an unsliced sync loop of ${SELECT_OPS} selects blocks the loop for its whole run)`,
    );
  }
  if (latencies.ours.length > 0) {
    console.log(
      `single in-flight round trip: ours p50 ${percentile(latencies.ours, 50).toFixed(1)} µs, p99 ${percentile(latencies.ours, 99).toFixed(1)} µs; ` +
        `sync call p50 ${percentile(latencies.anchor, 50).toFixed(1)} µs`,
    );
  }
} finally {
  await db.close();
  sync.close();
  rmSync(dir, { recursive: true, force: true });
}
