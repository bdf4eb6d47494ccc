/**
 * The ACK frame (RFC 9000 §19.3): the largest acknowledged packet number,
 * an ACK Delay, and ranges walked downwards as (gap, length) pairs, plus
 * ECN counts for type 0x03.
 *
 * Decoding is bounded against hostile input: the ACK Range Count is checked
 * against the bytes actually left before any loop (each range takes at
 * least two bytes), so a frame announcing 2^62 ranges fails at once with
 * FRAME_ENCODING_ERROR instead of spinning; every computed packet number
 * must stay non-negative (§19.3.1: FRAME_ENCODING_ERROR otherwise).
 *
 * Ranges cross this module as {@link AckRanges}: ascending, half-open
 * `[start, end)` ranges by index, the shape of the recovery layer's
 * `RangeSet`, so encoding reads a `RangeSet` directly and decoded ranges can
 * be walked without allocation.
 *
 * @example
 * ```ts
 * import { RangeSet, writeAckFrame, Writer } from "@zsync/quic/proto";
 * declare const ackDelayRaw: number;
 * const writer = new Writer(new Uint8Array(64));
 * const received = new RangeSet();
 * received.insert(0, 5); received.insert(7, 10);  // packets 0-4 and 7-9
 * writeAckFrame(writer, received, ackDelayRaw);    // largest 9, first range 2, gap 1, length 4
 * ```
 * @module
 */
import type { Reader } from "./reader.js";
import { varintLength } from "./varint.js";
import type { Writer } from "./writer.js";

/** Ascending, disjoint, half-open ranges by index (F's `RangeSet` satisfies it). */
export interface AckRanges {
  readonly rangeCount: number;
  /** First packet number of the `i`-th range (ascending). */
  startAt(i: number): number;
  /** One past the last packet number of the `i`-th range. */
  endAt(i: number): number;
}

/** ECN counts of an ACK frame of type 0x03 (§19.3.2). */
export interface EcnCounts {
  ect0: number;
  ect1: number;
  ce: number;
}

/**
 * Ranges decoded from an ACK frame, stored flat in wire order (descending)
 * and exposed ascending through {@link AckRanges}.
 */
export class AckRangeList implements AckRanges {
  /** `[start, end)` pairs, largest range first (wire order). */
  readonly #flat: number[] = [];

  get rangeCount(): number {
    return this.#flat.length >>> 1;
  }

  startAt(i: number): number {
    const v = this.#flat[this.#flat.length - 2 - 2 * i];
    if (v === undefined || i < 0) throw new RangeError(`range index ${i} out of bounds (${this.rangeCount} ranges)`);
    return v;
  }

  endAt(i: number): number {
    const v = this.#flat[this.#flat.length - 1 - 2 * i];
    if (v === undefined || i < 0) throw new RangeError(`range index ${i} out of bounds (${this.rangeCount} ranges)`);
    return v;
  }

  /** Largest acknowledged packet number. */
  get largest(): number {
    return (this.#flat[1] as number) - 1;
  }

  /** True when `packetNumber` lies in one of the ranges. */
  has(packetNumber: number): boolean {
    const flat = this.#flat;
    for (let i = 0; i < flat.length; i += 2) {
      if (packetNumber >= (flat[i + 1] as number)) return false;
      if (packetNumber >= (flat[i] as number)) return true;
    }
    return false;
  }

  /** Empties the list (decoder use). */
  clear(): void {
    this.#flat.length = 0;
  }

  /** Appends a range below the previous one (decoder use). */
  pushDescending(start: number, end: number): void {
    this.#flat.push(start, end);
  }
}

/** A decoded ACK frame. */
export interface AckFrame {
  readonly kind: "ack";
  /** Largest Acknowledged. */
  readonly largest: number;
  /** ACK Delay as sent, before scaling by the peer's ack_delay_exponent. */
  readonly ackDelay: number;
  readonly ranges: AckRangeList;
  /** Present for frame type 0x03. */
  readonly ecn: EcnCounts | undefined;
}

/** Decodes the body of an ACK frame (after its type byte; `withEcn` for 0x03). */
export function readAckFrame(reader: Reader, withEcn: boolean, ranges: AckRangeList = new AckRangeList()): AckFrame {
  const largest = reader.varint();
  const ackDelay = reader.varint();
  const count = reader.varint();
  const firstRange = reader.varint();
  // Every further range needs a gap and a length: at least 2 bytes each. Check before looping.
  if (count > reader.remaining / 2) throw reader.fail(`ACK announces ${count} ranges but only ${reader.remaining} bytes follow`);
  let smallest = largest - firstRange;
  if (smallest < 0) throw reader.fail(`first ACK range ${firstRange} exceeds largest acknowledged ${largest}`);
  ranges.clear();
  ranges.pushDescending(smallest, largest + 1);
  for (let i = 0; i < count; i++) {
    const gap = reader.varint();
    const length = reader.varint();
    const high = smallest - gap - 2;
    const low = high - length;
    if (low < 0) throw reader.fail("ACK range below packet number 0");
    ranges.pushDescending(low, high + 1);
    smallest = low;
  }
  let ecn: EcnCounts | undefined;
  if (withEcn) ecn = { ect0: reader.varint(), ect1: reader.varint(), ce: reader.varint() };
  return { kind: "ack", largest, ackDelay, ranges, ecn };
}

/**
 * How many of the highest ranges of `ranges` (at most `maxRanges`) an ACK
 * frame can carry within `room` bytes, or 0 when not even the first fits.
 */
export function ackRangesThatFit(
  ranges: AckRanges,
  ackDelay: number,
  room: number,
  ecn?: EcnCounts,
  maxRanges = ranges.rangeCount,
): number {
  const n = ranges.rangeCount;
  if (n === 0) return 0;
  const top = n - 1;
  const largest = ranges.endAt(top) - 1;
  let size = 1 + varintLength(largest) + varintLength(ackDelay) + varintLength(largest - ranges.startAt(top));
  if (ecn !== undefined) size += varintLength(ecn.ect0) + varintLength(ecn.ect1) + varintLength(ecn.ce);
  const limit = Math.min(n, maxRanges);
  let fitted = 0;
  // Range Count grows from 1 byte only past 63 ranges; account for it as we go.
  for (let used = 1; used <= limit; used++) {
    if (used > 1) {
      const i = n - used;
      size += varintLength(ranges.startAt(i + 1) - ranges.endAt(i) - 1) + varintLength(ranges.endAt(i) - 1 - ranges.startAt(i));
    }
    if (size + varintLength(used - 1) > room) break;
    fitted = used;
  }
  return fitted;
}

/**
 * Writes an ACK frame for the highest `rangeLimit` ranges of `ranges`
 * (default all; see {@link ackRangesThatFit}). `ackDelay` is already
 * scaled down by our ack_delay_exponent. Throws `RangeError` for an empty
 * set or when the writer runs out of room.
 */
export function writeAckFrame(writer: Writer, ranges: AckRanges, ackDelay: number, ecn?: EcnCounts, rangeLimit = ranges.rangeCount): void {
  const n = ranges.rangeCount;
  if (n === 0) throw new RangeError("cannot acknowledge an empty range set");
  const used = Math.min(n, rangeLimit);
  if (used < 1) throw new RangeError(`rangeLimit must be at least 1, got ${rangeLimit}`);
  const top = n - 1;
  const largest = ranges.endAt(top) - 1;
  writer
    .u8(ecn === undefined ? 0x02 : 0x03)
    .varint(largest)
    .varint(ackDelay)
    .varint(used - 1)
    .varint(largest - ranges.startAt(top));
  for (let i = top - 1; i >= n - used; i--) {
    // Gap: packets between this range and the one above, minus one (§19.3.1).
    writer.varint(ranges.startAt(i + 1) - ranges.endAt(i) - 1).varint(ranges.endAt(i) - 1 - ranges.startAt(i));
  }
  if (ecn !== undefined) writer.varint(ecn.ect0).varint(ecn.ect1).varint(ecn.ce);
}
