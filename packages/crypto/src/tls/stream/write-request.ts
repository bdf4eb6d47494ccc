/**
 * One `TlsStream.write` call from issue to settlement, with its
 * cancellation. A write is first queued (nothing of it sealed: it may still
 * be withdrawn whole), then sealed (all of it, in one go, into whole records
 * that must go out), then settled. Its `signal`, the calling runtime
 * task's cancellation or `timeoutMs` can end the wait in either of the
 * first two states; what the rejection reports
 * (`bytesWritten`: 0 or the whole length) follows from the state it was in,
 * so the caller always knows whether the peer will receive the bytes.
 * @internal
 * @module
 */
import { onCancellation } from "@zsync/runtime";
import type { TimedWaitOptions } from "@zsync/runtime/node";
import { TlsWriteCancelledError, TlsWriteTimeoutError } from "../errors.js";

type WriteState = "queued" | "sealed" | "settled";

export class WriteRequest {
  readonly data: Uint8Array;
  readonly promise: Promise<void>;
  #state: WriteState = "queued";
  #resolve!: () => void;
  #reject!: (error: unknown) => void;
  /** Stops watching the write's signal and its calling task. */
  #stopWatching: (() => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Told when a queued write is withdrawn, so the stream stops counting its bytes. */
  readonly #onWithdraw: (request: WriteRequest) => void;

  /**
   * Neither `options.signal` nor the calling task may be cancelled already
   * (the stream refuses such a write before queuing it).
   */
  constructor(data: Uint8Array, options: TimedWaitOptions | undefined, onWithdraw: (request: WriteRequest) => void) {
    this.data = data;
    this.#onWithdraw = onWithdraw;
    this.promise = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // The runtime's watcher: no AbortSignal listener per write for the task (many writes may wait at once).
    this.#stopWatching = onCancellation(options?.signal, (error) =>
      this.#cancel((written) => new TlsWriteCancelledError(error.reason, written)),
    );
    const ms = options?.timeoutMs;
    if (ms !== undefined) this.#timer = setTimeout(() => this.#cancel((written) => new TlsWriteTimeoutError(ms, written)), ms);
  }

  /** Not sealed yet and not given up: the flush should seal it. */
  get queued(): boolean {
    return this.#state === "queued";
  }

  /** All of `data` is about to be sealed: from here a cancellation reports it as written. */
  markSealed(): void {
    if (this.#state === "queued") this.#state = "sealed";
  }

  resolve(): void {
    if (this.#finish()) this.#resolve();
  }

  reject(error: unknown): void {
    if (this.#finish()) this.#reject(error);
  }

  #cancel(error: (bytesWritten: number) => Error): void {
    const state = this.#state;
    if (!this.#finish()) return;
    if (state === "queued") this.#onWithdraw(this);
    this.#reject(error(state === "queued" ? 0 : this.data.length));
  }

  /** Moves to settled and drops the listener and timer; false if it already was. */
  #finish(): boolean {
    if (this.#state === "settled") return false;
    this.#state = "settled";
    this.#stopWatching?.();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    return true;
  }
}
