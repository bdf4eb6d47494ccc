/**
 * Makes V8 count a pooled result's shared memory on the event-loop thread.
 * V8 counts shared memory towards no isolate's external memory, so a caller
 * dropping 256 MiB results would not make this thread collect them any sooner
 * than its unrelated allocations do (measured: +256 MiB resident per call,
 * indefinitely). So each result gets an unshared, never-touched `ArrayBuffer`
 * of the same size that V8 does count; its pages are never written, so it
 * costs address space, not memory, and both die with the result.
 *
 * When: after the call has resolved (the next macrotask), not inside it.
 * Counting 256 MiB more starts incremental marking on this thread: 5-16 ms
 * inside the call's tail, after the lanes, where nothing overlaps it
 * (measured with bench/async-cipher-timeline.ts). Not at the start either:
 * there the counting could start a collection while the loop stages input,
 * and mapping the stand-in waited for the process's memory-map lock behind
 * the unmapping of an earlier result (20-50 ms for 256 MiB; the loop held
 * 1.7-21 ms in 4 of 5 calls).
 *
 * @example
 * ```ts
 * import { weighLater } from "./collector-weight.js";
 * const result = new SharedArrayBuffer(1 << 20);
 * weighLater(result);
 * ```
 * @internal
 * @module
 */

const weight = new WeakMap<SharedArrayBuffer, ArrayBuffer>();

type Schedule = (callback: () => void) => unknown;
const later: Schedule = (globalThis as { setImmediate?: Schedule }).setImmediate ?? ((callback) => setTimeout(callback, 0));

/** Ties a same-size counted stand-in to `buffer` once the current call has returned. */
export function weighLater(buffer: SharedArrayBuffer): void {
  later(() => weigh(buffer));
}

function weigh(buffer: SharedArrayBuffer): void {
  try {
    weight.set(buffer, new ArrayBuffer(buffer.byteLength));
  } catch {
    // Address space or commit limit reached: the result is still valid, only collected later.
  }
}

/** Whether `buffer` carries its stand-in yet (for tests). */
export function isWeighed(buffer: SharedArrayBuffer): boolean {
  return weight.has(buffer);
}
