/**
 * The wire protocol between {@link ThreadPoolIo} and its workers, shared by
 * the main-thread side and the worker bootstrap source.
 *
 * Requests travel as batched `postMessage`s; after posting, the main thread
 * bumps `CTRL_REQUESTS` and `Atomics.notify`s it, so an idle worker blocked in
 * `Atomics.wait` wakes and pulls the batch with `receiveMessageOnPort` without
 * an event-loop round trip, and a worker busy with a batch notices cancels
 * between two tasks.
 *
 * Results travel through a single-producer/single-consumer ring in a
 * `SharedArrayBuffer` (V8-serialized), so a finished task's result is visible
 * to the main thread the instant the worker publishes it: nothing is lost if
 * the worker is killed right after, and one doorbell message wakes the main
 * thread for a whole run of results. Results that do not fit, need a transfer
 * list, or cannot be V8-serialized fall back to `postMessage`.
 * @internal
 * @module
 */

/** Int32 slots of the per-worker control array. */
export const CTRL_REQUESTS = 0;
/** Sequence number of the task the worker is running now (0: none). */
export const CTRL_CURRENT = 1;
/** Heap used by the worker, in MiB (refreshed while idle, at most 10 times a second). */
export const CTRL_HEAP_MB = 2;
/** 1 while the main thread wants a doorbell message for the next result. */
export const CTRL_NEED_WAKE = 3;
/** Ring write counter in bytes (wraps at 2^32). */
export const CTRL_WRITE = 4;
/** Ring read counter in bytes (wraps at 2^32). */
export const CTRL_READ = 5;
/** Bumped by the main thread each time it takes a message from the worker (see `HOT_SPIN_MS`). */
export const CTRL_ACK = 6;
export const CTRL_SLOTS = 8;

/** Ring capacity in bytes (a power of two). */
export const RING_BYTES = 1 << 18;
/** Record header: u32 length, u32 seq, u32 status, u32 payload length, f64 run ms. */
export const RECORD_HEADER = 24;

/** Result statuses. */
export const STATUS_OK = 0;
export const STATUS_ERROR = 1;
/** The worker dropped a task it had not started because it was cancelled. */
export const STATUS_DROPPED = 2;

/** Message tags. */
export const MSG_BATCH = 1;
export const MSG_CANCEL = 2;
export const MSG_RESULT = 3;
export const MSG_DOORBELL = 4;

/** How long an idle worker blocks in `Atomics.wait` before visiting its event loop. */
export const IDLE_WAIT_MS = 50;

/**
 * How long a worker that just ran tasks polls `CTRL_REQUESTS` before it parks
 * in `Atomics.wait`. A parked thread's core may go idle, and waking an idle
 * (virtual) core costs tens of microseconds on each side of a round trip; a
 * caller that submits one task after another sends its next request within
 * this window, and the worker reads it with `receiveMessageOnPort` without an
 * event-loop turn.
 *
 * The poll is kept short because, when the two threads share a core, it delays
 * the main thread; once the main thread has shown it runs elsewhere by taking
 * the worker's last message (`CTRL_ACK`), the worker polls `ACKED_SPIN_MS` more.
 */
export const HOT_SPIN_MS = 0.02;
export const ACKED_SPIN_MS = 0.05;

/** A result that travelled by `postMessage` instead of the ring. */
export interface ResultMessage {
  readonly t: typeof MSG_RESULT;
  readonly s: number;
  readonly st: number;
  readonly ms: number;
  readonly v: unknown;
}

/** Encoded form of a thrown value (errors lose their prototype across threads). */
export interface EncodedError {
  readonly __zsyncError: 1;
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  readonly props: Record<string, unknown>;
  readonly cause?: EncodedThrown;
  readonly errors?: readonly EncodedThrown[];
}

export type EncodedThrown = EncodedError | { readonly __zsyncThrown: 1; readonly value: unknown };
