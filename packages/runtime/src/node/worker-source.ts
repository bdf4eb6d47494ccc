/**
 * Source of the worker bootstrap, run with `new Worker(source, { eval: true })`.
 *
 * It is a string rather than a file next to this module because the pool must
 * start workers both from the compiled `dist/` and from TypeScript sources run
 * by a test runner, where no `.js` sibling exists; an eval'd CommonJS script
 * needs no file at all and can still `import()` task modules by URL.
 * @internal
 * @module
 */
import {
  ACKED_SPIN_MS,
  CTRL_ACK,
  CTRL_CURRENT,
  CTRL_HEAP_MB,
  CTRL_NEED_WAKE,
  CTRL_READ,
  CTRL_REQUESTS,
  CTRL_WRITE,
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

export const WORKER_SOURCE = `"use strict";
const { parentPort, workerData, receiveMessageOnPort } = require("node:worker_threads");
const v8 = require("node:v8");
const { performance } = require("node:perf_hooks");
const ctrl = new Int32Array(workerData.ctrl);
const ringBytes = new Uint8Array(workerData.ring);
const ringView = new DataView(workerData.ring);
const CAP = ringBytes.length;
const MASK = CAP - 1;
const SIGNAL_KEY = Symbol.for("zsync.worker.taskSignal");
const TRANSFER_KEY = Symbol.for("zsync.transfer");
const tasks = new Map();
const queue = [];
let head = 0;
const dropped = new Set();
let seenRequests = 0;
let busy = false;
let current = null;
let idleScheduled = false;
let lastHeapReport = -1e9;
let ackAtPublish = 0;

globalThis[SIGNAL_KEY] = () => {
  if (current === null) return undefined;
  if (current.controller === null) {
    current.controller = new AbortController();
    if (current.aborted) current.controller.abort(current.reason);
  }
  return current.controller.signal;
};

function receive(message) {
  if (message.t === ${MSG_BATCH}) {
    if (message.k !== undefined) {
      for (const def of message.k) tasks.set(def[0], { module: def[1], name: def[2], fn: undefined });
    }
    const jobs = message.j;
    for (let i = 0; i < jobs.length; i++) queue.push(jobs[i]);
  } else if (message.t === ${MSG_CANCEL}) {
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

function cancelReason(message) {
  const error = new Error(message);
  error.name = "CancelledError";
  error.code = "ZSYNC_CANCELLED";
  return error;
}

function drainPort() {
  for (;;) {
    const entry = receiveMessageOnPort(parentPort);
    if (entry === undefined) return;
    receive(entry.message);
  }
}

function encodeThrown(value, depth) {
  if (value instanceof Error || (value !== null && typeof value === "object" && typeof value.message === "string" && typeof value.name === "string")) {
    const props = {};
    for (const key of Object.keys(value)) {
      if (key === "cause" || key === "errors" || key === "stack" || key === "message") continue;
      const v = value[key];
      if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean" || typeof v === "bigint" || v === undefined) props[key] = v;
    }
    if (typeof value.code === "string" || typeof value.code === "number") props.code = value.code;
    const out = { __zsyncError: 1, name: String(value.name), message: String(value.message), stack: typeof value.stack === "string" ? value.stack : undefined, props };
    if (depth < 4 && value.cause !== undefined) out.cause = encodeThrown(value.cause, depth + 1);
    if (depth < 4 && Array.isArray(value.errors)) out.errors = value.errors.slice(0, 16).map((e) => encodeThrown(e, depth + 1));
    return out;
  }
  try {
    v8.serialize(value);
    return { __zsyncThrown: 1, value };
  } catch {
    return { __zsyncThrown: 1, value: String(value) };
  }
}

function doorbell() {
  if (Atomics.load(ctrl, ${CTRL_NEED_WAKE}) === 1 && Atomics.exchange(ctrl, ${CTRL_NEED_WAKE}, 0) === 1) {
    parentPort.postMessage(${MSG_DOORBELL});
  }
}

function postResult(seq, status, ms, value, transfer) {
  try {
    parentPort.postMessage({ t: ${MSG_RESULT}, s: seq, st: status, ms, v: value }, transfer);
  } catch (error) {
    const wrapped = new TypeError("task result could not be cloned: " + (error && error.message), { cause: error });
    parentPort.postMessage({ t: ${MSG_RESULT}, s: seq, st: ${STATUS_ERROR}, ms, v: encodeThrown(wrapped, 0) });
  }
}

function publish(seq, status, ms, value) {
  if (status === ${STATUS_OK} && value !== null && typeof value === "object" && value[TRANSFER_KEY] === true) {
    postResult(seq, status, ms, value.value, value.transfer);
    return;
  }
  // Nothing else queued here and the main thread is waiting: one plain message
  // is the fastest way back (the ring pays off for runs of results).
  if (head >= queue.length && Atomics.load(ctrl, ${CTRL_NEED_WAKE}) === 1) {
    postResult(seq, status, ms, value, undefined);
    return;
  }
  let bytes;
  try {
    bytes = v8.serialize(value);
  } catch {
    postResult(seq, status, ms, value, undefined);
    return;
  }
  const need = (${RECORD_HEADER} + bytes.length + 7) & ~7;
  const w = Atomics.load(ctrl, ${CTRL_WRITE}) >>> 0;
  const r = Atomics.load(ctrl, ${CTRL_READ}) >>> 0;
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
  ringBytes.set(bytes, off + ${RECORD_HEADER});
  Atomics.store(ctrl, ${CTRL_WRITE}, (w + skip + need) | 0);
  doorbell();
}

function finish(seq, status, started, value) {
  const ms = performance.now() - started;
  current = null;
  ackAtPublish = Atomics.load(ctrl, ${CTRL_ACK});
  publish(seq, status, ms, status === ${STATUS_OK} ? value : encodeThrown(value, 0));
  Atomics.store(ctrl, ${CTRL_CURRENT}, 0);
}

function isThenable(value) {
  return value !== null && (typeof value === "object" || typeof value === "function") && typeof value.then === "function";
}

function call(seq, fn, args) {
  const started = performance.now();
  let result;
  try {
    result = fn(...args);
  } catch (error) {
    finish(seq, ${STATUS_ERROR}, started, error);
    return;
  }
  if (isThenable(result)) {
    busy = true;
    Promise.resolve(result).then(
      (value) => { busy = false; finish(seq, ${STATUS_OK}, started, value); drive(true); },
      (error) => { busy = false; finish(seq, ${STATUS_ERROR}, started, error); drive(true); },
    );
    return;
  }
  finish(seq, ${STATUS_OK}, started, result);
}

function start(seq, key, args) {
  Atomics.store(ctrl, ${CTRL_CURRENT}, seq);
  current = { seq, controller: null, aborted: false, reason: undefined };
  const task = tasks.get(key);
  if (task.fn !== undefined) {
    call(seq, task.fn, args);
    return;
  }
  busy = true;
  const started = performance.now();
  import(task.module).then(
    (mod) => {
      busy = false;
      const fn = mod[task.name];
      if (typeof fn !== "function") {
        finish(seq, ${STATUS_ERROR}, started, new TypeError("workerTask: " + task.module + " has no exported function \\"" + task.name + "\\""));
      } else {
        task.fn = fn;
        call(seq, fn, args);
      }
      drive(true);
    },
    (error) => { busy = false; finish(seq, ${STATUS_ERROR}, started, error); drive(true); },
  );
}

// hot: a task just finished, so the caller may well be about to send another.
function drive(hot) {
  while (!busy) {
    const requests = Atomics.load(ctrl, ${CTRL_REQUESTS});
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
    const seq = queue[head];
    const key = queue[head + 1];
    const args = queue[head + 2];
    queue[head] = queue[head + 1] = queue[head + 2] = undefined;
    head += 3;
    if (dropped.size !== 0 && dropped.delete(seq)) {
      publish(seq, ${STATUS_DROPPED}, 0, undefined);
      continue;
    }
    hot = true;
    start(seq, key, args);
  }
}

// Polls for a request while the main thread shows it is running elsewhere
// (see HOT_SPIN_MS in protocol.ts); true if one arrived.
function spinForRequest() {
  let deadline = performance.now() + ${HOT_SPIN_MS};
  let acked = false;
  while (Atomics.load(ctrl, ${CTRL_REQUESTS}) === seenRequests) {
    const now = performance.now();
    if (!acked && Atomics.load(ctrl, ${CTRL_ACK}) !== ackAtPublish) {
      acked = true;
      deadline = now + ${ACKED_SPIN_MS};
    }
    if (now > deadline) return false;
  }
  return true;
}

function scheduleIdle() {
  if (idleScheduled) return;
  idleScheduled = true;
  setImmediate(idle);
}

// Blocks briefly while there is nothing to do: a request then wakes the worker
// in microseconds instead of an event-loop hop. The wait is bounded so timers
// left behind by earlier tasks still get to run.
function idle() {
  idleScheduled = false;
  if (busy || head < queue.length) return;
  const now = performance.now();
  if (now - lastHeapReport > 100) {
    lastHeapReport = now;
    Atomics.store(ctrl, ${CTRL_HEAP_MB}, Math.ceil(process.memoryUsage().heapUsed / 1048576));
  }
  Atomics.wait(ctrl, ${CTRL_REQUESTS}, seenRequests, ${IDLE_WAIT_MS});
  drive(false);
}

parentPort.on("message", (message) => {
  receive(message);
  if (!busy) drive(false);
});
drive(false);
`;
