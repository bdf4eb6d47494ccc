/**
 * The contract every owner of a list of parked channel operations relies on
 * (channels, broadcast and watch cursors; see src/channel/waiters.ts): a
 * parked receive or send is claimed at most once. Once it has been given a
 * value, had its value taken, or failed, a later `deliver` or `take` answers
 * false, so the owner keeps the value and tries the next waiter instead of
 * handing it to (or taking it from) a wait that has already returned.
 * Today's owners detach a waiter before settling it, so they never ask twice;
 * this checks the guard itself, against the module's own functions, so that
 * an owner that does ask twice still loses nothing. (Survivors of the mutation
 * run on waiters.ts, issue 14: the `done` flags' checks and assignments.)
 */
import { describe, expect, it } from "vitest";
import { WaitList } from "../src/channel/wait-list.js";
import { parkRecv, parkSend, type RecvWaiter, type SendWaiter } from "../src/channel/waiters.js";
import { rejection } from "./observe.js";

/** Parks one receive on a fresh list and returns its promise and node (still on the list). */
function parkedRecv(): { list: WaitList<RecvWaiter<number>>; node: RecvWaiter<number>; promise: Promise<number> } {
  const list = new WaitList<RecvWaiter<number>>();
  const promise = parkRecv(list, undefined, undefined);
  const node = list.snapshot()[0] as RecvWaiter<number>;
  return { list, node, promise };
}

/** Parks one send of `value` on a fresh list and returns its promise and node (still on the list). */
function parkedSend(value: number): { list: WaitList<SendWaiter<number>>; node: SendWaiter<number>; promise: Promise<void> } {
  const list = new WaitList<SendWaiter<number>>();
  const promise = parkSend(list, value, undefined, undefined);
  const node = list.snapshot()[0] as SendWaiter<number>;
  return { list, node, promise };
}

describe("a parked receive is claimed at most once", () => {
  it("takes the first value delivered; a second delivery is refused", async () => {
    const { list, node, promise } = parkedRecv();
    expect(list.shift()).toBe(node);
    expect(node.deliver(1)).toBe(true);
    expect(node.deliver(2)).toBe(false);
    expect(await promise).toBe(1);
  });

  it("once failed, leaves its list and refuses a value", async () => {
    const { list, node, promise } = parkedRecv();
    const closed = new Error("closed");
    node.fail(closed);
    expect(list.isEmpty).toBe(true);
    expect(node.deliver(3)).toBe(false);
    expect(await rejection(promise)).toBe(closed);
  });

  it("once given a value, a failure changes nothing", async () => {
    const { list, node, promise } = parkedRecv();
    list.shift();
    expect(node.deliver(4)).toBe(true);
    node.fail(new Error("too late"));
    expect(node.deliver(5)).toBe(false);
    expect(await promise).toBe(4);
  });
});

describe("a parked send is claimed at most once", () => {
  it("gives its value to the first taker; a second take is refused", async () => {
    const { list, node, promise } = parkedSend(6);
    expect(list.shift()).toBe(node);
    expect(node.take()).toBe(true);
    expect(node.value).toBe(6);
    expect(node.take()).toBe(false);
    await expect(promise).resolves.toBeUndefined();
  });

  it("once failed, leaves its list and refuses to give its value", async () => {
    const { list, node, promise } = parkedSend(7);
    const closed = new Error("closed");
    node.fail(closed);
    expect(list.isEmpty).toBe(true);
    expect(node.take()).toBe(false);
    expect(await rejection(promise)).toBe(closed);
  });

  it("once its value is taken, a failure changes nothing", async () => {
    const { list, node, promise } = parkedSend(8);
    list.shift();
    expect(node.take()).toBe(true);
    node.fail(new Error("too late"));
    expect(node.take()).toBe(false);
    await expect(promise).resolves.toBeUndefined();
  });
});
