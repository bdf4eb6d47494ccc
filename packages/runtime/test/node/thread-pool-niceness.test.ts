import { readFileSync } from "node:fs";
import { getPriority } from "node:os";
import { afterEach, describe, expect, test } from "vitest";
import { workerTask } from "../../src/io/io.js";
import { WorkerCrashedError } from "../../src/node/errors.js";
import { ThreadPoolIo, type ThreadPoolOptions } from "../../src/node/thread-pool.js";

const identity = workerTask<[], { tid: number | null; nice: number }>(
  new URL("./fixtures/thread-identity.mjs", import.meta.url),
  "threadIdentity",
);
const exitThread = workerTask<[], never>(new URL("./fixtures/thread-identity.mjs", import.meta.url), "exitThread");
const linux = process.platform === "linux";

const pools: ThreadPoolIo[] = [];
function pool(options: ThreadPoolOptions): ThreadPoolIo {
  const p = new ThreadPoolIo(options);
  pools.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.shutdown({ graceful: false })));
});

/** A thread's nice value as the kernel keeps it: field 19 of /proc/<pid>/task/<tid>/stat. */
function kernelNice(tid: number | "self"): number {
  const stat = readFileSync(tid === "self" ? "/proc/thread-self/stat" : `/proc/self/task/${tid}/stat`, "utf8");
  // Fields after the parenthesised command name start at field 3 (state).
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19 - 3]);
}

/** Nice values of every worker of `p` (it runs one task per worker at once, so each lands on its own thread). */
async function workerNices(p: ThreadPoolIo, workers: number): Promise<number[]> {
  const seen = await Promise.all(Array.from({ length: workers }, () => p.run(identity, [])));
  const tids = new Set(seen.map((s) => s.tid));
  if (linux) expect(tids.size).toBe(workers);
  return seen.map((s) => (linux ? kernelNice(s.tid as number) : s.nice));
}

describe("workerNiceness", () => {
  test("runs every worker thread that many nice steps below the event loop, which keeps its own priority", async () => {
    const own = linux ? kernelNice("self") : getPriority(0);
    const p = pool({ minThreads: 2, maxThreads: 2, workerNiceness: 5 });
    const nices = await workerNices(p, 2);
    // Off Linux a thread's nice value is process-wide, so the option must leave the workers alone.
    const expected = linux ? Math.min(19, own + 5) : own;
    expect(nices).toEqual([expected, expected]);
    expect(linux ? kernelNice("self") : getPriority(0)).toBe(own);
  });

  test("by default workers run at the creating thread's priority", async () => {
    const own = linux ? kernelNice("self") : getPriority(0);
    const nices = await workerNices(pool({ minThreads: 1, maxThreads: 1 }), 1);
    expect(nices).toEqual([own]);
  });

  test("a worker that replaces a crashed one is lowered too", async () => {
    const own = linux ? kernelNice("self") : getPriority(0);
    const p = pool({ minThreads: 1, maxThreads: 1, workerNiceness: 3 });
    const first = await p.run(identity, []);
    await expect(p.run(exitThread, [])).rejects.toBeInstanceOf(WorkerCrashedError);
    const second = await p.run(identity, []);
    if (linux) expect(second.tid).not.toBe(first.tid);
    expect(linux ? kernelNice(second.tid as number) : second.nice).toBe(linux ? Math.min(19, own + 3) : own);
  });

  test.each([-1, 1.5, 40, Number.NaN])("rejects %s", (value) => {
    expect(() => new ThreadPoolIo({ workerNiceness: value })).toThrow(RangeError);
    expect(() => new ThreadPoolIo({ workerNiceness: value })).toThrow(/workerNiceness must be an integer from 0 to 39/);
  });

  test("accepts the bounds", () => {
    expect(() => new ThreadPoolIo({ workerNiceness: 0 })).not.toThrow();
    expect(() => new ThreadPoolIo({ workerNiceness: 39 })).not.toThrow();
  });
});
