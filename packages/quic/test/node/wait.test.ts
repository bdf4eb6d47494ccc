/**
 * The Node API's `Waiter` (src/node/wait.ts) on the runtime's `WaitQueue`:
 * wake-all edges, failures passed through unchanged, and the cancellation
 * hook (which resets or stops a stream) running exactly once on every path
 * that cancels a wait, including the queue's guard against granting to a
 * waiter whose signal fired while an earlier abort listener woke the queue.
 */
import { CancelledError, spawn } from "@zsync/runtime";
import { describe, expect, it } from "vitest";
import { throwIfAborted, Waiter } from "../../src/node/wait.js";

describe("Waiter", () => {
  it("wake() resumes every parked caller, then nobody is parked", async () => {
    const waiter = new Waiter();
    const parked = [waiter.wait(undefined), waiter.wait(undefined), waiter.wait({ signal: new AbortController().signal })];
    expect(waiter.parked).toBe(true);
    waiter.wake();
    expect(waiter.parked).toBe(false);
    await Promise.all(parked);
  });

  it("fail(error) rejects every parked caller with that very error and runs no cancellation hook", async () => {
    const waiter = new Waiter();
    const error = new Error("stream reset by peer");
    let hooks = 0;
    const parked = [waiter.wait(undefined, () => hooks++), waiter.wait({ signal: new AbortController().signal }, () => hooks++)];
    waiter.fail(error);
    for (const p of parked) await expect(p).rejects.toBe(error);
    expect(hooks).toBe(0);
    expect(waiter.parked).toBe(false);
  });

  it("an abort rejects with CancelledError, runs the hook once before the caller sees it, and leaves the others parked", async () => {
    const waiter = new Waiter();
    const controller = new AbortController();
    let hooks = 0;
    const seen: string[] = [];
    const cancelled = waiter.wait({ signal: controller.signal }, () => {
      hooks++;
      seen.push("hook");
    });
    const other = waiter.wait(undefined);
    controller.abort();
    expect(hooks).toBe(1); // synchronously, from the waiter's own listener
    await cancelled.catch((error: unknown) => seen.push(error instanceof CancelledError ? "CancelledError" : String(error)));
    expect(seen).toEqual(["hook", "CancelledError"]);
    expect(waiter.parked).toBe(true);
    waiter.wake();
    await other;
    expect(hooks).toBe(1);
  });

  it("a signal that already fired rejects at once and runs the hook once", async () => {
    const waiter = new Waiter();
    let hooks = 0;
    await expect(waiter.wait({ signal: AbortSignal.abort() }, () => hooks++)).rejects.toBeInstanceOf(CancelledError);
    expect(hooks).toBe(1);
    expect(waiter.parked).toBe(false);
  });

  it("a wake from an earlier listener of the same abort does not resume the cancelled caller; its hook still runs once", async () => {
    const waiter = new Waiter();
    const controller = new AbortController();
    // Registered before the wait's own listener: it runs first, while the cancelled caller is still queued.
    controller.signal.addEventListener("abort", () => waiter.wake());
    let hooks = 0;
    const cancelled = waiter.wait({ signal: controller.signal }, () => hooks++);
    const live = waiter.wait(undefined);
    controller.abort();
    await expect(cancelled).rejects.toBeInstanceOf(CancelledError);
    await live; // the wake went to the live caller
    expect(hooks).toBe(1);
  });

  it("cancelling the calling task rejects its wait and runs the hook", async () => {
    const waiter = new Waiter();
    let hooks = 0;
    let outcome = "";
    const task = spawn(async () => {
      try {
        await waiter.wait(undefined, () => hooks++);
        outcome = "woken";
      } catch (error) {
        outcome = error instanceof CancelledError ? "cancelled" : String(error);
      }
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(waiter.parked).toBe(true);
    task.cancel();
    await task.catch(() => undefined);
    expect(outcome).toBe("cancelled");
    expect(hooks).toBe(1);
    expect(waiter.parked).toBe(false);
  });

  it("throwIfAborted throws CancelledError only for an aborted signal", () => {
    expect(() => throwIfAborted(undefined)).not.toThrow();
    expect(() => throwIfAborted({ signal: new AbortController().signal })).not.toThrow();
    expect(() => throwIfAborted({ signal: AbortSignal.abort() })).toThrow(CancelledError);
  });
});
