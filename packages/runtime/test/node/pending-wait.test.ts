import { describe, expect, test } from "vitest";
import { CancelledError } from "../../src/errors.js";
import { PendingWait, WaitQueue } from "../../src/node/pending-wait.js";
import { observe, settle } from "../observe.js";

// The Node I/O waits (TcpStream.read, UdpSocket.recvFrom, accept, drains)
// hand data over through this queue; it applies WaitQueue's guard.
describe("the I/O wait queue's guard", () => {
  test("shift() from an earlier abort listener skips the wait whose signal fired, so its data goes to the next reader", async () => {
    const queue = new WaitQueue<string>();
    const controller = new AbortController();
    let handedTo: unknown;
    controller.signal.addEventListener("abort", () => {
      const reader = queue.shift();
      handedTo = reader;
      reader?.resolve("chunk");
    });
    const aborted = new PendingWait<string>({ signal: controller.signal }, (w) => queue.remove(w));
    queue.push(aborted);
    const next = new PendingWait<string>(undefined, (w) => queue.remove(w));
    queue.push(next);
    const abortedState = observe(aborted.promise);
    controller.abort("stop");
    await settle();
    expect(handedTo).toBe(next);
    expect(abortedState.status).toBe("rejected");
    expect(abortedState.reason).toBeInstanceOf(CancelledError);
    expect(await next.promise).toBe("chunk");
    expect(queue.size).toBe(0);
  });

  test("shift() returns nothing when the only wait was cancelled, so the data stays buffered", async () => {
    const queue = new WaitQueue<string>();
    const controller = new AbortController();
    let shifted: unknown = "not called";
    controller.signal.addEventListener("abort", () => {
      shifted = queue.shift();
    });
    const aborted = new PendingWait<string>({ signal: controller.signal }, (w) => queue.remove(w));
    queue.push(aborted);
    const state = observe(aborted.promise);
    controller.abort();
    await settle();
    expect(shifted).toBeUndefined();
    expect(state.status).toBe("rejected");
  });
});
