import { describe, expect, it } from "vitest";
import {
  BlockingIo,
  Config,
  capabilities,
  deinit,
  GreenThreadsIo,
  getRuntime,
  type Io,
  init,
  printCapabilities,
  Runtime,
  RuntimeStateError,
  run,
  StacklessIo,
  sleep,
  spawn,
  workerTask,
} from "../src/index.js";

// The same colorblind function on every in-thread model.
async function sumOfSquares(io: Io, values: number[]): Promise<number> {
  const futures = values.map((v) => io.async((x: number) => x * x, v));
  let total = 0;
  for (const f of futures) total += await f;
  return total;
}

describe("execution models", () => {
  it.each([new GreenThreadsIo(), new StacklessIo(), new BlockingIo()])("$kind runs the same code with the same result", async (io) => {
    expect(await sumOfSquares(io, [1, 2, 3])).toBe(14);
  });

  it("BlockingIo settles before async() returns; StacklessIo starts eagerly; GreenThreadsIo defers", () => {
    const log: string[] = [];
    const blocking = new BlockingIo().async(() => 1);
    expect(blocking.poll()).toEqual({ status: "fulfilled", value: 1 });
    new StacklessIo().async(() => log.push("stackless"));
    new GreenThreadsIo().async(() => log.push("green"));
    expect(log).toEqual(["stackless"]);
  });

  it("runs a WorkerTask through its local function in-thread", async () => {
    const task = workerTask(new URL("./fixtures/not-loaded.js", import.meta.url), "double", (x: number) => x * 2);
    expect(await new GreenThreadsIo().async(task, 4)).toBe(8);
    expect(await new StacklessIo().async(task, 5)).toBe(10);
    expect(new BlockingIo().async(task, 6).poll()).toEqual({ status: "fulfilled", value: 12 });
  });

  it("BlockingIo refuses a WorkerTask without a local function", () => {
    expect(() => new BlockingIo().async(workerTask("file:///x.js", "f"))).toThrow(TypeError);
  });

  it("cancelling a StacklessIo future cancels the waits inside it", async () => {
    const f = new StacklessIo().async(() => sleep(60_000));
    f.cancel();
    await expect(f).rejects.toMatchObject({ code: "ZSYNC_CANCELLED" });
  });
});

describe("Config presets", () => {
  it("each preset is valid and differs where it should", () => {
    expect(Config.optimal().model).toBe("green-threads");
    expect(Config.forCli().model).toBe("blocking");
    expect(Config.forServer().sliceMs).toBeLessThanOrEqual(Config.optimal().sliceMs);
    expect(Config.forEmbedded().model).toBe("stackless");
    expect(Config.forServer().with({ sliceMs: 3 }).sliceMs).toBe(3);
  });

  it("rejects invalid settings with RangeError", () => {
    expect(() => Config.optimal().with({ sliceMs: 0 })).toThrow(RangeError);
    expect(() => Config.optimal().with({ maxThreads: -1 })).toThrow(RangeError);
    expect(() => Config.optimal().with({ queueCapacity: 0 })).toThrow(RangeError);
  });

  it("thread-pool without an io is a clear error", () => {
    expect(() => new Runtime(Config.optimal().with({ model: "thread-pool" }))).toThrow(RuntimeStateError);
  });
});

describe("run / init / getRuntime / deinit", () => {
  it("run starts a runtime, runs main, returns its value and shuts down", async () => {
    let inside: Runtime | undefined;
    const value = await run(async (rt) => {
      inside = getRuntime();
      expect(rt).toBe(inside);
      return rt.async((a: number, b: number) => a + b, 2, 3);
    });
    expect(value).toBe(5);
    expect(() => getRuntime()).toThrow(RuntimeStateError);
    expect(() => inside?.spawn(() => 1)).toThrow(RuntimeStateError);
  });

  it("run rethrows main's error", async () => {
    await expect(
      run(() => {
        throw new Error("main failed");
      }),
    ).rejects.toThrow("main failed");
  });

  it("init twice is an error until deinit", async () => {
    const rt = init(Config.forEmbedded());
    expect(getRuntime()).toBe(rt);
    expect(() => init()).toThrow(RuntimeStateError);
    await deinit();
    expect(() => getRuntime()).toThrow(RuntimeStateError);
    await deinit();
  });

  it("stats count spawned, completed, failed and cancelled tasks", async () => {
    await run(async (rt) => {
      const before = rt.stats();
      await spawn(() => 1);
      await spawn(() => Promise.reject(new Error("x"))).catch(() => undefined);
      const c = spawn(() => sleep(60_000));
      c.cancel();
      await c.finished;
      const after = rt.stats();
      expect(after.spawned - before.spawned).toBe(3);
      expect(after.completed - before.completed).toBe(1);
      expect(after.failed - before.failed).toBe(1);
      expect(after.cancelled - before.cancelled).toBe(1);
      expect(after.model).toBe("green-threads");
      const lines: string[] = [];
      rt.printStats((line) => lines.push(line));
      expect(lines.join("\n")).toMatch(/spawned \d+/);
    });
  });

  it("samples event-loop lag while it runs", async () => {
    await run(
      async (rt) => {
        // Waits for the samples instead of a fixed pause: a loaded machine may
        // run fewer timer turns in any given time. Without sampling this hangs.
        while (rt.stats().eventLoopLag.samples <= 3) await sleep(2);
        expect(rt.stats().eventLoopLag.p50).toBeGreaterThanOrEqual(0);
      },
      Config.optimal().with({ lagSampleMs: 2 }),
    );
  });
});

describe("capabilities", () => {
  it("describes the host and recommends a model", () => {
    const c = capabilities();
    expect(c.cores).toBeGreaterThanOrEqual(1);
    expect(["green-threads", "stackless"]).toContain(c.recommendedModel);
    const lines: string[] = [];
    expect(printCapabilities((l) => lines.push(l))).toEqual(c);
    expect(lines.some((l) => l.startsWith("recommended"))).toBe(true);
  });
});
