import { describe, expect, expectTypeOf, it } from "vitest";
import { broadcast } from "../src/channel/broadcast.js";
import { bounded, type Channel, unbounded } from "../src/channel/channel.js";
import { watch } from "../src/channel/watch.js";
import { CancelledError, ChannelClosedError, LaggedError } from "../src/errors.js";
import { Future } from "../src/future.js";
import { CancelToken } from "../src/internal/cancel.js";
import { runInScope } from "../src/internal/context.js";
import { onFuture, onRecv, onSend, onTimeout, type SelectBranch, select } from "../src/select.js";

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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

describe("select: arguments", () => {
  it("rejects bad input with typed errors", async () => {
    await expect(select([])).rejects.toThrow(RangeError);
    await expect(select("x" as unknown as [])).rejects.toThrow(TypeError);
    await expect(select([{} as SelectBranch<number>])).rejects.toThrow(/branches\[0\]/);
    await expect(select([onTimeout(0)], { biased: "yes" as unknown as boolean })).rejects.toThrow(TypeError);
    expect(() => onRecv({} as Channel<number>)).toThrow(TypeError);
    expect(() => onSend({} as Channel<number>, 1)).toThrow(TypeError);
    expect(() => onFuture(5 as unknown as Promise<number>)).toThrow(TypeError);
    expect(() => onTimeout(-1)).toThrow(RangeError);
    expect(() => onTimeout(Number.NaN)).toThrow(TypeError);
    expect(() => onRecv(bounded<number>(1), "f" as unknown as () => void)).toThrow(TypeError);
  });

  it("infers the union of the handlers' results", async () => {
    const numbers = bounded<number>(1);
    numbers.trySend(1);
    const result = select([onRecv(numbers), onTimeout(10, () => "timeout" as const), onSend(bounded<string>(1), "s", () => true)]);
    expectTypeOf(result).toEqualTypeOf<Promise<number | "timeout" | boolean>>();
    await result;
  });
});

describe("select: branches that are ready immediately", () => {
  it("completes a ready receive without waiting", async () => {
    const a = bounded<number>(2);
    const b = bounded<number>(2);
    b.trySend(7);
    expect(await select([onRecv(a, (v) => `a${v}`), onRecv(b, (v) => `b${v}`)])).toBe("b7");
    expect(b.length).toBe(0);
  });

  it("completes a ready send and enqueues its value", async () => {
    const out = bounded<string>(1);
    expect(await select([onSend(out, "x", () => "sent"), onTimeout(1000, () => "late")])).toBe("sent");
    expect(out.tryRecv()).toEqual({ ok: true, value: "x" });
  });

  it("biased: the first ready branch in order wins", async () => {
    const a = unbounded<number>();
    const b = unbounded<number>();
    for (let i = 0; i < 10; i++) {
      a.trySend(i);
      b.trySend(i);
    }
    for (let i = 0; i < 10; i++) expect(await select([onRecv(a, () => "a"), onRecv(b, () => "b")], { biased: true })).toBe("a");
    expect(b.length).toBe(10);
  });

  it("unbiased: ready branches are chosen at random, so none starves", async () => {
    const a = unbounded<number>();
    const b = unbounded<number>();
    const idle = unbounded<number>();
    const wins = { a: 0, b: 0 };
    for (let i = 0; i < 1000; i++) {
      a.trySend(i);
      b.trySend(i);
      const w = await select([onRecv(idle, () => "idle" as const), onRecv(a, () => "a" as const), onRecv(b, () => "b" as const)]);
      if (w !== "idle") wins[w]++;
      // put the loser's message back in balance
      if (w === "a") b.tryRecv();
      else a.tryRecv();
    }
    expect(wins.a).toBeGreaterThan(350);
    expect(wins.b).toBeGreaterThan(350);
  });

  it("onTimeout(0) is a default branch: it wins only when nothing else is ready", async () => {
    const ch = bounded<number>(1);
    expect(await select([onTimeout(0, () => "default"), onRecv(ch)])).toBe("default");
    ch.trySend(3);
    expect(await select([onTimeout(0, () => "default"), onRecv(ch)])).toBe(3);
  });

  it("a handler's exception rejects the select", async () => {
    const ch = bounded<number>(1);
    ch.trySend(1);
    const boom = new RangeError("boom");
    await expect(
      select([
        onRecv(ch, () => {
          throw boom;
        }),
      ]),
    ).rejects.toBe(boom);
  });
});

describe("select: waiting", () => {
  it("the first branch to become ready wins and the losing receive consumes nothing", async () => {
    const a = bounded<string>(1);
    const b = bounded<string>(1);
    const pending = select([onRecv(a, (v) => `a:${v}`), onRecv(b, (v) => `b:${v}`)]);
    expect(await isPending(pending)).toBe(true);
    b.trySend("first");
    a.trySend("second");
    expect(await pending).toBe("b:first");
    expect(a.tryRecv()).toEqual({ ok: true, value: "second" }); // not consumed by the loser
  });

  it("a losing send branch never enqueues its value", async () => {
    const full = bounded<string>(1);
    full.trySend("existing");
    const trigger = bounded<number>(1);
    const pending = select([onSend(full, "from-select", () => "sent"), onRecv(trigger, () => "triggered")]);
    expect(await isPending(pending)).toBe(true);
    trigger.trySend(1);
    expect(await pending).toBe("triggered");
    expect(full.tryRecv()).toEqual({ ok: true, value: "existing" });
    expect(full.tryRecv()).toEqual({ ok: false, closed: false }); // "from-select" was never admitted
  });

  it("a parked send branch completes when space frees, in FIFO order with plain senders", async () => {
    const ch = bounded<string>(1);
    ch.trySend("a");
    const plain = ch.send("b");
    const selected = select([onSend(ch, "c", () => "c sent"), onTimeout(5000)]);
    expect(await ch.recv()).toBe("a");
    await plain;
    expect(await isPending(selected)).toBe(true);
    expect(await ch.recv()).toBe("b");
    expect(await selected).toBe("c sent");
    expect(await ch.recv()).toBe("c");
  });

  it("a send branch on a rendezvous channel completes by handing its value to a receiver", async () => {
    const rv = bounded<number>(0);
    const selected = select([onSend(rv, 42, () => "handed")]);
    expect(await isPending(selected)).toBe(true);
    expect(await rv.recv()).toBe(42);
    expect(await selected).toBe("handed");
  });

  it("send and receive branches on the same rendezvous channel never match each other", async () => {
    const rv = bounded<number>(0);
    const selected = select([onSend(rv, 1, () => "sent"), onRecv(rv, (v) => `got ${v}`)]);
    expect(await isPending(selected)).toBe(true);
    expect(rv.trySend(9)).toBe(true);
    expect(await selected).toBe("got 9");
    expect(rv.tryRecv()).toEqual({ ok: false, closed: false }); // the send branch was withdrawn
  });

  it("two receive branches on one channel take one message only", async () => {
    const ch = bounded<number>(2);
    const selected = select([onRecv(ch, (v) => `x${v}`), onRecv(ch, (v) => `y${v}`)]);
    await tick();
    ch.trySend(1);
    ch.trySend(2);
    expect(["x1", "y1"]).toContain(await selected);
    expect(ch.tryRecv()).toEqual({ ok: true, value: 2 });
  });

  it("a timeout wins when nothing else happens, and the channel keeps later messages", async () => {
    const ch = bounded<number>(1);
    expect(await select([onRecv(ch, () => "msg"), onTimeout(15, () => "timeout")])).toBe("timeout");
    ch.trySend(1);
    expect(ch.length).toBe(1);
  });

  it("the timer is cleared when another branch wins", async () => {
    const ch = bounded<number>(1);
    let fired = 0;
    const pending = select([
      onRecv(ch, () => "msg"),
      onTimeout(10, () => {
        fired++;
        return "timeout";
      }),
    ]);
    ch.trySend(1);
    expect(await pending).toBe("msg");
    await sleep(30);
    expect(fired).toBe(0);
  });

  it("handlers run after the winning channel operation returns, not inside it", async () => {
    const ch = bounded<number>(1);
    const log: string[] = [];
    const pending = select([onRecv(ch, (v) => log.push(`handler ${v}`))]);
    await tick();
    ch.trySend(1);
    log.push("trySend returned");
    await pending;
    expect(log).toEqual(["trySend returned", "handler 1"]);
  });
});

describe("select: futures", () => {
  it("a settled Future is ready immediately", async () => {
    const f = Future.resolved(5);
    const idle = bounded<number>(1);
    expect(await select([onRecv(idle, () => 0), onFuture(f, (v) => v * 2)])).toBe(10);
  });

  it("a promise branch wins when it resolves", async () => {
    const idle = bounded<number>(1);
    expect(await select([onRecv(idle), onFuture(sleep(5).then(() => "done"))])).toBe("done");
  });

  it("a rejected future rejects the select", async () => {
    const reason = new RangeError("nope");
    await expect(select([onFuture(Promise.reject(reason)), onTimeout(1000)])).rejects.toBe(reason);
    await expect(select([onFuture(Future.rejected(reason))])).rejects.toBe(reason);
  });

  it("a losing Future is left running by default and cancelled with cancelOnLose", async () => {
    const ch = bounded<number>(1);
    ch.trySend(1);
    const keep = Future.withResolvers<number>().future;
    const cancel = Future.withResolvers<number>().future;
    await select([onRecv(ch), onFuture(keep), onFuture(cancel, { cancelOnLose: true })]);
    await tick();
    expect(keep.settled).toBe(false);
    expect(cancel.poll()).toMatchObject({ status: "rejected" });
    expect((cancel.poll() as { reason: unknown }).reason).toBeInstanceOf(CancelledError);
  });

  it("selecting on one long-lived promise in a loop attaches a single reaction", async () => {
    let thenCalls = 0;
    const never = new Promise<never>(() => {});
    const counted: PromiseLike<never> = {
      // biome-ignore lint/suspicious/noThenProperty: a counting thenable is the point of this test.
      then(onFulfilled, onRejected) {
        thenCalls++;
        return never.then(onFulfilled, onRejected);
      },
    };
    const ch = unbounded<number>();
    for (let i = 0; i < 200; i++) {
      const pending = select([onRecv(ch), onFuture(counted)]);
      ch.trySend(i);
      expect(await pending).toBe(i);
    }
    expect(thenCalls).toBe(1);
  });
});

describe("select: closed channels", () => {
  it("a receive branch on a closed, drained channel runs onClosed, or rejects without it", async () => {
    const ch = bounded<number>(1);
    ch.trySend(1);
    ch.close();
    expect(
      await select([
        onRecv(
          ch,
          (v) => `v${v}`,
          () => "closed",
        ),
      ]),
    ).toBe("v1");
    expect(
      await select([
        onRecv(
          ch,
          (v) => `v${v}`,
          () => "closed",
        ),
      ]),
    ).toBe("closed");
    await expect(select([onRecv(ch)])).rejects.toBeInstanceOf(ChannelClosedError);
  });

  it("closing a channel wakes a parked receive branch", async () => {
    const ch = bounded<number>(1);
    const a = select([
      onRecv(
        ch,
        () => "value",
        () => "closed",
      ),
    ]);
    const b = select([onRecv(ch)]);
    await tick();
    ch.close();
    expect(await a).toBe("closed");
    await expect(b).rejects.toBeInstanceOf(ChannelClosedError);
  });

  it("a send branch on a closed channel rejects and sends nothing; closing wakes a parked one", async () => {
    const closed = bounded<number>(1);
    closed.close();
    await expect(select([onSend(closed, 1)])).rejects.toBeInstanceOf(ChannelClosedError);
    const full = bounded<number>(1);
    full.trySend(0);
    const parked = select([onSend(full, 1)]);
    await tick();
    full.close();
    await expect(parked).rejects.toBeInstanceOf(ChannelClosedError);
    expect(full.tryRecv()).toEqual({ ok: true, value: 0 });
    expect(full.tryRecv()).toEqual({ ok: false, closed: true });
  });
});

describe("select: cancellation", () => {
  it("an aborted signal rejects with CancelledError and no branch completes", async () => {
    const ch = bounded<number>(1);
    const full = bounded<number>(1);
    full.trySend(0);
    const controller = new AbortController();
    const pending = select([onRecv(ch), onSend(full, 1), onTimeout(10_000)], { signal: controller.signal });
    await tick();
    controller.abort("stop");
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).reason).toBe("stop");
    ch.trySend(5);
    expect(ch.length).toBe(1); // not consumed by the cancelled select
    expect(full.tryRecv()).toEqual({ ok: true, value: 0 });
    expect(full.tryRecv()).toEqual({ ok: false, closed: false }); // the send branch was withdrawn
  });

  it("an already-aborted signal rejects even if a branch is ready, consuming nothing", async () => {
    const ch = bounded<number>(1);
    ch.trySend(1);
    await expect(select([onRecv(ch)], { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CancelledError);
    expect(ch.length).toBe(1);
  });

  it("the ambient task token cancels a parked select", async () => {
    const ch = bounded<number>(1);
    const token = new CancelToken();
    const pending = runInScope({ id: 3, name: "t", token }, () => select([onRecv(ch)]));
    await tick();
    token.cancel("task");
    await expect(pending).rejects.toBeInstanceOf(CancelledError);
    ch.trySend(1);
    expect(ch.length).toBe(1);
  });
});

describe("select: a branch delivered to while its select is being cancelled", () => {
  // An abort listener registered before select's own runs first, while the
  // signal is already aborted: a channel operation it performs reaches the
  // parked branch, which must lose the claim to the cancellation AND tell
  // the channel so, or the channel counts the hand-over as done.

  it("a receive branch refuses a message sent by an earlier abort listener; the message stays in the channel", async () => {
    const ch = bounded<number>(1);
    const controller = new AbortController();
    let sent: boolean | undefined;
    controller.signal.addEventListener("abort", () => (sent = ch.trySend(42)));
    const pending = select([onRecv(ch, (v) => `got ${v}`)], { signal: controller.signal });
    expect(await isPending(pending)).toBe(true);
    controller.abort("stop");
    await expect(pending).rejects.toBeInstanceOf(CancelledError);
    expect(sent).toBe(true);
    expect(ch.tryRecv()).toEqual({ ok: true, value: 42 });
  });

  it("a send branch refuses to hand its value to a receive made by an earlier abort listener; nothing is enqueued", async () => {
    const ch = bounded<number>(1);
    ch.trySend(1); // full: the send branch parks
    const controller = new AbortController();
    let received: unknown;
    controller.signal.addEventListener("abort", () => (received = ch.tryRecv()));
    const pending = select([onSend(ch, 2, () => "sent")], { signal: controller.signal });
    expect(await isPending(pending)).toBe(true);
    controller.abort("stop");
    await expect(pending).rejects.toBeInstanceOf(CancelledError);
    expect(received).toEqual({ ok: true, value: 1 });
    expect(ch.length).toBe(0);
  });
});

describe("select: other sources", () => {
  it("receives from broadcast receivers, reporting lag", async () => {
    const events = broadcast<number>(1);
    const rx = events.subscribe();
    const pending = select([onRecv(rx, (v) => v + 100)]);
    await tick();
    events.send(1);
    expect(await pending).toBe(101);
    events.send(2);
    events.send(3);
    await expect(select([onRecv(rx)])).rejects.toBeInstanceOf(LaggedError);
    expect(await select([onRecv(rx)])).toBe(3);
  });

  it("waits for a watch receiver's next change", async () => {
    const w = watch("a");
    const rx = w.subscribe();
    const pending = select([onRecv(rx), onTimeout(5000, () => "timeout")]);
    expect(await isPending(pending)).toBe(true);
    w.send("b");
    expect(await pending).toBe("b");
    expect(rx.hasChanged).toBe(false);
  });
});

describe("select: no message is lost under races", () => {
  it("selects competing with direct receivers over several channels receive every message exactly once", async () => {
    const channels = [bounded<number>(2), bounded<number>(0), unbounded<number>()];
    const perChannel = 3000;
    const received = new Map<number, number>();
    const record = (v: number): void => {
      received.set(v, (received.get(v) ?? 0) + 1);
    };
    const producers = channels.map(async (ch, c) => {
      for (let i = 0; i < perChannel; i++) {
        await ch.send(c * perChannel + i);
        if (i % 7 === 0) await Promise.resolve();
      }
      ch.close();
    });
    let open = channels.length;
    const selectLoop = async (): Promise<void> => {
      const branches = channels.map((ch) =>
        onRecv(
          ch,
          (v: number) => {
            record(v);
            return false;
          },
          () => true,
        ),
      );
      // Each select also races a short timeout, so some selects park and lose.
      for (;;) {
        const closed = await select([...branches, onTimeout(1, () => false)]);
        if (closed && channels.every((ch) => ch.isClosed && ch.length === 0)) return;
        if (open === 0) return;
      }
    };
    const directLoop = async (ch: Channel<number>): Promise<void> => {
      for (;;) {
        try {
          record(await ch.recv());
        } catch (error) {
          if (error instanceof ChannelClosedError) return;
          throw error;
        }
        await Promise.resolve();
      }
    };
    const consumers = [selectLoop(), selectLoop(), ...channels.map(directLoop)];
    await Promise.all(producers);
    open = 0;
    await Promise.all(consumers);
    expect(received.size).toBe(channels.length * perChannel);
    for (const count of received.values()) expect(count).toBe(1);
  });

  it("racing send branches: every value a select reports as sent is received exactly once, and losers' values never appear", async () => {
    const a = bounded<string>(1);
    const b = bounded<string>(0);
    const iterations = 2000;
    const reported = new Set<string>();
    const received: string[] = [];
    const receiver = async (ch: Channel<string>): Promise<void> => {
      for (;;) {
        try {
          received.push(await ch.recv());
        } catch (error) {
          if (error instanceof ChannelClosedError) return;
          throw error;
        }
        // Dawdle so that senders often find both channels busy and park.
        for (let y = received.length % 4; y > 0; y--) await Promise.resolve();
      }
    };
    const receivers = [receiver(a), receiver(b), receiver(a)];
    const sender = async (id: number): Promise<void> => {
      for (let i = 0; i < iterations; i++) {
        const tag = `${id}:${i}`;
        const which = await select([
          onSend(a, `${tag}:a`, () => "a"),
          onSend(b, `${tag}:b`, () => "b"),
          onTimeout(i % 2 === 0 ? 0 : 1, () => "none"),
        ]);
        if (which !== "none") reported.add(`${tag}:${which}`);
        else await Promise.resolve();
      }
    };
    await Promise.all([sender(1), sender(2)]);
    await tick();
    a.close();
    b.close();
    await Promise.all(receivers);
    expect(new Set(received).size).toBe(received.length);
    expect(new Set(received)).toEqual(reported);
    expect(reported.size).toBeGreaterThan(0);
  });
});
