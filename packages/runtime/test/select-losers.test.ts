/**
 * What a losing select branch leaves behind: nothing. A receive branch that
 * lost to a timeout must not hold a place in the channel's queue of
 * receivers (a later message goes to the next real receiver), and a send
 * branch that lost must not deliver its value later. Added for the mutants
 * that survived `pnpm mutate --mutate src/select.ts` (emptying the cleanup
 * that unparks losing branches changed no test's outcome).
 */
import { describe, expect, it } from "vitest";
import { bounded } from "../src/channel/channel.js";
import { CancelledError } from "../src/errors.js";
import { Future } from "../src/future.js";
import { onFuture, onRecv, onSend, onTimeout, select } from "../src/select.js";

describe("select: losing branches leave nothing behind", () => {
  it("receive branches that timed out do not take a message sent afterwards", async () => {
    const channel = bounded<number>(1);
    for (let round = 0; round < 3; round++) {
      expect(await select([onRecv(channel, (v) => `got ${v}`), onTimeout(1, () => "timed out")])).toBe("timed out");
    }
    await channel.send(7);
    expect(channel.length).toBe(1);
    expect(await select([onRecv(channel, (v) => `got ${v}`), onTimeout(5_000, () => "lost")])).toBe("got 7");
  });

  it("a send branch that timed out does not deliver its value once room frees up", async () => {
    const channel = bounded<number>(1);
    await channel.send(1);
    expect(await select([onSend(channel, 2, () => "sent"), onTimeout(1, () => "timed out")])).toBe("timed out");
    expect(await channel.recv()).toBe(1);
    expect(channel.length).toBe(0);
    await channel.send(3);
    expect(await channel.recv()).toBe(3);
  });

  it("a parked Future branch that loses is cancelled with cancelOnLose, and left running without it", async () => {
    const keep = Future.withResolvers<number>().future;
    const cancel = Future.withResolvers<number>().future;
    // Nothing is ready when select starts: every branch parks, then the timeout wins.
    expect(await select([onFuture(keep), onFuture(cancel, { cancelOnLose: true }), onTimeout(1, () => "timed out")])).toBe("timed out");
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(keep.settled).toBe(false);
    expect(cancel.poll()).toMatchObject({ status: "rejected" });
    expect((cancel.poll() as { reason: unknown }).reason).toBeInstanceOf(CancelledError);
  });
});
