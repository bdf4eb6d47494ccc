import { describe, expect, it, onTestFinished, vi } from "vitest";
import { CancelledError, Future, interval, sleep, spawn, TimeoutError, timeout } from "../src/index.js";
import { observe } from "./observe.js";

describe("sleep", () => {
  it("does not resolve before its delay", async () => {
    // Ordered on the host's timer clock, not measured on the wall clock: a
    // shorter timer armed right after it fires first, however loaded the machine.
    const slept = observe(sleep(20));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(slept.status).toBe("pending");
    await sleep(20);
    expect(slept.status).toBe("fulfilled");
  });

  it("rejects with CancelledError when its signal aborts, and at once if already aborted", async () => {
    const controller = new AbortController();
    const pending = sleep(60_000, { signal: controller.signal });
    controller.abort("enough");
    await expect(pending).rejects.toMatchObject({ code: "ZSYNC_CANCELLED", reason: "enough" });
    await expect(sleep(10, { signal: AbortSignal.abort("early") })).rejects.toBeInstanceOf(CancelledError);
  });

  it("validates its argument", () => {
    expect(() => sleep(-1)).toThrow(RangeError);
    expect(() => sleep(Number.NaN)).toThrow(TypeError);
    expect(() => sleep("5" as unknown as number)).toThrow(TypeError);
  });
});

describe("timeout", () => {
  it("passes the value through when the work is fast enough", async () => {
    expect(await timeout(async () => 5, 1000)).toBe(5);
  });

  it("rejects with TimeoutError and cancels the inner work", async () => {
    let innerError: unknown;
    let innerFinished = false;
    const outer = timeout(async () => {
      try {
        await sleep(60_000);
      } catch (error) {
        innerError = error;
      } finally {
        innerFinished = true;
      }
    }, 10);
    const error = await outer.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).ms).toBe(10);
    await sleep(5);
    expect(innerFinished).toBe(true);
    expect(innerError).toBeInstanceOf(CancelledError);
    expect((innerError as CancelledError).reason).toBeInstanceOf(TimeoutError);
  });

  it("cancels a Future input on timeout", async () => {
    const { future } = Future.withResolvers<number>();
    await expect(timeout(future, 5)).rejects.toBeInstanceOf(TimeoutError);
    expect(future.poll().status).toBe("rejected");
  });

  it("passes a failure of the work through unchanged", async () => {
    await expect(timeout(() => Promise.reject(new RangeError("inner")), 1000)).rejects.toThrow(RangeError);
  });

  it("cancelling the timeout future cancels the work and clears the timer", async () => {
    const inner = spawn(() => sleep(60_000));
    const outer = timeout(inner, 60_000);
    outer.cancel("caller gave up");
    await expect(outer).rejects.toBeInstanceOf(CancelledError);
    await expect(inner).rejects.toBeInstanceOf(CancelledError);
  });
});

describe("interval", () => {
  // Virtual time (timers and the performance clock): the policies are about
  // which tick comes when, and a loaded machine must not change the answer.
  const virtual = (): void => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    onTestFinished(() => void vi.useRealTimers());
  };
  const advance = async (ms: number): Promise<void> => {
    await vi.advanceTimersByTimeAsync(ms);
  };

  it("ticks with sequence numbers, first one immediately, and stops when the loop breaks", async () => {
    virtual();
    const ticks: number[] = [];
    const loop = (async () => {
      for await (const tick of interval(10)) {
        ticks.push(tick);
        if (ticks.length === 3) break;
      }
    })();
    await advance(0);
    expect(ticks).toEqual([0]);
    await advance(9);
    expect(ticks).toEqual([0]);
    await advance(1);
    expect(ticks).toEqual([0, 1]);
    await advance(10);
    await loop;
    expect(ticks).toEqual([0, 1, 2]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("skip policy: a slow consumer sees gaps instead of a burst", async () => {
    virtual();
    const it = interval(10);
    expect(await it.tick()).toBe(0);
    await advance(45); // miss four ticks
    // Burst would deliver tick 1 now; skip jumps to the latest due tick.
    expect(await it.tick()).toBe(4);
    const next = observe(it.tick());
    await advance(4);
    expect(next.status).toBe("pending");
    await advance(1);
    expect(next.value).toBe(5);
    it.stop();
  });

  it("burst policy: missed ticks are delivered back to back", async () => {
    virtual();
    const it = interval(10, { missedTick: "burst" });
    await it.tick();
    await advance(35);
    // Under "skip" the first of these would already be 3.
    expect([await it.tick(), await it.tick(), await it.tick()]).toEqual([1, 2, 3]);
    const next = observe(it.tick());
    await advance(4);
    expect(next.status).toBe("pending");
    await advance(1);
    expect(next.value).toBe(4);
    it.stop();
  });

  it("delay policy: the period restarts from the late tick", async () => {
    virtual();
    const it = interval(10, { missedTick: "delay" });
    await it.tick();
    await advance(35);
    expect(await it.tick()).toBe(1); // late, delivered at once
    const next = observe(it.tick());
    await advance(9); // under "burst" or "skip" the next tick would be due at 40
    expect(next.status).toBe("pending");
    await advance(1);
    expect(next.value).toBe(2);
    it[Symbol.dispose]();
  });

  it("a pending tick rejects when the signal aborts; stop() rejects it as cancelled", async () => {
    const controller = new AbortController();
    const it = interval(60_000, { signal: controller.signal, immediate: false });
    const pending = it.tick();
    controller.abort("off");
    await expect(pending).rejects.toBeInstanceOf(CancelledError);
    const stopped = interval(60_000, { immediate: false });
    const waiting = stopped.tick();
    stopped.stop();
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    expect(await stopped.next()).toEqual({ done: true, value: undefined });
  });

  it("validates its arguments", () => {
    expect(() => interval(0)).toThrow(RangeError);
    expect(() => interval(10, { missedTick: "never" as "skip" })).toThrow(RangeError);
  });
});
