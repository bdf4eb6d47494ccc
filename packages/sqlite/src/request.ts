/**
 * One call on its way to a connection worker and back: what to run, how to
 * decode the answer, and how to settle the caller's promise. A request is a
 * single object with no closures of its own beyond the promise executor, so
 * a point query allocates little more than the promise it returns.
 *
 * @example
 * ```ts
 * import type { Connection } from "./connection.js";
 * import { DECODE_GET, Request, type RequestOwner } from "./request.js";
 * declare const connection: Connection;
 * declare const owner: RequestOwner;
 * declare const OP_GET: number; // from ./worker/protocol.js
 * const request = new Request(OP_GET, "SELECT 1 AS one", undefined, 0, DECODE_GET, owner);
 * connection.send(request);
 * await request.promise; // { one: 1 }
 * ```
 * @module
 */

import type { Connection } from "./connection.js";

/** Decode the response as one row or `undefined`. */
export const DECODE_GET = 0;
/** Decode as an array of rows. */
export const DECODE_ALL = 1;
/** Decode as `{ rows, changes, lastInsertRowid }`. */
export const DECODE_QUERY = 2;
/** Decode as `{ changes, lastInsertRowid }`. */
export const DECODE_RUN = 3;
/** Resolve with `undefined`. */
export const DECODE_NONE = 4;
/** Resolve with a batch `{ rows, done }`. */
export const DECODE_BATCH = 5;
/** Resolve with the first response slot as is (a count). */
export const DECODE_SCALAR = 6;

export const QUEUED = 0;
export const SENT = 1;
export const DONE = 2;

/** Whoever counts outstanding requests (the database's back-pressure bound). */
export interface RequestOwner {
  settled(request: Request): void;
}

export class Request {
  readonly op: number;
  readonly sql: string;
  readonly params: unknown;
  /** Worker flags; FLAG_INTERRUPTIBLE is added when the call turns out to be cancellable. */
  flags: number;
  /** Operation argument for the worker: iterator batch size, INSERT row width. */
  arg = 0;
  readonly decode: number;
  readonly owner: RequestOwner;
  readonly promise: Promise<unknown>;
  state = QUEUED;
  /** Whether the owner counted it as outstanding (and must hear when it settles). */
  counted = false;
  /** True when the caller can cancel (signal, timeout or ambient task): such writes run alone. */
  cancellable = false;
  /**
   * Not cancelled with the calling task: a transaction's COMMIT/ROLLBACK must
   * run even in a cancelled task, or the writer would stay inside the transaction.
   */
  detached = false;
  /** Whether the request must run on the writer connection. */
  write = false;
  /** Sequence number on its connection, assigned when posted (see worker/protocol.js, interrupt cells). */
  seq = 0;
  /** Runs inside a transaction (on a lease taken by a `Transaction`). */
  inTransaction = false;
  /**
   * Why it is being stopped, while the worker has not yet said whether it
   * stopped or finished first: set for writes outside a transaction, whose
   * caller must learn whether they committed.
   */
  stopError: Error | undefined = undefined;
  /** Called once, when the request is handed to a connection (starts a `runTimeoutMs` timer). */
  onSend: (() => void) | undefined = undefined;
  /** The connection it was sent to (while `SENT`). */
  connection: Connection | null = null;
  /** Releases signal and task listeners and timers; set only for cancellable requests. */
  dispose: (() => void) | undefined = undefined;
  #resolve!: (value: unknown) => void;
  #reject!: (reason: unknown) => void;

  constructor(op: number, sql: string, params: unknown, flags: number, decode: number, owner: RequestOwner) {
    this.op = op;
    this.sql = sql;
    this.params = params;
    this.flags = flags;
    this.decode = decode;
    this.owner = owner;
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  get done(): boolean {
    return this.state === DONE;
  }

  resolve(value: unknown): void {
    if (this.state === DONE) return;
    this.state = DONE;
    this.dispose?.();
    if (this.counted) this.owner.settled(this);
    this.#resolve(value);
  }

  reject(reason: unknown): void {
    if (this.state === DONE) return;
    this.state = DONE;
    this.dispose?.();
    if (this.counted) this.owner.settled(this);
    this.#reject(reason);
  }
}
