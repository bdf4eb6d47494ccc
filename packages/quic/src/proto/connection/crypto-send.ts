/**
 * The sending half of one encryption level's CRYPTO stream (RFC 9000
 * §19.6, RFC 9001 §4.1.3): the TLS engine's handshake bytes for that level,
 * with the offsets each CRYPTO frame carries, what the peer acknowledged,
 * and what must be sent again.
 *
 * Why keep every byte until acknowledged: a lost Initial or Handshake packet
 * is recovered by resending its CRYPTO ranges (RFC 9002 §6.2.4 probes send
 * them too), so the level's whole flight stays buffered until acknowledged
 * or until its keys are discarded. Flights are a few KB, so one growable
 * buffer beats a chunk list.
 *
 * @module
 */
import { RangeSet } from "../wire/range-set.js";

/** One CRYPTO frame's worth of data to send. */
export interface CryptoChunk {
  readonly offset: number;
  readonly data: Uint8Array;
}

/** See the module comment. */
export class CryptoSendStream {
  #buffer = new Uint8Array(1024);
  #length = 0;
  /** Everything below this offset was sent at least once. */
  #sentUpTo = 0;
  readonly #acked = new RangeSet();
  /** Declared lost and not acknowledged since: sent again before new data. */
  readonly #retransmit = new RangeSet();

  /** Bytes written by TLS so far (the next offset). */
  get length(): number {
    return this.#length;
  }

  /** True when a retransmission or new data is waiting. */
  get hasPending(): boolean {
    return !this.#retransmit.isEmpty || this.#sentUpTo < this.#length;
  }

  /** True when every byte written was acknowledged. */
  get allAcked(): boolean {
    return this.#length === 0 || this.#acked.containsRange(0, this.#length);
  }

  /** Appends handshake bytes from the TLS engine. */
  push(data: Uint8Array): void {
    const needed = this.#length + data.length;
    if (needed > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(needed, this.#buffer.length * 2));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(data, this.#length);
    this.#length = needed;
  }

  /**
   * The next chunk of at most `maxLength` bytes: the lowest lost range first,
   * then unsent data. Marks it sent. Undefined when nothing is pending.
   */
  next(maxLength: number): CryptoChunk | undefined {
    if (maxLength <= 0) return undefined;
    if (!this.#retransmit.isEmpty) {
      const start = this.#retransmit.startAt(0);
      const end = Math.min(this.#retransmit.endAt(0), start + maxLength);
      this.#retransmit.remove(start, end);
      return { offset: start, data: this.#buffer.subarray(start, end) };
    }
    if (this.#sentUpTo >= this.#length) return undefined;
    const start = this.#sentUpTo;
    const end = Math.min(this.#length, start + maxLength);
    this.#sentUpTo = end;
    return { offset: start, data: this.#buffer.subarray(start, end) };
  }

  /** A packet carrying `[offset, offset + length)` was acknowledged. */
  onAcked(offset: number, length: number): void {
    this.#acked.insert(offset, offset + length);
    this.#retransmit.remove(offset, offset + length);
  }

  /** A packet carrying `[offset, offset + length)` was lost: resend what is still unacknowledged. */
  onLost(offset: number, length: number): void {
    this.#queueUnacked(offset, offset + length);
  }

  /** A PTO fired (RFC 9002 §6.2.4): queue every sent, unacknowledged byte again so a probe carries it. */
  requeueUnacked(): void {
    this.#queueUnacked(0, this.#sentUpTo);
  }

  #queueUnacked(start: number, end: number): void {
    let cursor = start;
    for (let i = 0; i < this.#acked.rangeCount && cursor < end; i++) {
      const s = this.#acked.startAt(i);
      const e = this.#acked.endAt(i);
      if (e <= cursor) continue;
      if (s >= end) break;
      if (s > cursor) this.#retransmit.insert(cursor, s);
      cursor = Math.max(cursor, e);
    }
    if (cursor < end) this.#retransmit.insert(cursor, end);
  }
}
