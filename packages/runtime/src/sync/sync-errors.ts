/**
 * Errors specific to the synchronisation primitives. Like every zsync error
 * they extend `ZsyncError` and carry a stable `code`.
 *
 * @example
 * ```ts
 * import { Semaphore, SemaphoreClosedError } from "@zsync/runtime";
 * const pool = new Semaphore(0);
 * const waiting = pool.acquire();
 * pool.close();
 * await waiting.catch((e) => console.log(e instanceof SemaphoreClosedError, e.code)); // true "ZSYNC_SEMAPHORE_CLOSED"
 * ```
 * @module
 */
import { ZsyncError } from "../errors.js";

/**
 * The semaphore was closed with `close()`: pending and later `acquire` calls
 * reject with it and `tryAcquire` throws it.
 */
export class SemaphoreClosedError extends ZsyncError<"ZSYNC_SEMAPHORE_CLOSED"> {
  static {
    SemaphoreClosedError.brand("@zsync/runtime:SemaphoreClosedError");
  }

  constructor(message = "semaphore closed") {
    super("ZSYNC_SEMAPHORE_CLOSED", message);
  }
}

/**
 * A lock guard's `value` was used after the guard was released: the access
 * would no longer be protected by the lock.
 */
export class LockReleasedError extends ZsyncError<"ZSYNC_LOCK_RELEASED"> {
  static {
    LockReleasedError.brand("@zsync/runtime:LockReleasedError");
  }

  constructor(message = "lock guard used after release") {
    super("ZSYNC_LOCK_RELEASED", message);
  }
}
