import { describe, expect, it } from "vitest";
import {
  CancelledError,
  currentTask,
  Future,
  onCancellation,
  onTaskCancel,
  sleep,
  spawn,
  spawnUrgent,
  spawnWith,
  TaskHandle,
  throwIfCancelled,
  yieldNow,
} from "../src/index.js";
import { latch } from "./observe.js";

describe("spawn", () => {
  it("runs the function with its arguments and resolves with its value", async () => {
    const handle = spawn((a: number, b: string) => `${a}${b}`, 1, "x");
    expect(handle).toBeInstanceOf(TaskHandle);
    expect(handle).toBeInstanceOf(Future);
    expect(await handle).toBe("1x");
  });

  it("never runs the body synchronously inside spawn", async () => {
    let ran = false;
    const handle = spawn(() => {
      ran = true;
    });
    expect(ran).toBe(false);
    await handle;
    expect(ran).toBe(true);
  });

  it("rejects with what the body throws, sync or async", async () => {
    await expect(
      spawn(() => {
        throw new TypeError("sync");
      }),
    ).rejects.toThrow("sync");
    await expect(spawn(async () => Promise.reject(new RangeError("async")))).rejects.toThrow("async");
  });

  it("gives each task a unique increasing id and an optional name", async () => {
    const a = spawn(() => 1);
    const b = spawnWith({ name: "named" }, () => 2);
    expect(b.id).toBeGreaterThan(a.id);
    expect(a.name).toBeUndefined();
    expect(b.name).toBe("named");
    await Promise.all([a, b]);
  });

  it("rejects a non-function with TypeError", () => {
    expect(() => spawn(42 as unknown as () => void)).toThrow(TypeError);
  });
});

describe("priorities", () => {
  it("starts urgent tasks before normal ones queued earlier, and low ones last", async () => {
    const order: string[] = [];
    const handles = [
      spawnWith({ priority: "low" }, () => order.push("low")),
      spawn(() => order.push("normal-1")),
      spawn(() => order.push("normal-2")),
      spawnUrgent(() => order.push("urgent-1")),
      spawnWith({ priority: "urgent" }, () => order.push("urgent-2")),
    ];
    await Promise.all(handles);
    expect(order).toEqual(["urgent-1", "urgent-2", "normal-1", "normal-2", "low"]);
  });
});

describe("cancellation", () => {
  it("a task cancelled before it starts never runs", async () => {
    let ran = false;
    const handle = spawn(() => {
      ran = true;
    });
    handle.cancel("nope");
    await expect(handle).rejects.toBeInstanceOf(CancelledError);
    await handle.finished;
    expect(ran).toBe(false);
  });

  it("cancelling aborts the task's signal and rejects its pending sleep promptly", async () => {
    let observed: unknown;
    const parked = latch();
    const handle = spawn(async () => {
      const wait = sleep(60_000);
      parked.open();
      try {
        await wait;
      } catch (error) {
        observed = error;
        throw error;
      }
    });
    await parked.reached;
    handle.cancel("shutdown");
    expect(handle.signal.aborted).toBe(true);
    // "Promptly": the body ends now, not when the minute is up (the test would time out).
    await handle.finished;
    expect(observed).toBeInstanceOf(CancelledError);
    await expect(handle).rejects.toMatchObject({ code: "ZSYNC_CANCELLED", reason: "shutdown" });
  });

  it("reaches nested children and grandchildren", async () => {
    const cancelled: string[] = [];
    const started: string[] = [];
    // Each leaf starts its wait before its first await, so the ambient task is
    // known on every host (browsers included).
    const leaf = (name: string) => async () => {
      const wait = sleep(60_000);
      started.push(name);
      try {
        await wait;
      } catch (error) {
        if (error instanceof CancelledError) cancelled.push(name);
        throw error;
      }
    };
    const root = spawn(async () => {
      const child = spawn(async () => {
        const grandchild = spawn(leaf("grandchild"));
        await leaf("child")();
        await grandchild;
      });
      await child;
    });
    while (started.length < 2) await sleep(1);
    root.cancel();
    await root.finished;
    await sleep(1);
    expect(cancelled.sort()).toEqual(["child", "grandchild"]);
  });

  it("a detached task survives its spawner's cancellation", async () => {
    let detached: TaskHandle<string> | undefined;
    const spawned = latch();
    const parent = spawn(async () => {
      detached = spawnWith({ detached: true }, async () => {
        await sleep(10);
        return "survived";
      });
      spawned.open();
      await sleep(60_000);
    });
    await spawned.reached;
    parent.cancel();
    expect(await detached).toBe("survived");
  });

  it("an external AbortSignal cancels the task", async () => {
    const controller = new AbortController();
    const handle = spawnWith({ signal: controller.signal }, () => sleep(60_000));
    await sleep(1);
    controller.abort("external");
    await expect(handle).rejects.toMatchObject({ reason: "external" });
  });

  it("currentTask() exposes the running task; throwIfCancelled() checks it", async () => {
    const handle = spawnWith({ name: "me" }, async () => {
      const me = currentTask();
      expect(me?.name).toBe("me");
      expect(me?.cancelled).toBe(false);
      const signal = me?.signal;
      await yieldNow();
      return signal?.aborted;
    });
    expect(await handle).toBe(false);
    expect(currentTask()).toBeUndefined();
    expect(() => throwIfCancelled()).not.toThrow();
  });

  it("finished waits for the body after a cancellation settled the handle", async () => {
    let cleanedUp = false;
    const parked = latch();
    const handle = spawn(async () => {
      try {
        const wait = sleep(60_000);
        parked.open();
        await wait;
      } finally {
        await yieldNow();
        cleanedUp = true;
      }
    });
    await parked.reached;
    handle.cancel();
    expect(handle.settled).toBe(true);
    expect(cleanedUp).toBe(false);
    await handle.finished;
    expect(cleanedUp).toBe(true);
  });
});

describe("onTaskCancel", () => {
  it("runs the listener when the current task is cancelled, and can be unregistered", async () => {
    const seen: unknown[] = [];
    let offSecond: (() => void) | undefined;
    const registered = latch();
    const handle = spawn(async () => {
      onTaskCancel((reason) => seen.push(reason));
      offSecond = onTaskCancel(() => seen.push("should not run"));
      registered.open();
      await sleep(60_000);
    });
    await registered.reached;
    offSecond?.();
    handle.cancel("stop");
    await handle.finished;
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ reason: "stop" });
    expect(onTaskCancel(() => undefined)).toBeUndefined();
  });
});

describe("onCancellation", () => {
  it("fires once for whichever of the signal and the current task is cancelled first", async () => {
    const controller = new AbortController();
    const seen: CancelledError[] = [];
    const registered = latch();
    const handle = spawn(async () => {
      onCancellation(controller.signal, (error) => seen.push(error));
      registered.open();
      await sleep(60_000);
    });
    await registered.reached;
    controller.abort("by signal");
    handle.cancel("by task");
    await handle.finished;
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(CancelledError);
    expect(seen[0]?.reason).toBe("by signal");
  });

  it("fires at once when already cancelled, and stops watching when asked", () => {
    const seen: unknown[] = [];
    onCancellation(AbortSignal.abort("early"), (error) => seen.push(error.reason));
    expect(seen).toEqual(["early"]);
    const controller = new AbortController();
    const stop = onCancellation(controller.signal, () => seen.push("late"));
    stop();
    controller.abort();
    expect(seen).toEqual(["early"]);
  });

  it("CancelledError.from keeps a CancelledError and wraps anything else", () => {
    const original = new CancelledError("x");
    expect(CancelledError.from(original)).toBe(original);
    expect(CancelledError.from("why").reason).toBe("why");
  });
});
