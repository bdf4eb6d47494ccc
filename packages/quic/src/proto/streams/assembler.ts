/**
 * Reassembly of out-of-order STREAM and CRYPTO data into an in-order byte
 * stream (RFC 9000 §2.2, §19.6, §19.8), with memory bounded by a window.
 *
 * Frames may arrive in any order, repeated, or overlapping each other. Data
 * is copied into a ring buffer indexed by stream offset (so the packet's
 * buffer can be reused at once) and a {@link RangeSet} records which offsets
 * arrived. Bytes at or beyond `readOffset + window` are refused with a
 * {@link TransportError} carrying the caller's code (FLOW_CONTROL_ERROR for a
 * stream, CRYPTO_BUFFER_EXCEEDED for CRYPTO, RFC 9000 §7.5): that is the
 * memory bound. The ring grows by doubling up to the window, so a stream that
 * carries a few bytes never allocates a window's worth.
 *
 * Retransmitted bytes overwrite bytes already held: RFC 9000 §2.2 requires
 * the data at an offset never to change, so this is a no-op for a
 * conforming peer and cheaper than computing the holes.
 *
 * @example
 * ```ts
 * import { Assembler, TransportErrorCode } from "@zsync/quic/proto";
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * const a = new Assembler({ window: 65536, errorCode: TransportErrorCode.FLOW_CONTROL_ERROR });
 * a.insert(5, bytes("world"));
 * a.insert(0, bytes("hello"));
 * const out = new Uint8Array(16);
 * a.readInto(out); // 10: "helloworld"
 * ```
 * @module
 */
import { TransportError } from "../errors.js";
import { RangeSet } from "../wire/range-set.js";

/** Options of an {@link Assembler}. */
export interface AssemblerOptions {
  /** Most bytes held ahead of the read offset (the receive window). */
  readonly window: number;
  /** Transport error code for data beyond the window. */
  readonly errorCode: number;
  /** Frame type reported with that error (e.g. 0x06 CRYPTO, 0x08 STREAM). */
  readonly frameType?: number;
  /** First ring allocation in bytes (default 4096, capped by the window). */
  readonly initialCapacity?: number;
}

/** Out-of-order reassembly into contiguous reads; see the module comment. */
export class Assembler {
  #window: number;
  readonly #errorCode: number;
  readonly #frameType: number | undefined;
  readonly #initialCapacity: number;
  #ring: Uint8Array = new Uint8Array(0);
  /** Ring index of `#readOffset`. */
  #head = 0;
  #readOffset = 0;
  /** Offsets received at or above the read offset. */
  readonly #have = new RangeSet();
  #highest = 0;

  constructor(options: AssemblerOptions) {
    checkWindow(options.window);
    this.#window = options.window;
    this.#errorCode = options.errorCode;
    this.#frameType = options.frameType;
    this.#initialCapacity = options.initialCapacity ?? 4096;
  }

  /** Offset of the next byte to be read. */
  get readOffset(): number {
    return this.#readOffset;
  }

  /** One past the highest offset ever received. */
  get highestOffset(): number {
    return this.#highest;
  }

  /** Bytes readable now, contiguous from the read offset. */
  get readable(): number {
    const h = this.#have;
    if (h.isEmpty || h.startAt(0) !== this.#readOffset) return 0;
    return h.endAt(0) - this.#readOffset;
  }

  /** Bytes held (received, not yet read); never more than the window. */
  get buffered(): number {
    return this.#have.size;
  }

  /** The current window: bytes allowed ahead of the read offset. */
  get window(): number {
    return this.#window;
  }

  /** Bytes of ring buffer allocated (at most the window). */
  get capacity(): number {
    return this.#ring.length;
  }

  /** Grows the window (receive-window auto-tuning); shrinking is refused. */
  setWindow(window: number): void {
    checkWindow(window);
    if (window < this.#window) throw new RangeError(`the window may only grow (${this.#window} -> ${window})`);
    this.#window = window;
  }

  /**
   * Accepts `data` at stream `offset`. Bytes already read are dropped;
   * returns how many bytes were not held before.
   *
   * @throws TransportError with the configured code when data reaches `readOffset + window`.
   */
  insert(offset: number, data: Uint8Array): number {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`invalid offset ${offset}`);
    const end = offset + data.length;
    if (end > this.#readOffset + this.#window) {
      throw new TransportError(
        this.#errorCode,
        `data up to offset ${end} exceeds the receive window (read offset ${this.#readOffset}, window ${this.#window})`,
        this.#frameType,
      );
    }
    if (end > this.#highest) this.#highest = end;
    const start = Math.max(offset, this.#readOffset);
    if (start >= end) return 0;
    const before = this.#have.size;
    if (this.#have.containsRange(start, end)) return 0;
    this.#ensureCapacity(end - this.#readOffset);
    this.#copyIn(start, data.subarray(start - offset));
    this.#have.insert(start, end);
    return this.#have.size - before;
  }

  /** Copies up to `out.length` contiguous bytes into `out`; returns the count. */
  readInto(out: Uint8Array): number {
    const n = Math.min(out.length, this.readable);
    if (n === 0) return 0;
    const ring = this.#ring;
    const cap = ring.length;
    const first = Math.min(n, cap - this.#head);
    out.set(ring.subarray(this.#head, this.#head + first), 0);
    if (first < n) out.set(ring.subarray(0, n - first), first);
    this.#consume(n);
    return n;
  }

  /** Reads up to `max` contiguous bytes into a new array (CRYPTO data handed to TLS). */
  read(max = Number.POSITIVE_INFINITY): Uint8Array {
    const out = new Uint8Array(Math.min(max, this.readable));
    this.readInto(out);
    return out;
  }

  /**
   * Discards everything up to `offset` without reading it (a stream the
   * application stopped reading, RFC 9000 §3.5): the window moves on.
   */
  skipTo(offset: number): void {
    if (offset <= this.#readOffset) return;
    const n = offset - this.#readOffset;
    if (n >= this.#ring.length) {
      this.#head = 0;
      this.#readOffset = offset;
      this.#have.removeBelow(offset);
      return;
    }
    this.#consume(n);
  }

  /** Releases the buffer and forgets held data (a reset stream). */
  clear(): void {
    this.#ring = new Uint8Array(0);
    this.#head = 0;
    this.#have.clear();
  }

  #consume(n: number): void {
    this.#readOffset += n;
    this.#have.removeBelow(this.#readOffset);
    const cap = this.#ring.length;
    this.#head = cap === 0 ? 0 : (this.#head + n) % cap;
  }

  #copyIn(offset: number, data: Uint8Array): void {
    const ring = this.#ring;
    const cap = ring.length;
    const pos = (this.#head + (offset - this.#readOffset)) % cap;
    const first = Math.min(data.length, cap - pos);
    ring.set(data.subarray(0, first), pos);
    if (first < data.length) ring.set(data.subarray(first), 0);
  }

  /** Makes the ring hold at least `needed` bytes from the read offset (needed <= window). */
  #ensureCapacity(needed: number): void {
    const old = this.#ring;
    if (needed <= old.length) return;
    let cap = Math.max(old.length * 2, Math.min(this.#initialCapacity, this.#window), needed);
    cap = Math.min(cap, this.#window);
    const ring = new Uint8Array(cap);
    // Linearise the live region: ring[i] holds offset readOffset + i.
    const live = old.length;
    if (live > 0) {
      const first = live - this.#head;
      ring.set(old.subarray(this.#head), 0);
      ring.set(old.subarray(0, this.#head), first);
    }
    this.#ring = ring;
    this.#head = 0;
  }
}

function checkWindow(window: number): void {
  if (!Number.isSafeInteger(window) || window < 1) throw new RangeError(`window must be a positive integer, got ${window}`);
}
