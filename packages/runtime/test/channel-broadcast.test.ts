import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { broadcast } from "../src/channel/broadcast.js";
import { CancelledError, ChannelClosedError, LaggedError } from "../src/errors.js";
import { CancelToken } from "../src/internal/cancel.js";
import { runInScope } from "../src/internal/context.js";

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe("broadcast", () => {
  it("validates its capacity", () => {
    expect(() => broadcast(0)).toThrow(RangeError);
    expect(() => broadcast(2.5)).toThrow(RangeError);
    expect(() => broadcast("4" as unknown as number)).toThrow(TypeError);
  });

  it("every receiver sees every message sent after it subscribed, in order", async () => {
    const events = broadcast<number>(8);
    const early = events.subscribe();
    expect(events.send(1)).toBe(1);
    const late = events.subscribe();
    expect(events.send(2)).toBe(2);
    expect(events.send(3)).toBe(2);
    expect([await early.recv(), await early.recv(), await early.recv()]).toEqual([1, 2, 3]);
    expect([await late.recv(), await late.recv()]).toEqual([2, 3]);
    expect(late.tryRecv()).toEqual({ ok: false, closed: false });
  });

  it("send with no receivers retains nothing and returns 0", () => {
    const events = broadcast<string>(2);
    expect(events.send("nobody")).toBe(0);
    const rx = events.subscribe();
    expect(rx.tryRecv()).toEqual({ ok: false, closed: false });
  });

  it("wakes parked receivers on send", async () => {
    const events = broadcast<string>(4);
    const a = events.subscribe();
    const b = events.subscribe();
    const pa = a.recv();
    const pb = b.recv();
    await tick();
    events.send("go");
    expect([await pa, await pb]).toEqual(["go", "go"]);
  });

  it("reports lag with the number of missed messages, then continues from the oldest retained", async () => {
    const ticks = broadcast<number>(2);
    const slow = ticks.subscribe();
    const fast = ticks.subscribe();
    for (let i = 0; i < 5; i++) {
      ticks.send(i);
      expect(await fast.recv()).toBe(i);
    }
    const error = await slow.recv().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LaggedError);
    expect((error as LaggedError).missed).toBe(3);
    expect((error as LaggedError).code).toBe("ZSYNC_LAGGED");
    expect(await slow.recv()).toBe(3);
    expect(slow.tryRecv()).toEqual({ ok: true, value: 4 });
    expect(slow.tryRecv()).toEqual({ ok: false, closed: false });
  });

  it("tryRecv throws LaggedError once and then resumes", () => {
    const ch = broadcast<number>(1);
    const rx = ch.subscribe();
    ch.send(1);
    ch.send(2);
    expect(() => rx.tryRecv()).toThrow(LaggedError);
    expect(rx.tryRecv()).toEqual({ ok: true, value: 2 });
  });

  it("after close, receivers drain what was retained and then see ChannelClosedError; send throws", async () => {
    const ch = broadcast<number>(4);
    const rx = ch.subscribe();
    const parked = ch.subscribe();
    const waiting = parked.recv();
    ch.send(1);
    const waiting2 = parked.recv();
    ch.close();
    expect(await waiting).toBe(1);
    await expect(waiting2).rejects.toBeInstanceOf(ChannelClosedError);
    expect(() => ch.send(2)).toThrow(ChannelClosedError);
    expect(await rx.recv()).toBe(1);
    await expect(rx.recv()).rejects.toBeInstanceOf(ChannelClosedError);
    expect(rx.isClosed).toBe(true);
    const seen: number[] = [];
    for await (const v of ch.subscribe()) seen.push(v);
    expect(seen).toEqual([]);
  });

  it("iterates until closed", async () => {
    const ch = broadcast<number>(16);
    const rx = ch.subscribe();
    const collected = (async () => {
      const got: number[] = [];
      for await (const v of rx) got.push(v);
      return got;
    })();
    for (let i = 0; i < 10; i++) ch.send(i);
    ch.close();
    expect(await collected).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("unsubscribing rejects its pending recv and stops counting it", async () => {
    const ch = broadcast<number>(4);
    const rx = ch.subscribe();
    const pending = rx.recv();
    expect(ch.receiverCount).toBe(1);
    rx.close();
    await expect(pending).rejects.toBeInstanceOf(ChannelClosedError);
    expect(ch.receiverCount).toBe(0);
    expect(ch.send(1)).toBe(0);
    {
      using scoped = ch.subscribe();
      expect(ch.receiverCount).toBe(1);
      expect(scoped.isClosed).toBe(false);
    }
    expect(ch.receiverCount).toBe(0);
  });

  it("a cancelled recv (signal or task token) leaves the message unread", async () => {
    const ch = broadcast<number>(4);
    const rx = ch.subscribe();
    const controller = new AbortController();
    const r = rx.recv({ signal: controller.signal });
    controller.abort();
    await expect(r).rejects.toBeInstanceOf(CancelledError);
    const token = new CancelToken();
    const r2 = runInScope({ id: 1, name: undefined, token }, () => rx.recv());
    token.cancel();
    await expect(r2).rejects.toBeInstanceOf(CancelledError);
    ch.send(7);
    expect(await rx.recv()).toBe(7);
  });

  it("each receiver reads exactly the messages retained for it (property vs model)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.oneof(fc.constant("send" as const), fc.constant("sub" as const), fc.nat(3)), { maxLength: 60 }),
        (capacity, ops) => {
          const ch = broadcast<number>(capacity);
          const receivers: { rx: ReturnType<typeof ch.subscribe>; next: number }[] = [];
          let sent = 0;
          for (const op of ops) {
            if (op === "send") {
              ch.send(sent);
              if (receivers.length > 0) sent++;
            } else if (op === "sub") {
              receivers.push({ rx: ch.subscribe(), next: sent });
            } else {
              const entry = receivers[op % Math.max(1, receivers.length)];
              if (entry === undefined) continue;
              const oldest = Math.max(0, sent - capacity);
              if (entry.next < oldest) {
                const missed = oldest - entry.next;
                let thrown: unknown;
                try {
                  entry.rx.tryRecv();
                } catch (error) {
                  thrown = error;
                }
                expect(thrown).toBeInstanceOf(LaggedError);
                expect((thrown as LaggedError).missed).toBe(missed);
                entry.next = oldest;
              } else if (entry.next < sent) {
                expect(entry.rx.tryRecv()).toEqual({ ok: true, value: entry.next });
                entry.next++;
              } else {
                expect(entry.rx.tryRecv()).toEqual({ ok: false, closed: false });
              }
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
