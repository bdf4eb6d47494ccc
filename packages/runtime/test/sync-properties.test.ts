/**
 * Property tests: random interleavings of acquire, tryAcquire, cancel (by
 * signal or by the ambient task's token) and release, checked step by step
 * against a reference model of a strict-FIFO primitive. They pin down that
 * grants follow arrival order, that a cancelled wait never holds on to a
 * permit, and that once everything is released nothing is left waiting and
 * every permit is back.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CancelledError } from "../src/errors.js";
import { CancelToken } from "../src/internal/cancel.js";
import { runInScope } from "../src/internal/context.js";
import { Mutex, RwLock, Semaphore } from "../src/sync/index.js";

type Via = "signal" | "token" | "none";
type Op =
  | { readonly kind: "acquire"; readonly n: number; readonly via: Via }
  | { readonly kind: "try"; readonly n: number }
  | { readonly kind: "cancel"; readonly pick: number }
  | { readonly kind: "release"; readonly pick: number }
  | { readonly kind: "flush" };

const opArb = (maxN: number): fc.Arbitrary<Op> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant("acquire" as const),
        n: fc.integer({ min: 1, max: maxN }),
        via: fc.constantFrom<Via>("signal", "token", "none"),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("try" as const), n: fc.integer({ min: 1, max: maxN }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("cancel" as const), pick: fc.nat() }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("release" as const), pick: fc.nat() }) },
    { weight: 2, arbitrary: fc.constant({ kind: "flush" as const }) },
  );

/** Runs every pending promise reaction (all grants here settle synchronously). */
async function flush(): Promise<void> {
  for (let i = 0; i < 8; i++) await Promise.resolve();
}

/** What a primitive under test looks like to the harness: `n` is permits, or 1 = write / 2 = read. */
interface Subject {
  acquire(n: number, signal: AbortSignal | undefined): Promise<Disposable & { release(): void }>;
  tryAcquire(n: number): (Disposable & { release(): void }) | undefined;
  readonly waiting: number;
  /** Invariants visible on the primitive itself, checked after each step. */
  check(): void;
  /** Compares the primitive's counters with the model's. */
  compare(model: Model): void;
}

/** Reference model: strict FIFO, no barging, cancellation removes from the queue. */
interface Model {
  readonly grants: number[];
  readonly rejected: Set<number>;
  readonly queue: { id: number; n: number }[];
  fits(n: number): boolean;
  take(n: number): void;
  give(n: number): void;
}

function semaphoreModel(total: number): Model & { available: number } {
  return {
    available: total,
    grants: [],
    rejected: new Set(),
    queue: [],
    fits(n) {
      return n <= this.available;
    },
    take(n) {
      this.available -= n;
    },
    give(n) {
      this.available += n;
    },
  };
}

function rwModel(): Model & { readers: number; writer: boolean } {
  return {
    readers: 0,
    writer: false,
    grants: [],
    rejected: new Set(),
    queue: [],
    fits(n) {
      return n === 2 ? !this.writer : !this.writer && this.readers === 0;
    },
    take(n) {
      if (n === 2) this.readers++;
      else this.writer = true;
    },
    give(n) {
      if (n === 2) this.readers--;
      else this.writer = false;
    },
  };
}

function drain(model: Model): void {
  for (;;) {
    const head = model.queue[0];
    if (head === undefined || !model.fits(head.n)) return;
    model.queue.shift();
    model.take(head.n);
    model.grants.push(head.id);
  }
}

interface Acquirer {
  readonly id: number;
  readonly n: number;
  readonly cancel: (() => void) | undefined;
  guard: (Disposable & { release(): void }) | undefined;
  released: boolean;
  viaTry: boolean;
}

async function runScenario(subject: Subject, model: Model, ops: readonly Op[]): Promise<void> {
  const acquirers: Acquirer[] = [];
  const delivered: number[] = [];
  const rejected = new Set<number>();
  const compare = (): void => {
    subject.check();
    subject.compare(model);
    expect(subject.waiting).toBe(model.queue.length);
    expect([...rejected].sort((a, b) => a - b)).toEqual([...model.rejected].sort((a, b) => a - b));
    // Grants arrive in the model's order, which is arrival order.
    expect(delivered).toEqual(model.grants);
    for (let i = 1; i < delivered.length; i++) expect(delivered[i] as number).toBeGreaterThan(delivered[i - 1] as number);
  };
  for (const op of ops) {
    switch (op.kind) {
      case "acquire": {
        const id = acquirers.length;
        let cancel: (() => void) | undefined;
        let promise: Promise<Disposable & { release(): void }>;
        if (op.via === "token") {
          const token = new CancelToken();
          cancel = () => token.cancel(`cancel ${id}`);
          promise = runInScope({ id, name: undefined, token }, () => subject.acquire(op.n, undefined));
        } else if (op.via === "signal") {
          const controller = new AbortController();
          cancel = () => controller.abort(`cancel ${id}`);
          promise = subject.acquire(op.n, controller.signal);
        } else {
          promise = subject.acquire(op.n, undefined);
        }
        const acquirer: Acquirer = { id, n: op.n, cancel, guard: undefined, released: false, viaTry: false };
        acquirers.push(acquirer);
        promise.then(
          (guard) => {
            acquirer.guard = guard;
            delivered.push(id);
          },
          (error: unknown) => {
            expect(error).toBeInstanceOf(CancelledError);
            expect((error as CancelledError).reason).toBe(`cancel ${id}`);
            rejected.add(id);
          },
        );
        if (model.queue.length === 0 && model.fits(op.n)) {
          model.take(op.n);
          model.grants.push(id);
        } else {
          model.queue.push({ id, n: op.n });
        }
        break;
      }
      case "try": {
        const guard = subject.tryAcquire(op.n);
        const fits = model.queue.length === 0 && model.fits(op.n);
        expect(guard !== undefined).toBe(fits);
        if (guard !== undefined) {
          // Not part of the ordered grant log: it is delivered synchronously.
          model.take(op.n);
          acquirers.push({ id: -1, n: op.n, cancel: undefined, guard, released: false, viaTry: true });
        }
        break;
      }
      case "cancel": {
        if (acquirers.length === 0) break;
        const target = acquirers[op.pick % acquirers.length] as Acquirer;
        if (target.cancel === undefined) break;
        target.cancel();
        const index = model.queue.findIndex((w) => w.id === target.id);
        if (index >= 0) {
          model.queue.splice(index, 1);
          model.rejected.add(target.id);
          drain(model);
        }
        break;
      }
      case "release": {
        const held = acquirers.filter((a) => a.guard !== undefined && !a.released);
        if (held.length === 0) break;
        const target = held[op.pick % held.length] as Acquirer;
        target.guard?.release();
        target.guard?.release(); // idempotent: must not return anything twice
        target.released = true;
        model.give(target.n);
        drain(model);
        break;
      }
      case "flush":
        await flush();
        compare();
        break;
    }
  }
  // Release everything, repeatedly, until no one is left: nothing may be stuck.
  for (let round = 0; round <= acquirers.length + 1; round++) {
    await flush();
    compare();
    for (const acquirer of acquirers) {
      if (acquirer.guard !== undefined && !acquirer.released) {
        acquirer.guard[Symbol.dispose]();
        acquirer.released = true;
        model.give(acquirer.n);
        drain(model);
      }
    }
  }
  await flush();
  compare();
  expect(subject.waiting).toBe(0);
  const outcomes = acquirers.filter((a) => !a.viaTry).length;
  expect(delivered.length + rejected.size).toBe(outcomes);
}

const runs = { numRuns: 150 };

describe("synchronisation primitives against a FIFO model", () => {
  it("Semaphore: FIFO grants, no leaked permits after random acquire/cancel/release", async () => {
    await fc.assert(
      // Requests never exceed the total: a larger one waits for addPermits by design.
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }).chain((total) => fc.tuple(fc.constant(total), fc.array(opArb(total), { maxLength: 40 }))),
        async ([total, ops]) => {
          const sem = new Semaphore(total);
          const model = semaphoreModel(total);
          const subject: Subject = {
            acquire: (n, signal) => sem.acquire(n, { signal }),
            tryAcquire: (n) => sem.tryAcquire(n),
            get waiting() {
              return sem.waiting;
            },
            check: () => {
              expect(sem.available).toBeGreaterThanOrEqual(0);
              expect(sem.available).toBeLessThanOrEqual(total);
            },
            compare: () => expect(sem.available).toBe(model.available),
          };
          await runScenario(subject, model, ops);
          expect(sem.available).toBe(total);
        },
      ),
      runs,
    );
  });

  it("Mutex: FIFO hand-over, never two holders, unlocked at the end", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb(1), { maxLength: 40 }), async (ops) => {
        const mutex = new Mutex();
        const model = semaphoreModel(1);
        const subject: Subject = {
          acquire: (_n, signal) => mutex.lock({ signal }),
          tryAcquire: () => mutex.tryLock(),
          get waiting() {
            return mutex.waiting;
          },
          check: () => {
            if (mutex.waiting > 0) expect(mutex.isLocked).toBe(true);
          },
          compare: () => expect(mutex.isLocked).toBe(model.available === 0),
        };
        await runScenario(subject, model, ops);
        expect(mutex.isLocked).toBe(false);
      }),
      runs,
    );
  });

  it("RwLock: FIFO admission, never a writer beside anyone, free at the end", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb(2), { maxLength: 40 }), async (ops) => {
        const lock = new RwLock();
        const model = rwModel();
        const subject: Subject = {
          acquire: (n, signal) => (n === 2 ? lock.read({ signal }) : lock.write({ signal })),
          tryAcquire: (n) => (n === 2 ? lock.tryRead() : lock.tryWrite()),
          get waiting() {
            return lock.waiting;
          },
          check: () => {
            if (lock.isWriteLocked) expect(lock.readers).toBe(0);
          },
          compare: () => {
            expect(lock.readers).toBe(model.readers);
            expect(lock.isWriteLocked).toBe(model.writer);
          },
        };
        await runScenario(subject, model, ops);
        expect(lock.readers).toBe(0);
        expect(lock.isWriteLocked).toBe(false);
      }),
      runs,
    );
  });
});
