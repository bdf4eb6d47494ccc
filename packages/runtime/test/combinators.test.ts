import { describe, expect, it } from "vitest";
import {
  AllFailedError,
  all,
  allSettled,
  any,
  CancelledError,
  Future,
  race,
  sleep,
  spawn,
  type TaskHandle,
  TimeoutError,
  timeout,
} from "../src/index.js";
import { settle } from "./observe.js";

/**
 * A task that waits for a minute unless cancelled, already running when
 * returned: a loser spawned by the combinator itself might be cancelled
 * before its body starts on a loaded machine, and then never record anything.
 */
async function slow(cancelled: string[], name: string): Promise<[TaskHandle<void>]> {
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const handle = spawn(async () => {
    started();
    try {
      await sleep(60_000);
    } catch (error) {
      if (error instanceof CancelledError) cancelled.push(name);
      throw error;
    }
  });
  await running;
  return [handle]; // wrapped: returning the thenable handle itself would await the task
}

describe("race", () => {
  it("settles with the first and cancels the losers", async () => {
    const cancelled: string[] = [];
    const [[a], [b]] = [await slow(cancelled, "a"), await slow(cancelled, "b")];
    const winner = await race([a, async () => "fast", b]);
    expect(winner).toBe("fast");
    await Promise.all([a.finished, b.finished]);
    expect(cancelled.sort()).toEqual(["a", "b"]);
  });

  it("a first rejection wins too", async () => {
    const cancelled: string[] = [];
    const [a] = await slow(cancelled, "a");
    await expect(race([a, () => Promise.reject(new Error("first"))])).rejects.toThrow("first");
    await a.finished;
    expect(cancelled).toEqual(["a"]);
  });

  it("cancelling the race cancels every input", async () => {
    const a = spawn(() => sleep(60_000));
    const b = Future.withResolvers<number>().future;
    const r = race([a, b]);
    r.cancel();
    await expect(a).rejects.toBeInstanceOf(CancelledError);
    expect(b.poll().status).toBe("rejected");
  });

  it("rejects bad input with TypeError naming the index", () => {
    expect(() => race([async () => 1, 5 as unknown as () => number])).toThrow(/inputs\[1\]/);
  });
});

describe("all", () => {
  it("returns values in input order, whatever the completion order", async () => {
    const values = await all([
      async () => {
        await sleep(15);
        return "a";
      },
      Promise.resolve(2),
      Future.resolved(true),
    ]);
    expect(values).toEqual(["a", 2, true]);
  });

  it("fails fast and cancels the siblings still running", async () => {
    const cancelled: string[] = [];
    const [[a], [b]] = [await slow(cancelled, "a"), await slow(cancelled, "b")];
    await expect(all([a, () => Promise.reject(new Error("bad")), b])).rejects.toThrow("bad");
    await Promise.all([a.finished, b.finished]);
    expect(cancelled.sort()).toEqual(["a", "b"]);
  });

  it("of nothing is an empty array", async () => {
    expect(await all([])).toEqual([]);
  });

  it("allSettled collects every outcome without cancelling", async () => {
    const outcomes = await allSettled([async () => 1, () => Promise.reject(new Error("x"))]);
    expect(outcomes[0]).toEqual({ status: "fulfilled", value: 1 });
    expect(outcomes[1].status).toBe("rejected");
  });
});

describe("any", () => {
  it("returns the first fulfilment and cancels the rest", async () => {
    const cancelled: string[] = [];
    const [c] = await slow(cancelled, "c");
    const value = await any([() => Promise.reject(new Error("no")), async () => "yes", c]);
    expect(value).toBe("yes");
    await c.finished;
    expect(cancelled).toEqual(["c"]);
  });

  it("rejects with AllFailedError listing every reason in input order", async () => {
    const error = await any([() => Promise.reject(new Error("1")), () => Promise.reject(new Error("2"))]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AllFailedError);
    expect((error as AllFailedError).errors.map((e) => (e as Error).message)).toEqual(["1", "2"]);
    expect((error as AllFailedError).code).toBe("ZSYNC_ALL_FAILED");
  });
});

describe("results nobody will receive", () => {
  // The late results are released by hand after the race is decided: with
  // timers, a loaded machine could let the "late" one settle first.
  const lateDisposable = () => {
    let release!: () => void;
    const state = { disposed: false };
    const promise = new Promise<Disposable>((resolve) => {
      release = () =>
        resolve({
          [Symbol.dispose]() {
            state.disposed = true;
          },
        });
    });
    return { promise, release, state };
  };

  it("a plain promise that loses a race and later fulfils with a disposable is disposed", async () => {
    const late = lateDisposable();
    expect(await race([late.promise, Future.resolved("winner")])).toBe("winner");
    expect(late.state.disposed).toBe(false);
    late.release();
    await settle();
    expect(late.state.disposed).toBe(true);
  });

  it("timeout disposes a late disposable result of a plain promise", async () => {
    const late = lateDisposable();
    await expect(timeout(late.promise, 1)).rejects.toBeInstanceOf(TimeoutError);
    late.release();
    await settle();
    expect(late.state.disposed).toBe(true);
  });
});
