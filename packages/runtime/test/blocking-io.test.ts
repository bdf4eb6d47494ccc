import { describe, expect, test } from "vitest";
import { BlockingIo } from "../src/io/blocking.js";
import { workerTask } from "../src/io/io.js";

describe("BlockingIo", () => {
  test("runs the function at once on the calling thread; the future is already settled", () => {
    const io = new BlockingIo();
    expect(io.kind).toBe("blocking");
    const calls: string[] = [];
    const f = io.async(
      (a: number, b: number) => {
        calls.push("ran");
        return a + b;
      },
      2,
      3,
    );
    expect(calls).toEqual(["ran"]);
    expect(f.poll()).toEqual({ status: "fulfilled", value: 5 });
  });

  test("a throwing function gives an already-rejected future", () => {
    const io = new BlockingIo();
    const boom = new RangeError("boom");
    const f = io.async(() => {
      throw boom;
    });
    expect(f.poll()).toEqual({ status: "rejected", reason: boom });
    f.catch(() => {});
  });

  test("a WorkerTask runs through its local function; without one it is a TypeError", () => {
    const io = new BlockingIo();
    const local = workerTask(new URL("./node/fixtures/tasks.mjs", import.meta.url), "add", (a: number, b: number) => a * b);
    expect(io.async(local, 4, 5).poll()).toEqual({ status: "fulfilled", value: 20 });
    const remote = workerTask<[number, number], number>(new URL("./node/fixtures/tasks.mjs", import.meta.url), "add");
    expect(() => io.async(remote, 1, 2)).toThrow(TypeError);
    expect(() => io.async(remote, 1, 2)).toThrow(/local function/);
  });

  test("a promise-returning function has run to its first await; the future follows the promise", async () => {
    const io = new BlockingIo();
    let started = false;
    const f = io.async(async (x: number) => {
      started = true;
      await null;
      return x * 2;
    }, 21);
    expect(started).toBe(true);
    expect(await f).toBe(42);
  });

  test("a withTransfer marker is unwrapped: there is nothing to transfer on one thread", () => {
    const io = new BlockingIo();
    const bytes = new Uint8Array(4);
    const f = io.async(() => ({ [Symbol.for("zsync.transfer")]: true, value: bytes, transfer: [bytes.buffer] }) as unknown as Uint8Array);
    expect(f.poll()).toEqual({ status: "fulfilled", value: bytes });
  });
});
