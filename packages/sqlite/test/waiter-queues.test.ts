/**
 * The writer lane's and the reader pool's queues, against stand-in
 * connections (no worker thread):
 * a grant must not go to a waiter whose signal has already fired but whose
 * abort listener has not run yet (listeners of one abort run in registration
 * order, so code released by an earlier listener can grant first).
 */
import { CancelledError } from "@zsync/runtime";
import { describe, expect, it } from "vitest";
import type { Connection } from "../src/connection.js";
import { ReaderPool } from "../src/reader-pool.js";
import { WriterLane } from "../src/writer-lane.js";

function standInConnection(): Connection {
  const connection = { alive: true, load: 0, ready: Promise.resolve(), onDrained: null, send: () => {} };
  return connection as unknown as Connection;
}

describe("WriterLane", () => {
  it("does not grant the writer to a waiter whose signal fired before its listener ran", async () => {
    const lane = new WriterLane(standInConnection, 30_000, () => {});
    await lane.start();
    const holder = await lane.acquire();
    const controller = new AbortController();
    // Registered before the lane's own listener: releases the lease from inside the abort.
    controller.signal.addEventListener("abort", () => lane.release(holder));
    const waiting = lane.acquire(controller.signal);
    controller.abort("stop");
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    expect(lane.leased).toBe(false);
    const next = await lane.acquire();
    expect(lane.leased).toBe(true);
    lane.release(next);
  });

  it("grants a lease only once the writes sent before it are answered", async () => {
    const connection = standInConnection() as unknown as { load: number; onDrained: (() => void) | null };
    const lane = new WriterLane(
      () => connection as unknown as Connection,
      30_000,
      () => {},
    );
    await lane.start();
    connection.load = 3; // plain writes still in flight on the writer
    let granted = false;
    const lease = lane.acquire().then((l) => {
      granted = true;
      return l;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(granted).toBe(false);
    connection.load = 0;
    connection.onDrained?.();
    lane.release(await lease);
    expect(granted).toBe(true);
  });
});

describe("ReaderPool", () => {
  it("does not hand a reader to a pin waiter whose signal fired before its listener ran", async () => {
    const pool = new ReaderPool(
      1,
      1,
      () => ({ ...standInConnection(), pinned: false }) as unknown as Connection,
      () => {},
    );
    await pool.start();
    const holder = await pool.pin();
    const controller = new AbortController();
    controller.signal.addEventListener("abort", () => pool.unpin(holder));
    const waiting = pool.pin(controller.signal);
    controller.abort("stop");
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    expect(holder.pinned).toBe(false);
  });
});
