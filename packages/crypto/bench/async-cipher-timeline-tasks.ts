/**
 * Worker side of bench/async-cipher-timeline.ts: AsyncCipher's own worker
 * tasks (`chunk-tasks.ts`), each wrapped to record when it ran on which
 * thread, its CPU time and page faults, plus every garbage collection of
 * the worker's isolate. Events go to the event-loop thread over a
 * `BroadcastChannel` with absolute timestamps, so they line up with the
 * event loop's own record of the call.
 * @module
 */
import { readFileSync } from "node:fs";
import { PerformanceObserver } from "node:perf_hooks";
import { BroadcastChannel, isMainThread, threadId } from "node:worker_threads";
import { allocateShared as allocate, type ChunkLane, runChunkLane as runLane } from "../src/bulk/chunk-tasks.js";

export { heldShapeAnchors, sharedAllocations, sharedMemoryCollections } from "../src/bulk/chunk-tasks.js";

/** One thing that happened on some thread, timestamps in ms since the epoch (fractional). */
export interface TimelineEvent {
  readonly thread: number;
  readonly kind: "lane" | "alloc" | "gc";
  readonly start: number;
  readonly end: number;
  /** CPU ms of this thread during the event (lanes and allocations). */
  readonly cpuMs?: number;
  /** Minor page faults of this thread during the event. */
  readonly faults?: number;
  /** Kernel-mode CPU ms of this thread during the event (10 ms ticks: coarse). */
  readonly sysMs?: number;
  /** Jobs a lane finished; GC kind for collections. */
  readonly detail?: number;
}

export const TIMELINE_CHANNEL = "zsync-async-cipher-timeline";
const channel = new BroadcastChannel(TIMELINE_CHANNEL);
(channel as unknown as { unref?: () => void }).unref?.();

const now = (): number => performance.timeOrigin + performance.now();

/** This thread's CPU ms and minor faults (Linux per-thread accounting). */
export function threadCounters(): { cpuMs: number; faults: number; sysMs: number } {
  const stat = readFileSync("/proc/thread-self/stat", "utf8");
  // Fields after "(comm) ": state is [0], minflt [7], utime [11], stime [12] (clock ticks of 10 ms).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const cpuMs = Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]) / 1e6;
  return { cpuMs, faults: Number(fields[7]), sysMs: Number(fields[12]) * 10 };
}

function post(event: TimelineEvent): void {
  channel.postMessage(event);
}

// Workers only: the event loop records its own collections (this module is imported there for its types).
if (!isMainThread) observeCollections();

function observeCollections(): void {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const start = performance.timeOrigin + entry.startTime;
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind ?? 0;
      post({ thread: threadId, kind: "gc", start, end: start + entry.duration, detail: kind });
    }
  }).observe({ entryTypes: ["gc"] });
}

export function runChunkLane(lane: ChunkLane): number {
  const start = now();
  const before = threadCounters();
  const jobs = runLane(lane);
  const after = threadCounters();
  post({
    thread: threadId,
    kind: "lane",
    start,
    end: now(),
    cpuMs: after.cpuMs - before.cpuMs,
    faults: after.faults - before.faults,
    sysMs: after.sysMs - before.sysMs,
    detail: jobs,
  });
  return jobs;
}

export function allocateShared(bytes: number): SharedArrayBuffer {
  const start = now();
  const before = threadCounters();
  const buffer = allocate(bytes);
  const after = threadCounters();
  post({ thread: threadId, kind: "alloc", start, end: now(), cpuMs: after.cpuMs - before.cpuMs, faults: after.faults - before.faults });
  return buffer;
}
