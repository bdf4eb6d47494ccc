import { describe, expect, it } from "vitest";
import { CancelledError } from "../src/errors.js";
import { CancelToken } from "../src/internal/cancel.js";
import { runInScope } from "../src/internal/context.js";
import { LockReleasedError, Mutex, type MutexGuard } from "../src/sync/index.js";
import { observe, settle } from "./observe.js";

describe("Mutex", () => {
  it("is free when created and locked while a guard is outstanding", async () => {
    const mutex = new Mutex();
    expect(mutex.isLocked).toBe(false);
    const guard = await mutex.lock();
    expect(mutex.isLocked).toBe(true);
    guard.release();
    expect(mutex.isLocked).toBe(false);
  });

  it("tryLock takes a free mutex synchronously and returns undefined when held", () => {
    const mutex = new Mutex();
    const guard = mutex.tryLock();
    expect(guard).toBeDefined();
    expect(mutex.tryLock()).toBeUndefined();
    guard?.release();
    expect(mutex.tryLock()).toBeDefined();
  });

  it("releases on scope exit with `using`, also when the scope throws", async () => {
    const mutex = new Mutex();
    const body = async (): Promise<void> => {
      using _guard = await mutex.lock();
      expect(mutex.isLocked).toBe(true);
      throw new Error("boom");
    };
    await expect(body()).rejects.toThrow("boom");
    expect(mutex.isLocked).toBe(false);
  });

  it("release is idempotent: a stale guard cannot unlock the next holder", async () => {
    const mutex = new Mutex();
    const first = await mutex.lock();
    first.release();
    const second = await mutex.lock();
    first.release();
    first[Symbol.dispose]();
    expect(first.released).toBe(true);
    expect(second.released).toBe(false);
    expect(mutex.isLocked).toBe(true);
    expect(mutex.tryLock()).toBeUndefined();
    second.release();
    expect(mutex.isLocked).toBe(false);
  });

  it("keeps critical sections of many concurrent tasks from overlapping", async () => {
    const mutex = new Mutex(0);
    let inside = 0;
    let maxInside = 0;
    const task = async (id: number): Promise<void> => {
      using guard = await mutex.lock();
      inside++;
      maxInside = Math.max(maxInside, inside);
      const read = guard.value;
      for (let i = 0; i < id % 4; i++) await Promise.resolve();
      if (id % 5 === 0) await settle();
      guard.value = read + 1;
      inside--;
    };
    await Promise.all(Array.from({ length: 100 }, (_, id) => task(id)));
    expect(maxInside).toBe(1);
    expect(mutex.tryLock()?.value).toBe(100);
  });

  it("grants waiters in FIFO order", async () => {
    const mutex = new Mutex();
    const holder = await mutex.lock();
    const order: number[] = [];
    const waiters = [0, 1, 2, 3, 4].map(async (id) => {
      const guard = await mutex.lock();
      order.push(id);
      await settle();
      guard.release();
    });
    expect(mutex.waiting).toBe(5);
    holder.release();
    await Promise.all(waiters);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it("hands ownership to the head waiter on release: no caller can barge in", async () => {
    const mutex = new Mutex();
    const holder = mutex.tryLock() as MutexGuard<void>;
    const waiter = observe(mutex.lock());
    holder.release();
    // The lock already belongs to the waiter, though it has not resumed yet.
    expect(mutex.isLocked).toBe(true);
    expect(mutex.tryLock()).toBeUndefined();
    const late = observe(mutex.lock());
    await settle();
    expect(waiter.status).toBe("fulfilled");
    expect(late.status).toBe("pending");
    waiter.value?.release();
    await settle();
    expect(late.status).toBe("fulfilled");
  });

  it("protects a value reachable only through a live guard", async () => {
    const mutex = new Mutex<string[]>(["a"]);
    const guard = await mutex.lock();
    guard.value.push("b");
    guard.value = [...guard.value, "c"];
    guard.release();
    expect(() => guard.value).toThrow(LockReleasedError);
    expect(() => {
      guard.value = [];
    }).toThrow(LockReleasedError);
    const again = mutex.tryLock();
    expect(again?.value).toEqual(["a", "b", "c"]);
    expect(() => guard.value).toThrow(expect.objectContaining({ code: "ZSYNC_LOCK_RELEASED" }));
  });

  it("types: a value-less mutex needs no argument, a typed one does", () => {
    const plain = new Mutex();
    const typed = new Mutex(1);
    // @ts-expect-error a Mutex<number> needs its initial value
    const missing = new Mutex<number>();
    expect(plain.isLocked || typed.isLocked || missing.isLocked).toBe(false);
  });

  describe("cancellation", () => {
    it("a queued lock() rejects with CancelledError when its signal aborts, and leaves the queue", async () => {
      const mutex = new Mutex();
      const holder = await mutex.lock();
      const controller = new AbortController();
      const cancelled = observe(mutex.lock({ signal: controller.signal }));
      const next = observe(mutex.lock());
      expect(mutex.waiting).toBe(2);
      controller.abort("changed my mind");
      await settle();
      expect(cancelled.status).toBe("rejected");
      expect(cancelled.reason).toBeInstanceOf(CancelledError);
      expect((cancelled.reason as CancelledError).reason).toBe("changed my mind");
      expect(mutex.waiting).toBe(1);
      holder.release();
      await settle();
      expect(next.status).toBe("fulfilled");
    });

    it("lock() with an already-aborted signal rejects even when the mutex is free", async () => {
      const mutex = new Mutex();
      await expect(mutex.lock({ signal: AbortSignal.abort("no") })).rejects.toBeInstanceOf(CancelledError);
      expect(mutex.isLocked).toBe(false);
    });

    it("a queued lock() made inside a task rejects when the task is cancelled", async () => {
      const mutex = new Mutex();
      const holder = await mutex.lock();
      const token = new CancelToken();
      const inTask = observe(runInScope({ id: 1, name: undefined, token }, () => mutex.lock()));
      const outside = observe(mutex.lock());
      token.cancel("task cancelled");
      await settle();
      expect(inTask.status).toBe("rejected");
      expect((inTask.reason as CancelledError).reason).toBe("task cancelled");
      holder.release();
      await settle();
      expect(outside.status).toBe("fulfilled");
    });

    it("lock() inside an already-cancelled task rejects at once", async () => {
      const mutex = new Mutex();
      const token = new CancelToken();
      token.cancel("gone");
      await expect(runInScope({ id: 2, name: undefined, token }, () => mutex.lock())).rejects.toBeInstanceOf(CancelledError);
      expect(mutex.isLocked).toBe(false);
    });

    it("is never handed to a waiter cancelled in the same tick as the release", async () => {
      const mutex = new Mutex();
      const holder = await mutex.lock();
      const controller = new AbortController();
      // This listener runs before the waiter's own, so the release happens
      // after the abort but before the waiter has been told.
      controller.signal.addEventListener("abort", () => holder.release());
      const waiter = observe(mutex.lock({ signal: controller.signal }));
      controller.abort();
      expect(mutex.isLocked).toBe(false);
      await settle();
      expect(waiter.status).toBe("rejected");
      expect(mutex.waiting).toBe(0);
    });

    it("aborting after the lock was granted leaves the guard with the caller", async () => {
      const mutex = new Mutex();
      const controller = new AbortController();
      const guard = await mutex.lock({ signal: controller.signal });
      controller.abort();
      expect(guard.released).toBe(false);
      expect(mutex.isLocked).toBe(true);
      guard.release();
      expect(mutex.isLocked).toBe(false);
    });
  });
});
