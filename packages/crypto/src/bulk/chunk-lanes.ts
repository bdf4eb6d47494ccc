/**
 * The event-loop side of `AsyncCipher`'s pooled path: starts one lane per
 * worker (`chunk-tasks.ts`), feeds them input through reusable shared staging
 * slots, and waits (without blocking) until every job is done, the call is
 * cancelled, or a lane reports a failure. Protocol: `lane-protocol.ts`.
 *
 * The event loop's share of the work is one memcpy of each job's input,
 * done one job at a time between yields, and none at all when the caller's
 * input already lives in a `SharedArrayBuffer` (e.g. decrypting what a
 * pooled `encrypt` returned). Results are written by the workers straight
 * into the caller-visible output, so nothing is copied back.
 *
 * On cancellation or failure the lanes are stopped (abort word) and awaited
 * before anything is released: staged plaintext is zeroed, and when opening,
 * every output byte a lane may have written is zeroed before the rejection.
 *
 * @example
 * ```ts
 * import { workerTask } from "@zsync/runtime";
 * import { CancelWatch } from "./cancel-watch.js";
 * import { type LanePool, runChunkLanes } from "./chunk-lanes.js";
 * import { type ChunkKeys, sealedLength } from "./chunked-aead.js";
 * import type { ChunkLane } from "./lane-protocol.js";
 * import { StagingArea } from "./staging-area.js";
 * declare const pool: LanePool;
 * declare const keys: ChunkKeys;
 * declare const plaintext: Uint8Array;
 * declare const signal: AbortSignal | undefined;
 * const task = workerTask<[ChunkLane], number>(new URL("./chunk-tasks.js", import.meta.url), "runChunkLane");
 * const output = new Uint8Array(new SharedArrayBuffer(sealedLength(plaintext.length, 65536)));
 * using watch = CancelWatch.start(signal);
 * await runChunkLanes({
 *   pool, task, lanes: 2, slotsPerLane: 3, direction: "seal", provider: "node", algorithm: "xchacha20-poly1305",
 *   subkey: keys.subkey, prefix: keys.prefix, chunkSize: 65536, jobChunks: 16,
 *   input: plaintext, output, staging: new StagingArea(), watch,
 * });
 * ```
 * @internal
 * @module
 */
import type { Future, Io, WorkerTask } from "@zsync/runtime";
import { yieldNow } from "@zsync/runtime";
import type { AeadAlgorithm, ProviderName } from "../primitives/provider.js";
import type { CancelWatch } from "./cancel-watch.js";
import { ChunkFailure } from "./chunked-aead.js";
import {
  ABORT,
  ACTIVE,
  bumpProgress,
  type ChunkLane,
  DONE,
  FAIL_INDEX,
  FAILED,
  FAILED_TRUNCATED,
  JOB_STATE,
  NEXT,
  PROGRESS,
  STAGED,
  WAITING_FOR,
} from "./lane-protocol.js";
import type { StagingArea } from "./staging-area.js";

const TAG = 16;
/** How long to wait for stopped lanes before giving their memory up instead of reusing it. */
const STOP_WAIT_MS = 2000;
/** Safety net for the progress wait; every real event notifies. */
const PROGRESS_WAIT_MS = 1000;
/**
 * Staging memory one call aims to stay under (it always gets at least one slot per lane plus one):
 * 16 MiB is about 6-12 ms of two lanes' work, which covers a late event-loop wake-up; it is kept and
 * reused across calls (`StagingArea`).
 */
const STAGING_BUDGET = 16 * 1024 * 1024;
/** Bytes zeroed between yields when scrubbing partial plaintext. */
const ZERO_STEP = 4 * 1024 * 1024;

/** The slice of `ThreadPoolIo` used here. */
export interface LanePool extends Io {
  run<A extends readonly unknown[], T>(task: WorkerTask<A, T>, args: A): Future<Awaited<T>>;
}

/** One pooled seal or open. */
export interface LanePlan {
  readonly pool: LanePool;
  readonly task: WorkerTask<[ChunkLane], number>;
  /** Lanes (worker tasks) to start; more than the pool's threads only queue and find nothing to do. */
  readonly lanes: number;
  /** Staging slots per lane (how far the event loop may copy ahead). */
  readonly slotsPerLane: number;
  readonly direction: "seal" | "open";
  readonly provider: ProviderName;
  readonly algorithm: AeadAlgorithm;
  readonly subkey: Uint8Array;
  readonly prefix: Uint8Array;
  readonly chunkSize: number;
  readonly jobChunks: number;
  readonly input: Uint8Array;
  /** Must be backed by a `SharedArrayBuffer`. */
  readonly output: Uint8Array;
  readonly staging: StagingArea;
  readonly watch: CancelWatch;
}

type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
  timeout?: number,
) => { async: false; value: "not-equal" | "timed-out" } | { async: true; value: Promise<"ok" | "timed-out"> };

const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** Resolves once `PROGRESS` moves past `seen` (or after `timeout` ms). */
function progressAfter(ctrl: Int32Array, seen: number, timeout = PROGRESS_WAIT_MS): Promise<unknown> | undefined {
  const result = waitAsync(ctrl, PROGRESS, seen, timeout);
  return result.async ? result.value : undefined;
}

function isShared(bytes: Uint8Array): boolean {
  return typeof SharedArrayBuffer === "function" && bytes.buffer instanceof SharedArrayBuffer;
}

/**
 * Runs `plan` to completion. Rejects with the watch's `CancelledError`, a
 * {@link ChunkFailure} (open only), or the pool's error for a lane.
 */
export async function runChunkLanes(plan: LanePlan): Promise<void> {
  const { input, direction, jobChunks } = plan;
  const seal = direction === "seal";
  const inChunk = seal ? plan.chunkSize : plan.chunkSize + TAG;
  const outChunk = seal ? plan.chunkSize + TAG : plan.chunkSize;
  const chunks = Math.max(1, Math.ceil(input.length / inChunk));
  const jobs = Math.ceil(chunks / jobChunks);
  const lanes = Math.max(1, Math.min(plan.lanes, jobs));
  const ctrl = new Int32Array(new SharedArrayBuffer((JOB_STATE + jobs) * 4));
  const slotBytes = jobChunks * inChunk;
  const wanted = Math.max(lanes + 1, Math.min(lanes * plan.slotsPerLane, Math.floor(STAGING_BUDGET / slotBytes)));
  const slots = isShared(input) ? 0 : Math.min(jobs, wanted);
  // Slot starts are 8-aligned and each job lands at the caller's alignment (see `ChunkLane.input`);
  // chunk sizes are multiples of 8, so one shift fits every job.
  const slotStride = (slotBytes + 15) & ~7;
  const inputShift = input.byteOffset & 7;
  const staging = slots === 0 ? undefined : plan.staging.acquire(slots * slotStride);
  if (slots === 0) Atomics.store(ctrl, STAGED, jobs);
  Atomics.store(ctrl, WAITING_FOR, -1);
  // Refill a quarter of the ring at a time: one wake-up per `batch` jobs, not per job, while three
  // quarters are still queued for the lanes (waking at half, lanes drained the rest before a late loop came back).
  const batch = Math.max(1, slots >> 2);

  let failure: unknown;
  let stopping = false;
  const fail = (error: unknown): void => {
    // Once stopping, rejections are our own cancellations of the lanes, not the cause.
    if (stopping) return;
    failure ??= error;
    Atomics.store(ctrl, ABORT, 1);
    Atomics.notify(ctrl, STAGED);
    bumpProgress(ctrl);
  };
  plan.watch.onCancel(fail);

  const lane: ChunkLane = {
    direction,
    provider: plan.provider,
    algorithm: plan.algorithm,
    subkey: plan.subkey,
    prefix: plan.prefix,
    chunkSize: plan.chunkSize,
    chunks,
    jobChunks,
    jobs,
    inputLength: input.length,
    input: staging ?? input,
    slots,
    wipeStaged: seal,
    slotBytes,
    slotStride,
    inputShift,
    output: plan.output,
    ctrl,
  };
  const running: Future<number>[] = [];
  let completed = false;
  try {
    for (let i = 0; i < lanes && failure === undefined; i++) {
      const future = plan.pool.run(plan.task, [lane] as [ChunkLane]);
      future.onComplete((result) => {
        if (result.status === "rejected") fail(result.reason);
      });
      running.push(future);
    }
    // Stage inputs in order; slot j % slots is free once job j - slots is done.
    for (let job = slots === 0 ? jobs : 0; job < jobs; ) {
      if (Atomics.load(ctrl, ABORT) !== 0) break;
      if (job >= slots && Atomics.load(ctrl, JOB_STATE + job - slots) === 0) {
        await jobDone(ctrl, Math.min(job - 1, job - slots + batch - 1));
        await jobDone(ctrl, job - slots);
        continue;
      }
      const start = job * slotBytes;
      (staging as Uint8Array).set(
        input.subarray(start, Math.min(input.length, start + slotBytes)),
        (job % slots) * slotStride + inputShift,
      );
      job++;
      Atomics.store(ctrl, STAGED, job);
      Atomics.notify(ctrl, STAGED);
      await yieldNow();
    }
    Atomics.store(ctrl, WAITING_FOR, -1);
    for (;;) {
      const seen = Atomics.load(ctrl, PROGRESS);
      if (Atomics.load(ctrl, ABORT) !== 0) break;
      if (Atomics.load(ctrl, DONE) >= jobs) {
        completed = true;
        break;
      }
      await progressAfter(ctrl, seen);
    }
  } finally {
    stopping = true;
    if (!completed) {
      Atomics.store(ctrl, ABORT, 1);
      Atomics.notify(ctrl, STAGED);
      for (const future of running) future.cancel();
    }
    // A lane that has not stopped (its worker is wedged or gone) may still touch the
    // buffers: staging is then wiped but not reused, and the output is discarded anyway.
    // A completed call's lanes zeroed staged plaintext themselves (`ChunkLane.wipeStaged`).
    const stopped = completed || (await lanesStopped(ctrl));
    if (staging !== undefined) await plan.staging.release(staging, { wipe: seal && !completed, reuse: stopped });
    if (!completed && !seal) await zeroWritten(plan.output, Math.min(Atomics.load(ctrl, NEXT), jobs) * jobChunks * outChunk);
  }
  if (completed) return;
  if (failure !== undefined) throw failure;
  // A lane published an authentication failure (FAILED_CLAIMED only if that lane never finished writing it).
  throw new ChunkFailure(Atomics.load(ctrl, FAIL_INDEX) >>> 0, Atomics.load(ctrl, FAILED) === FAILED_TRUNCATED);
}

/** Waits until job `job` is finished or the call aborts. */
async function jobDone(ctrl: Int32Array, job: number): Promise<void> {
  for (;;) {
    // Publish what we wait for before checking it, so a lane finishing in between sees it and wakes us.
    Atomics.store(ctrl, WAITING_FOR, job);
    const seen = Atomics.load(ctrl, PROGRESS);
    if (Atomics.load(ctrl, JOB_STATE + job) !== 0 || Atomics.load(ctrl, ABORT) !== 0) return;
    await progressAfter(ctrl, seen);
  }
}

/** Waits (bounded) until no lane is running; false if some lane did not stop in time. */
async function lanesStopped(ctrl: Int32Array): Promise<boolean> {
  const deadline = performance.now() + STOP_WAIT_MS;
  for (;;) {
    const seen = Atomics.load(ctrl, PROGRESS);
    if (Atomics.load(ctrl, ACTIVE) === 0) return true;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    await progressAfter(ctrl, seen, left);
  }
}

/** Zeroes `output[0, end)` in steps, yielding between them. */
async function zeroWritten(output: Uint8Array, end: number): Promise<void> {
  const limit = Math.min(end, output.length);
  for (let at = 0; at < limit; at += ZERO_STEP) {
    output.fill(0, at, Math.min(limit, at + ZERO_STEP));
    if (at + ZERO_STEP < limit) await yieldNow();
  }
}
