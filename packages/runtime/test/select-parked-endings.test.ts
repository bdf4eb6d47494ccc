// How a parked select ends when one branch's channel closes, its future
// settles oddly, or a timeout branch loses: the select settles once with the
// right value or error, and the branches that did not end it are released,
// so a message sent afterwards is not swallowed by a stale branch and a
// losing timer does not stay armed. Prompted by the mutation run on
// src/select.ts (issue 14).
import { afterEach, describe, expect, it, vi } from "vitest";
import { bounded } from "../src/channel/channel.js";
import { ChannelClosedError } from "../src/errors.js";
import { Future } from "../src/future.js";
import { onFuture, onRecv, onSend, onTimeout, select } from "../src/select.js";

afterEach(() => {
  vi.useRealTimers();
});

/** Lets promise reactions run (no timer). */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe("a parked select ended by one branch releases the others", () => {
  it("a receive branch whose channel closes (with onClosed) ends it; the other channel's next message is not taken", async () => {
    const closing = bounded<number>(1);
    const other = bounded<number>(1);
    const selecting = select([
      onRecv(
        closing,
        () => "value",
        () => "closed",
      ),
      onRecv(other, (v) => `other ${v}`),
    ]);
    await flush();
    closing.close();
    expect(await selecting).toBe("closed");
    expect(other.trySend(5)).toBe(true);
    expect(other.tryRecv()).toEqual({ ok: true, value: 5 });
  });

  it("a receive branch without onClosed rejects with the channel's own error", async () => {
    const closing = bounded<number>(0);
    const other = bounded<number>(0);
    const selecting = select([onRecv(closing), onRecv(other)]);
    await flush();
    closing.close();
    await expect(selecting).rejects.toEqual(new ChannelClosedError("channel closed while a recv was waiting"));
    const sending = other.send(9);
    await flush();
    expect(await other.recv()).toBe(9);
    await sending;
  });

  it("a receive branch on a channel already closed and drained rejects with select's own message", async () => {
    const closed = bounded<number>(1);
    closed.close();
    await expect(select([onRecv(closed)])).rejects.toEqual(
      new ChannelClosedError("select: receive branch on a closed and drained channel"),
    );
  });

  it("a send branch whose channel closes ends it with the channel's error; the other branch is released", async () => {
    const closing = bounded<number>(0);
    const other = bounded<number>(0);
    const selecting = select([onSend(closing, 1), onRecv(other)]);
    await flush();
    closing.close();
    await expect(selecting).rejects.toEqual(new ChannelClosedError("channel closed while a send was waiting"));
    expect(other.trySend(3)).toBe(false); // no receiver left parked
  });

  it("a future branch that settles ends it; the channel branch no longer takes messages", async () => {
    const { future, resolve } = Future.withResolvers<string>();
    const other = bounded<number>(1);
    const selecting = select([onFuture(future), onRecv(other, (v) => `other ${v}`)]);
    await flush();
    resolve("future");
    expect(await selecting).toBe("future");
    expect(other.trySend(4)).toBe(true);
    expect(other.tryRecv()).toEqual({ ok: true, value: 4 });
  });

  it("a timeout branch that lost leaves no timer armed", async () => {
    vi.useFakeTimers();
    const channel = bounded<number>(1);
    const selecting = select([onRecv(channel), onTimeout(60_000, () => "late")]);
    await flush();
    expect(vi.getTimerCount()).toBe(1);
    await channel.send(1);
    expect(await selecting).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("branches without handlers and odd thenables", () => {
  it("a send branch without onSent and a timeout branch without onElapsed resolve with undefined", async () => {
    const channel = bounded<number>(1);
    expect(await select([onSend(channel, 1)])).toBeUndefined();
    expect(await select([onTimeout(1)])).toBeUndefined();
  });

  it("a promise that rejects makes the select reject with its reason, parked or not", async () => {
    const rejected = Promise.reject(new Error("failed"));
    rejected.catch(() => {});
    await expect(select([onFuture(rejected)])).rejects.toEqual(new Error("failed"));
    await expect(select([onFuture(rejected)])).rejects.toEqual(new Error("failed"));
  });

  it("a thenable whose then throws makes the select reject with that error", async () => {
    const broken = {
      // biome-ignore lint/suspicious/noThenProperty: a misbehaving thenable is the point.
      then(): never {
        throw new Error("then broke");
      },
    };
    await expect(select([onFuture(broken as unknown as PromiseLike<number>)])).rejects.toEqual(new Error("then broke"));
  });

  it("a thenable that calls both callbacks keeps its first outcome", async () => {
    const both = {
      // biome-ignore lint/suspicious/noThenProperty: a misbehaving thenable is the point.
      then(onFulfilled: (value: number) => void, onRejected: (reason: unknown) => void): void {
        onFulfilled(1);
        onRejected(new Error("second"));
      },
    };
    const thenable = both as unknown as PromiseLike<number>;
    expect(await select([onFuture(thenable)])).toBe(1);
    expect(await select([onFuture(thenable)])).toBe(1);
  });

  it("a cancelOnLose future that loses is cancelled with 'lost a select'", async () => {
    const { future } = Future.withResolvers<number>();
    expect(await select([onFuture(future, { cancelOnLose: true }), onTimeout(0, () => "default")])).toBe("default");
    await flush();
    const outcome = future.poll();
    expect(outcome.status).toBe("rejected");
    expect((outcome as { reason: Error }).reason.message).toBe("lost a select");
  });
});
