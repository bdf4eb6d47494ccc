import { describe, expect, test } from "vitest";
import { CancelledError } from "../src/errors.js";
import { run } from "../src/runtime.js";
import { spawn } from "../src/task.js";
import { WaitQueue } from "../src/wait/index.js";
import { observe, settle } from "./observe.js";

describe("WaitQueue: FIFO", () => {
  test("wakeOne hands values to waiters in the order they parked", async () => {
    const queue = new WaitQueue<string>();
    const waits = [queue.wait(), queue.wait(), queue.wait()];
    expect(queue.size).toBe(3);
    expect(queue.wakeOne("a")).toBe(true);
    expect(queue.wakeOne("b")).toBe(true);
    expect(queue.wakeOne("c")).toBe(true);
    expect(queue.wakeOne("d")).toBe(false);
    expect(await Promise.all(waits)).toEqual(["a", "b", "c"]);
    expect(queue.size).toBe(0);
  });

  test("wakeAll wakes every live waiter and counts them; tags are visible to the waker", async () => {
    const queue = new WaitQueue<number>();
    const waits = [queue.wait({ tag: 2 }), queue.wait({ tag: 5 })];
    expect(queue.nextLive()?.tag).toBe(2);
    expect(queue.wakeAll(7)).toBe(2);
    expect(await Promise.all(waits)).toEqual([7, 7]);
    expect(queue.wakeAll(8)).toBe(0);
  });

  test("rejectAll fails every waiter with the error", async () => {
    const queue = new WaitQueue<void>();
    const waits = [observe(queue.wait()), observe(queue.wait())];
    const closed = new Error("closed");
    queue.rejectAll(closed);
    await settle();
    expect(waits.map((w) => w.reason)).toEqual([closed, closed]);
    expect(queue.size).toBe(0);
  });
});

describe("WaitQueue: cancellation", () => {
  test("a cancelled waiter leaves the middle of the queue; the others keep their order", async () => {
    const queue = new WaitQueue<string>();
    const controller = new AbortController();
    const first = queue.wait();
    const middle = observe(queue.wait({ signal: controller.signal }));
    const last = queue.wait();
    const fourth = observe(queue.wait({ signal: AbortSignal.abort("already") }));
    controller.abort("gone");
    await settle();
    expect(middle.status).toBe("rejected");
    expect(middle.reason).toBeInstanceOf(CancelledError);
    expect((middle.reason as CancelledError).reason).toBe("gone");
    // An already-aborted signal rejects at once and takes no place in the queue.
    expect(fourth.status).toBe("rejected");
    expect(queue.size).toBe(2);
    queue.wakeOne("x");
    queue.wakeOne("y");
    expect([await first, await last]).toEqual(["x", "y"]);
  });

  test("afterCancel runs when a queued waiter is cancelled", async () => {
    const queue = new WaitQueue<void>();
    const controller = new AbortController();
    let ran = 0;
    const wait = observe(queue.wait({ signal: controller.signal, afterCancel: () => ran++ }));
    controller.abort();
    await settle();
    expect(wait.status).toBe("rejected");
    expect(ran).toBe(1);
  });

  test("cancelling the ambient task cancels its wait", async () => {
    await run(async () => {
      const queue = new WaitQueue<number>();
      const handle = spawn(() => queue.wait());
      await settle();
      expect(queue.size).toBe(1);
      handle.cancel("task stopped");
      await expect(handle).rejects.toBeInstanceOf(CancelledError);
      expect(queue.size).toBe(0);
      expect(queue.wakeOne(1)).toBe(false);
    });
  });
});

describe("WaitQueue: the guard", () => {
  test("wakeOne from an earlier abort listener skips the waiter whose signal fired and gives the value to the next", async () => {
    const queue = new WaitQueue<string>();
    const controller = new AbortController();
    let handed: boolean | undefined;
    // Registered before the waiter's own listener, so it runs first: the waiter is still queued.
    controller.signal.addEventListener("abort", () => {
      handed = queue.wakeOne("value");
    });
    const aborted = observe(queue.wait({ signal: controller.signal }));
    const next = observe(queue.wait());
    controller.abort("stop");
    await settle();
    expect(handed).toBe(true);
    expect(aborted.status).toBe("rejected");
    expect(aborted.reason).toBeInstanceOf(CancelledError);
    expect(next.status).toBe("fulfilled");
    expect(next.value).toBe("value");
    expect(queue.size).toBe(0);
  });

  test("with nobody else waiting, the waker keeps its value", async () => {
    const queue = new WaitQueue<string>();
    const controller = new AbortController();
    let handed: boolean | undefined;
    controller.signal.addEventListener("abort", () => {
      handed = queue.wakeOne("value");
    });
    const aborted = observe(queue.wait({ signal: controller.signal }));
    controller.abort();
    await settle();
    expect(handed).toBe(false);
    expect(aborted.status).toBe("rejected");
  });

  test("wakeAll from an earlier abort listener does not wake the cancelled waiter", async () => {
    const queue = new WaitQueue<number>();
    const controller = new AbortController();
    let woken: number | undefined;
    controller.signal.addEventListener("abort", () => {
      woken = queue.wakeAll(1);
    });
    const aborted = observe(queue.wait({ signal: controller.signal }));
    const other = observe(queue.wait());
    controller.abort();
    await settle();
    expect(woken).toBe(1);
    expect(aborted.status).toBe("rejected");
    expect(other.status).toBe("fulfilled");
  });
});
