/**
 * The writer lane's and the reader pool's queues, against stand-in
 * connections (no worker thread):
 * a grant must not go to a waiter whose signal has already fired but whose
 * abort listener has not run yet (listeners of one abort run in registration
 * order, so code released by an earlier listener can grant first).
 */
import { CancelledError, TimeoutError } from "@zsync/runtime";
import { describe, expect, it, vi } from "vitest";
import type { Connection } from "../src/connection.js";
import { ReaderPool } from "../src/reader-pool.js";
import type { Request } from "../src/request.js";
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
  it("a lease waiter behind others times out at its own deadline, and its place passes on", async () => {
    vi.useFakeTimers();
    try {
      const lane = new WriterLane(standInConnection, 100, () => {});
      await lane.start();
      const holder = await lane.acquire();
      const first = lane.acquire(); // would time out too, but is served first
      const second = lane.acquire().then(
        () => "granted",
        (error: unknown) => error,
      );
      vi.advanceTimersByTime(50);
      const third = lane.acquire(); // deadline at 150
      vi.advanceTimersByTime(60); // 110: first and second time out while the lease is still held
      await expect(first).rejects.toBeInstanceOf(TimeoutError);
      expect(await second).toBeInstanceOf(TimeoutError);
      lane.release(holder);
      const granted = await third; // the timed-out places are skipped
      expect(lane.leased).toBe(true);
      lane.release(granted);
      expect(lane.leased).toBe(false);
      expect(lane.queued).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a lease waiter that times out at the head lets the plain writes behind it go at once", async () => {
    vi.useFakeTimers();
    try {
      const sent: unknown[] = [];
      const connection = { ...standInConnection(), load: 3, send: (request: unknown) => sent.push(request) } as unknown as Connection;
      const lane = new WriterLane(
        () => connection,
        100,
        () => {},
      );
      await lane.start();
      const waiting = lane.acquire(); // waits for the 3 writes in flight to be answered
      const write = { done: false, reject: () => {} } as unknown as Request;
      lane.submit(write); // queued behind the lease waiter
      expect(sent).toEqual([]);
      vi.advanceTimersByTime(110);
      await expect(waiting).rejects.toBeInstanceOf(TimeoutError);
      expect(sent).toEqual([write]); // without waiting for the writes in flight
    } finally {
      vi.useRealTimers();
    }
  });

  it("a withdrawn lease waiter rejects at once and the plain write queued behind it is sent", async () => {
    const sent: unknown[] = [];
    const connection = { ...standInConnection(), send: (request: unknown) => sent.push(request) } as unknown as Connection;
    const lane = new WriterLane(
      () => connection,
      0,
      () => {},
    );
    await lane.start();
    const holder = await lane.acquire();
    const write = { done: false, reject: () => {} } as unknown as Request;
    const cancellable = { done: false } as unknown as Request;
    const waiting = lane.acquire(undefined, cancellable);
    lane.submit(write);
    expect(lane.remove(cancellable)).toBe(true);
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    lane.release(holder);
    expect(sent).toEqual([write]);
    expect(lane.queued).toBe(0);
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
