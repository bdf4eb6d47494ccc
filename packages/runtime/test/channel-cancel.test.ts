import { describe, expect, it } from "vitest";
import { bounded } from "../src/channel/channel.js";
import { CancelledError } from "../src/errors.js";
import { CancelToken } from "../src/internal/cancel.js";
import { runInScope } from "../src/internal/context.js";

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe("cancelling channel waits with an AbortSignal", () => {
  it("a cancelled recv rejects with CancelledError carrying the reason and consumes nothing", async () => {
    const ch = bounded<number>(1);
    const controller = new AbortController();
    const r = ch.recv({ signal: controller.signal });
    await tick();
    controller.abort("enough");
    const error = await r.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).reason).toBe("enough");
    ch.trySend(1);
    expect(ch.length).toBe(1); // not handed to the cancelled receiver
    expect(await ch.recv()).toBe(1);
  });

  it("a cancelled send rejects and its value is never enqueued", async () => {
    const ch = bounded<number>(1);
    await ch.send(1);
    const controller = new AbortController();
    const s = ch.send(2, { signal: controller.signal });
    const later = ch.send(3);
    await tick();
    controller.abort();
    await expect(s).rejects.toBeInstanceOf(CancelledError);
    expect(await ch.recv()).toBe(1);
    await later;
    expect(await ch.recv()).toBe(3);
    expect(ch.length).toBe(0);
  });

  it("an already-aborted signal rejects without touching the channel, even when a value is ready", async () => {
    const ch = bounded<number>(2);
    ch.trySend(1);
    const signal = AbortSignal.abort("no");
    await expect(ch.recv({ signal })).rejects.toBeInstanceOf(CancelledError);
    await expect(ch.send(2, { signal })).rejects.toBeInstanceOf(CancelledError);
    expect(ch.length).toBe(1);
    expect(ch.tryRecv()).toEqual({ ok: true, value: 1 });
  });

  it("a value sent by an earlier abort listener skips the receiver being aborted", async () => {
    const ch = bounded<number>(1);
    const controller = new AbortController();
    // Registered first, so it runs before the recv's own abort listener.
    controller.signal.addEventListener("abort", () => ch.trySend(42));
    const r = ch.recv({ signal: controller.signal });
    controller.abort();
    await expect(r).rejects.toBeInstanceOf(CancelledError);
    expect(ch.tryRecv()).toEqual({ ok: true, value: 42 });
  });

  it("a cancelled waiter in the middle of the queue does not disturb the others' order", async () => {
    const ch = bounded<number>(1);
    const controller = new AbortController();
    const a = ch.recv();
    const b = ch.recv({ signal: controller.signal });
    const c = ch.recv();
    controller.abort();
    await expect(b).rejects.toBeInstanceOf(CancelledError);
    ch.trySend(1);
    ch.trySend(2);
    expect([await a, await c]).toEqual([1, 2]);
  });
});

describe("cancelling channel waits through the ambient task token", () => {
  const scope = (token: CancelToken) => ({ id: 1, name: "test-task", token });

  it("a recv inside a task rejects when the task's token is cancelled", async () => {
    const ch = bounded<number>(1);
    const token = new CancelToken();
    const r = runInScope(scope(token), () => ch.recv());
    await tick();
    token.cancel("task cancelled");
    const error = await r.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).reason).toBe("task cancelled");
    ch.trySend(1);
    expect(ch.length).toBe(1);
  });

  it("a blocked send inside a task rejects when the token is cancelled and enqueues nothing", async () => {
    const ch = bounded<number>(1);
    ch.trySend(0);
    const token = new CancelToken();
    const s = runInScope(scope(token), () => ch.send(1));
    token.cancel();
    await expect(s).rejects.toBeInstanceOf(CancelledError);
    expect(ch.tryRecv()).toEqual({ ok: true, value: 0 });
    expect(ch.tryRecv()).toEqual({ ok: false, closed: false });
  });

  it("a task that is already cancelled cannot start a wait", async () => {
    const ch = bounded<number>(1);
    ch.trySend(5);
    const token = new CancelToken();
    token.cancel();
    await expect(runInScope(scope(token), () => ch.recv())).rejects.toBeInstanceOf(CancelledError);
    expect(ch.length).toBe(1);
  });

  it("either the signal or the token cancels, whichever comes first", async () => {
    const ch = bounded<number>(1);
    const token = new CancelToken();
    const controller = new AbortController();
    const r = runInScope(scope(token), () => ch.recv({ signal: controller.signal }));
    controller.abort("signal first");
    token.cancel("token second");
    expect(((await r.catch((e: unknown) => e)) as CancelledError).reason).toBe("signal first");
  });
});
