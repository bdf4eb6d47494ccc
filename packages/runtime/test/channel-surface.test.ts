// The channel's observable surface that its behaviour tests left unchecked
// (survivors of the mutation run, issue 14): the exact messages of its
// errors, its views' getters and tags, a send branch's readiness on a closed
// channel or with a parked receiver, and the iterator's ending rules.
import { describe, expect, test } from "vitest";
import { bounded, Channel, oneshot, unbounded } from "../src/channel/channel.js";
import { CancelledError, ChannelClosedError } from "../src/errors.js";
import { onRecv, onSend, select } from "../src/select.js";
import { rejection } from "./observe.js";

async function message(p: Promise<unknown>): Promise<[unknown, string]> {
  const error = (await rejection(p)) as Error;
  return [error.constructor, error.message];
}

describe("error messages", () => {
  test("closed and used-oneshot channels say which", async () => {
    const closed = unbounded<number>();
    closed.close();
    expect(() => closed.trySend(1)).toThrow(new ChannelClosedError("trySend on a closed channel"));
    expect(await message(closed.send(1))).toEqual([ChannelClosedError, "send on a closed channel"]);
    expect(await message(closed.recv())).toEqual([ChannelClosedError, "recv on a closed and drained channel"]);

    const once = oneshot<number>();
    once.trySend(1);
    expect(() => once.trySend(2)).toThrow(new ChannelClosedError("trySend on a oneshot channel that was already used"));
    expect(await message(once.send(2))).toEqual([ChannelClosedError, "send on a oneshot channel that was already used"]);
  });

  test("option checks name the method", async () => {
    const ch = bounded<number>(1);
    const bad = 5 as unknown as { signal?: AbortSignal };
    expect(await message(ch.send(1, bad))).toEqual([TypeError, "send: options must be an object, got number"]);
    expect(await message(ch.recv(bad))).toEqual([TypeError, "recv: options must be an object, got number"]);
    expect(() => ch.iterate(bad)).toThrow(new TypeError("iterate: options must be an object, got number"));
    expect(() => ch.receiver.iterate(bad)).toThrow(new TypeError("iterate: options must be an object, got number"));
  });

  test("capacity checks name the function", () => {
    expect(() => bounded(-1)).toThrow(new RangeError("bounded: capacity must be an integer from 0 to 2^32, got -1"));
    expect(() => new Channel(-1)).toThrow(new RangeError("Channel: capacity must be an integer from 0 to 2^32, got -1"));
    expect(new Channel(Number.POSITIVE_INFINITY).capacity).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("views", () => {
  test("the receiver view is one object; both views forward their getters", () => {
    const ch = bounded<number>(3);
    expect(ch.receiver).toBe(ch.receiver);
    ch.trySend(1);
    const { sender, receiver } = ch;
    expect([sender.length, sender.capacity, sender.isClosed]).toEqual([1, 3, false]);
    expect([receiver.length, receiver.capacity, receiver.isClosed]).toEqual([1, 3, false]);
    ch.close();
    expect([sender.isClosed, receiver.isClosed]).toEqual([true, true]);
    expect(Object.prototype.toString.call(ch)).toBe("[object Channel]");
    expect(Object.prototype.toString.call(sender)).toBe("[object Sender]");
    expect(Object.prototype.toString.call(receiver)).toBe("[object Receiver]");
  });

  test("select sends through a sender view and the receiver view's iterator yields it", async () => {
    const ch = bounded<number>(1);
    await select([onSend(ch.sender, 4)]);
    expect(await select([onRecv(ch.receiver)])).toBe(4);
    await select([onSend(ch.sender, 4)]);
    const it = ch.receiver.iterate();
    expect(it[Symbol.asyncIterator]()).toBe(it);
    expect(await it.next()).toEqual({ done: false, value: 4 });
  });
});

describe("a send branch's readiness", () => {
  test("a closed channel with no room makes the branch ready, and select rejects", async () => {
    const ch = bounded<number>(0);
    ch.close();
    expect(await rejection(select([onSend(ch, 1)]))).toBeInstanceOf(ChannelClosedError);
  });

  test("a parked receiver makes the branch of a rendezvous channel ready", async () => {
    const ch = bounded<number>(0);
    const received = ch.recv();
    await select([onSend(ch, 7)]);
    expect(await received).toBe(7);
  });
});

describe("the iterator", () => {
  test("yields values as not done, ends on close, and stays ended", async () => {
    const ch = unbounded<number>();
    const it = ch.iterate();
    ch.trySend(1);
    expect(await it.next()).toEqual({ done: false, value: 1 });
    ch.close();
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  test("return() ends only this iteration: a later message is left for others", async () => {
    const ch = unbounded<number>();
    const it = ch.iterate();
    expect(await it.return?.()).toEqual({ done: true, value: undefined });
    ch.trySend(2);
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(ch.tryRecv()).toEqual({ ok: true, value: 2 });
  });

  test("a cancelled wait rejects once; the iteration is over after it", async () => {
    const ch = unbounded<number>();
    const controller = new AbortController();
    const it = ch.iterate({ signal: controller.signal });
    const pending = it.next();
    controller.abort("stop");
    expect(await rejection(pending)).toBeInstanceOf(CancelledError);
    ch.trySend(3);
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(ch.length).toBe(1);
  });

  test("another error leaves the iteration going", async () => {
    // Only an options object whose signal changes after iterate() checked it
    // makes recv fail otherwise; the next call must try again.
    const ch = unbounded<number>();
    let broken = false;
    const options = {
      get signal(): AbortSignal | undefined {
        return broken ? (5 as unknown as AbortSignal) : undefined;
      },
    };
    const it = ch.iterate(options);
    broken = true;
    expect(await rejection(it.next())).toBeInstanceOf(TypeError);
    broken = false;
    ch.trySend(5);
    expect(await it.next()).toEqual({ done: false, value: 5 });
  });
});
