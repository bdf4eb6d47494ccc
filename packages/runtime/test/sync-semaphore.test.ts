import { describe, expect, it } from "vitest";
import { CancelledError } from "../src/errors.js";
import { CancelToken } from "../src/internal/cancel.js";
import { runInScope } from "../src/internal/context.js";
import { Semaphore, SemaphoreClosedError, type SemaphorePermit } from "../src/sync/index.js";
import { observe, settle } from "./observe.js";

describe("Semaphore", () => {
  describe("arguments", () => {
    it("rejects a permit count that is not a non-negative safe integer", () => {
      expect(() => new Semaphore("3" as unknown as number)).toThrow(TypeError);
      expect(() => new Semaphore(-1)).toThrow(RangeError);
      expect(() => new Semaphore(1.5)).toThrow(RangeError);
      expect(() => new Semaphore(Number.NaN)).toThrow(RangeError);
      expect(() => new Semaphore(2 ** 53)).toThrow(/permits/);
      expect(new Semaphore(0).available).toBe(0);
    });

    it("throws synchronously for a request of fewer than one permit", () => {
      const sem = new Semaphore(2);
      expect(() => sem.acquire(0)).toThrow(RangeError);
      expect(() => sem.acquire(-1)).toThrow(RangeError);
      expect(() => sem.tryAcquire(0.5)).toThrow(/n must be an integer/);
      expect(() => sem.acquire("1" as unknown as number)).toThrow(TypeError);
      expect(sem.available).toBe(2);
    });
  });

  it("hands out permits while they last and counts what is free and who waits", async () => {
    const sem = new Semaphore(3);
    const a = await sem.acquire();
    const b = await sem.acquire(2);
    expect(a.permits).toBe(1);
    expect(b.permits).toBe(2);
    expect(sem.available).toBe(0);
    const waiting = observe(sem.acquire());
    expect(sem.waiting).toBe(1);
    b.release();
    await settle();
    expect(waiting.status).toBe("fulfilled");
    expect(sem.available).toBe(1);
    expect(sem.waiting).toBe(0);
  });

  it("tryAcquire takes permits synchronously or returns undefined", () => {
    const sem = new Semaphore(2);
    const permit = sem.tryAcquire(2);
    expect(permit?.permits).toBe(2);
    expect(sem.tryAcquire()).toBeUndefined();
    permit?.release();
    expect(sem.available).toBe(2);
  });

  it("returns a permit's permits exactly once, however often it is released", () => {
    const sem = new Semaphore(2);
    const permit = sem.tryAcquire() as SemaphorePermit;
    permit.release();
    permit.release();
    permit[Symbol.dispose]();
    expect(permit.released).toBe(true);
    expect(sem.available).toBe(2);
  });

  it("releases a permit held with `using` on scope exit", async () => {
    const sem = new Semaphore(1);
    {
      using _permit = await sem.acquire();
      expect(sem.available).toBe(0);
    }
    expect(sem.available).toBe(1);
  });

  it("never lets more than `permits` holders in at once", async () => {
    const sem = new Semaphore(3);
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 40 }, async (_, id) => {
        using _permit = await sem.acquire();
        inside++;
        maxInside = Math.max(maxInside, inside);
        for (let i = 0; i <= id % 3; i++) await Promise.resolve();
        inside--;
      }),
    );
    expect(maxInside).toBe(3);
    expect(sem.available).toBe(3);
  });

  it("serves waiters in FIFO order", async () => {
    const sem = new Semaphore(1);
    const holder = await sem.acquire();
    const order: number[] = [];
    const waiters = [0, 1, 2, 3].map(async (id) => {
      using _permit = await sem.acquire();
      order.push(id);
      await settle();
    });
    holder.release();
    await Promise.all(waiters);
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it("does not let small requests overtake a large one at the head of the queue", async () => {
    const sem = new Semaphore(3);
    const held = await sem.acquire(2);
    const large = observe(sem.acquire(3));
    const small = observe(sem.acquire(1));
    await settle();
    // One permit is free, but it is held back for the large request.
    expect(sem.available).toBe(1);
    expect(small.status).toBe("pending");
    expect(sem.tryAcquire(1)).toBeUndefined();
    held.release();
    await settle();
    expect(large.status).toBe("fulfilled");
    expect(small.status).toBe("pending");
    large.value?.release();
    await settle();
    expect(small.status).toBe("fulfilled");
  });

  it("addPermits creates permits and grants them to waiters in order", async () => {
    const sem = new Semaphore(0);
    const first = observe(sem.acquire(2));
    const second = observe(sem.acquire(1));
    sem.addPermits(1);
    await settle();
    expect(first.status).toBe("pending");
    sem.addPermits(2);
    await settle();
    expect(first.status).toBe("fulfilled");
    expect(second.status).toBe("fulfilled");
    expect(sem.permits).toBe(3);
    expect(() => sem.addPermits(-1)).toThrow(RangeError);
    expect(() => sem.addPermits(Number.MAX_SAFE_INTEGER)).toThrow(RangeError);
    expect(sem.permits).toBe(3);
  });

  describe("close", () => {
    it("rejects queued and later acquires with SemaphoreClosedError; held permits stay valid", async () => {
      const sem = new Semaphore(1);
      const held = await sem.acquire();
      const queued = observe(sem.acquire());
      sem.close();
      sem.close();
      await settle();
      expect(sem.isClosed).toBe(true);
      expect(queued.reason).toBeInstanceOf(SemaphoreClosedError);
      expect((queued.reason as SemaphoreClosedError).code).toBe("ZSYNC_SEMAPHORE_CLOSED");
      await expect(sem.acquire()).rejects.toBeInstanceOf(SemaphoreClosedError);
      expect(() => sem.tryAcquire()).toThrow(SemaphoreClosedError);
      held.release();
      expect(sem.available).toBe(1);
      expect(sem.waiting).toBe(0);
    });
  });

  describe("cancellation", () => {
    it("a queued acquire rejects when its signal aborts and its place is freed", async () => {
      const sem = new Semaphore(1);
      const held = await sem.acquire();
      const controller = new AbortController();
      const cancelled = observe(sem.acquire(1, { signal: controller.signal }));
      const next = observe(sem.acquire());
      controller.abort("stop");
      await settle();
      expect(cancelled.reason).toBeInstanceOf(CancelledError);
      expect((cancelled.reason as CancelledError).reason).toBe("stop");
      expect(sem.waiting).toBe(1);
      held.release();
      await settle();
      expect(next.status).toBe("fulfilled");
    });

    it("cancelling the large request at the head admits the smaller ones it blocked", async () => {
      const sem = new Semaphore(3);
      const held = await sem.acquire(2);
      const controller = new AbortController();
      const large = observe(sem.acquire(3, { signal: controller.signal }));
      const small = observe(sem.acquire(1));
      await settle();
      expect(small.status).toBe("pending");
      controller.abort();
      await settle();
      expect(large.status).toBe("rejected");
      expect(small.status).toBe("fulfilled");
      expect(sem.available).toBe(0);
      held.release();
      small.value?.release();
      expect(sem.available).toBe(3);
    });

    it("an acquire made inside a task rejects when the task is cancelled", async () => {
      const sem = new Semaphore(1);
      const held = await sem.acquire();
      const token = new CancelToken();
      const inTask = observe(runInScope({ id: 7, name: "worker", token }, () => sem.acquire()));
      token.cancel("shutdown");
      await settle();
      expect((inTask.reason as CancelledError).reason).toBe("shutdown");
      expect(sem.waiting).toBe(0);
      held.release();
      expect(sem.available).toBe(1);
    });

    it("an already-aborted signal rejects even when permits are free, taking none", async () => {
      const sem = new Semaphore(2);
      await expect(sem.acquire(1, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CancelledError);
      expect(sem.available).toBe(2);
    });

    it("permits released in the same tick as a waiter's cancellation go to the next waiter", async () => {
      const sem = new Semaphore(1);
      const held = await sem.acquire();
      const controller = new AbortController();
      controller.signal.addEventListener("abort", () => held.release());
      const cancelled = observe(sem.acquire(1, { signal: controller.signal }));
      const next = observe(sem.acquire());
      controller.abort();
      await settle();
      expect(cancelled.status).toBe("rejected");
      expect(next.status).toBe("fulfilled");
      next.value?.release();
      expect(sem.available).toBe(1);
    });
  });
});
