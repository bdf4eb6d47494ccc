import { describe, expect, it } from "vitest";
import { CancelledError } from "../src/errors.js";
import { CancelToken } from "../src/internal/cancel.js";
import { runInScope } from "../src/internal/context.js";
import { WaitGroup } from "../src/sync/index.js";
import { observe, settle } from "./observe.js";

describe("WaitGroup", () => {
  it("wait() resolves at once when the counter is zero", async () => {
    const wg = new WaitGroup();
    await expect(wg.wait()).resolves.toBeUndefined();
  });

  it("wakes every waiter when the counter drops to zero, not before", async () => {
    const wg = new WaitGroup();
    wg.add(2);
    const a = observe(wg.wait());
    const b = observe(wg.wait());
    wg.done();
    await settle();
    expect([a.status, b.status]).toEqual(["pending", "pending"]);
    expect(wg.count).toBe(1);
    wg.done();
    await settle();
    expect([a.status, b.status]).toEqual(["fulfilled", "fulfilled"]);
    expect(wg.waiting).toBe(0);
  });

  it("waits for concurrently running activities", async () => {
    const wg = new WaitGroup();
    let finished = 0;
    for (let i = 0; i < 10; i++) {
      wg.add();
      void (async () => {
        for (let t = 0; t < i; t++) await settle();
        finished++;
        wg.done();
      })();
    }
    await wg.wait();
    expect(finished).toBe(10);
  });

  it("can be reused after reaching zero", async () => {
    const wg = new WaitGroup();
    wg.add();
    wg.done();
    wg.add();
    const waiter = observe(wg.wait());
    await settle();
    expect(waiter.status).toBe("pending");
    wg.done();
    await settle();
    expect(waiter.status).toBe("fulfilled");
  });

  it("throws RangeError and keeps the counter when it would go negative", () => {
    const wg = new WaitGroup();
    expect(() => wg.done()).toThrow(RangeError);
    expect(wg.count).toBe(0);
    wg.add(2);
    expect(() => wg.add(-3)).toThrow(/negative/);
    expect(wg.count).toBe(2);
    wg.add(-2);
    expect(wg.count).toBe(0);
  });

  it("rejects a delta that is not an integer", () => {
    const wg = new WaitGroup();
    expect(() => wg.add(1.5)).toThrow(RangeError);
    expect(() => wg.add(Number.NaN)).toThrow(RangeError);
    expect(() => wg.add("1" as unknown as number)).toThrow(TypeError);
    wg.add(Number.MAX_SAFE_INTEGER);
    expect(() => wg.add(1)).toThrow(RangeError);
    expect(wg.count).toBe(Number.MAX_SAFE_INTEGER);
  });

  describe("cancellation", () => {
    it("a wait rejects when its signal aborts, leaving the counter alone", async () => {
      const wg = new WaitGroup();
      wg.add();
      const controller = new AbortController();
      const waiter = observe(wg.wait({ signal: controller.signal }));
      controller.abort("enough");
      await settle();
      expect((waiter.reason as CancelledError).reason).toBe("enough");
      expect(wg.count).toBe(1);
      expect(wg.waiting).toBe(0);
    });

    it("a wait rejects when its task is cancelled", async () => {
      const wg = new WaitGroup();
      wg.add();
      const token = new CancelToken();
      const waiter = observe(runInScope({ id: 8, name: undefined, token }, () => wg.wait()));
      token.cancel();
      await settle();
      expect(waiter.reason).toBeInstanceOf(CancelledError);
    });

    it("an already-aborted signal rejects even when the counter is zero", async () => {
      const wg = new WaitGroup();
      await expect(wg.wait({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CancelledError);
    });
  });
});
