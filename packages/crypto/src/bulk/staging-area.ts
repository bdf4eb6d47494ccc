/**
 * Reusable `SharedArrayBuffer` staging memory for `AsyncCipher`'s pooled
 * path: the event loop copies each job's input into a slot that the worker
 * lanes read directly. Keeping the buffers between calls matters more than it
 * looks: first-touch page faults on fresh memory cost several times the copy
 * itself, and they would land on the event-loop thread.
 *
 * Buffers that held plaintext are zeroed before they are kept; at most
 * `maxIdle` buffers are kept, and they are freed with their owner.
 *
 * @example
 * ```ts
 * import { StagingArea } from "./staging-area.js";
 * const area = new StagingArea();
 * const slots = area.acquire(8 << 20);
 * // ... copy inputs into `slots`, let workers read them ...
 * await area.release(slots, { wipe: true, reuse: true });
 * ```
 * @internal
 * @module
 */
import { yieldNow } from "@zsync/runtime";

/** Bytes zeroed between yields when wiping. */
const WIPE_STEP = 2 * 1024 * 1024;

/** A small cache of shared staging buffers. */
export class StagingArea {
  readonly #idle: SharedArrayBuffer[] = [];
  readonly #maxIdle: number;

  constructor(maxIdle = 2) {
    this.#maxIdle = maxIdle;
  }

  /** A shared view of `bytes` bytes (contents unspecified). */
  acquire(bytes: number): Uint8Array<SharedArrayBuffer> {
    for (let i = 0; i < this.#idle.length; i++) {
      const buffer = this.#idle[i] as SharedArrayBuffer;
      // Reuse anything that fits without wasting more than half of it.
      if (buffer.byteLength >= bytes && buffer.byteLength <= bytes * 2) {
        this.#idle.splice(i, 1);
        return new Uint8Array(buffer, 0, bytes);
      }
    }
    return new Uint8Array(new SharedArrayBuffer(bytes));
  }

  /**
   * Gives back a buffer from {@link acquire}: with `wipe`, zeroes it first (in
   * steps, yielding between them); with `reuse`, keeps it for the next
   * `acquire`. Reuse only what no other thread can still touch.
   */
  async release(view: Uint8Array<SharedArrayBuffer>, options: { readonly wipe: boolean; readonly reuse: boolean }): Promise<void> {
    const whole = new Uint8Array(view.buffer);
    if (options.wipe) {
      for (let at = 0; at < whole.length; at += WIPE_STEP) {
        whole.fill(0, at, Math.min(whole.length, at + WIPE_STEP));
        if (at + WIPE_STEP < whole.length) await yieldNow();
      }
    }
    if (!options.reuse) return;
    if (this.#idle.length >= this.#maxIdle) this.#idle.shift();
    this.#idle.push(view.buffer);
  }
}
