/**
 * Synchronisation primitives, side by side with async-mutex 0.5.0.
 *
 * Each timed call performs a batch of 1,000 operations (opsPerCall) so that
 * tinybench's per-call overhead does not swamp the sub-microsecond costs:
 * - Mutex uncontended: `await lock()` + `release()` in a loop, against
 *   async-mutex's `await acquire()` + `release()` (issue target: >= 5x).
 * - Mutex tryLock fast path: the synchronous `tryLock() ?? await lock()`
 *   idiom, against the same async-mutex loop (its Mutex has no synchronous
 *   acquire, so this is the cost a caller actually pays on each side).
 * - Semaphore uncontended: `await acquire()` + `release()` against
 *   async-mutex's `Semaphore`.
 * - Mutex contended: 4 tasks taking turns 250 times each, so every acquire
 *   parks and every release hands over.
 */
import { type BenchCase, timed } from "@zsync/bench-harness";
import { Mutex as AsyncMutex, Semaphore as AsyncSemaphore } from "async-mutex";
import { Mutex } from "../src/sync/mutex.js";
import { Semaphore } from "../src/sync/semaphore.js";

const BATCH = 1000;
const TASKS = 4;

const ours = new Mutex();
const theirs = new AsyncMutex();
const ourSemaphore = new Semaphore(4);
const theirSemaphore = new AsyncSemaphore(4);

async function ourMutexLoop(): Promise<void> {
  for (let i = 0; i < BATCH; i++) {
    const guard = await ours.lock();
    guard.release();
  }
}

async function ourTryLockLoop(): Promise<void> {
  for (let i = 0; i < BATCH; i++) {
    const guard = ours.tryLock() ?? (await ours.lock());
    guard.release();
  }
}

async function theirMutexLoop(): Promise<void> {
  for (let i = 0; i < BATCH; i++) {
    const release = await theirs.acquire();
    release();
  }
}

async function ourSemaphoreLoop(): Promise<void> {
  for (let i = 0; i < BATCH; i++) {
    const permit = await ourSemaphore.acquire();
    permit.release();
  }
}

async function theirSemaphoreLoop(): Promise<void> {
  for (let i = 0; i < BATCH; i++) {
    const [, release] = await theirSemaphore.acquire();
    release();
  }
}

async function ourContended(): Promise<void> {
  const mutex = new Mutex();
  const turn = async (): Promise<void> => {
    for (let i = 0; i < BATCH / TASKS; i++) {
      const guard = await mutex.lock();
      await undefined; // hold across a tick so the others queue up
      guard.release();
    }
  };
  await Promise.all(Array.from({ length: TASKS }, turn));
}

async function theirContended(): Promise<void> {
  const mutex = new AsyncMutex();
  const turn = async (): Promise<void> => {
    for (let i = 0; i < BATCH / TASKS; i++) {
      const release = await mutex.acquire();
      await undefined;
      release();
    }
  };
  await Promise.all(Array.from({ length: TASKS }, turn));
}

export const syncCases: BenchCase[] = [
  timed({
    name: "Mutex lock/release (uncontended)",
    ours: { fn: ourMutexLoop, opsPerCall: BATCH },
    anchor: { name: "async-mutex Mutex", fn: theirMutexLoop, opsPerCall: BATCH },
    target: ">= 5x",
  }),
  timed({
    name: "Mutex tryLock ?? lock, release (uncontended)",
    ours: { fn: ourTryLockLoop, opsPerCall: BATCH },
    anchor: { name: "async-mutex Mutex", fn: theirMutexLoop, opsPerCall: BATCH },
  }),
  timed({
    name: "Semaphore(4) acquire/release (uncontended)",
    ours: { fn: ourSemaphoreLoop, opsPerCall: BATCH },
    anchor: { name: "async-mutex Semaphore", fn: theirSemaphoreLoop, opsPerCall: BATCH },
  }),
  timed({
    name: `Mutex hand-over (${TASKS} tasks contending)`,
    ours: { fn: ourContended, opsPerCall: BATCH },
    anchor: { name: "async-mutex Mutex", fn: theirContended, opsPerCall: BATCH },
  }),
];
