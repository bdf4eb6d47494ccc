/**
 * The worker side of {@link ThreadPoolIo}: every pool thread runs this module.
 *
 * It is an ordinary TypeScript module (typechecked, linted, sharing the wire
 * constants of `protocol.ts` with the main thread), compiled by `tsc` beside
 * `thread-pool.js` and started with
 * `new Worker(new URL("./pool-worker.js", import.meta.url))`; see
 * `docs/worker-entry-points.md` for the convention. Importing it anywhere
 * but in a pool worker throws.
 *
 * The loop: requests arrive as batched messages (pulled with
 * `receiveMessageOnPort` as soon as `CTRL_REQUESTS` moves, so an idle worker
 * blocked in `Atomics.wait` needs no event-loop turn), tasks run one at a
 * time, and each result is published into the shared ring (or posted when it
 * does not fit there). Between tasks the worker notices cancels; while a task
 * runs, its `AbortSignal` (`taskSignal()` in `task-context.ts` reads it through a registered symbol, so a task module that loaded another copy of the runtime still finds it) aborts
 * on a cancel message.
 * @internal
 * @module
 */
import { performance } from "node:perf_hooks";
import { serialize } from "node:v8";
import { parentPort as maybeParentPort, receiveMessageOnPort, type TransferListItem, workerData } from "node:worker_threads";
import { TRANSFER_KEY } from "../io/transfer-marker.js";
import {
  ACKED_SPIN_MS,
  CTRL_ACK,
  CTRL_CURRENT,
  CTRL_HEAP_MB,
  CTRL_NEED_WAKE,
  CTRL_READ,
  CTRL_REQUESTS,
  CTRL_WRITE,
  type EncodedThrown,
  HOT_SPIN_MS,
  IDLE_WAIT_MS,
  MSG_BATCH,
  MSG_CANCEL,
  MSG_DOORBELL,
  MSG_RESULT,
  RECORD_HEADER,
  STATUS_DROPPED,
  STATUS_ERROR,
  STATUS_OK,
} from "./protocol.js";
import { lowerThisThread } from "./thread-niceness.js";

/** A batch of task requests: new task definitions `k` ([key, module URL, export]) and `j` = seq, key, args triples. */
interface BatchMessage {
  readonly t: typeof MSG_BATCH;
  readonly k?: readonly (readonly [number, string, string])[];
  readonly j: readonly unknown[];
}

/** Cancel task `s` with the reason text `r`. */
interface CancelMessage {
  readonly t: typeof MSG_CANCEL;
  readonly s: number;
  readonly r: string;
}

type Request = BatchMessage | CancelMessage;

interface TaskDef {
  readonly module: string;
  readonly name: string;
  fn: ((...args: unknown[]) => unknown) | undefined;
}

interface Running {
  readonly seq: number;
  controller: AbortController | null;
  aborted: boolean;
  reason: unknown;
}

/** What a task returns to hand its result back with a transfer list (`withTransfer()` in `task-context.ts`). */
interface TransferResult {
  readonly value: unknown;
  readonly transfer: readonly TransferListItem[];
}

if (maybeParentPort === null) throw new Error("pool-worker.js runs only as a ThreadPoolIo worker thread");
const parentPort = maybeParentPort;
const { ctrl: ctrlBuffer, ring, niceness } = workerData as { ctrl: SharedArrayBuffer; ring: SharedArrayBuffer; niceness: number };
// Before any task runs, so no task ever competes with the event loop at full priority.
lowerThisThread(niceness);
const ctrl = new Int32Array(ctrlBuffer);
const ringBytes = new Uint8Array(ring);
const ringView = new DataView(ring);
const CAP = ringBytes.length;
const MASK = CAP - 1;
const SIGNAL_KEY = Symbol.for("zsync.worker.taskSignal");
const tasks = new Map<number, TaskDef>();
const queue: unknown[] = [];
let head = 0;
const dropped = new Set<number>();
let seenRequests = 0;
let busy = false;
let current: Running | null = null;
let idleScheduled = false;
let lastHeapReport = -1e9;
let ackAtPublish = 0;

(globalThis as Record<symbol, unknown>)[SIGNAL_KEY] = (): AbortSignal | undefined => {
  if (current === null) return undefined;
  if (current.controller === null) {
    current.controller = new AbortController();
    if (current.aborted) current.controller.abort(current.reason);
  }
  return current.controller.signal;
};

function receive(message: Request): void {
  if (message.t === MSG_BATCH) {
    if (message.k !== undefined) {
      for (const def of message.k) tasks.set(def[0], { module: def[1], name: def[2], fn: undefined });
    }
    const jobs = message.j;
    for (let i = 0; i < jobs.length; i++) queue.push(jobs[i]);
  } else if (message.t === MSG_CANCEL) {
    if (current !== null && current.seq === message.s) {
      if (!current.aborted) {
        current.aborted = true;
        current.reason = cancelReason(message.r);
        if (current.controller !== null) current.controller.abort(message.r);
      }
    } else {
      dropped.add(message.s);
    }
  }
}

function cancelReason(message: string): Error {
  const error = new Error(message) as Error & { code?: string };
  error.name = "CancelledError";
  error.code = "ZSYNC_CANCELLED";
  return error;
}

function drainPort(): void {
  for (;;) {
    const entry = receiveMessageOnPort(parentPort);
    if (entry === undefined) return;
    receive(entry.message as Request);
  }
}

type Scalar = string | number | boolean | bigint | null | undefined;

function isScalar(value: unknown): value is Scalar {
  const type = typeof value;
  return value === null || type === "string" || type === "number" || type === "boolean" || type === "bigint" || type === "undefined";
}

/** Errors lose their prototype across threads: keep what `decodeThrown` rebuilds them from. */
function encodeThrown(value: unknown, depth: number): EncodedThrown {
  const error = value as { name?: unknown; message?: unknown; stack?: unknown; code?: unknown; cause?: unknown; errors?: unknown };
  if (
    value instanceof Error ||
    (value !== null && typeof value === "object" && typeof error.message === "string" && typeof error.name === "string")
  ) {
    const props: Record<string, Scalar> = {};
    const fields = value as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      if (key === "cause" || key === "errors" || key === "stack" || key === "message") continue;
      const v = fields[key];
      if (isScalar(v)) props[key] = v;
    }
    if (typeof error.code === "string" || typeof error.code === "number") props.code = error.code;
    const out: {
      __zsyncError: 1;
      name: string;
      message: string;
      stack: string | undefined;
      props: Record<string, Scalar>;
      cause?: EncodedThrown;
      errors?: EncodedThrown[];
    } = {
      __zsyncError: 1,
      name: String(error.name),
      message: String(error.message),
      stack: typeof error.stack === "string" ? error.stack : undefined,
      props,
    };
    if (depth < 4 && error.cause !== undefined) out.cause = encodeThrown(error.cause, depth + 1);
    if (depth < 4 && Array.isArray(error.errors)) out.errors = error.errors.slice(0, 16).map((e: unknown) => encodeThrown(e, depth + 1));
    return out;
  }
  try {
    serialize(value);
    return { __zsyncThrown: 1, value };
  } catch {
    return { __zsyncThrown: 1, value: String(value) };
  }
}

function doorbell(): void {
  if (Atomics.load(ctrl, CTRL_NEED_WAKE) === 1 && Atomics.exchange(ctrl, CTRL_NEED_WAKE, 0) === 1) {
    parentPort.postMessage(MSG_DOORBELL);
  }
}

function postResult(seq: number, status: number, ms: number, value: unknown, transfer: readonly TransferListItem[] | undefined): void {
  try {
    parentPort.postMessage({ t: MSG_RESULT, s: seq, st: status, ms, v: value }, transfer);
  } catch (error) {
    const wrapped = new TypeError(`task result could not be cloned: ${(error as Error | null)?.message}`, { cause: error });
    parentPort.postMessage({ t: MSG_RESULT, s: seq, st: STATUS_ERROR, ms, v: encodeThrown(wrapped, 0) });
  }
}

function publish(seq: number, status: number, ms: number, value: unknown): void {
  if (status === STATUS_OK && value !== null && typeof value === "object" && (value as Record<symbol, unknown>)[TRANSFER_KEY] === true) {
    const result = value as TransferResult;
    postResult(seq, status, ms, result.value, result.transfer);
    return;
  }
  // Nothing else queued here and the main thread is waiting: one plain message
  // is the fastest way back (the ring pays off for runs of results).
  if (head >= queue.length && Atomics.load(ctrl, CTRL_NEED_WAKE) === 1) {
    postResult(seq, status, ms, value, undefined);
    return;
  }
  let bytes: Uint8Array;
  try {
    bytes = serialize(value);
  } catch {
    postResult(seq, status, ms, value, undefined);
    return;
  }
  const need = (RECORD_HEADER + bytes.length + 7) & ~7;
  const w = Atomics.load(ctrl, CTRL_WRITE) >>> 0;
  const r = Atomics.load(ctrl, CTRL_READ) >>> 0;
  let off = w & MASK;
  const toEnd = CAP - off;
  const skip = toEnd < need ? toEnd : 0;
  if (need > CAP / 2 || ((w - r) >>> 0) + skip + need > CAP) {
    postResult(seq, status, ms, value, undefined);
    return;
  }
  if (skip !== 0) {
    ringView.setUint32(off, 0, true);
    off = 0;
  }
  ringView.setUint32(off, need, true);
  ringView.setUint32(off + 4, seq, true);
  ringView.setUint32(off + 8, status, true);
  ringView.setUint32(off + 12, bytes.length, true);
  ringView.setFloat64(off + 16, ms, true);
  ringBytes.set(bytes, off + RECORD_HEADER);
  Atomics.store(ctrl, CTRL_WRITE, (w + skip + need) | 0);
  doorbell();
}

function finish(seq: number, status: number, started: number, value: unknown): void {
  const ms = performance.now() - started;
  current = null;
  ackAtPublish = Atomics.load(ctrl, CTRL_ACK);
  publish(seq, status, ms, status === STATUS_OK ? value : encodeThrown(value, 0));
  Atomics.store(ctrl, CTRL_CURRENT, 0);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null && (typeof value === "object" || typeof value === "function") && typeof (value as { then?: unknown }).then === "function"
  );
}

function call(seq: number, fn: (...args: unknown[]) => unknown, args: unknown[]): void {
  const started = performance.now();
  let result: unknown;
  try {
    result = fn(...args);
  } catch (error) {
    finish(seq, STATUS_ERROR, started, error);
    return;
  }
  if (isThenable(result)) {
    busy = true;
    Promise.resolve(result).then(
      (value) => {
        busy = false;
        finish(seq, STATUS_OK, started, value);
        drive(true);
      },
      (error: unknown) => {
        busy = false;
        finish(seq, STATUS_ERROR, started, error);
        drive(true);
      },
    );
    return;
  }
  finish(seq, STATUS_OK, started, result);
}

function start(seq: number, key: number, args: unknown[]): void {
  Atomics.store(ctrl, CTRL_CURRENT, seq);
  current = { seq, controller: null, aborted: false, reason: undefined };
  // The main thread defines every key in a batch before (or with) its first use.
  const task = tasks.get(key) as TaskDef;
  if (task.fn !== undefined) {
    call(seq, task.fn, args);
    return;
  }
  busy = true;
  const started = performance.now();
  import(task.module).then(
    (mod: Record<string, unknown>) => {
      busy = false;
      const fn = mod[task.name];
      if (typeof fn !== "function") {
        finish(seq, STATUS_ERROR, started, new TypeError(`workerTask: ${task.module} has no exported function "${task.name}"`));
      } else {
        task.fn = fn as (...args: unknown[]) => unknown;
        call(seq, task.fn, args);
      }
      drive(true);
    },
    (error: unknown) => {
      busy = false;
      finish(seq, STATUS_ERROR, started, error);
      drive(true);
    },
  );
}

// hot: a task just finished, so the caller may well be about to send another.
function drive(hot: boolean): void {
  while (!busy) {
    const requests = Atomics.load(ctrl, CTRL_REQUESTS);
    if (requests !== seenRequests) {
      seenRequests = requests;
      drainPort();
    }
    if (head >= queue.length) {
      queue.length = 0;
      head = 0;
      if (hot && spinForRequest()) {
        hot = false;
        continue;
      }
      scheduleIdle();
      return;
    }
    const seq = queue[head] as number;
    const key = queue[head + 1] as number;
    const args = queue[head + 2] as unknown[];
    queue[head] = queue[head + 1] = queue[head + 2] = undefined;
    head += 3;
    if (dropped.size !== 0 && dropped.delete(seq)) {
      publish(seq, STATUS_DROPPED, 0, undefined);
      continue;
    }
    hot = true;
    start(seq, key, args);
  }
}

// Polls for a request while the main thread shows it is running elsewhere
// (see HOT_SPIN_MS in protocol.ts); true if one arrived.
function spinForRequest(): boolean {
  let deadline = performance.now() + HOT_SPIN_MS;
  let acked = false;
  while (Atomics.load(ctrl, CTRL_REQUESTS) === seenRequests) {
    const now = performance.now();
    if (!acked && Atomics.load(ctrl, CTRL_ACK) !== ackAtPublish) {
      acked = true;
      deadline = now + ACKED_SPIN_MS;
    }
    if (now > deadline) return false;
  }
  return true;
}

function scheduleIdle(): void {
  if (idleScheduled) return;
  idleScheduled = true;
  setImmediate(idle);
}

// Blocks briefly while there is nothing to do: a request then wakes the worker
// in microseconds instead of an event-loop hop. The wait is bounded so timers
// left behind by earlier tasks still get to run.
function idle(): void {
  idleScheduled = false;
  if (busy || head < queue.length) return;
  const now = performance.now();
  if (now - lastHeapReport > 100) {
    lastHeapReport = now;
    Atomics.store(ctrl, CTRL_HEAP_MB, Math.ceil(process.memoryUsage().heapUsed / 1048576));
  }
  Atomics.wait(ctrl, CTRL_REQUESTS, seenRequests, IDLE_WAIT_MS);
  drive(false);
}

parentPort.on("message", (message: Request) => {
  receive(message);
  if (!busy) drive(false);
});
drive(false);
