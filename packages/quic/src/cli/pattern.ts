/**
 * The bulk mode's known byte pattern: a pseudo-random table whose length
 * is the prime 65,521, repeated. A prime period means a chunk that was
 * dropped, duplicated or reordered by any power-of-two amount cannot line
 * up with the pattern again, so checking every byte catches it. Checking
 * uses `Buffer.compare` on views (native speed), so the receiver measures
 * the transport, not the checker.
 *
 * @module
 */
import type { QuicStream } from "../node/stream.js";

const PERIOD = 65_521;
/** Bytes per write or read: below the period, so one chunk maps to one contiguous slice of the doubled table. */
const CHUNK = 60_000;

export class BulkPattern {
  /** The table twice over: any `CHUNK` bytes starting anywhere in the period are one contiguous view. */
  readonly #table: Buffer;

  constructor(seed = 0x9e3779b9) {
    this.#table = Buffer.allocUnsafe(2 * PERIOD);
    let x = seed >>> 0 || 1;
    for (let i = 0; i < PERIOD; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      this.#table[i] = x & 0xff;
    }
    this.#table.copy(this.#table, PERIOD, 0, PERIOD);
  }

  /** The pattern's bytes [offset, offset + length), length <= CHUNK, as a view. */
  slice(offset: number, length: number): Buffer {
    const start = offset % PERIOD;
    return this.#table.subarray(start, start + length);
  }

  /** Writes `length` bytes of the pattern to `stream`; returns `length`. */
  async send(stream: QuicStream, length: number): Promise<number> {
    for (let offset = 0; offset < length; ) {
      const n = Math.min(CHUNK, length - offset);
      await stream.write(this.slice(offset, n));
      offset += n;
    }
    return length;
  }

  /**
   * Reads to the end of `stream`, checking every byte against the pattern;
   * `ok` only if exactly `length` bytes arrived and all matched.
   */
  async receive(stream: QuicStream, length: number, onFirstByte?: () => void): Promise<{ ok: boolean; bytes: number }> {
    const buffer = Buffer.allocUnsafe(CHUNK);
    let offset = 0;
    let ok = true;
    for (let n = await stream.read(buffer); n !== null; n = await stream.read(buffer)) {
      if (offset === 0) onFirstByte?.();
      if (ok && (offset + n > length || buffer.compare(this.slice(offset, n), 0, n, 0, n) !== 0)) ok = false;
      offset += n;
    }
    return { ok: ok && offset === length, bytes: offset };
  }
}
