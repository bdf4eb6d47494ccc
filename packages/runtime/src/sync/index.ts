/**
 * Synchronisation primitives: {@link Semaphore}, {@link Mutex},
 * {@link RwLock}, {@link Notify}, {@link Barrier} and {@link WaitGroup}.
 *
 * Every wait accepts `{ signal }` and is also cancelled by the ambient task's
 * cancellation, rejecting with `CancelledError` and leaving its queue. Guards
 * and permits are `Disposable`, so `using` releases them on scope exit.
 *
 * @example
 * ```ts
 * import { Mutex, Semaphore } from "@zsync/runtime";
 * const limit = new Semaphore(8);
 * const log = new Mutex<string[]>([]);
 * async function work(id: number): Promise<void> {
 *   using _permit = await limit.acquire();
 *   using guard = await log.lock();
 *   guard.value.push(`worker ${id}`);
 * }
 * await Promise.all([1, 2, 3].map(work));
 * console.log(log.tryLock()?.value); // ["worker 1", "worker 2", "worker 3"]
 * ```
 * @module
 */
export { Barrier, type BarrierWaitResult } from "./barrier.js";
export { Mutex, type MutexGuard } from "./mutex.js";
export { Notify } from "./notify.js";
export { RwLock, type RwLockReadGuard, type RwLockWriteGuard } from "./rw-lock.js";
export { Semaphore, type SemaphorePermit } from "./semaphore.js";
export { LockReleasedError, SemaphoreClosedError } from "./sync-errors.js";
export { WaitGroup } from "./wait-group.js";
