// Node-only: the ambient task follows \`await\` where AsyncLocalStorage exists.
import { describe, expect, it } from "vitest";
import { CancelledError, Config, capabilities, currentTask, Mutex, Runtime, run, sleep, spawn, yieldNow } from "../src/index.js";
import { settle } from "./observe.js";

describe("ambient task context on Node", () => {
  it("is tracked across await", () => {
    expect(capabilities().asyncContext).toBe(true);
  });

  it("with AsyncLocalStorage, waits started after an await are cancelled with the task too", async () => {
    let observed: unknown;
    let reached!: () => void;
    const waiting = new Promise<void>((resolve) => (reached = resolve));
    const handle = spawn(async () => {
      await yieldNow();
      await sleep(1);
      const inner = spawn(() => sleep(60_000));
      const wait = sleep(60_000);
      reached();
      try {
        await wait;
      } catch (error) {
        observed = error;
      }
      return [inner];
    });
    // Cancel once the wait exists (a fixed pause could come first on a loaded machine).
    await waiting;
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

/** Spawns a task on `runtime` and reports which task it sees as current after an await. */
async function idAfterAwait(runtime: Runtime): Promise<{ id: number; seen: number | undefined }> {
  const handle = runtime.spawn(async () => {
    await new Promise((resolve) => setTimeout(resolve, 0));
    return currentTask()?.id;
  });
  return { id: handle.id, seen: await handle };
}

describe("ambient context is a per-runtime setting", () => {
  it("constructing an embedded runtime does not switch it off for a live runtime that wants it", async () => {
    const server = new Runtime(Config.forServer());
    const embedded = new Runtime(Config.forEmbedded());
    try {
      const { id, seen } = await idAfterAwait(server);
      expect(seen).toBe(id);
      expect(capabilities().asyncContext).toBe(true);
    } finally {
      await embedded.shutdown();
      await server.shutdown();
    }
  });

  it("cancellation still reaches a wait made after an await while another runtime has it off", async () => {
    const server = new Runtime(Config.forServer());
    const embedded = new Runtime(Config.forEmbedded());
    try {
      let reached!: () => void;
      const waiting = new Promise<void>((resolve) => (reached = resolve));
      let observed: unknown;
      const handle = server.spawn(async () => {
        await new Promise((resolve) => setTimeout(resolve, 0));
        const wait = sleep(60_000);
        reached();
        try {
          await wait;
        } catch (error) {
          observed = error;
        }
      });
      await waiting;
      handle.cancel("stop");
      await handle.finished;
      expect(observed).toBeInstanceOf(CancelledError);
    } finally {
      await embedded.shutdown();
      await server.shutdown();
    }
  });

  it("a runtime that ends restores the setting: after run(main, Config.forEmbedded()) it follows awaits again", async () => {
    const inside = await run(() => capabilities().asyncContext, Config.forEmbedded());
    expect(inside).toBe(false);
    expect(capabilities().asyncContext).toBe(true);
    const task = spawn(async () => {
      await new Promise((resolve) => setTimeout(resolve, 0));
      return currentTask()?.id;
    });
    expect(await task).toBe(task.id);
  });
});
