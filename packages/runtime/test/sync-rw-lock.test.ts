import { describe, expect, it } from "vitest";
import { CancelledError } from "../src/errors.js";
import { CancelToken } from "../src/internal/cancel.js";
import { runInScope } from "../src/internal/context.js";
import { LockReleasedError, RwLock } from "../src/sync/index.js";
import { observe, settle } from "./observe.js";

describe("RwLock", () => {
  it("lets readers share the lock", async () => {
    const lock = new RwLock();
    const a = await lock.read();
    const b = await lock.read();
    const c = lock.tryRead();
    expect(c).toBeDefined();
    expect(lock.readers).toBe(3);
    a.release();
    b.release();
    c?.release();
    expect(lock.readers).toBe(0);
  });

  it("gives a writer exclusive access", async () => {
    const lock = new RwLock();
    const writer = await lock.write();
    expect(lock.isWriteLocked).toBe(true);
    expect(lock.tryRead()).toBeUndefined();
    expect(lock.tryWrite()).toBeUndefined();
    const reader = observe(lock.read());
    const writer2 = observe(lock.write());
    await settle();
    expect(reader.status).toBe("pending");
    expect(writer2.status).toBe("pending");
    writer.release();
    await settle();
    expect(reader.status).toBe("fulfilled");
    expect(writer2.status).toBe("pending");
    reader.value?.release();
    await settle();
    expect(writer2.status).toBe("fulfilled");
  });

  it("tryWrite fails while readers hold the lock", () => {
    const lock = new RwLock();
    const reader = lock.tryRead();
    expect(lock.tryWrite()).toBeUndefined();
    reader?.release();
    expect(lock.tryWrite()).toBeDefined();
  });

  it("never has a writer together with readers or another writer under concurrent load", async () => {
    const lock = new RwLock(0);
    let readers = 0;
    let writers = 0;
    let violations = 0;
    const check = (): void => {
      if (writers > 1 || (writers === 1 && readers > 0)) violations++;
    };
    await Promise.all(
      Array.from({ length: 120 }, async (_, id) => {
        if (id % 4 === 0) {
          using guard = await lock.write();
          writers++;
          check();
          const seen = guard.value;
          await Promise.resolve();
          guard.value = seen + 1;
          writers--;
        } else {
          using _guard = await lock.read();
          readers++;
          check();
          for (let i = 0; i < id % 3; i++) await Promise.resolve();
          check();
          readers--;
        }
      }),
    );
    expect(violations).toBe(0);
    expect(lock.tryRead()?.value).toBe(30);
  });

  it("does not starve a waiting writer under a continuous stream of overlapping readers", async () => {
    const lock = new RwLock();
    const events: string[] = [];
    const readers: Promise<void>[] = [];
    let writerWaiting = false;
    const startReader = (id: number): void => {
      const label = `${writerWaiting ? "late" : "early"} reader ${id}`;
      readers.push(
        lock.read().then(async (guard) => {
          events.push(label);
          // Each reader outlives the arrival of the next: the lock is never reader-free.
          for (let tick = 0; tick < 3; tick++) await settle();
          guard.release();
        }),
      );
    };
    for (let id = 0; id < 5; id++) {
      startReader(id);
      await settle();
    }
    expect(lock.readers).toBeGreaterThan(1);
    writerWaiting = true;
    const writer = lock.write().then((guard) => {
      events.push("writer");
      guard.release();
    });
    // Readers are still in, but a newcomer may not join them past the writer.
    expect(lock.readers).toBeGreaterThan(0);
    expect(lock.tryRead()).toBeUndefined();
    for (let id = 5; id < 15; id++) {
      startReader(id);
      await settle();
    }
    await Promise.all([writer, ...readers]);
    expect(events.slice(0, 5)).toEqual([0, 1, 2, 3, 4].map((id) => `early reader ${id}`));
    expect(events[5]).toBe("writer");
    expect(events.slice(6)).toEqual(Array.from({ length: 10 }, (_, i) => `late reader ${i + 5}`));
  });

  it("admits the run of readers at the head together, up to the next writer", async () => {
    const lock = new RwLock();
    const w1 = await lock.write();
    const r1 = observe(lock.read());
    const r2 = observe(lock.read());
    const w2 = observe(lock.write());
    const r3 = observe(lock.read());
    w1.release();
    await settle();
    expect([r1.status, r2.status, w2.status, r3.status]).toEqual(["fulfilled", "fulfilled", "pending", "pending"]);
    expect(lock.readers).toBe(2);
    r1.value?.release();
    await settle();
    expect(w2.status).toBe("pending");
    r2.value?.release();
    await settle();
    expect(w2.status).toBe("fulfilled");
    expect(r3.status).toBe("pending");
    w2.value?.release();
    await settle();
    expect(r3.status).toBe("fulfilled");
  });

  it("exposes the value to readers and lets writers replace it; released guards refuse access", async () => {
    const lock = new RwLock({ n: 1 });
    const writer = await lock.write();
    writer.value = { n: 2 };
    writer.release();
    expect(() => writer.value).toThrow(LockReleasedError);
    const reader = await lock.read();
    expect(reader.value).toEqual({ n: 2 });
    // @ts-expect-error a read guard has no setter
    expect(() => (reader.value = { n: 3 })).toThrow(TypeError);
    reader.release();
    reader.release();
    expect(() => reader.value).toThrow(LockReleasedError);
    expect(lock.readers).toBe(0);
  });

  it("a guard releases once: released reports it, a second release or disposal leaves the next holder's lock alone", async () => {
    const lock = new RwLock(0);
    const writer = await lock.write();
    expect(writer.released).toBe(false);
    expect(writer.value).toBe(0);
    writer.release();
    expect(writer.released).toBe(true);
    expect(() => {
      writer.value = 1;
    }).toThrow(LockReleasedError);
    const next = await lock.write();
    writer.release();
    writer[Symbol.dispose]();
    expect(lock.isWriteLocked).toBe(true);
    next.value = 2;
    {
      using _ = next;
    }
    expect(next.released).toBe(true);
    expect(lock.isWriteLocked).toBe(false);
    const first = await lock.read();
    const second = await lock.read();
    first.release();
    first[Symbol.dispose]();
    expect(lock.readers).toBe(1);
    expect(second.value).toBe(2);
    expect(second.released).toBe(false);
    second[Symbol.dispose]();
    expect(second.released).toBe(true);
    expect(lock.readers).toBe(0);
  });

  describe("cancellation", () => {
    it("cancelling a queued writer lets the readers behind it join the current readers", async () => {
      const lock = new RwLock();
      const reader = await lock.read();
      const controller = new AbortController();
      const writer = observe(lock.write({ signal: controller.signal }));
      const late = observe(lock.read());
      await settle();
      expect(late.status).toBe("pending");
      controller.abort("no longer needed");
      await settle();
      expect(writer.reason).toBeInstanceOf(CancelledError);
      expect(late.status).toBe("fulfilled");
      expect(lock.readers).toBe(2);
      reader.release();
      late.value?.release();
      expect(lock.tryWrite()).toBeDefined();
    });

    it("a queued read rejects when the ambient task is cancelled", async () => {
      const lock = new RwLock();
      const writer = await lock.write();
      const token = new CancelToken();
      const read = observe(runInScope({ id: 3, name: undefined, token }, () => lock.read()));
      token.cancel();
      await settle();
      expect(read.reason).toBeInstanceOf(CancelledError);
      expect(lock.waiting).toBe(0);
      writer.release();
      expect(lock.isWriteLocked).toBe(false);
      expect(lock.readers).toBe(0);
    });

    it("already-aborted signals reject read and write even when the lock is free", async () => {
      const lock = new RwLock();
      await expect(lock.read({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CancelledError);
      await expect(lock.write({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CancelledError);
      expect(lock.readers).toBe(0);
      expect(lock.isWriteLocked).toBe(false);
    });

    it("is never handed to a writer cancelled in the same tick as the release", async () => {
      const lock = new RwLock();
      const reader = await lock.read();
      const controller = new AbortController();
      controller.signal.addEventListener("abort", () => reader.release());
      const writer = observe(lock.write({ signal: controller.signal }));
      const next = observe(lock.read());
      controller.abort();
      await settle();
      expect(writer.status).toBe("rejected");
      expect(lock.isWriteLocked).toBe(false);
      expect(next.status).toBe("fulfilled");
    });
  });
});
