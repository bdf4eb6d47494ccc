// A branch that looked ready when select checked it, but whose counterpart
// turns out to be cancelled when select commits (its abort is being
// dispatched: an earlier listener of the same abort runs the select), is not
// taken: select moves on to what is really ready, here the default branch,
// and nothing is sent or received. Prompted by the mutation run on
// src/select.ts (issue 14): the NOT_READY retry had no test.
import { describe, expect, it } from "vitest";
import { bounded } from "../src/channel/channel.js";
import { onRecv, onSend, onTimeout, select } from "../src/select.js";

describe("select when readiness vanishes at commit", () => {
  it("a send branch does not count a receiver whose abort is being dispatched", async () => {
    const channel = bounded<number>(0);
    const controller = new AbortController();
    let outcome: Promise<unknown> | undefined;
    // Registered before recv parks, so it runs before recv's own abort listener.
    controller.signal.addEventListener("abort", () => {
      outcome = select([onSend(channel, 1, () => "sent"), onTimeout(0, () => "default")]);
    });
    const receiving = channel.recv({ signal: controller.signal });
    controller.abort("gone");
    await expect(receiving).rejects.toMatchObject({ name: "CancelledError", reason: "gone" });
    expect(await outcome).toBe("default");
    expect(channel.trySend(2)).toBe(false); // no receiver left behind
  });

  it("a receive branch does not take from a sender whose abort is being dispatched", async () => {
    const channel = bounded<number>(0);
    const controller = new AbortController();
    let outcome: Promise<unknown> | undefined;
    controller.signal.addEventListener("abort", () => {
      outcome = select([
        onRecv(
          channel,
          (v) => `got ${v}`,
          () => "closed",
        ),
        onTimeout(0, () => "default"),
      ]);
    });
    const sending = channel.send(7, { signal: controller.signal });
    controller.abort("gone");
    await expect(sending).rejects.toMatchObject({ name: "CancelledError", reason: "gone" });
    expect(await outcome).toBe("default");
    expect(channel.tryRecv()).toEqual({ ok: false, closed: false });
  });
});
