// A request settles once: the first resolve or reject wins, later ones are
// ignored, its disposer runs once, and its owner (the database's count of
// outstanding calls) hears about it once, and only if it counted it.
// Prompted by the mutation run on src/request.ts (issue 14).
import { describe, expect, it } from "vitest";
import { DECODE_RUN, DONE, QUEUED, Request } from "../src/request.js";
import { OP_RUN } from "../src/worker/protocol.js";

function counted() {
  const settled: Request[] = [];
  const owner = { settled: (request: Request) => settled.push(request) };
  return { settled, make: () => new Request(OP_RUN, "SELECT 1", undefined, 0, DECODE_RUN, owner) };
}

describe("Request", () => {
  it("starts queued, uncounted, with no disposer", () => {
    const request = counted().make();
    expect([request.state, request.done, request.counted, request.dispose]).toEqual([QUEUED, false, false, undefined]);
  });

  it("an uncounted request settles without telling its owner", async () => {
    const { settled, make } = counted();
    const request = make();
    request.resolve(1);
    await expect(request.promise).resolves.toBe(1);
    const failed = make();
    failed.reject(new Error("no"));
    await expect(failed.promise).rejects.toThrow("no");
    expect(settled).toEqual([]);
  });

  it("the first resolve wins; later resolves and rejects change nothing", async () => {
    const { settled, make } = counted();
    const request = make();
    request.counted = true;
    let disposed = 0;
    request.dispose = () => {
      disposed++;
    };
    request.resolve("first");
    request.resolve("second");
    request.reject(new Error("late"));
    await expect(request.promise).resolves.toBe("first");
    expect([request.state, request.done]).toEqual([DONE, true]);
    expect(settled).toEqual([request]);
    expect(disposed).toBe(1);
  });

  it("the first reject wins; later rejects and resolves change nothing", async () => {
    const { settled, make } = counted();
    const request = make();
    request.counted = true;
    let disposed = 0;
    request.dispose = () => {
      disposed++;
    };
    request.reject(new Error("first"));
    request.reject(new Error("second"));
    request.resolve("late");
    await expect(request.promise).rejects.toThrow("first");
    expect(settled).toEqual([request]);
    expect(disposed).toBe(1);
  });
});
