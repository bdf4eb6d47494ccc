// Task behaviour the task suites left unchecked (survivors of the mutation
// run, issue 14): a finished task lets go of the spawn-time signal and of its
// parent, a body's thenable that settles twice finishes the task once, a task
// cancelled at spawn is done at once, spawnWith's ambient parent and
// `detached` (also when untyped code passes no options), the scope a handle
// exposes to the runtime, throwIfCancelled, and spawn's argument message.
import { describe, expect, test, vi } from "vitest";
import { CancelledError } from "../src/errors.js";
import type { CancelToken } from "../src/internal/cancel.js";
import { currentScope, type TaskScope } from "../src/internal/context.js";
import { type SpawnOptions, spawn, spawnWith, type TaskHandle, taskCounters, throwIfCancelled } from "../src/task.js";
import { rejection } from "./observe.js";

describe("a finished task lets go", () => {
  test("of its spawn-time signal's listener", async () => {
    const controller = new AbortController();
    const add = vi.spyOn(controller.signal, "addEventListener");
    const remove = vi.spyOn(controller.signal, "removeEventListener");
    const task = spawnWith({ signal: controller.signal }, () => 1);
    expect(add).toHaveBeenCalledTimes(1);
    const [type, listener] = add.mock.calls[0] as [string, unknown];
    expect(type).toBe("abort");
    expect(await task).toBe(1);
    await task.finished;
    expect(remove.mock.calls).toEqual([["abort", listener]]);
  });

  test("of its parent's cancellation and its signal's listener together", async () => {
    const controller = new AbortController();
    const remove = vi.spyOn(controller.signal, "removeEventListener");
    let unsubscribed = 0;
    await spawn(async () => {
      const token = currentScope()?.token as CancelToken;
      const onCancel = token.onCancel.bind(token);
      vi.spyOn(token, "onCancel").mockImplementation((listener) => {
        const off = onCancel(listener);
        return () => {
          unsubscribed++;
          off();
        };
      });
      const child = spawnWith({ signal: controller.signal }, () => 2);
      expect(await child).toBe(2);
      await child.finished;
    });
    expect(unsubscribed).toBe(1);
    expect(remove).toHaveBeenCalledTimes(1);
  });
});

test("a body's thenable that settles twice finishes the task once", async () => {
  const base = taskCounters().active;
  const odd = {
    // biome-ignore lint/suspicious/noThenProperty: a deliberately odd thenable
    then(resolve: (v: number) => void, reject: (e: unknown) => void) {
      resolve(1);
      reject(new Error("late"));
    },
  } as unknown as PromiseLike<number>;
  const task = spawn(() => odd);
  expect(await task).toBe(1);
  await task.finished;
  expect(taskCounters().active).toBe(base);
});

test("a task cancelled at spawn is done before spawnWith returns", async () => {
  const controller = new AbortController();
  controller.abort("early");
  const base = taskCounters().active;
  const body = vi.fn();
  const task = spawnWith({ signal: controller.signal }, body);
  expect(taskCounters().active).toBe(base);
  expect(await rejection(task)).toBeInstanceOf(CancelledError);
  await task.finished;
  expect(body).not.toHaveBeenCalled();
});

test("spawnWith takes the current task as parent unless detached", async () => {
  let attached: Promise<unknown> | undefined;
  let detached: Promise<unknown> | undefined;
  let release: (() => void) | undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let started: (() => void) | undefined;
  const bodyStarted = new Promise<void>((resolve) => {
    started = resolve;
  });
  const parent = spawn(async () => {
    attached = spawnWith({}, () => gate);
    detached = spawnWith({ detached: true }, () => gate.then(() => "kept"));
    started?.();
    await gate;
  });
  await bodyStarted;
  expect(parent.cancel("stop")).toBe(true);
  expect(await rejection(attached as Promise<unknown>)).toBeInstanceOf(CancelledError);
  release?.();
  expect(await detached).toBe("kept");
});

test("spawnWith given no options by untyped code spawns like spawn: a child of the current task", async () => {
  // The declarations require an options object; plain JavaScript can still
  // pass undefined or null, and every option then takes its default.
  for (const missing of [undefined, null]) {
    expect(await spawnWith(missing as unknown as SpawnOptions, (n: number) => n + 1, 1)).toBe(2);
  }
  let child: Promise<unknown> | undefined;
  let release: (() => void) | undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let started: (() => void) | undefined;
  const bodyStarted = new Promise<void>((resolve) => {
    started = resolve;
  });
  const parent = spawn(async () => {
    child = spawnWith(undefined as unknown as SpawnOptions, () => gate);
    started?.();
    await gate;
  });
  await bodyStarted;
  expect(parent.cancel("stop")).toBe(true);
  expect(await rejection(child as Promise<unknown>)).toBeInstanceOf(CancelledError);
  release?.();
  await parent.finished;
});

test("a handle's scope, the runtime's own view of the task, is the one its body runs in", async () => {
  let inside: TaskScope | undefined;
  const task = spawnWith({ name: "scoped" }, () => {
    inside = currentScope();
  });
  await task;
  expect(inside).toBeDefined();
  expect(task.scope).toBe(inside);
  expect(task.scope.id).toBe(task.id);
  expect(task.scope.name).toBe("scoped");
  expect(task.scope.token.signal).toBe(task.signal);
});

describe("throwIfCancelled", () => {
  test("throws the task's CancelledError once it is cancelled, and not before", async () => {
    // All in the body's synchronous part: the browser build has no ambient
    // context across an await.
    const seen: unknown[] = [];
    const task: { handle?: TaskHandle<void> } = {};
    task.handle = spawn(() => {
      throwIfCancelled();
      seen.push("running");
      task.handle?.cancel("enough");
      try {
        throwIfCancelled();
      } catch (error) {
        seen.push(error);
      }
    });
    await task.handle?.finished;
    expect(seen).toHaveLength(2);
    expect(seen[1]).toBeInstanceOf(CancelledError);
    expect((seen[1] as CancelledError).reason).toBe("enough");
  });

  test("does nothing outside a task", () => {
    expect(() => throwIfCancelled()).not.toThrow();
  });
});

test("spawn names the bad argument", () => {
  expect(() => spawn(5 as unknown as () => void)).toThrow(new TypeError("spawn: fn must be a function, got number"));
});
