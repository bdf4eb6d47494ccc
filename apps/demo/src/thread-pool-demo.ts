/**
 * Thread-pool showcase: a CPU-heavy prime count runs on `ThreadPoolIo` while
 * green-thread tickers keep to their 5 ms schedule; then the same count on
 * the main thread (`BlockingIo`) shows what the tickers suffer without the
 * pool. Every figure printed is measured on this run.
 *
 * This module is also the worker's task module: the pool's workers import it
 * by URL and call `countPrimes`.
 */
import { BlockingIo, sleep, spawn, workerTask } from "@zsync/runtime";
import { ThreadPoolIo, taskSignal } from "@zsync/runtime/node";

/** Counts primes below `limit` with a sieve; checks for cancellation every 64k numbers. */
export function countPrimes(limit: number): number {
  const signal = taskSignal();
  const composite = new Uint8Array(limit);
  let count = 0;
  for (let n = 2; n < limit; n++) {
    if ((n & 0xffff) === 0) signal.throwIfAborted();
    if (composite[n] === 1) continue;
    count++;
    for (let m = n * n; m < limit; m += n) composite[m] = 1;
  }
  return count;
}

const primes = workerTask<[number], number>(new URL(import.meta.url), "countPrimes", countPrimes);

interface TickerReport {
  readonly ticks: number;
  readonly worstLateMs: number;
}

/** Green-thread tasks that ask to wake every 5 ms and record how late they are. */
function startTickers(count: number, stop: { done: boolean }): Promise<TickerReport[]> {
  const tickers = Array.from({ length: count }, () =>
    spawn(async (): Promise<TickerReport> => {
      let ticks = 0;
      let worst = 0;
      while (!stop.done) {
        const asked = performance.now();
        await sleep(5);
        worst = Math.max(worst, performance.now() - asked - 5);
        ticks++;
      }
      return { ticks, worstLateMs: worst };
    }),
  );
  return Promise.all(tickers);
}

const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;

export async function threadPoolDemo(): Promise<void> {
  const LIMIT = 6_000_000;
  const pool = new ThreadPoolIo({ maxThreads: 2 });
  console.log("\n== ThreadPoolIo: CPU work off the event loop ==");

  const stopPool = { done: false };
  const tickersOnPool = startTickers(4, stopPool);
  const started = performance.now();
  const [a, b] = await Promise.all([pool.async(primes, LIMIT), pool.async(primes, LIMIT + 1_000_000)]);
  const poolMs = performance.now() - started;
  stopPool.done = true;
  const poolTickers = await tickersOnPool;
  console.log(`primes below ${LIMIT.toLocaleString("en")}: ${a}; below ${(LIMIT + 1_000_000).toLocaleString("en")}: ${b}`);
  console.log(`two sieves on 2 workers took ${fmt(poolMs)}`);
  console.log(
    `meanwhile 4 green-thread tickers (5 ms period) ticked ${poolTickers.reduce((n, t) => n + t.ticks, 0)} times, worst lateness ${fmt(Math.max(...poolTickers.map((t) => t.worstLateMs)))}`,
  );

  const stopBlocking = { done: false };
  const tickersBlocked = startTickers(4, stopBlocking);
  await sleep(1); // let the tickers start waiting before the main thread is occupied
  const blockingStarted = performance.now();
  const blocking = new BlockingIo();
  const c = await blocking.async(primes, LIMIT);
  const blockingMs = performance.now() - blockingStarted;
  await sleep(10);
  stopBlocking.done = true;
  const blockedTickers = await tickersBlocked;
  console.log(`the same sieve on the main thread (BlockingIo): ${c} primes in ${fmt(blockingMs)}`);
  console.log(`tickers' worst lateness while the main thread computed: ${fmt(Math.max(...blockedTickers.map((t) => t.worstLateMs)))}`);

  const cancelled = pool.async(primes, 400_000_000);
  await sleep(20);
  const cancelAt = performance.now();
  cancelled.cancel("demo: no longer needed");
  const outcome = await cancelled.then(
    () => "finished anyway",
    (error: unknown) => (error as Error).name,
  );
  const released = performance.now() - cancelAt;
  const after = await pool.async(primes, 1000); // the next task proves the pool carries on
  console.log(
    `a 400M sieve cancelled mid-run: ${outcome} after ${fmt(released)} (the worker sees its signal at the next check); next task on the pool: ${after} primes`,
  );

  const stats = pool.stats();
  console.log(
    `pool stats: ${stats.completed} completed, ${stats.cancelled} cancelled, ${stats.crashedWorkers} workers lost, run time p50 ${fmt(stats.runTimeMs.p50)}, p99 ${fmt(stats.runTimeMs.p99)}, utilization ${(stats.utilization * 100).toFixed(0)}%`,
  );
  await pool.shutdown();
}
