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
 * import { OP_GET } from "./worker/protocol.js";
 * declare const connection: Connection;
 * declare const owner: RequestOwner;
 * const request = new Request(OP_GET, "SELECT 1 AS one", undefined, 0, DECODE_GET, owner);
 * connection.send(request);
 * await request.promise; // { one: 1 }
 * ```
 * @module
 */

import type { Op } from "./worker/protocol.js";

/** Decode the response as one row or `undefined`. */
export const DECODE_GET = 0 as const;
/** Decode as an array of rows. */
export const DECODE_ALL = 1 as const;
/** Decode as `{ rows, changes, lastInsertRowid }`. */
export const DECODE_QUERY = 2 as const;
/** Decode as `{ changes, lastInsertRowid }`. */
export const DECODE_RUN = 3 as const;
/** Resolve with `undefined`. */
export const DECODE_NONE = 4 as const;
/** Resolve with a batch `{ rows, done }`. */
export const DECODE_BATCH = 5 as const;
/** Resolve with the first response slot as is (a count). */
export const DECODE_SCALAR = 6 as const;

/** How a request's response record becomes the caller's value. */
export type Decode =
  | typeof DECODE_GET
  | typeof DECODE_ALL
  | typeof DECODE_QUERY
  | typeof DECODE_RUN
  | typeof DECODE_NONE
  | typeof DECODE_BATCH
  | typeof DECODE_SCALAR;

/** Waiting for a connection. */
export const QUEUED = 0 as const;
/** Posted to a connection's worker, not answered yet. */
export const SENT = 1 as const;
/** Settled. */
export const DONE = 2 as const;

export type RequestState = typeof QUEUED | typeof SENT | typeof DONE;

/**
 * What a request keeps of the connection it was sent to: the controls the
 * database uses to stop it there. A narrow view, so that this module does not
 * depend on `Connection` (which depends on it).
 */
export interface RequestCarrier {
  /** False once the worker is exiting or gone. */
  readonly alive: boolean;
  /** Takes back a request not yet posted to the worker; false if it was. */
  unsend(request: Request): boolean;
  /** Stops a posted request through the interrupt cells (skipped, or interrupted mid-statement). */
  cancel(request: Request): void;
  /** Whether the worker has finished request number `seq`. */
  finished(seq: number): boolean;
  /** Whether the worker is executing request number `seq` right now. */
  running(seq: number): boolean;
  /** Ends the worker (the fallback when a statement cannot be interrupted). */
  terminate(reason: unknown): void;
}

/** Whoever counts outstanding requests (the database's back-pressure bound). */
export interface RequestOwner {
  settled(request: Request): void;
}

export class Request {
  readonly op: Op;
  readonly sql: string;
  readonly params: unknown;
  /** Worker flags; FLAG_INTERRUPTIBLE is added when the call turns out to be cancellable. */
  flags: number;
  /** Operation argument for the worker: iterator batch size, INSERT row width. */
  arg = 0;
  readonly decode: Decode;
  readonly owner: RequestOwner;
  readonly promise: Promise<unknown>;
  state: RequestState = QUEUED;
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
  connection: RequestCarrier | null = null;
  /** Releases signal and task listeners and timers; set only for cancellable requests. */
  dispose: (() => void) | undefined = undefined;
  #resolve!: (value: unknown) => void;
  #reject!: (reason: unknown) => void;

  constructor(op: Op, sql: string, params: unknown, flags: number, decode: Decode, owner: RequestOwner) {
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
