import { describe, expect, it } from "vitest";
import { CancelledError, Executor, JoinSet, RuntimeStateError, sleep, spawn, yieldNow } from "../src/index.js";
import { latch } from "./observe.js";

describe("Executor", () => {
  it("joinAll returns values in spawn order", async () => {
    await using ex = new Executor<number>();
    ex.spawn(async () => {
      await sleep(10);
      return 1;
    });
    ex.spawn(() => 2);
    expect(await ex.joinAll()).toEqual([1, 2]);
  });

  it("a failing child cancels its siblings, and joinAll rejects with that failure once they stopped", async () => {
    const ex = new Executor();
    let siblingStopped = false;
    ex.spawn(async () => {
      try {
        await sleep(60_000);
      } finally {
        await yieldNow();
        siblingStopped = true;
      }
    });
    ex.spawn(async () => {
      await sleep(5);
      throw new Error("child failed");
    });
    await expect(ex.joinAll()).rejects.toThrow("child failed");
    expect(siblingStopped).toBe(true);
    expect(ex.cancelled).toBe(true);
  });

  it("failFast: false collects every outcome with joinAllSettled", async () => {
    const ex = new Executor({ failFast: false });
    ex.spawn(() => Promise.reject(new Error("one")));
    ex.spawn(async () => {
      await sleep(5);
      return "two";
    });
    const outcomes = await ex.joinAllSettled();
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "fulfilled"]);
  });

  it("disposal cancels unfinished children and waits for their bodies", async () => {
    let cleanedUp = false;
    {
      await using ex = new Executor();
      const parked = latch();
      ex.spawn(async () => {
        try {
          const wait = sleep(60_000);
          parked.open();
          await wait;
        } finally {
          // Runtime waits in a cancelled task reject at once, so cleanup
          // that must wait uses a plain timer.
          await new Promise((resolve) => setTimeout(resolve, 1));
          cleanedUp = true;
        }
      });
      await parked.reached;
    }
    expect(cleanedUp).toBe(true);
  });

  it("refuses spawns after disposal", async () => {
    const ex = new Executor();
    await ex[Symbol.asyncDispose]();
    expect(() => ex.spawn(() => 1)).toThrow(RuntimeStateError);
  });

  it("an executor created inside a task is cancelled with the task", async () => {
    let childError: unknown;
    const parked = latch();
    const caught = latch();
    const parent = spawn(async () => {
      const ex = new Executor();
      ex.spawn(async () => {
        const wait = sleep(60_000);
        parked.open();
        try {
          await wait;
        } catch (error) {
          childError = error;
          caught.open();
        }
      });
      await ex.joinAll();
    });
    await parked.reached;
    parent.cancel();
    await caught.reached; // never opens (the test times out) if the child is not cancelled
    expect(childError).toBeInstanceOf(CancelledError);
  });

  it("an aborted signal cancels every task", async () => {
    const controller = new AbortController();
    const ex = new Executor({ signal: controller.signal });
    const t = ex.spawn(() => sleep(60_000));
    controller.abort();
    await expect(t).rejects.toBeInstanceOf(CancelledError);
  });
});

describe("JoinSet", () => {
  it("yields outcomes in completion order", async () => {
    await using set = new JoinSet<number>();
    for (const ms of [30, 5, 15]) {
      set.spawn(async () => {
        await sleep(ms);
        return ms;
      });
    }
    const order: number[] = [];
    for await (const result of set) if (result.status === "fulfilled") order.push(result.value);
    expect(order).toEqual([5, 15, 30]);
    expect(set.size).toBe(0);
  });

  it("joinNext resolves undefined when empty and reports failures as outcomes", async () => {
    const set = new JoinSet<number>();
    expect(await set.joinNext()).toBeUndefined();
    const handle = set.spawn(() => Promise.reject(new Error("f")));
    const result = await set.joinNext();
    expect(result?.status).toBe("rejected");
    expect(result?.id).toBe(handle.id);
  });

  it("a cancelled joinNext consumes nothing", async () => {
    const set = new JoinSet<string>();
    set.spawn(async () => {
      await sleep(10);
      return "kept";
    });
    const controller = new AbortController();
    const waiting = set.joinNext({ signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    const next = await set.joinNext();
    expect(next).toMatchObject({ status: "fulfilled", value: "kept" });
  });

  it("disposal aborts running tasks and waits for them", async () => {
    let stopped = false;
    {
      await using set = new JoinSet();
      set.spawn(async () => {
        try {
          await sleep(60_000);
        } finally {
          stopped = true;
        }
      });
      await sleep(1);
    }
    expect(stopped).toBe(true);
  });
});
