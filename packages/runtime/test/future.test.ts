import { describe, expect, it } from "vitest";
import { CancelledError, Future } from "../src/index.js";

describe("Future", () => {
  it("is awaitable and reports its state through poll()", async () => {
    const { future, resolve } = Future.withResolvers<number>();
    expect(future.poll()).toEqual({ status: "pending" });
    expect(future.settled).toBe(false);
    resolve(7);
    expect(future.poll()).toEqual({ status: "fulfilled", value: 7 });
    expect(await future).toBe(7);
  });

  it("adopts thenables passed to resolve", async () => {
    const { future, resolve } = Future.withResolvers<string>();
    resolve(Promise.resolve("adopted"));
    expect(await future).toBe("adopted");
  });

  it("settles once: later resolve/reject calls are ignored", async () => {
    const { future, resolve, reject } = Future.withResolvers<number>();
    resolve(1);
    reject(new Error("late"));
    resolve(2);
    expect(await future).toBe(1);
  });

  it("cancel() rejects a pending future with CancelledError carrying the reason and calls the hook once", async () => {
    const seen: unknown[] = [];
    const { future } = Future.withResolvers<number>({ onCancel: (error) => seen.push(error.reason) });
    expect(future.cancel("stop")).toBe(true);
    expect(future.cancel("again")).toBe(false);
    const error = await future.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).reason).toBe("stop");
    expect((error as CancelledError).code).toBe("ZSYNC_CANCELLED");
    expect(seen).toEqual(["stop"]);
  });

  it("cancel() after settlement does nothing", async () => {
    const future = Future.resolved(3);
    expect(future.cancel()).toBe(false);
    expect(await future).toBe(3);
  });

  it("onComplete runs synchronously at settlement, and immediately when already settled", () => {
    const { future, resolve } = Future.withResolvers<number>();
    const log: string[] = [];
    future.onComplete((r) => log.push(`first:${r.status}`));
    resolve(1);
    log.push("after resolve");
    future.onComplete((r) => log.push(`late:${r.status === "fulfilled" ? r.value : "x"}`));
    expect(log).toEqual(["first:fulfilled", "after resolve", "late:1"]);
  });

  it("`using` cancels a still-pending future at scope exit", async () => {
    const { future } = Future.withResolvers<number>();
    {
      using _guard = future;
    }
    expect(future.poll().status).toBe("rejected");
    await expect(future).rejects.toBeInstanceOf(CancelledError);
  });

  it("catch and finally behave like a promise's", async () => {
    const failed = Future.rejected<number>(new Error("boom"));
    expect(await failed.catch((e: unknown) => (e as Error).message)).toBe("boom");
    let ran = false;
    await Future.resolved(1).finally(() => {
      ran = true;
    });
    expect(ran).toBe(true);
  });

  it("Future.from returns the same future, wraps promises and values", async () => {
    const f = Future.resolved(1);
    expect(Future.from(f)).toBe(f);
    expect(await Future.from(Promise.resolve(2))).toBe(2);
    expect(await Future.from(3)).toBe(3);
  });
});

describe("Future is a Promise", () => {
  it("is an instance of Promise and works with the native combinators", async () => {
    const f = Future.resolved(1);
    expect(f).toBeInstanceOf(Promise);
    expect(await Promise.all([f, Future.resolved(2)])).toEqual([1, 2]);
    expect(Promise.resolve(f)).toBe(f);
  });

  it("derives plain promises from then/catch/finally", () => {
    const derived = Future.resolved(1).then((x) => x + 1);
    expect(derived).not.toBeInstanceOf(Future);
    expect(derived).toBeInstanceOf(Promise);
  });

  it("accepts an executor like Promise, so inherited statics build futures", async () => {
    const f = new Future<number>((resolve) => resolve(5));
    expect(f.poll()).toEqual({ status: "fulfilled", value: 5 });
    const thrown = new Future<number>(() => {
      throw new Error("executor threw");
    });
    expect(thrown.poll().status).toBe("rejected");
    await expect(thrown).rejects.toThrow("executor threw");
  });

  it("a cancelled future nobody awaits raises no unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (event: PromiseRejectionEvent | unknown): void => {
      unhandled.push(event);
    };
    const g = globalThis as {
      addEventListener?: (t: string, l: (e: unknown) => void) => void;
      removeEventListener?: (t: string, l: (e: unknown) => void) => void;
      process?: { on(t: string, l: (e: unknown) => void): void; off(t: string, l: (e: unknown) => void): void };
    };
    if (g.process) g.process.on("unhandledRejection", onUnhandled);
    else g.addEventListener?.("unhandledrejection", onUnhandled);
    Future.withResolvers<number>().future.cancel("nobody cares");
    Future.rejected(new Error("ignored"));
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (g.process) g.process.off("unhandledRejection", onUnhandled);
    else g.removeEventListener?.("unhandledrejection", onUnhandled);
    expect(unhandled).toEqual([]);
  });
});
