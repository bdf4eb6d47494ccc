/**
 * One SQLite connection pinned in its own worker thread, seen from the main
 * thread. Calls made in the same event-loop turn go to the worker as one
 * message, and the worker answers each message with one message, so the
 * per-query cost of crossing threads is shared by everything in flight.
 *
 * This side also decides which prepared-statement slot of the worker each
 * SQL text lives in (first-in-first-out eviction at `statementCacheSize`),
 * so a statement's text crosses threads once per connection and the worker
 * finds the statement by index.
 *
 * The worker runs requests strictly in arrival order, so answers come back in
 * the order requests were sent; in-flight requests are therefore a FIFO, not
 * a map keyed by id.
 *
 * @example
 * ```ts
 * import { Connection, type LostHandler, type WorkerConfig } from "./connection.js";
 * import { DECODE_GET, Request, type RequestOwner } from "./request.js";
 * import { OP_GET } from "./worker/protocol.js";
 * declare const config: WorkerConfig;
 * declare const onLost: LostHandler;
 * declare const owner: RequestOwner;
 * const conn = new Connection(1, "reader", config, onLost, (write) => console.log("a reader cannot run", write.sql));
 * await conn.ready;
 * conn.send(new Request(OP_GET, "SELECT 1 AS x", undefined, 0, DECODE_GET, owner));
 * ```
 * @module
 */
import { Worker } from "node:worker_threads";
import type { Request } from "./request.js";
import { QUEUED, SENT } from "./request.js";
import { decodeError, decodeResponse, isStopped, responseEnd } from "./response-decoder.js";
import {
  BITMAP_MASK,
  CELL_BITS,
  CELL_CURRENT,
  CELL_DONE,
  CELL_STOP,
  INTERRUPT_BYTES,
  nextSeq,
  OP_INSERT_MANY,
  OP_ITER_OPEN,
  OP_QUERY,
  STATUS_ERROR,
  STATUS_OK,
  type WorkerData,
} from "./worker/protocol.js";

/** How a connection is opened: what its worker is started with, less the interrupt cells the connection allocates. */
export interface WorkerConfig extends Omit<WorkerData, "interrupt"> {
  /** Statement slots; the main-thread side of the connection assigns and evicts them. */
  readonly statementCacheSize: number;
}

export type Role = "writer" | "reader";

/**
 * Called once when the connection is gone: `requests` are those it had
 * accepted and not answered (in order), `cause` why it went.
 */
export type LostHandler = (connection: Connection, cause: unknown, requests: Request[]) => void;

/** Called when a read-only connection hands back a statement that writes. */
export type RerouteHandler = (request: Request) => void;

/** Requests per message; see {@link Connection.send}. */
const MAX_BATCH = 32;

/**
 * The compiled worker entry point beside this module; from the TypeScript
 * sources (under vitest) its twin in dist/, which the suite's global setup
 * builds (a worker thread runs JavaScript, see the runtime's
 * docs/worker-entry-points.md).
 */
const WORKER_URL = import.meta.url.endsWith(".ts")
  ? new URL("../dist/worker/connection-worker.js", import.meta.url)
  : new URL("./worker/connection-worker.js", import.meta.url);

export class Connection {
  readonly id: number;
  readonly role: Role;
  /** Settles when the connection is open (rejects if opening failed). */
  readonly ready: Promise<void>;
  /** Settles when the worker thread has exited (its SQLite connection closed). */
  readonly exited: Promise<void>;
  /** False once the worker is exiting or gone; nothing may be sent then. */
  alive = true;
  /** Held exclusively (an iterator or backup): the pool sends it nothing else. */
  pinned = false;
  /** Why the connection is going away, when we asked it to. */
  #endReason: unknown = undefined;
  #worker: Worker;
  #outbox: Request[] = [];
  /** SQL text to statement slot, and back; `#defined[slot]` once the worker was sent the text. */
  #slots = new Map<string, number>();
  #slotTexts: string[] = [];
  #defined: boolean[] = [];
  #nextEvict = 0;
  readonly #capacity: number;
  #inflight: Request[] = [];
  #head = 0;
  #scheduled = false;
  #onLost: LostHandler;
  #onReroute: RerouteHandler;
  /** Interrupt cells shared with the worker (layout in worker/protocol.ts). */
  readonly #cells: Int32Array;
  /** Sequence number of the last request posted. */
  #seq = 0;
  /** Called when the last request in flight was answered (the writer lane grants leases then). */
  onDrained: (() => void) | null = null;
  #flush = (): void => this.#send();

  constructor(id: number, role: Role, config: WorkerConfig, onLost: LostHandler, onReroute: RerouteHandler) {
    this.id = id;
    this.role = role;
    this.#onLost = onLost;
    this.#onReroute = onReroute;
    this.#capacity = config.statementCacheSize;
    const interrupt = new SharedArrayBuffer(INTERRUPT_BYTES);
    this.#cells = new Int32Array(interrupt);
    this.#cells[CELL_STOP] = -1;
    const workerData: WorkerData = { ...config, interrupt };
    this.#worker = new Worker(WORKER_URL, { workerData, name: `zsync-sqlite-${role}-${id}` });
    let markReady: () => void = () => {};
    let failReady: (error: unknown) => void = () => {};
    this.ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    // Opening errors are reported through `ready`; avoid unhandled rejections when nobody awaits it.
    this.ready.catch(() => {});
    let lastError: unknown;
    this.exited = new Promise<void>((resolve) => {
      this.#worker.once("exit", (code) => {
        this.alive = false;
        const cause = this.#endReason ?? lastError ?? new Error(`worker exited with code ${code}`);
        failReady(cause);
        this.#lose(cause);
        resolve();
      });
    });
    this.#worker.on("error", (error) => {
      lastError = error;
    });
    this.#worker.on("message", (message: unknown) => {
      if (message === "ready") {
        markReady();
        return;
      }
      this.#receive(message as unknown[]);
    });
  }

  /** Requests accepted and not yet answered. */
  get load(): number {
    return this.#inflight.length - this.#head + this.#outbox.length;
  }

  /** Queues `request` for the next flush (at the end of this turn's microtasks). */
  send(request: Request): void {
    if (request.onSend !== undefined) {
      const onSend = request.onSend;
      request.onSend = undefined;
      onSend();
      if (request.done) return;
    }
    request.state = SENT;
    request.connection = this;
    this.#outbox.push(request);
    if (this.#outbox.length >= MAX_BATCH) {
      // Several medium messages rather than one large one: the worker starts on
      // the first while later ones are still being built, and its answers come
      // back sooner, which keeps both threads busy instead of taking turns.
      this.#send();
      return;
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flush);
    }
  }

  /** Whether `request` is still in this connection's outbox (not yet posted); if so it is taken out. */
  unsend(request: Request): boolean {
    const index = this.#outbox.indexOf(request);
    if (index < 0) return false;
    this.#outbox.splice(index, 1);
    request.state = QUEUED;
    request.connection = null;
    return true;
  }

  /**
   * Asks the worker to stop `request` (already posted): if it is running,
   * the progress handler fails it with SQLITE_INTERRUPT within a few thousand
   * VM instructions; if it has not started, the worker skips it. Either way
   * it is answered with an interrupted error, unless it finished first.
   *
   * The bit is set before `CURRENT` is read, and the worker writes `CURRENT`
   * before it tests the bit (all sequentially consistent), so at least one
   * side sees the other: the request is skipped, or `STOP` catches it running.
   */
  cancel(request: Request): void {
    const seq = request.seq;
    if (this.finished(seq)) return;
    const cells = this.#cells;
    Atomics.or(cells, CELL_BITS + ((seq & BITMAP_MASK) >>> 5), 1 << (seq & 31));
    if (Atomics.load(cells, CELL_CURRENT) === seq) Atomics.store(cells, CELL_STOP, seq);
  }

  /** Whether the worker has finished the request numbered `seq` (its answer may still be on the way). */
  finished(seq: number): boolean {
    return ((Atomics.load(this.#cells, CELL_DONE) - seq) | 0) >= 0;
  }

  /** Whether the worker is executing the request numbered `seq` right now. */
  running(seq: number): boolean {
    return Atomics.load(this.#cells, CELL_CURRENT) === seq;
  }

  /**
   * Stops the worker: the statement it is running is abandoned (SQLite rolls
   * back any open transaction when the connection closes on thread exit).
   * Unanswered requests go to the lost handler with `reason`.
   */
  terminate(reason: unknown): void {
    if (!this.alive) return;
    this.alive = false;
    this.#endReason = reason;
    void this.#worker.terminate();
  }

  /** Posts every queued request as one message (see worker/protocol.js for the record layout). */
  #send(): void {
    this.#scheduled = false;
    const requests = this.#outbox;
    if (requests.length === 0 || !this.alive) return;
    this.#outbox = [];
    const batch: unknown[] = [];
    const inflight = this.#inflight;
    for (let i = 0; i < requests.length; i++) {
      const request = requests[i] as Request;
      inflight.push(request);
      this.#seq = nextSeq(this.#seq);
      request.seq = this.#seq;
      const op = request.op;
      let slot = -1;
      let sql: string | null = request.sql;
      if (op <= OP_QUERY || op === OP_ITER_OPEN || op === OP_INSERT_MANY) {
        slot = this.#slotFor(sql);
        if (this.#defined[slot] === true) sql = null;
        else this.#defined[slot] = true;
      }
      batch.push(op, request.flags, slot, sql, request.arg);
      const params = request.params;
      if (params === undefined) batch.push(0);
      else if (Array.isArray(params) && op !== OP_INSERT_MANY) {
        const n = params.length;
        batch.push(n);
        for (let p = 0; p < n; p++) batch.push(params[p]);
      } else batch.push(-1, params);
    }
    this.#worker.postMessage(batch);
  }

  /** The statement slot for `sql`, evicting the oldest statement when all are taken. */
  #slotFor(sql: string): number {
    let slot = this.#slots.get(sql);
    if (slot !== undefined) return slot;
    if (this.#slotTexts.length < this.#capacity) slot = this.#slotTexts.length;
    else {
      slot = this.#nextEvict;
      this.#nextEvict = (slot + 1) % this.#capacity;
      this.#slots.delete(this.#slotTexts[slot] as string);
    }
    this.#slotTexts[slot] = sql;
    this.#defined[slot] = false;
    this.#slots.set(sql, slot);
    return slot;
  }

  #receive(out: unknown[]): void {
    let at = 0;
    while (at < out.length) {
      const request = this.#inflight[this.#head] as Request;
      this.#inflight[this.#head++] = undefined as unknown as Request;
      const status = out[at];
      if (status === STATUS_OK) {
        const end = responseEnd(request.op, out, at);
        if (!request.done) {
          request.connection = null;
          request.resolve(decodeResponse(request, out, at));
        }
        at = end;
      } else if (status === STATUS_ERROR) {
        if (!request.done) {
          request.connection = null;
          const error = decodeError(out[at + 1], request.sql);
          // A stopped statement rejects with why it was stopped (timeout, abort).
          request.reject(request.stopError !== undefined && isStopped(error) ? request.stopError : error);
        }
        at += 2;
      } else {
        at += 1;
        if (!request.done) {
          request.connection = null;
          this.#onReroute(request);
        }
      }
    }
    if (this.#head === this.#inflight.length) {
      this.#inflight.length = 0;
      this.#head = 0;
      if (this.#outbox.length === 0) this.onDrained?.();
    } else if (this.#head > 1024 && this.#head * 2 > this.#inflight.length) {
      this.#inflight = this.#inflight.slice(this.#head);
      this.#head = 0;
    }
  }

  #lose(cause: unknown): void {
    const requests: Request[] = [];
    for (let i = this.#head; i < this.#inflight.length; i++) {
      const request = this.#inflight[i] as Request;
      if (!request.done) requests.push(request);
    }
    for (const request of this.#outbox) if (!request.done) requests.push(request);
    this.#inflight = [];
    this.#head = 0;
    this.#outbox = [];
    for (const request of requests) {
      request.state = QUEUED;
      request.connection = null;
    }
    this.#onLost(this, cause, requests);
  }
}
