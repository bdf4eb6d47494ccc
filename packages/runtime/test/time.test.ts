import { describe, expect, it } from "vitest";
import { CancelledError, Future, interval, sleep, spawn, TimeoutError, timeout } from "../src/index.js";

describe("sleep", () => {
  it("resolves after roughly the delay", async () => {
    const start = performance.now();
    await sleep(20);
    expect(performance.now() - start).toBeGreaterThanOrEqual(15);
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
  it("ticks with sequence numbers, first one immediately, and stops when the loop breaks", async () => {
    const ticks: number[] = [];
    const start = performance.now();
    for await (const tick of interval(10)) {
      ticks.push(tick);
      if (ticks.length === 3) break;
    }
    expect(ticks).toEqual([0, 1, 2]);
    expect(performance.now() - start).toBeGreaterThanOrEqual(15);
  });

  it("skip policy: a slow consumer sees gaps instead of a burst", async () => {
    const it = interval(10);
    expect(await it.tick()).toBe(0);
    await sleep(45); // miss about four ticks
    const late = await it.tick();
    // Burst would deliver tick 1 now; skip jumps to the latest due tick.
    expect(late).toBeGreaterThanOrEqual(3);
    const next = await it.tick();
    expect(next).toBeGreaterThan(late);
    it.stop();
  });

  it("burst policy: missed ticks are delivered back to back", async () => {
    const it = interval(10, { missedTick: "burst" });
    await it.tick();
    await sleep(35);
    // Under "skip" the first of these would already be 3 or more.
    expect([await it.tick(), await it.tick(), await it.tick()]).toEqual([1, 2, 3]);
    it.stop();
  });

  it("delay policy: the period restarts from the late tick", async () => {
    const it = interval(10, { missedTick: "delay" });
    await it.tick();
    await sleep(30);
    await it.tick(); // late, delivered at once
    const start = performance.now();
    await it.tick();
    expect(performance.now() - start).toBeGreaterThanOrEqual(8);
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
