/**
 * Worker-thread entry point for `AsyncCipher`'s pooled path: one *lane* per
 * worker claims jobs (contiguous chunk ranges) from shared control words and
 * seals or opens them from shared input into a shared output at their final
 * offsets (see `lane-protocol.ts`). A lane checks the abort word between
 * ~1 MiB groups, so a cancelled or failed call stops within a millisecond or
 * two; an authentication failure is published in the control words (and the
 * lane's partial output for the failing group zeroed) rather than thrown.
 *
 * @example
 * ```ts
 * import { workerTask } from "@zsync/runtime";
 * import type { LanePool } from "./chunk-lanes.js";
 * import type { ChunkLane } from "./lane-protocol.js";
 * declare const pool: LanePool;
 * declare const lane: ChunkLane;
 * const task = workerTask<[ChunkLane], number>(new URL("./chunk-tasks.js", import.meta.url), "runChunkLane");
 * await pool.run(task, [lane]); // resolves with the number of jobs this lane finished
 * ```
 * @module
 */

import { getProvider } from "../primitives/providers/select.js";
import { ChunkFailure, openChunkRange, sealChunkRange } from "./chunked-aead.js";
import {
  ABORT,
  ACTIVE,
  bumpProgress,
  type ChunkLane,
  DONE,
  FAIL_INDEX,
  FAILED,
  FAILED_AUTH,
  FAILED_CLAIMED,
  FAILED_TRUNCATED,
  JOB_STATE,
  NEXT,
  STAGED,
  WAITING_FOR,
} from "./lane-protocol.js";
import { heldShapes, holdShapes } from "./shape-anchors.js";
import { SharedMemoryRelease } from "./shared-memory-release.js";

export type { ChunkLane } from "./lane-protocol.js";

const TAG = 16;
/** Work between abort checks. */
const GROUP_BYTES = 1024 * 1024;
/** Upper bound on one wait for staged input, so a lane re-checks ABORT even if a notify is lost. */
const STAGE_WAIT_MS = 50;
/**
 * Shared bytes lanes may leave referenced in this worker before it runs a full
 * collection (see `shared-memory-release.ts`). A collection of a lane worker's
 * small heap costs 1-5 ms of CPU, off the call's critical path: once per
 * 256 MiB call it is about 2% of the lane's work, once per thirty-two 4 MiB
 * calls about 3%.
 */
const RELEASE_BUDGET = 128 * 1024 * 1024;
const release = new SharedMemoryRelease(RELEASE_BUDGET);

/** Runs one lane until no job is left or the call aborts; returns how many jobs it finished. */
export function runChunkLane(lane: ChunkLane): number {
  const { ctrl } = lane;
  // Earlier lanes' buffers, if this worker stayed busy since they ended.
  release.runOwed();
  Atomics.add(ctrl, ACTIVE, 1);
  let finished = 0;
  try {
    if (Atomics.load(ctrl, ABORT) !== 0) return 0;
    // So the collection that gives this lane's shared memory back keeps the lane's optimized code.
    holdShapes(lane.provider, lane.algorithm);
    const aead = getProvider(lane.provider).aead(lane.algorithm, lane.subkey);
    const seal = lane.direction === "seal";
    const inChunk = seal ? lane.chunkSize : lane.chunkSize + TAG;
    const outChunk = seal ? lane.chunkSize + TAG : lane.chunkSize;
    const group = Math.max(1, Math.floor(GROUP_BYTES / lane.chunkSize));
    for (;;) {
      const job = Atomics.add(ctrl, NEXT, 1);
      if (job >= lane.jobs) return finished;
      if (!waitStaged(ctrl, job)) return finished;
      const first = job * lane.jobChunks;
      const count = Math.min(lane.jobChunks, lane.chunks - first);
      const inStart = first * inChunk;
      const inEnd = first + count === lane.chunks ? lane.inputLength : inStart + count * inChunk;
      const inBase = lane.slots === 0 ? inStart : (job % lane.slots) * lane.slotStride + lane.inputShift;
      const outStart = first * outChunk;
      for (let g = 0; g < count; g += group) {
        if (Atomics.load(ctrl, ABORT) !== 0) return finished;
        const n = Math.min(group, count - g);
        const final = first + g + n === lane.chunks;
        const from = inBase + g * inChunk;
        const to = final ? inBase + (inEnd - inStart) : from + n * inChunk;
        const input = lane.input.subarray(from, to);
        const outFrom = outStart + g * outChunk;
        const output = lane.output.subarray(outFrom, final ? lane.output.length : outFrom + n * outChunk);
        if (seal) {
          sealChunkRange(aead, lane.prefix, input, lane.chunkSize, first + g, final, output);
        } else {
          try {
            openChunkRange(aead, lane.prefix, input, lane.chunkSize, first + g, final, output);
          } catch (error) {
            if (!(error instanceof ChunkFailure)) throw error;
            publishFailure(ctrl, error);
            return finished;
          }
        }
      }
      // Before the job counts as done, so a coordinator that sees every job done sees zeroed staging.
      if (lane.wipeStaged && lane.slots > 0 && job + lane.slots >= lane.jobs) {
        const slotStart = (job % lane.slots) * lane.slotStride;
        lane.input.fill(0, slotStart, Math.min(lane.input.length, slotStart + lane.slotStride));
      }
      Atomics.store(ctrl, JOB_STATE + job, 1);
      const done = Atomics.add(ctrl, DONE, 1) + 1;
      if (done === lane.jobs || Atomics.load(ctrl, WAITING_FOR) === job) bumpProgress(ctrl);
      finished++;
    }
  } finally {
    lane.subkey.fill(0);
    Atomics.sub(ctrl, ACTIVE, 1);
    bumpProgress(ctrl);
    // Staging buffers are reused call after call (no new memory); a caller's shared input is not.
    release.note(lane.output.buffer.byteLength + (lane.slots === 0 ? lane.input.buffer.byteLength : 0));
  }
}

let allocations = 0;

/**
 * A fresh `SharedArrayBuffer` of `bytes` bytes for a pooled call's output (a
 * worker task). Allocated here rather than on the event loop: mapping 256 MiB
 * waits for the process's memory-map lock whenever an earlier result is being
 * unmapped (20-50 ms for 256 MiB), and that wait would stall the loop. This
 * worker's copy of the buffer is counted towards its next collection, which
 * runs after the call's lane here, not before it.
 */
export function allocateShared(bytes: number): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(bytes);
  allocations++;
  release.count(bytes);
  return buffer;
}

/** Outputs this worker has allocated (a worker task, for tests). @internal */
export function sharedAllocations(): number {
  return allocations;
}

/** Full collections this worker has run to give back lanes' shared memory (a worker task, for tests). @internal */
export function sharedMemoryCollections(): number {
  return release.collections;
}

/** Anchor sets this worker holds (see `shape-anchors.ts`; a worker task, for tests). @internal */
export function heldShapeAnchors(): number {
  return heldShapes();
}

/** Blocks this worker until job `job` is staged; false if the call aborted meanwhile. */
function waitStaged(ctrl: Int32Array, job: number): boolean {
  for (;;) {
    if (Atomics.load(ctrl, ABORT) !== 0) return false;
    const staged = Atomics.load(ctrl, STAGED);
    if (staged > job) return true;
    Atomics.wait(ctrl, STAGED, staged, STAGE_WAIT_MS);
  }
}

function publishFailure(ctrl: Int32Array, failure: ChunkFailure): void {
  if (Atomics.compareExchange(ctrl, FAILED, 0, FAILED_CLAIMED) === 0) {
    Atomics.store(ctrl, FAIL_INDEX, failure.index | 0);
    Atomics.store(ctrl, FAILED, failure.truncated ? FAILED_TRUNCATED : FAILED_AUTH);
  }
  Atomics.store(ctrl, ABORT, 1);
  Atomics.notify(ctrl, STAGED);
}
