// How select chooses among branches that are ready at once. Unbiased, it draws
// one random number per call and maps it uniformly onto the ready branches
// (checked exactly, with Math.random replaced by an even sweep of [0, 1), so
// the distribution check cannot flake); biased, it takes the first ready one;
// a default branch (onTimeout(0)) wins only when nothing else is ready, at
// once and without a timer. Prompted by the mutation run on src/select.ts
// (issue 14).
import { afterEach, describe, expect, it, vi } from "vitest";
import { bounded } from "../src/channel/channel.js";
import { Future } from "../src/future.js";
import { onFuture, onRecv, onTimeout, type SelectOptions, select } from "../src/select.js";

afterEach(() => {
  vi.restoreAllMocks();
});

/** Channels holding one message each, named by index, and one branch per channel. */
function readyChannels(count: number) {
  const channels = Array.from({ length: count }, () => bounded<number>(1));
  const branches = channels.map((channel, i) => onRecv(channel, () => i));
  const refill = async (i: number) => channels[i]?.send(i);
  return { channels, branches, refill };
}

/**
 * Runs `rounds` selects over `count` ready channels (refilling the winner)
 * with Math.random returning (k + 0.5) / rounds in round k; returns the
 * winners in order and how many random numbers were drawn.
 */
async function sweep(count: number, rounds: number, options?: SelectOptions): Promise<{ winners: number[]; draws: number }> {
  const { branches, refill } = readyChannels(count);
  for (let i = 0; i < count; i++) await refill(i);
  let k = 0;
  const random = vi.spyOn(Math, "random").mockImplementation(() => (k + 0.5) / rounds);
  const winners: number[] = [];
  for (; k < rounds; k++) {
    const winner = await select(branches, options);
    winners.push(winner);
    await refill(winner);
  }
  const draws = random.mock.calls.length;
  random.mockRestore();
  return { winners, draws };
}

/** Resolves with the select's value if it settled within a few microtasks (no timer ran), else "pending". */
async function settledWithoutTimers<T>(promise: Promise<T>): Promise<T | "pending"> {
  let outcome: { value: T } | undefined;
  promise.then((value) => {
    outcome = { value };
  });
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return outcome === undefined ? "pending" : outcome.value;
}

describe("select among ready branches", () => {
  it("unbiased: one draw per call, spread evenly over the ready branches", async () => {
    const { winners, draws } = await sweep(3, 30);
    expect(draws).toBe(30);
    expect(winners).toEqual([...Array(10).fill(0), ...Array(10).fill(1), ...Array(10).fill(2)]);
  });

  it("biased: false in options is the same as unbiased", async () => {
    const { winners } = await sweep(3, 6, { biased: false });
    expect(winners).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it("biased: always the first ready branch, without drawing", async () => {
    const { winners, draws } = await sweep(3, 6, { biased: true });
    expect(winners).toEqual([0, 0, 0, 0, 0, 0]);
    expect(draws).toBe(0);
  });

  it("only ready branches count: a branch that is not ready is skipped in the mapping", async () => {
    const { branches, refill } = readyChannels(3);
    await refill(0);
    await refill(2);
    const random = vi.spyOn(Math, "random").mockReturnValue(0.75);
    expect(await select(branches)).toBe(2);
    random.mockReturnValue(0.25);
    await refill(2);
    expect(await select(branches)).toBe(0);
  });

  it("a single ready branch is taken without drawing", async () => {
    const { branches, refill } = readyChannels(3);
    await refill(1);
    const random = vi.spyOn(Math, "random");
    expect(await select(branches)).toBe(1);
    expect(random).not.toHaveBeenCalled();
  });
});

describe("default branches (onTimeout(0))", () => {
  it("win at once, without a timer, when nothing else is ready; the first of several", async () => {
    const empty = bounded<number>(1);
    const random = vi.spyOn(Math, "random");
    expect(await settledWithoutTimers(select([onRecv(empty), onTimeout(0, () => "first"), onTimeout(0, () => "second")]))).toBe("first");
    expect(await settledWithoutTimers(select([onTimeout(0, () => "only")]))).toBe("only");
    expect(await settledWithoutTimers(select([onTimeout(0, () => "at 0"), onTimeout(0, () => "at 1"), onRecv(empty)]))).toBe("at 0");
    expect(random).not.toHaveBeenCalled();
  });

  it("lose to any ready branch, wherever they stand", async () => {
    const { branches, refill } = readyChannels(2);
    await refill(1);
    expect(await settledWithoutTimers(select([onTimeout(0, () => "default"), ...branches]))).toBe(1);
    await refill(0);
    expect(await settledWithoutTimers(select([...branches, onTimeout(0, () => "default")]))).toBe(0);
  });
});

describe("cancelling a parked select", () => {
  it("cancels every cancelOnLose future, whatever its position (none of them won)", async () => {
    const futures = [0, 1, 2].map(() => Future.withResolvers<number>().future);
    const controller = new AbortController();
    const selecting = select(
      futures.map((f) => onFuture(f, { cancelOnLose: true })),
      { signal: controller.signal },
    );
    controller.abort("stop");
    await expect(selecting).rejects.toMatchObject({ name: "CancelledError", reason: "stop" });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(futures.map((f) => f.poll().status)).toEqual(["rejected", "rejected", "rejected"]);
  });
});
