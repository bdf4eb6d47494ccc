/**
 * One SQLite connection pinned in its own worker thread, seen from the main
 * thread. Calls made in the same event-loop turn go to the worker as one
 * message, and the worker answers each message with one message, so the
 * per-query cost of crossing threads is shared by everything in flight.
 *
 * The worker runs requests strictly in arrival order, so answers come back in
 * the order requests were sent; in-flight requests are therefore a FIFO, not
 * a map keyed by id.
 *
 * @example
 * ```ts
 * const conn = new Connection(1, "reader", config, onLost);
 * await conn.ready;
 * conn.send(new Request(OP_GET, "SELECT 1 AS x", undefined, 0, DECODE_GET, owner));
 * ```
 * @module
 */
import { Worker } from "node:worker_threads";
import type { Request } from "./request.js";
import { QUEUED, SENT } from "./request.js";
import { decodeError, decodeResponse } from "./response-decoder.js";
import { REQUEST_SLOTS, RESPONSE_SLOTS, STATUS_ERROR, STATUS_OK, STATUS_REROUTE } from "./worker/protocol.js";

/** What a connection worker is started with (see worker/connection-worker.js). */
export interface WorkerConfig {
  readonly path: string;
  readonly readonly: boolean;
  readonly wal: boolean;
  readonly busyTimeoutMs: number;
  readonly synchronous: "normal" | "full";
  readonly pragmas: readonly string[];
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

const WORKER_URL = new URL("./worker/connection-worker.js", import.meta.url);

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
  #outbox: unknown[] = [];
  #outboxRequests: Request[] = [];
  #inflight: Request[] = [];
  #head = 0;
  #scheduled = false;
  #onLost: LostHandler;
  #onReroute: RerouteHandler;
  #flush = (): void => this.#send();

  constructor(id: number, role: Role, config: WorkerConfig, onLost: LostHandler, onReroute: RerouteHandler) {
    this.id = id;
    this.role = role;
    this.#onLost = onLost;
    this.#onReroute = onReroute;
    this.#worker = new Worker(WORKER_URL, { workerData: config, name: `zsync-sqlite-${role}-${id}` });
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
    return this.#inflight.length - this.#head + this.#outboxRequests.length;
  }

  /** Queues `request` for the next flush (at the end of this turn's microtasks). */
  send(request: Request): void {
    request.state = SENT;
    request.connection = this;
    this.#outboxRequests.push(request);
    this.#outbox.push(0, request.op, request.sql, request.params, request.flags);
    if (this.#outboxRequests.length >= MAX_BATCH) {
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

  /** Whether `request` is still in this connection's outbox (not yet posted). */
  unsend(request: Request): boolean {
    const index = this.#outboxRequests.indexOf(request);
    if (index < 0) return false;
    this.#outboxRequests.splice(index, 1);
    this.#outbox.splice(index * REQUEST_SLOTS, REQUEST_SLOTS);
    request.state = QUEUED;
    request.connection = null;
    return true;
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

  /** Posts every queued request as one message. */
  #send(): void {
    this.#scheduled = false;
    if (this.#outboxRequests.length === 0 || !this.alive) return;
    const batch = this.#outbox;
    const requests = this.#outboxRequests;
    this.#outbox = [];
    this.#outboxRequests = [];
    for (let i = 0; i < requests.length; i++) this.#inflight.push(requests[i] as Request);
    this.#worker.postMessage(batch);
  }

  #receive(out: unknown[]): void {
    for (let i = 0; i < out.length; i += RESPONSE_SLOTS) {
      const request = this.#inflight[this.#head] as Request;
      this.#inflight[this.#head++] = undefined as unknown as Request;
      const status = out[i + 1];
      if (request.done) continue; // cancelled while running; its answer is moot
      request.connection = null;
      if (status === STATUS_OK) request.resolve(decodeResponse(request, out[i + 2], out[i + 3], out[i + 4]));
      else if (status === STATUS_ERROR) request.reject(decodeError(out[i + 2], request.sql));
      else if (status === STATUS_REROUTE) this.#onReroute(request);
    }
    if (this.#head === this.#inflight.length) {
      this.#inflight.length = 0;
      this.#head = 0;
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
    for (const request of this.#outboxRequests) if (!request.done) requests.push(request);
    this.#inflight = [];
    this.#head = 0;
    this.#outbox = [];
    this.#outboxRequests = [];
    for (const request of requests) {
      request.state = QUEUED;
      request.connection = null;
    }
    this.#onLost(this, cause, requests);
  }
}
