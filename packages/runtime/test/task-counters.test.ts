// The live task counters behind runtime.stats(): each task is counted once as
// spawned, once as completed, failed or cancelled (whichever settles its
// handle first), and is active from spawn until its body has returned or
// thrown. Also: cancelling the handle reports whether it changed anything,
// a signal given at spawn cancels the task (at once if already aborted), and
// `finished` waits for the body even after a cancellation. Prompted by the
// mutation run on src/task.ts (issue 14).
import { describe, expect, it } from "vitest";
import { CancelledError } from "../src/errors.js";
import { spawn, spawnWith, taskCounters } from "../src/task.js";

/** A task body that waits for the test; `started` resolves once the body runs (the scheduler differs by host). */
function controlled<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  let markStarted!: () => void;
  const started = new Promise<void>((r) => {
    markStarted = r;
  });
  const body = () =>
    new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
      markStarted();
    });
  return { body, started, resolve: (value: T) => resolve(value), reject: (error: Error) => reject(error) };
}

/** Counter changes made by `body`, once every task it spawned has finished. */
async function delta(body: () => Promise<void>): Promise<Record<string, number>> {
  const before = { ...taskCounters() };
  await body();
  const after = taskCounters();
  return Object.fromEntries(Object.entries(before).map(([key, value]) => [key, after[key as keyof typeof after] - value]));
}

describe("task counters", () => {
  it("a task that returns: spawned and completed once, active while its body runs", async () => {
    const changes = await delta(async () => {
      const base = taskCounters().active;
      const c = controlled();
      const task = spawn(c.body);
      await c.started;
      expect(taskCounters().active).toBe(base + 1);
      c.resolve();
      await task;
      await task.finished;
      expect(taskCounters().active).toBe(base);
    });
    expect(changes).toEqual({ spawned: 1, completed: 1, failed: 0, cancelled: 0, active: 0 });
  });

  it("a task that throws or rejects: failed once", async () => {
    const changes = await delta(async () => {
      const sync = spawn(() => {
        throw new Error("sync");
      });
      const async = spawn(async () => {
        throw new Error("async");
      });
      await expect(sync).rejects.toThrow("sync");
      await expect(async).rejects.toThrow("async");
      await sync.finished;
      await async.finished;
    });
    expect(changes).toEqual({ spawned: 2, completed: 0, failed: 2, cancelled: 0, active: 0 });
  });

  it("a cancelled task: cancelled once, not also completed when its body returns later", async () => {
    const changes = await delta(async () => {
      const c = controlled();
      const task = spawn(c.body);
      await c.started;
      expect(task.cancel("stop")).toBe(true);
      expect(task.cancel("again")).toBe(false);
      await expect(task).rejects.toBeInstanceOf(CancelledError);
      c.resolve();
      await task.finished;
    });
    expect(changes).toEqual({ spawned: 1, completed: 0, failed: 0, cancelled: 1, active: 0 });
  });

  it("a task whose body throws after it was cancelled is not also counted as failed", async () => {
    const changes = await delta(async () => {
      const c = controlled();
      const task = spawn(c.body);
      await c.started;
      task.cancel();
      await expect(task).rejects.toBeInstanceOf(CancelledError);
      c.reject(new Error("late"));
      await task.finished;
    });
    expect(changes).toEqual({ spawned: 1, completed: 0, failed: 0, cancelled: 1, active: 0 });
  });

  it("a signal given at spawn cancels the task, at once if already aborted", async () => {
    const changes = await delta(async () => {
      const early = spawnWith({ signal: AbortSignal.abort("early") }, () => "never");
      await expect(early).rejects.toMatchObject({ name: "CancelledError", reason: "early" });
      const controller = new AbortController();
      const c = controlled();
      const late = spawnWith({ signal: controller.signal }, c.body);
      await c.started;
      controller.abort("late");
      await expect(late).rejects.toMatchObject({ name: "CancelledError", reason: "late" });
      await early.finished;
    });
    expect(changes).toMatchObject({ spawned: 2, cancelled: 2, completed: 0 });
  });

  it("a task that returns a non-promise value or a thenable object completes with it", async () => {
    expect(await spawn(() => 5)).toBe(5);
    expect(await spawn(() => null)).toBeNull();
    const thenable = {
      // biome-ignore lint/suspicious/noThenProperty: a plain thenable is the point.
      then(resolve: (v: number) => void) {
        resolve(6);
      },
    };
    expect(await spawn(() => thenable as unknown as PromiseLike<number>)).toBe(6);
    // biome-ignore lint/suspicious/noThenProperty: an object whose then is not a function is a plain value.
    const notThenable = { then: 1 };
    expect(await spawn(() => notThenable)).toBe(notThenable);
  });

  it("a task cancelled before its body starts never runs; its signal aborts with the handle's error", async () => {
    const changes = await delta(async () => {
      let ran = false;
      // The body starts on a later microtask, never inside spawn.
      const task = spawn(() => {
        ran = true;
      });
      expect(task.cancel("early")).toBe(true);
      const error = await task.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CancelledError);
      expect(task.signal.aborted).toBe(true);
      expect(task.signal.reason).toBe(error);
      await task.finished;
      expect(ran).toBe(false);
    });
    expect(changes).toEqual({ spawned: 1, completed: 0, failed: 0, cancelled: 1, active: 0 });
  });

  it("finished resolves every waiter once the body is done", async () => {
    const c = controlled();
    const task = spawn(c.body);
    await c.started;
    const waiters = [task.finished, task.finished, task.finished];
    c.resolve();
    await Promise.all(waiters);
    await task;
  });
});
