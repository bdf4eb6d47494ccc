/**
 * A growable output buffer for QPACK's encoders. QPACK output (a field
 * section, encoder- or decoder-stream instructions) has no size known in
 * advance, unlike QUIC frames, which the core writes into a packet buffer of
 * known size; this buffer doubles as needed and hands out copies.
 *
 * @example
 * ```ts
 * import { ByteWriter } from "./byte-writer.js";
 * const out = new ByteWriter();
 * out.byte(0x3f);
 * out.take(); // Uint8Array [0x3f], and the writer is empty again
 * ```
 * @module
 */
export class ByteWriter {
  #buf: Uint8Array;
  #len = 0;

  constructor(initialCapacity = 64) {
    this.#buf = new Uint8Array(initialCapacity);
  }

  /** Bytes written and not yet taken. */
  get length(): number {
    return this.#len;
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    const need = this.#len + n;
    if (need <= this.#buf.length) return;
    let cap = Math.max(this.#buf.length * 2, 64);
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  /** Appends one byte (its low 8 bits). */
  byte(b: number): void {
    if (this.#len === this.#buf.length) this.reserve(1);
    this.#buf[this.#len++] = b;
  }

  /** Appends `bytes`. */
  bytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
  }

  /** ORs `bits` into the byte at `index` (a prefix's leading bits after the integer was written). */
  orAt(index: number, bits: number): void {
    this.#buf[index] = this.#buf[index]! | bits;
  }

  /** A view of the bytes written so far (valid until the next write). */
  view(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }

  /** A copy of the bytes written, leaving the writer empty. */
  take(): Uint8Array {
    const out = this.#buf.slice(0, this.#len);
    this.#len = 0;
    return out;
  }
}
