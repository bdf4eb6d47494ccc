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
