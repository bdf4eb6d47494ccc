/**
 * `ThreadPoolIo`'s `workerNiceness`: pool threads that run below the event
 * loop in the kernel scheduler's eyes.
 *
 * Why: with as many CPU-bound workers as cores, a waking event loop competes
 * with them for a core; at equal priority the scheduler may let a worker
 * finish its slice first, which shows as timer and I/O lag of several
 * milliseconds although the loop itself has almost nothing to do. A worker
 * with a higher nice value has a smaller scheduler weight, so the waking loop
 * is picked first, while workers still get every cycle the loop leaves idle.
 *
 * Only Linux (and Android) is supported: there `setpriority(PRIO_PROCESS, 0)`
 * (Node's `os.setPriority(0, n)`) changes the calling thread alone. On macOS,
 * the BSDs and Windows the same call changes the whole process, event loop
 * included, so it would lower everything and gain nothing: there the option is
 * accepted and ignored.
 *
 * @example
 * ```ts
 * import { checkWorkerNiceness, lowerThisThread } from "./thread-niceness.js";
 * const steps = checkWorkerNiceness(5); // in the pool's constructor
 * lowerThisThread(steps); // in each worker thread, once, at its start
 * ```
 * @internal
 * @module
 */
import { getPriority, platform, setPriority } from "node:os";

/** Highest nice value Linux gives a thread (lowest priority). */
const LOWEST = 19;
/** The full nice range (-20..19): a thread at -20 can be lowered 39 steps. */
const MAX_STEPS = 39;

/** Validates the option; `undefined` means 0 (workers run at the creating thread's priority). */
export function checkWorkerNiceness(value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || value < 0 || value > MAX_STEPS) {
    throw new RangeError(`ThreadPoolIo: workerNiceness must be an integer from 0 to ${MAX_STEPS}, got ${value}`);
  }
  return value;
}

/** Whether a nice value set from a thread applies to that thread only. */
export function threadNicenessSupported(): boolean {
  const os = platform();
  return os === "linux" || os === "android";
}

/**
 * Raises the calling thread's nice value by `steps` (capped at 19). Returns
 * the nice value now in effect, or `undefined` when nothing was changed
 * (`steps` is 0, the platform would apply it process-wide, or the kernel
 * refused: raising a nice value needs no privilege, but a sandbox may forbid
 * the call, and a pool that runs at full priority is still correct).
 */
export function lowerThisThread(steps: number): number | undefined {
  if (steps === 0 || !threadNicenessSupported()) return undefined;
  try {
    const target = Math.min(LOWEST, getPriority(0) + steps);
    setPriority(0, target);
    return target;
  } catch {
    return undefined;
  }
}
