import { describe, expect, it } from "vitest";
import { CancelledError } from "../src/errors.js";
import { CancelToken } from "../src/internal/cancel.js";
import { runInScope } from "../src/internal/context.js";
import { Barrier, type BarrierWaitResult } from "../src/sync/index.js";
import { observe, settle } from "./observe.js";

describe("Barrier", () => {
  it("rejects a party count that is not an integer >= 1", () => {
    expect(() => new Barrier(0)).toThrow(RangeError);
    expect(() => new Barrier(2.5)).toThrow(RangeError);
    expect(() => new Barrier("2" as unknown as number)).toThrow(TypeError);
  });

  it("holds parties until the last arrives, then releases all with exactly one leader", async () => {
    const barrier = new Barrier(3);
    const first = observe(barrier.wait());
    const second = observe(barrier.wait());
    await settle();
    expect([first.status, second.status]).toEqual(["pending", "pending"]);
    expect(barrier.waiting).toBe(2);
    const third = await barrier.wait();
    await settle();
    const results = [first.value, second.value, third] as BarrierWaitResult[];
    expect(results.map((r) => r.isLeader)).toEqual([false, false, true]);
    expect(results.every((r) => r.generation === 0)).toBe(true);
    expect(barrier.waiting).toBe(0);
  });

  it("is reusable: each group of parties forms a new generation", async () => {
    const barrier = new Barrier(2);
    const round = async (): Promise<BarrierWaitResult[]> => Promise.all([barrier.wait(), barrier.wait()]);
    const r0 = await round();
    const r1 = await round();
    expect(r0.map((r) => r.generation)).toEqual([0, 0]);
    expect(r1.map((r) => r.generation)).toEqual([1, 1]);
    expect(r1.filter((r) => r.isLeader)).toHaveLength(1);
    expect(barrier.generation).toBe(2);
  });

  it("synchronises rounds of concurrent workers", async () => {
    const barrier = new Barrier(4);
    const log: string[] = [];
    await Promise.all(
      [0, 1, 2, 3].map(async (worker) => {
        for (let round = 0; round < 3; round++) {
          for (let i = 0; i < worker; i++) await Promise.resolve();
          log.push(`r${round}`);
          await barrier.wait();
        }
      }),
    );
    // No worker starts round n+1 before every worker has finished round n.
    expect(log).toEqual([..."0000", ..."1111", ..."2222"].map((n) => `r${n}`));
  });

  it("a barrier of one releases every wait at once as leader", async () => {
    const barrier = new Barrier(1);
    expect(await barrier.wait()).toEqual({ isLeader: true, generation: 0 });
    expect(await barrier.wait()).toEqual({ isLeader: true, generation: 1 });
  });

  describe("cancellation", () => {
    it("a cancelled wait withdraws its arrival", async () => {
      const barrier = new Barrier(2);
      const controller = new AbortController();
      const gone = observe(barrier.wait({ signal: controller.signal }));
      controller.abort();
      await settle();
      expect(gone.reason).toBeInstanceOf(CancelledError);
      const a = observe(barrier.wait());
      await settle();
      expect(a.status).toBe("pending");
      const b = await barrier.wait();
      await settle();
      expect(a.status).toBe("fulfilled");
      expect(b.isLeader).toBe(true);
    });

    it("a party cancelled in the same tick as the last arrival is not counted", async () => {
      const barrier = new Barrier(2);
      const controller = new AbortController();
      let arrival: ReturnType<typeof observe<BarrierWaitResult>> | undefined;
      controller.signal.addEventListener("abort", () => {
        arrival = observe(barrier.wait());
      });
      const cancelled = observe(barrier.wait({ signal: controller.signal }));
      controller.abort();
      await settle();
      expect(cancelled.status).toBe("rejected");
      expect(arrival?.status).toBe("pending");
      expect(barrier.waiting).toBe(1);
      expect(barrier.generation).toBe(0);
    });

    it("a wait inside a cancelled task withdraws when the task is cancelled", async () => {
      const barrier = new Barrier(2);
      const token = new CancelToken();
      const waiter = observe(runInScope({ id: 6, name: undefined, token }, () => barrier.wait()));
      token.cancel();
      await settle();
      expect(waiter.reason).toBeInstanceOf(CancelledError);
      expect(barrier.waiting).toBe(0);
    });
  });
});
