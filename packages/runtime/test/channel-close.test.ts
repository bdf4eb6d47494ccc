import { describe, expect, it } from "vitest";
import { bounded, unbounded } from "../src/channel/channel.js";
import { ChannelClosedError } from "../src/errors.js";

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe("closing a channel", () => {
  it("is idempotent and reported by isClosed", () => {
    const ch = bounded<number>(1);
    expect(ch.isClosed).toBe(false);
    expect(ch.close()).toBe(true);
    expect(ch.close()).toBe(false);
    expect(ch.isClosed).toBe(true);
  });

  it("still delivers messages buffered before close, then rejects recv with ChannelClosedError", async () => {
    const ch = bounded<number>(4);
    await ch.send(1);
    await ch.send(2);
    ch.close();
    expect(await ch.recv()).toBe(1);
    expect(ch.tryRecv()).toEqual({ ok: true, value: 2 });
    expect(ch.tryRecv()).toEqual({ ok: false, closed: true });
    const error = await ch.recv().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChannelClosedError);
    expect((error as ChannelClosedError).code).toBe("ZSYNC_CHANNEL_CLOSED");
  });

  it("rejects send and throws from trySend after close, enqueueing nothing", async () => {
    const ch = unbounded<number>();
    ch.close();
    await expect(ch.send(1)).rejects.toBeInstanceOf(ChannelClosedError);
    expect(() => ch.trySend(2)).toThrow(ChannelClosedError);
    expect(ch.length).toBe(0);
  });

  it("wakes every pending receiver with ChannelClosedError", async () => {
    const ch = bounded<number>(2);
    const waiting = [ch.recv(), ch.recv(), ch.recv()];
    await tick();
    ch.close();
    const results = await Promise.allSettled(waiting);
    for (const r of results) {
      expect(r.status).toBe("rejected");
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ChannelClosedError);
    }
  });

  it("wakes every pending sender with ChannelClosedError and does not enqueue their values", async () => {
    const ch = bounded<number>(1);
    await ch.send(0);
    const blocked = [ch.send(1), ch.send(2)];
    await tick();
    ch.close();
    const results = await Promise.allSettled(blocked);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    for (const r of results) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ChannelClosedError);
    expect(await ch.recv()).toBe(0); // only the value accepted before close
    await expect(ch.recv()).rejects.toBeInstanceOf(ChannelClosedError);
  });

  it("rejects a rendezvous sender that was still waiting for a receiver", async () => {
    const ch = bounded<string>(0);
    const sent = ch.send("lost?");
    await tick();
    ch.close();
    await expect(sent).rejects.toBeInstanceOf(ChannelClosedError);
    expect(ch.tryRecv()).toEqual({ ok: false, closed: true });
  });

  it("ends for-await loops of every consumer", async () => {
    const ch = bounded<number>(8);
    const consume = async (): Promise<number[]> => {
      const got: number[] = [];
      for await (const v of ch) got.push(v);
      return got;
    };
    const consumers = [consume(), consume()];
    for (let i = 0; i < 20; i++) await ch.send(i);
    ch.close();
    const [a, b] = await Promise.all(consumers);
    expect([...(a ?? []), ...(b ?? [])].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});
