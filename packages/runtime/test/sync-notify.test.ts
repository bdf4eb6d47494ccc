import { describe, expect, it } from "vitest";
import { CancelledError } from "../src/errors.js";
import { CancelToken } from "../src/internal/cancel.js";
import { runInScope } from "../src/internal/context.js";
import { Notify } from "../src/sync/index.js";
import { observe, settle } from "./observe.js";

describe("Notify", () => {
  it("notifyOne with no waiter stores a permit that the next notified() consumes at once", async () => {
    const notify = new Notify();
    notify.notifyOne();
    expect(notify.hasPermit).toBe(true);
    await notify.notified();
    expect(notify.hasPermit).toBe(false);
    const second = observe(notify.notified());
    await settle();
    expect(second.status).toBe("pending");
    notify.notifyOne();
    await settle();
    expect(second.status).toBe("fulfilled");
  });

  it("stores at most one permit however many notifyOne calls find no waiter", async () => {
    const notify = new Notify();
    notify.notifyOne();
    notify.notifyOne();
    notify.notifyOne();
    await notify.notified();
    const next = observe(notify.notified());
    await settle();
    expect(next.status).toBe("pending");
    notify.notifyWaiters();
  });

  it("notifyOne wakes exactly one waiter, the longest waiting", async () => {
    const notify = new Notify();
    const woken: number[] = [];
    const waiters = [0, 1, 2].map((id) => notify.notified().then(() => woken.push(id)));
    notify.notifyOne();
    await settle();
    expect(woken).toEqual([0]);
    expect(notify.waiting).toBe(2);
    expect(notify.hasPermit).toBe(false);
    notify.notifyOne();
    notify.notifyOne();
    await Promise.all(waiters);
    expect(woken).toEqual([0, 1, 2]);
  });

  it("notifyWaiters wakes every current waiter, stores nothing, and misses later ones", async () => {
    const notify = new Notify();
    const a = observe(notify.notified());
    const b = observe(notify.notified());
    notify.notifyWaiters();
    const later = observe(notify.notified());
    await settle();
    expect([a.status, b.status, later.status]).toEqual(["fulfilled", "fulfilled", "pending"]);
    expect(notify.hasPermit).toBe(false);
    notify.notifyOne();
    await settle();
    expect(later.status).toBe("fulfilled");
  });

  it("notifyWaiters leaves a stored permit in place", async () => {
    const notify = new Notify();
    notify.notifyOne();
    notify.notifyWaiters();
    expect(notify.hasPermit).toBe(true);
    await notify.notified();
  });

  it("a waiter is registered at the call, so a notifyWaiters before its await is not missed", async () => {
    const notify = new Notify();
    const registered = notify.notified();
    notify.notifyWaiters();
    await settle();
    await expect(registered).resolves.toBeUndefined();
  });

  describe("cancellation", () => {
    it("a cancelled waiter leaves the queue and a later notifyOne goes to the next one", async () => {
      const notify = new Notify();
      const controller = new AbortController();
      const cancelled = observe(notify.notified({ signal: controller.signal }));
      const next = observe(notify.notified());
      controller.abort("bye");
      await settle();
      expect((cancelled.reason as CancelledError).reason).toBe("bye");
      notify.notifyOne();
      await settle();
      expect(next.status).toBe("fulfilled");
      expect(notify.hasPermit).toBe(false);
    });

    it("a notifyOne in the same tick as the only waiter's cancellation is stored, not lost", async () => {
      const notify = new Notify();
      const controller = new AbortController();
      controller.signal.addEventListener("abort", () => notify.notifyOne());
      const waiter = observe(notify.notified({ signal: controller.signal }));
      controller.abort();
      await settle();
      expect(waiter.status).toBe("rejected");
      expect(notify.hasPermit).toBe(true);
    });

    it("a notified() inside a cancelled task rejects and leaves a stored permit alone", async () => {
      const notify = new Notify();
      notify.notifyOne();
      const token = new CancelToken();
      token.cancel();
      await expect(runInScope({ id: 4, name: undefined, token }, () => notify.notified())).rejects.toBeInstanceOf(CancelledError);
      expect(notify.hasPermit).toBe(true);
    });

    it("a queued notified() rejects when its task is cancelled", async () => {
      const notify = new Notify();
      const token = new CancelToken();
      const waiter = observe(runInScope({ id: 5, name: undefined, token }, () => notify.notified()));
      token.cancel();
      await settle();
      expect(waiter.reason).toBeInstanceOf(CancelledError);
      expect(notify.waiting).toBe(0);
    });
  });
});
