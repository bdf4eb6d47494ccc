// The cancel grace timer ends a worker only when the cancelled task is the one
// it is running. A short task batched behind another on the same worker is
// cancelled while it waits its turn: the grace period ending must not kill
// the worker (and fail the innocent task it runs); the worker drops the
// cancelled task when it reaches it. Ordering comes from the gate task and
// timer order (the grace timer is armed first with a shorter delay), never
// from a margin. Prompted by a surviving mutant of the grace timer (issue 14).
import { afterEach, expect, test } from "vitest";
import { CancelledError } from "../../src/errors.js";
import { workerTask } from "../../src/io/io.js";
import { ThreadPoolIo } from "../../src/node/thread-pool.js";
import { rejection } from "../observe.js";

const gated = workerTask<[Int32Array], string>(new URL("./fixtures/gate.mjs", import.meta.url), "gated");

const pools: ThreadPoolIo[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.shutdown({ graceful: false })));
});

function gate(open = false): Int32Array {
  const g = new Int32Array(new SharedArrayBuffer(8));
  if (open) g[1] = 1;
  return g;
}

async function started(g: Int32Array): Promise<void> {
  while (Atomics.load(g, 0) === 0) await new Promise((resolve) => setImmediate(resolve));
}

test("the grace period spares a worker whose running task was not the cancelled one", async () => {
  // shortTaskMs is large so that, after one warm-up run, `gated` counts as
  // short and two of them share one worker's batch.
  const p = new ThreadPoolIo({ maxThreads: 1, shortTaskMs: 60_000, cancelGraceMs: 0 });
  pools.push(p);
  expect(await p.async(gated, gate(true))).toBe("released");

  const running = gate();
  const first = p.async(gated, running);
  const second = p.async(gated, gate(true));
  await started(running);
  expect(p.stats()).toMatchObject({ threads: 1, running: 2 }); // both assigned to the one worker

  expect(second.cancel("not needed")).toBe(true);
  // The grace timer (0 ms, armed above) fires before this one.
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(p.stats()).toMatchObject({ threads: 1, crashedWorkers: 0 });

  Atomics.store(running, 1, 1);
  Atomics.notify(running, 1);
  expect(await first).toBe("released");
  expect(await rejection(second)).toBeInstanceOf(CancelledError);
  expect(p.stats()).toMatchObject({ threads: 1, completed: 2, cancelled: 1 });
});
