import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  bounded,
  ConnectionPool,
  clearTimer,
  interval,
  MAX_TIMER_DELAY_MS,
  onRecv,
  onTimeout,
  select,
  setTimer,
  sleep,
  TimeoutError,
  timeout,
} from "../src/index.js";
import { observe } from "./observe.js";

// Hosts fire a delay above 2^31-1 ms (or Infinity) after about 1 ms. These
// tests run on fake timers, which reproduce that clamp, and check that the
// timer is still pending after a long stretch of virtual time.
const ABOVE_MAX = MAX_TIMER_DELAY_MS + 1000;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Advances virtual time and lets the promise reactions it causes run. */
const advance = async (ms: number): Promise<void> => {
  await vi.advanceTimersByTimeAsync(ms);
};

describe("setTimer", () => {
  it("honours a delay above 2^31-1 ms: pending until the full delay has passed", async () => {
    let fired = 0;
    setTimer(() => fired++, ABOVE_MAX);
    await advance(MAX_TIMER_DELAY_MS);
    expect(fired).toBe(0);
    await advance(999);
    expect(fired).toBe(0);
    await advance(1);
    expect(fired).toBe(1);
    await advance(10 * MAX_TIMER_DELAY_MS);
    expect(fired).toBe(1);
  });

  it("never fires for Infinity, and clearTimer stops the chain", async () => {
    let fired = 0;
    const timer = setTimer(() => fired++, Number.POSITIVE_INFINITY);
    await advance(5 * MAX_TIMER_DELAY_MS);
    expect(fired).toBe(0);
    expect(vi.getTimerCount()).toBe(1);
    clearTimer(timer);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("clearTimer cancels a long timer between hops and a short one before it fires", async () => {
    let fired = 0;
    const long = setTimer(() => fired++, 3 * MAX_TIMER_DELAY_MS);
    const short = setTimer(() => fired++, 10);
    await advance(MAX_TIMER_DELAY_MS + 1);
    expect(fired).toBe(1);
    clearTimer(long);
    clearTimer(short);
    clearTimer(undefined);
    await advance(3 * MAX_TIMER_DELAY_MS);
    expect(fired).toBe(1);
  });

  it("keeps delays within range on one plain host timer", () => {
    setTimer(() => undefined, MAX_TIMER_DELAY_MS);
    expect(vi.getTimerCount()).toBe(1);
  });

  it("rejects NaN and non-numbers with TypeError, negative delays with RangeError", () => {
    expect(() => setTimer(() => undefined, Number.NaN)).toThrow(TypeError);
    expect(() => setTimer(() => undefined, "5" as unknown as number)).toThrow(TypeError);
    expect(() => setTimer(() => undefined, -1)).toThrow(RangeError);
    expect(() => setTimer(() => undefined, Number.NEGATIVE_INFINITY)).toThrow(RangeError);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("timers above 2^31-1 ms and Infinity in the runtime's waits", () => {
  it("sleep(Infinity) never resolves; sleep(2^31 + 1000) resolves only after its delay", async () => {
    const forever = observe(sleep(Number.POSITIVE_INFINITY));
    const long = observe(sleep(ABOVE_MAX));
    await advance(MAX_TIMER_DELAY_MS);
    expect(long.status).toBe("pending");
    await advance(1000);
    expect(long.status).toBe("fulfilled");
    await advance(10 * MAX_TIMER_DELAY_MS);
    expect(forever.status).toBe("pending");
  });

  it("timeout(work, Infinity) never times out; a long finite timeout fires only when due", async () => {
    const never = observe(timeout(() => sleep(Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY));
    const late = observe(timeout(() => sleep(Number.POSITIVE_INFINITY), ABOVE_MAX));
    await advance(MAX_TIMER_DELAY_MS + 999);
    expect(late.status).toBe("pending");
    await advance(1);
    expect(late.status).toBe("rejected");
    expect(late.reason).toBeInstanceOf(TimeoutError);
    await advance(10 * MAX_TIMER_DELAY_MS);
    expect(never.status).toBe("pending");
  });

  it("interval(2^31 + 1000) ticks once at once, then not before its period", async () => {
    const ticks = interval(ABOVE_MAX);
    expect(await ticks.tick()).toBe(0);
    const second = observe(ticks.tick());
    await advance(MAX_TIMER_DELAY_MS);
    expect(second.status).toBe("pending");
    await advance(1000);
    expect(second.status).toBe("fulfilled");
    ticks.stop();
  });

  it("select's onTimeout(2^31 + 1000) waits for its full delay", async () => {
    const inbox = bounded<number>(1);
    const chosen = observe(select([onRecv(inbox), onTimeout(ABOVE_MAX, () => "elapsed")]));
    await advance(MAX_TIMER_DELAY_MS);
    expect(chosen.status).toBe("pending");
    await advance(1000);
    expect(chosen.value).toBe("elapsed");
  });

  it("ConnectionPool with acquireTimeoutMs: Infinity waits for a release, however long", async () => {
    const pool = new ConnectionPool({ create: () => ({}), max: 1, acquireTimeoutMs: Number.POSITIVE_INFINITY });
    const held = await pool.acquire();
    const waiting = observe(pool.acquire());
    await advance(10 * MAX_TIMER_DELAY_MS);
    expect(waiting.status).toBe("pending");
    expect(pool.stats().timeouts).toBe(0);
    held.release();
    await advance(0);
    expect(waiting.status).toBe("fulfilled");
    waiting.value?.release();
    await pool.close();
  });

  it("ConnectionPool honours a per-acquire timeout above 2^31-1 ms", async () => {
    const pool = new ConnectionPool({ create: () => ({}), max: 1 });
    const held = await pool.acquire();
    const waiting = observe(pool.acquire({ timeoutMs: ABOVE_MAX }));
    await advance(MAX_TIMER_DELAY_MS);
    expect(waiting.status).toBe("pending");
    await advance(1000);
    expect(waiting.reason).toBeInstanceOf(TimeoutError);
    held.release();
    await pool.close();
  });

  it("bad delays are rejected with typed errors everywhere, never treated as 0", () => {
    for (const bad of [Number.NaN, -1]) {
      const type = Number.isNaN(bad) ? TypeError : RangeError;
      expect(() => sleep(bad)).toThrow(type);
      expect(() => timeout(Promise.resolve(1), bad)).toThrow(type);
      expect(() => interval(bad)).toThrow(type);
      expect(() => onTimeout(bad)).toThrow(type);
    }
  });
});
