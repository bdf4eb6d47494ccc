/**
 * The primitives inside real tasks: cancelling a task, or a `timeout` around
 * a wait, reaches the queued wait through the ambient task context.
 */
import { describe, expect, it } from "vitest";
import { CancelledError, TimeoutError } from "../src/errors.js";
import { Mutex, RwLock, Semaphore } from "../src/sync/index.js";
import { spawn } from "../src/task.js";
import { timeout } from "../src/time/timeout.js";
import { settle } from "./observe.js";

describe("synchronisation primitives inside tasks", () => {
  it("cancelling a task rejects its queued lock() and dequeues it", async () => {
    const mutex = new Mutex();
    const holder = await mutex.lock();
    let entered = false;
    const task = spawn(async () => {
      using _guard = await mutex.lock();
      entered = true;
    });
    await settle();
    expect(mutex.waiting).toBe(1);
    task.cancel("shutting down");
    await expect(task).rejects.toBeInstanceOf(CancelledError);
    await settle();
    expect(mutex.waiting).toBe(0);
    holder.release();
    expect(mutex.isLocked).toBe(false);
    expect(entered).toBe(false);
  });

  it("timeout() around an acquire rejects with TimeoutError and leaves no waiter or permit behind", async () => {
    const sem = new Semaphore(1);
    const held = await sem.acquire();
    await expect(timeout(() => sem.acquire(), 5)).rejects.toBeInstanceOf(TimeoutError);
    await settle();
    expect(sem.waiting).toBe(0);
    held.release();
    expect(sem.available).toBe(1);
  });

  it("timeout() around a write that gets the lock in time resolves with the guard", async () => {
    const lock = new RwLock(1);
    const guard = await timeout(() => lock.write(), 1000);
    guard.value = 2;
    guard.release();
    expect(lock.tryRead()?.value).toBe(2);
  });
});
