/**
 * Lets a worker thread give back the `SharedArrayBuffer`s that `AsyncCipher`'s
 * lanes were handed. Without it, every pooled call leaks its whole output (and
 * a caller's shared input) for as long as the pool's workers live.
 *
 * Why: a lane's arguments arrive as structured clones, so the worker's heap
 * holds its own wrapper of each shared buffer, and the memory lives until every
 * wrapper is collected. V8 counts a shared backing store towards no isolate's
 * external memory, so no GC heuristic sees those bytes; the wrappers live as
 * long as the lane (hundreds of milliseconds), long enough to be promoted to
 * the old generation; and a lane worker allocates almost nothing that would
 * grow the old generation into a full collection. Measured before this module:
 * resident memory grew by 256 MiB with every 256 MiB pooled call (4 GiB after
 * 12 calls), on the main thread's `process.memoryUsage().arrayBuffers` too,
 * and only a full collection in each worker freed it.
 *
 * So lanes report the shared bytes they referenced, and once `budget` bytes
 * have accumulated the worker runs one full collection when its event loop
 * next turns (after the lane's task has returned, so the lane's own buffers
 * are unreachable by then), or at the start of the next lane if the worker
 * stayed busy. The collector is `gc` from a fresh `vm` context created with
 * `--expose-gc` switched on for that moment only; where that is unavailable
 * (not Node) nothing is collected, as before.
 *
 * @example
 * ```ts
 * import type { ChunkLane } from "./lane-protocol.js";
 * import { SharedMemoryRelease } from "./shared-memory-release.js";
 * declare const lane: ChunkLane;
 * const release = new SharedMemoryRelease(64 << 20);
 * release.runOwed(); // at the start of a lane
 * release.note(lane.output.buffer.byteLength); // when the lane ends
 * ```
 * @internal
 * @module
 */

import { builtinFromFlaggedContext } from "../primitives/providers/flagged-builtin.js";

type Collector = () => void;

/** A full-collection function for this isolate, or undefined where none can be had. */
function loadCollector(): Collector | undefined {
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === "function") return existing as Collector;
  const gc = builtinFromFlaggedContext("expose-gc", "gc");
  return typeof gc === "function" ? (gc as Collector) : undefined;
}

/** Per-worker accounting of referenced shared memory, with a deferred full collection. */
export class SharedMemoryRelease {
  readonly #budget: number;
  #pending = 0;
  #scheduled = false;
  #collector: Collector | null | undefined = undefined;
  /** Full collections run so far (for tests and benchmarks). */
  collections = 0;

  /** `budget`: shared bytes referenced since the last collection that make the next one due. */
  constructor(budget: number) {
    this.#budget = budget;
  }

  /** Records `bytes` of shared memory a finished lane referenced; schedules a collection once over budget. */
  note(bytes: number): void {
    this.#pending += bytes;
    if (this.#pending < this.#budget || this.#scheduled) return;
    const schedule = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
    if (typeof schedule !== "function") return;
    this.#scheduled = true;
    schedule(() => this.runOwed());
  }

  /**
   * Records `bytes` this worker handed out (a pooled call's output) without
   * scheduling a collection: a lane of the same call usually follows at once,
   * and a collection run now would land at that lane's start (measured: 14 ms
   * of one lane's start). The lane's own `note` schedules it afterwards; only
   * a worker that allocates without running lanes collects here, once
   * `4 * budget` bytes have piled up.
   */
  count(bytes: number): void {
    this.#pending += bytes;
    if (this.#pending >= 4 * this.#budget) this.note(0);
  }

  /** Runs the collection if one is due (called when the loop turns, and at the start of each lane). */
  runOwed(): void {
    if (!this.#scheduled) return;
    this.#scheduled = false;
    this.#pending = 0;
    if (this.#collector === undefined) this.#collector = loadCollector() ?? null;
    if (this.#collector === null) return;
    this.#collector();
    this.collections++;
  }
}
