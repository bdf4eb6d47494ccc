/**
 * A `TlsStream.write` that can be given up: by its `signal`, its calling
 * runtime task or its `timeoutMs`. A write is first queued (nothing of it
 * sealed: it may still be withdrawn whole), then taken by the flush, which
 * seals all of it in one go into whole records that must go out. What the
 * rejection reports (`bytesWritten`: 0 or the whole length) follows from
 * which of the two it was in, so the caller always knows whether the peer
 * will receive the bytes. Writes without any of these options never create
 * one: a burst of small writes keeps its old per-write cost.
 * @internal
 * @module
 */
import { onCancellation } from "@zsync/runtime";
import type { TimedWaitOptions } from "@zsync/runtime/node";
import { TlsWriteCancelledError, TlsWriteTimeoutError } from "../errors.js";

/** Asks the stream to take a queued write back; false once the flush has taken (and sealed) it. */
export type WithdrawWrite = (write: CancellableWrite) => boolean;

export class CancellableWrite {
  readonly length: number;
  readonly promise: Promise<void>;
  /** Where the stream queued it: which queue (the stream's count of flushes taken) and the index in it. */
  readonly queue: number;
  readonly index: number;
  #settled = false;
  #resolve!: () => void;
  #reject!: (error: unknown) => void;
  /** Stops watching the write's signal and its calling task. */
  #stopWatching: (() => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #withdraw: WithdrawWrite;

  /**
   * Neither `options.signal` nor the calling task may be cancelled already
   * (the stream refuses such a write before queuing it). `inTask`: the write
   * was issued inside a runtime task, whose cancellation is watched too.
   */
  constructor(
    length: number,
    position: { readonly queue: number; readonly index: number },
    options: TimedWaitOptions | undefined,
    inTask: boolean,
    withdraw: WithdrawWrite,
  ) {
    this.length = length;
    this.queue = position.queue;
    this.index = position.index;
    this.#withdraw = withdraw;
    this.promise = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // The runtime's watcher: no AbortSignal listener per write for the task (many writes may wait at once).
    const signal = options?.signal;
    if (signal !== undefined || inTask)
      this.#stopWatching = onCancellation(signal, (error) => this.#cancel((written) => new TlsWriteCancelledError(error.reason, written)));
    const ms = options?.timeoutMs;
    if (ms !== undefined) this.#timer = setTimeout(() => this.#cancel((written) => new TlsWriteTimeoutError(ms, written)), ms);
  }

  resolve(): void {
    if (this.#finish()) this.#resolve();
  }

  reject(error: unknown): void {
    if (this.#finish()) this.#reject(error);
  }

  #cancel(error: (bytesWritten: number) => Error): void {
    if (!this.#finish()) return;
    this.#reject(error(this.#withdraw(this) ? 0 : this.length));
  }

  /** Marks it settled and drops the watcher and timer; false if it already was. */
  #finish(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.#stopWatching?.();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    return true;
  }
}
