/**
 * The shared-memory protocol between `AsyncCipher`'s coordinator (event-loop
 * thread, `chunk-lanes.ts`) and its worker lanes (`chunk-tasks.ts`). It has no
 * imports so both sides can load it anywhere.
 *
 * One call splits its chunks into *jobs* of `jobChunks` chunks. Each worker
 * runs one long task, a *lane*, that claims jobs with `Atomics.add` on
 * `NEXT` and seals or opens them straight from shared input into a shared
 * output at the job's final offset (fixed-size chunks make offsets
 * computable). The event loop's only per-job work is, when the caller's input
 * is not already shared, copying the job into a reusable staging slot and
 * publishing `STAGED`. No per-job messages, allocations or result copies.
 * Lanes wake the coordinator only for what it waits for (`WAITING_FOR`, the
 * last job, a failure, a lane exit), so it refills staging slots in batches
 * instead of waking once per job.
 *
 * Control words (`Int32Array` over a `SharedArrayBuffer`):
 *
 * ```text
 * ABORT       1 = stop at the next group (set by the coordinator, or by a lane on failure)
 * NEXT        next job to claim
 * STAGED      jobs whose input is in place (lanes wait on it)
 * DONE        jobs finished
 * PROGRESS    bumped and notified on every event the coordinator waits for
 * ACTIVE      lanes currently running
 * FAILED      0, or FAILED_AUTH / FAILED_TRUNCATED (FAILED_CLAIMED while being written)
 * FAIL_INDEX  failing chunk index (uint32 bits)
 * WAITING_FOR the job whose completion the coordinator waits for (-1: none)
 * JOB_STATE+j 1 once job j is finished (its staging slot is free again)
 * ```
 *
 * @example
 * ```ts
 * import { JOB_STATE, STAGED } from "./lane-protocol.js";
 * declare const jobs: number;
 * const ctrl = new Int32Array(new SharedArrayBuffer((JOB_STATE + jobs) * 4));
 * Atomics.store(ctrl, STAGED, jobs); // input already shared: nothing to stage
 * ```
 * @internal
 * @module
 */
import type { AeadAlgorithm, ProviderName } from "../primitives/provider.js";

export const ABORT = 0;
export const NEXT = 1;
export const STAGED = 2;
export const DONE = 3;
export const PROGRESS = 4;
export const ACTIVE = 5;
export const FAILED = 6;
export const FAIL_INDEX = 7;
export const WAITING_FOR = 8;
export const JOB_STATE = 9;

export const FAILED_AUTH = 1;
export const FAILED_TRUNCATED = 2;
export const FAILED_CLAIMED = 3;

/** Everything a lane needs; structured-cloned to each worker once per call (the byte arrays are shared, not copied). */
export interface ChunkLane {
  readonly direction: "seal" | "open";
  readonly provider: ProviderName;
  readonly algorithm: AeadAlgorithm;
  /** Per-message subkey; the worker's copy is zeroed when the lane ends. */
  readonly subkey: Uint8Array;
  readonly prefix: Uint8Array;
  readonly chunkSize: number;
  readonly chunks: number;
  readonly jobChunks: number;
  readonly jobs: number;
  /** Length of the whole input (plaintext or sealed body). */
  readonly inputLength: number;
  /**
   * The whole input when `slots` is 0; else the staging area, job j at
   * `(j % slots) * slotStride + inputShift` (the shift gives staged bytes the
   * caller's 8-byte alignment, so the event loop's copy runs word-wise).
   */
  readonly input: Uint8Array;
  readonly slots: number;
  /**
   * Whether staged input is secret (plaintext): the lane that finishes one of
   * the last `slots` jobs zeroes that job's whole slot, since no later job
   * overwrites it. Those jobs cover every slot once, so a call whose jobs all
   * finished leaves its staging zeroed without the event loop wiping it after
   * the lanes (5-20 ms of a 256 MiB call's critical path, measured).
   */
  readonly wipeStaged: boolean;
  readonly slotBytes: number;
  readonly slotStride: number;
  readonly inputShift: number;
  /** Shared output; job j writes at `j * jobChunks * outChunk`. */
  readonly output: Uint8Array;
  readonly ctrl: Int32Array;
}

/** Wakes whoever waits on `PROGRESS`. */
export function bumpProgress(ctrl: Int32Array): void {
  Atomics.add(ctrl, PROGRESS, 1);
  Atomics.notify(ctrl, PROGRESS);
}
