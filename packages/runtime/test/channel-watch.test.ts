import { describe, expect, it } from "vitest";
import { watch } from "../src/channel/watch.js";
import { CancelledError, ChannelClosedError } from "../src/errors.js";
import { CancelToken } from "../src/internal/cancel.js";
import { runInScope } from "../src/internal/context.js";

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe("watch", () => {
  it("holds the latest value", () => {
    const w = watch("a");
    expect(w.get()).toBe("a");
    w.send("b");
    w.send("c");
    expect(w.get()).toBe("c");
    expect(w.version).toBe(2);
  });

  it("a new receiver has seen the current value; changed() waits for a newer one", async () => {
    const w = watch(1);
    const rx = w.subscribe();
    expect(rx.hasChanged).toBe(false);
    expect(rx.borrow()).toBe(1);
    const changed = rx.changed();
    await tick();
    w.send(2);
    expect(await changed).toBe(2);
    expect(rx.hasChanged).toBe(false);
  });

  it("changed() resolves at once with the latest value if an unseen one exists, skipping intermediates", async () => {
    const w = watch(0);
    const rx = w.subscribe();
    w.send(1);
    w.send(2);
    expect(rx.hasChanged).toBe(true);
    expect(rx.borrow()).toBe(2); // does not mark seen
    expect(rx.hasChanged).toBe(true);
    expect(await rx.changed()).toBe(2);
    expect(rx.hasChanged).toBe(false);
  });

  it("borrowAndUpdate marks the value seen", () => {
    const w = watch("x");
    const rx = w.subscribe();
    w.send("y");
    expect(rx.borrowAndUpdate()).toBe("y");
    expect(rx.hasChanged).toBe(false);
  });

  it("every parked changed() across receivers is woken by one send", async () => {
    const w = watch(0);
    const rxs = [w.subscribe(), w.subscribe(), w.subscribe()];
    const waits = rxs.map((rx) => rx.changed());
    w.send(5);
    expect(await Promise.all(waits)).toEqual([5, 5, 5]);
  });

  it("sending an equal value still counts as a change", async () => {
    const w = watch(1);
    const rx = w.subscribe();
    w.send(1);
    expect(rx.hasChanged).toBe(true);
    expect(await rx.changed()).toBe(1);
  });

  it("update() derives the next value", () => {
    const w = watch(10);
    w.update((n) => n + 1);
    expect(w.get()).toBe(11);
    expect(() => w.update("x" as unknown as (n: number) => number)).toThrow(TypeError);
  });

  it("close: send throws, parked changed() rejects, the last value stays readable, an unseen value is still delivered", async () => {
    const w = watch("v1");
    const parked = w.subscribe();
    const unseen = w.subscribe();
    const waiting = parked.changed();
    await tick();
    w.send("v2");
    await waiting;
    const waiting2 = parked.changed();
    const late = w.subscribe();
    w.send("v3");
    await waiting2;
    const waiting3 = parked.changed();
    w.close();
    await expect(waiting3).rejects.toBeInstanceOf(ChannelClosedError);
    expect(() => w.send("v4")).toThrow(ChannelClosedError);
    expect(w.get()).toBe("v3");
    expect(await unseen.changed()).toBe("v3");
    await expect(unseen.changed()).rejects.toBeInstanceOf(ChannelClosedError);
    expect(await late.changed()).toBe("v3");
  });

  it("changed() is cancellable by signal and by task token, without marking anything seen", async () => {
    const w = watch(0);
    const rx = w.subscribe();
    const controller = new AbortController();
    const a = rx.changed({ signal: controller.signal });
    controller.abort();
    await expect(a).rejects.toBeInstanceOf(CancelledError);
    const token = new CancelToken();
    const b = runInScope({ id: 2, name: "t", token }, () => rx.changed());
    token.cancel();
    await expect(b).rejects.toBeInstanceOf(CancelledError);
    w.send(1);
    expect(rx.hasChanged).toBe(true);
  });

  it("iteration yields the current value, then changes, until closed", async () => {
    const w = watch("start");
    const rx = w.subscribe();
    const seen: string[] = [];
    const loop = (async () => {
      for await (const v of rx) seen.push(v);
    })();
    await tick();
    w.send("a");
    await tick();
    w.send("b");
    await tick();
    w.close();
    await loop;
    expect(seen).toEqual(["start", "a", "b"]);
  });
});
