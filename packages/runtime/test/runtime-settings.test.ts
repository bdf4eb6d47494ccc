import { describe, expect, it } from "vitest";
import { Config, getSliceMs, Runtime, run, spawn } from "../src/index.js";

// Settings belong to their runtime: a second runtime, or one that ends, must
// not change what another live runtime (or code outside any runtime) sees.
// The ambient-context half of this lives in ambient-context.node.test.ts,
// because only Node has AsyncLocalStorage.

describe("per-runtime settings: the scheduler slice", () => {
  it("a runtime's slice is in force while it lives and is restored when it shuts down", async () => {
    const outside = getSliceMs();
    const cli = new Runtime(Config.forCli().with({ sliceMs: outside + 7 }));
    expect(getSliceMs()).toBe(outside + 7);
    await cli.shutdown();
    expect(getSliceMs()).toBe(outside);
  });

  it("two live runtimes: the shorter slice wins, and each ending restores the other's", async () => {
    const outside = getSliceMs();
    const fast = new Runtime(Config.optimal().with({ sliceMs: 1 }));
    const slow = new Runtime(Config.forCli().with({ sliceMs: 10 }));
    expect(getSliceMs()).toBe(1);
    await fast.shutdown();
    expect(getSliceMs()).toBe(10);
    await slow.shutdown();
    expect(getSliceMs()).toBe(outside);
  });

  it("finishing run(main, config) restores the slice in force before it", async () => {
    const outside = getSliceMs();
    const inside = await run(() => getSliceMs(), Config.forEmbedded().with({ sliceMs: outside + 3 }));
    expect(inside).toBe(outside + 3);
    expect(getSliceMs()).toBe(outside);
  });

  it("shutting down twice releases the settings once", async () => {
    const outside = getSliceMs();
    const a = new Runtime(Config.optimal().with({ sliceMs: 1 }));
    const b = new Runtime(Config.optimal().with({ sliceMs: 3 }));
    await a.shutdown();
    await a.shutdown();
    expect(getSliceMs()).toBe(3);
    await b.shutdown();
    expect(getSliceMs()).toBe(outside);
  });
});

describe("per-runtime settings: queue counters", () => {
  it("starting a second runtime does not reset the first one's counters", async () => {
    const first = new Runtime(Config.optimal());
    const tasks = Array.from({ length: 50 }, () => spawn(() => undefined));
    expect(first.stats().maxQueueDepth).toBeGreaterThanOrEqual(50);
    const second = new Runtime(Config.optimal());
    expect(first.stats().maxQueueDepth).toBeGreaterThanOrEqual(50);
    await Promise.all(tasks);
    await second.shutdown();
    expect(first.stats().maxQueueDepth).toBeGreaterThanOrEqual(50);
    await first.shutdown();
  });

  it("a runtime counts from its own start", async () => {
    await Promise.all(Array.from({ length: 40 }, () => spawn(() => undefined)));
    const fresh = new Runtime(Config.optimal());
    expect(fresh.stats().maxQueueDepth).toBe(0);
    expect(fresh.stats().macrotaskYields).toBe(0);
    await fresh.shutdown();
  });
});
