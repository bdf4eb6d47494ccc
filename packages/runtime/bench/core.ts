// Core task benchmarks: spawn + await against p-queue and a bare Promise, and
// timer fairness under a thousand yielding tasks.
import { type BenchCase, batchThroughput, percentile } from "@zsync/bench-harness";
import PQueue from "p-queue";
import { spawn, yieldNow } from "../src/index.js";

const BATCH = 10_000;
const trivial = (): number => 1;

async function spawnAwaitBatch(): Promise<void> {
  for (let i = 0; i < BATCH; i++) await spawn(trivial);
}

async function promiseBatch(): Promise<void> {
  for (let i = 0; i < BATCH; i++) await new Promise<number>((resolve) => resolve(trivial()));
}

const queue = new PQueue({ concurrency: Number.POSITIVE_INFINITY });
async function pQueueBatch(): Promise<void> {
  for (let i = 0; i < BATCH; i++) await queue.add(trivial);
}

/** Lateness of a 1 ms timer (p99, ms) while 1,000 tasks loop on yieldNow(). */
async function timerLatenessUnderLoad(withLoad: boolean): Promise<number> {
  let stop = false;
  const tasks = withLoad
    ? Array.from({ length: 1000 }, () =>
        spawn(async () => {
          while (!stop) await yieldNow();
        }),
      )
    : [];
  const lateness: number[] = [];
  for (let i = 0; i < 200; i++) {
    const start = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1));
    lateness.push(Math.max(0, performance.now() - start - 1));
  }
  stop = true;
  await Promise.all(tasks);
  return percentile(lateness, 99);
}

export const coreCases: BenchCase[] = [
  {
    name: "spawn + await trivial task vs p-queue add()",
    unit: "ops/s",
    better: "higher",
    target: ">= 2x p-queue; < 1 µs each (> 1M ops/s)",
    ours: () => batchThroughput(BATCH, spawnAwaitBatch),
    anchor: { name: "p-queue add()", sample: () => batchThroughput(BATCH, pQueueBatch) },
  },
  {
    name: "spawn + await trivial task vs bare Promise round trip",
    unit: "ops/s",
    better: "higher",
    target: "within 3x (ratio >= 0.33)",
    ours: () => batchThroughput(BATCH, spawnAwaitBatch),
    anchor: { name: "new Promise + await", sample: () => batchThroughput(BATCH, promiseBatch) },
  },
  {
    name: "1 ms timer p99 lateness, 1,000 tasks on yieldNow()",
    unit: "ms",
    better: "lower",
    rounds: 3,
    target: "< 5 ms",
    ours: () => timerLatenessUnderLoad(true),
    anchor: { name: "same timer, idle loop", sample: () => timerLatenessUnderLoad(false) },
  },
];
