// The thread pool's cancel path for tasks that have not reached a worker: a
// parked submission (onQueueFull "wait") that is cancelled leaves the park
// and never runs; cancelling a queued task makes room, and the oldest parked
// submission is admitted at once. Every step waits on an event (a task's
// start flag, a settled future), never on a delay. Prompted by the thread
// pool's cancel path joining the mutation run (issue 14).
import { afterEach, describe, expect, test } from "vitest";
import { CancelledError } from "../../src/errors.js";
import { workerTask } from "../../src/io/io.js";
import { ThreadPoolIo } from "../../src/node/thread-pool.js";
import { rejection } from "../observe.js";

const tasks = new URL("./fixtures/tasks.mjs", import.meta.url);
const spinForeverFlagged = workerTask<[Int32Array], never>(tasks, "spinForeverFlagged");
const record = workerTask<[string], string>(tasks, "record");
const recorded = workerTask<[], string[]>(tasks, "recorded");

const pools: ThreadPoolIo[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.shutdown({ graceful: false })));
});

async function started(flag: Int32Array): Promise<void> {
  while (Atomics.load(flag, 0) === 0) await new Promise((resolve) => setImmediate(resolve));
}

describe("cancelling tasks that wait for room", () => {
  test("a cancelled parked submission never runs; cancelling a queued task admits the oldest parked one", async () => {
    const p = new ThreadPoolIo({ maxThreads: 1, maxQueue: 1, onQueueFull: "wait", cancelGraceMs: 20 });
    pools.push(p);
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const busy = p.async(spinForeverFlagged, flag);
    busy.catch(() => {});
    await started(flag);
    const queued = p.async(record, "queued");
    const parkedA = p.async(record, "parked-a");
    const parkedB = p.async(record, "parked-b");
    expect([p.stats().queued, p.stats().waitingForRoom]).toEqual([1, 2]);

    expect(parkedA.cancel("not needed")).toBe(true);
    expect(parkedA.cancel("again")).toBe(false);
    const error = (await rejection(parkedA)) as CancelledError;
    expect(error).toBeInstanceOf(CancelledError);
    expect(error.reason).toBe("not needed");
    expect([p.stats().queued, p.stats().waitingForRoom, p.stats().cancelled]).toEqual([1, 1, 1]); // cancelled once

    queued.cancel("not needed either");
    expect(await rejection(queued)).toBeInstanceOf(CancelledError);
    expect([p.stats().queued, p.stats().waitingForRoom, p.stats().cancelled]).toEqual([1, 0, 2]);

    // The spinning task is ended after the grace period; its replacement runs what is left.
    busy.cancel();
    expect(await parkedB).toBe("parked-b");
    expect(await p.async(recorded)).toEqual(["parked-b"]);
    expect(p.stats().cancelled).toBe(3);
  });
});
