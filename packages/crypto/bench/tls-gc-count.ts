/**
 * Counts the full (mark-compact) collections of this process during one
 * bulk sample. The receiver's CPU per GiB on Node 24 is bimodal: the same
 * code costs about 1.1 s/GiB when V8 frees the dead plaintext buffers in
 * scavenges and up to 1.9 s/GiB when it runs a full collection every
 * ~40 MiB instead (which one depends on how far the young generation grew
 * before the transfer). Printing the count beside the CPU figure tells the
 * two apart, instead of reading a GC mode as a change in the code.
 *
 * @example
 * ```ts
 * import { countFullCollections } from "./tls-gc-count.js";
 * const stop = countFullCollections();
 * // ... the transfer ...
 * const fullCollections = await stop();
 * ```
 * @module
 */
import { constants, PerformanceObserver } from "node:perf_hooks";

/** Starts counting; the returned function stops and resolves the count (after one turn, so that GCs of the last turn are reported). */
export function countFullCollections(): () => Promise<number> {
  let count = 0;
  const take = (entries: readonly PerformanceEntry[]): void => {
    for (const entry of entries)
      if ((entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) count++;
  };
  const observer = new PerformanceObserver((list) => take(list.getEntries()));
  observer.observe({ entryTypes: ["gc"] });
  return async () => {
    // Node queues a gc entry from the collection's epilogue for a later turn.
    await new Promise<void>((resolve) => setImmediate(resolve));
    take(observer.takeRecords());
    observer.disconnect();
    return count;
  };
}
