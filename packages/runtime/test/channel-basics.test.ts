import { describe, expect, it } from "vitest";
import { bounded, Channel, oneshot, unbounded } from "../src/channel/channel.js";
import { ChannelClosedError } from "../src/errors.js";

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** Settles microtasks and reports whether `promise` is still pending. */
async function isPending(promise: Promise<unknown>): Promise<boolean> {
  const marker = Symbol("pending");
  promise.catch(() => {});
  await tick();
  return (
    (await Promise.race([
      promise.then(
        () => 0,
        () => 0,
      ),
      Promise.resolve(marker),
    ])) === marker
  );
}

describe("channel constructors", () => {
  it("bounded validates its capacity with typed errors naming the argument", () => {
    expect(() => bounded(-1)).toThrow(RangeError);
    expect(() => bounded(1.5)).toThrow(/capacity/);
    expect(() => bounded(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => bounded(Number.NaN)).toThrow(TypeError);
    expect(() => bounded("8" as unknown as number)).toThrow(TypeError);
    expect(bounded(8).capacity).toBe(8);
  });

  it("unbounded has infinite capacity; oneshot has capacity 1", () => {
    expect(unbounded().capacity).toBe(Number.POSITIVE_INFINITY);
    expect(oneshot().capacity).toBe(1);
    expect(bounded(3)).toBeInstanceOf(Channel);
  });
});

describe("bounded channel", () => {
  it("delivers messages in FIFO order", async () => {
    const ch = bounded<number>(4);
    for (let i = 0; i < 4; i++) await ch.send(i);
    expect(ch.length).toBe(4);
    const got = [await ch.recv(), await ch.recv(), await ch.recv(), await ch.recv()];
    expect(got).toEqual([0, 1, 2, 3]);
    expect(ch.length).toBe(0);
  });

  it("trySend refuses when full and tryRecv reports empty without a promise", () => {
    const ch = bounded<string>(2);
    expect(ch.tryRecv()).toEqual({ ok: false, closed: false });
    expect(ch.trySend("a")).toBe(true);
    expect(ch.trySend("b")).toBe(true);
    expect(ch.trySend("c")).toBe(false);
    expect(ch.tryRecv()).toEqual({ ok: true, value: "a" });
    expect(ch.trySend("c")).toBe(true);
    expect([ch.tryRecv(), ch.tryRecv()]).toEqual([
      { ok: true, value: "b" },
      { ok: true, value: "c" },
    ]);
  });

  it("applies back-pressure: send waits while full and resumes in order as space frees", async () => {
    const ch = bounded<number>(1);
    await ch.send(1);
    const second = ch.send(2);
    const third = ch.send(3);
    expect(await isPending(second)).toBe(true);
    expect(await isPending(third)).toBe(true);
    expect(ch.length).toBe(1);
    expect(await ch.recv()).toBe(1);
    await second; // admitted into the freed slot
    expect(await isPending(third)).toBe(true);
    expect(await ch.recv()).toBe(2);
    await third;
    expect(await ch.recv()).toBe(3);
  });

  it("hands a sent value directly to a waiting receiver", async () => {
    const ch = bounded<string>(1);
    const r1 = ch.recv();
    const r2 = ch.recv();
    expect(await isPending(r1)).toBe(true);
    expect(ch.trySend("x")).toBe(true);
    expect(ch.length).toBe(0); // handed off, not buffered
    await ch.send("y");
    expect([await r1, await r2]).toEqual(["x", "y"]);
  });

  it("recv resolves in the same microtask turn when a value is ready", async () => {
    const ch = bounded<number>(1);
    ch.trySend(7);
    const order: string[] = [];
    const p = ch.recv().then((v) => order.push(`recv ${v}`));
    Promise.resolve().then(() => order.push("microtask"));
    await p;
    expect(order).toEqual(["recv 7", "microtask"]);
  });

  it("send returns an already-resolved shared promise when it does not wait", () => {
    const ch = bounded<number>(4);
    expect(ch.send(1)).toBe(ch.send(2));
  });

  it("rejects bad options with TypeError", async () => {
    const ch = bounded<number>(1);
    await expect(ch.recv(null as unknown as undefined)).rejects.toThrow(TypeError);
    await expect(ch.send(1, { signal: {} as AbortSignal })).rejects.toThrow(/signal/);
    expect(ch.length).toBe(0);
  });
});

describe("rendezvous channel (bounded(0))", () => {
  it("buffers nothing: a send completes only when a receiver takes the value", async () => {
    const ch = bounded<number>(0);
    expect(ch.trySend(1)).toBe(false);
    const sent = ch.send(1);
    expect(await isPending(sent)).toBe(true);
    expect(ch.length).toBe(0);
    expect(ch.tryRecv()).toEqual({ ok: true, value: 1 });
    await sent;
  });

  it("trySend succeeds when a receiver is already waiting", async () => {
    const ch = bounded<number>(0);
    const r = ch.recv();
    expect(ch.trySend(5)).toBe(true);
    expect(await r).toBe(5);
  });
});

describe("unbounded channel", () => {
  it("never makes a sender wait", async () => {
    const ch = unbounded<number>();
    let accepted = 0;
    for (let i = 0; i < 10_000; i++) if (ch.trySend(i)) accepted++;
    expect(accepted).toBe(10_000);
    expect(ch.length).toBe(10_000);
    const got: number[] = [];
    for (let r = ch.tryRecv(); r.ok; r = ch.tryRecv()) got.push(r.value);
    expect(got).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
  });
});

describe("oneshot channel", () => {
  it("carries exactly one value, then reports closed", async () => {
    const ch = oneshot<string>();
    const r = ch.recv();
    expect(ch.trySend("only")).toBe(true);
    expect(ch.isClosed).toBe(true);
    expect(() => ch.trySend("again")).toThrow(ChannelClosedError);
    await expect(ch.send("again")).rejects.toBeInstanceOf(ChannelClosedError);
    expect(await r).toBe("only");
    await expect(ch.recv()).rejects.toBeInstanceOf(ChannelClosedError);
  });

  it("keeps a value sent before anyone receives", async () => {
    const ch = oneshot<number>();
    await ch.send(9);
    expect(await ch.recv()).toBe(9);
    expect(ch.tryRecv()).toEqual({ ok: false, closed: true });
  });

  it("close() without a value tells the receiver none will come", async () => {
    const ch = oneshot<number>();
    const r = ch.recv();
    ch.close();
    await expect(r).rejects.toBeInstanceOf(ChannelClosedError);
  });
});

describe("sender and receiver views", () => {
  it("expose only their half and share the channel's state", async () => {
    const ch = bounded<number>(2);
    const tx = ch.sender;
    const rx = ch.receiver;
    expect(ch.sender).toBe(tx);
    expect("recv" in tx).toBe(false);
    expect("send" in rx).toBe(false);
    expect("close" in rx).toBe(false);
    await tx.send(1);
    expect(tx.trySend(2)).toBe(true);
    expect(rx.length).toBe(2);
    expect(rx.capacity).toBe(2);
    expect(await rx.recv()).toBe(1);
    expect(rx.tryRecv()).toEqual({ ok: true, value: 2 });
    tx.close();
    expect(rx.isClosed).toBe(true);
    const seen: number[] = [];
    for await (const v of rx) seen.push(v);
    expect(seen).toEqual([]);
  });
});

describe("async iteration", () => {
  it("yields every message and ends once closed and drained", async () => {
    const ch = bounded<number>(2);
    const producer = (async () => {
      for (let i = 0; i < 50; i++) await ch.send(i);
      ch.close();
    })();
    const seen: number[] = [];
    for await (const v of ch) seen.push(v);
    await producer;
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it("breaking out of the loop leaves the channel open for other consumers", async () => {
    const ch = unbounded<number>();
    for (let i = 0; i < 3; i++) ch.trySend(i);
    for await (const v of ch) {
      expect(v).toBe(0);
      break;
    }
    expect(ch.isClosed).toBe(false);
    expect(await ch.recv()).toBe(1);
  });

  it("iterate({ signal }) rejects the pending next() when aborted", async () => {
    const ch = bounded<number>(1);
    const controller = new AbortController();
    const it = ch.iterate({ signal: controller.signal });
    const next = it.next();
    controller.abort("stop");
    await expect(next).rejects.toMatchObject({ code: "ZSYNC_CANCELLED", reason: "stop" });
    ch.trySend(1);
    expect(ch.length).toBe(1);
  });
});
