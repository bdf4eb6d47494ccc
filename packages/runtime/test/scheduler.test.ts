import { describe, expect, it, onTestFinished } from "vitest";
import { getSliceMs, setSliceMs, spawn, yieldNow } from "../src/index.js";

describe("yieldNow and the cooperative budget", () => {
  it("lets other ready tasks run (round-robin between yielding tasks)", async () => {
    // A long slice keeps every yield on the microtask path, so the order
    // cannot depend on how loaded the machine is.
    const before = getSliceMs();
    setSliceMs(10_000);
    onTestFinished(() => setSliceMs(before));
    const log: string[] = [];
    const worker = (name: string) => async () => {
      for (let i = 0; i < 3; i++) {
        log.push(`${name}${i}`);
        await yieldNow();
      }
    };
    await Promise.all([spawn(worker("a")), spawn(worker("b"))]);
    expect(log).toEqual(["a0", "b0", "a1", "b1", "a2", "b2"]);
  });

  it("does not let a thousand busy yielding tasks starve a timer", async () => {
    // If yieldNow never gave the event loop a macrotask turn, the timer below
    // could not fire and the tasks would spin until the test timed out. The
    // first task arms the timer, so the tasks are running before it can fire
    // however late the scheduler's first turn comes.
    let fired = false;
    let armed!: Promise<void>;
    let iterations = 0;
    const tasks = Array.from({ length: 1000 }, (_, i) =>
      spawn(async () => {
        if (i === 0) {
          armed = new Promise<void>((resolve) =>
            setTimeout(() => {
              fired = true;
              resolve();
            }, 10),
          );
        }
        while (!fired) {
          iterations++;
          await yieldNow();
        }
      }),
    );
    await Promise.all(tasks);
    await armed;
    expect(fired).toBe(true);
    expect(iterations).toBeGreaterThan(0);
  });

  it("does not let a flood of spawned tasks starve a timer", async () => {
    // The flood's first task arms the timer: armed before the scheduler's
    // first turn, it could fire before any task ran and prove nothing.
    let fired = false;
    let started = 0;
    let startedWhenFired = 0;
    const spawnMore = (): void => {
      started++;
      if (started === 1) {
        setTimeout(() => {
          fired = true;
          startedWhenFired = started;
        }, 1);
      }
      if (!fired) spawn(spawnMore);
    };
    spawn(spawnMore);
    while (!fired) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(startedWhenFired).toBeGreaterThan(0);
  });

  it("gives timers a turn between chunks of CPU work even when each chunk outlasts the slice", async () => {
    let timerFiredAtChunk = -1;
    let chunk = 0;
    setTimeout(() => {
      timerFiredAtChunk = chunk;
    }, 1);
    await spawn(async () => {
      for (chunk = 0; chunk < 10; chunk++) {
        const until = performance.now() + 4;
        while (performance.now() < until) {
          // busy: longer than the 2 ms slice
        }
        await yieldNow();
      }
    });
    // Starved, the timer would only fire after the last chunk.
    expect(timerFiredAtChunk).toBeGreaterThanOrEqual(0);
    expect(timerFiredAtChunk).toBeLessThan(10);
  });

  it("validates the slice length", () => {
    const before = getSliceMs();
    expect(() => setSliceMs(0)).toThrow(RangeError);
    expect(() => setSliceMs(Number.NaN)).toThrow(RangeError);
    setSliceMs(5);
    expect(getSliceMs()).toBe(5);
    setSliceMs(before);
  });
});
