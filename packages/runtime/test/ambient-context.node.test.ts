// Node-only: the ambient task follows \`await\` where AsyncLocalStorage exists.
import { describe, expect, it } from "vitest";
import { CancelledError, capabilities, Mutex, sleep, spawn, yieldNow } from "../src/index.js";
import { settle } from "./observe.js";

describe("ambient task context on Node", () => {
  it("is tracked across await", () => {
    expect(capabilities().asyncContext).toBe(true);
  });

  it("with AsyncLocalStorage, waits started after an await are cancelled with the task too", async () => {
    let observed: unknown;
    const handle = spawn(async () => {
      await yieldNow();
      await sleep(1);
      const inner = spawn(() => sleep(60_000));
      try {
        await sleep(60_000);
      } catch (error) {
        observed = error;
      }
      return inner;
    });
    await sleep(20);
    handle.cancel();
    await handle.finished;
    expect(observed).toBeInstanceOf(CancelledError);
  });

  it("where the context follows awaits, a lock() after an await is cancelled with its task", async () => {
    const mutex = new Mutex();
    const holder = await mutex.lock();
    const task = spawn(async () => {
      await settle();
      using _guard = await mutex.lock();
    });
    await settle();
    await settle();
    expect(mutex.waiting).toBe(1);
    task.cancel();
    await expect(task).rejects.toBeInstanceOf(CancelledError);
    expect(mutex.waiting).toBe(0);
    holder.release();
  });
});
