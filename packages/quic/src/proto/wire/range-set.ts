/**
 * A set of integers stored as sorted, disjoint, non-adjacent half-open ranges
 * `[start, end)`.
 *
 * QUIC needs this shape in three places: the packet numbers a receiver has
 * seen (the ranges of an ACK frame, RFC 9000 §19.3), the packet numbers a
 * sender learns were acknowledged, and the byte offsets of a stream that have
 * arrived or been acknowledged (RFC 9000 §2.2). All three grow mostly at the
 * top, so the ranges live in one flat array (`[s0, e0, s1, e1, ...]`,
 * ascending) where appending or extending the highest range is O(1) and
 * everything else is a binary search plus at most one splice.
 *
 * The set can be bounded: with `maxRanges`, inserting a range that would make
 * the count exceed the limit drops the lowest ranges (as quinn does for ACK
 * ranges: the oldest packet numbers matter least, RFC 9000 §13.2.4). Values
 * are JavaScript numbers: exact up to 2^53, far beyond any packet number or
 * stream offset a connection can reach.
 *
 * @example
 * ```ts
 * import { RangeSet } from "@zsync/quic/proto";
 * const received = new RangeSet({ maxRanges: 32 });
 * received.insertOne(0);
 * received.insertOne(1);
 * received.insertOne(5);
 * for (let i = received.rangeCount - 1; i >= 0; i--) {
 *   console.log(received.startAt(i), received.endAt(i)); // 5 6, then 0 2
 * }
 * ```
 * @module
 */

/** Options of a {@link RangeSet}. */
export interface RangeSetOptions {
  /**
   * Most ranges kept; when an insertion exceeds it, the lowest ranges are
   * dropped. Unbounded when omitted.
   */
  readonly maxRanges?: number;
}

/**
 * Sorted disjoint ranges of non-negative integers, see the module comment.
 * Accessors by index (`startAt`, `endAt`) let hot paths walk the ranges
 * without allocating; `descending()` and the iterator are for everything else.
 */
export class RangeSet {
  /** `[start0, end0, start1, end1, ...]`, ascending, disjoint and non-adjacent. */
  #r: number[] = [];
  readonly #maxRanges: number;
  #truncatedBelow = 0;

  constructor(options: RangeSetOptions = {}) {
    const max = options.maxRanges ?? Number.POSITIVE_INFINITY;
    if (!(max >= 1)) throw new RangeError(`maxRanges must be at least 1, got ${String(options.maxRanges)}`);
    this.#maxRanges = max;
  }

  /** Number of disjoint ranges. */
  get rangeCount(): number {
    return this.#r.length >>> 1;
  }

  /**
   * Below this value the set may have forgotten members: the start of the
   * lowest range kept the last time `maxRanges` dropped ranges (0 if it
   * never did). Duplicate detection treats values below it as seen.
   */
  get truncatedBelow(): number {
    return this.#truncatedBelow;
  }

  /** True when the set holds no value. */
  get isEmpty(): boolean {
    return this.#r.length === 0;
  }

  /** Smallest value in the set, or `undefined` when empty. */
  get min(): number | undefined {
    return this.#r[0];
  }

  /** Largest value in the set, or `undefined` when empty. */
  get max(): number | undefined {
    const r = this.#r;
    return r.length === 0 ? undefined : (r[r.length - 1] as number) - 1;
  }

  /** Start (inclusive) of the `i`-th range in ascending order. */
  startAt(i: number): number {
    const v = this.#r[2 * i];
    if (v === undefined) throw new RangeError(`range index ${i} out of bounds (${this.rangeCount} ranges)`);
    return v;
  }

  /** End (exclusive) of the `i`-th range in ascending order. */
  endAt(i: number): number {
    const v = this.#r[2 * i + 1];
    if (v === undefined) throw new RangeError(`range index ${i} out of bounds (${this.rangeCount} ranges)`);
    return v;
  }

  /** Total count of values in the set (sum of range lengths). */
  get size(): number {
    const r = this.#r;
    let n = 0;
    for (let i = 0; i < r.length; i += 2) n += (r[i + 1] as number) - (r[i] as number);
    return n;
  }

  /** Inserts one value; returns true when it was not already present. */
  insertOne(value: number): boolean {
    const r = this.#r;
    const n = r.length;
    // Fast paths: the common case is a value one above the top range.
    if (n > 0) {
      const topEnd = r[n - 1] as number;
      if (value === topEnd) {
        r[n - 1] = topEnd + 1;
        return true;
      }
      if (value > topEnd) {
        r.push(value, value + 1);
        this.#trim();
        return true;
      }
    }
    return this.insert(value, value + 1);
  }

  /**
   * Inserts `[start, end)`; returns true when at least one value was new.
   * Merges with overlapping and adjacent ranges.
   */
  insert(start: number, end: number): boolean {
    checkRange(start, end);
    if (start === end) return false;
    const r = this.#r;
    // First range whose end >= start (it may touch or overlap [start, end)).
    const lo = this.#firstEndAtLeast(start);
    // Ranges from lo while their start <= end overlap or touch.
    let hi = lo;
    while (hi < r.length && (r[hi] as number) <= end) hi += 2;
    if (lo === hi) {
      r.splice(lo, 0, start, end);
      this.#trim();
      return true;
    }
    const mergedStart = Math.min(start, r[lo] as number);
    const mergedEnd = Math.max(end, r[hi - 1] as number);
    // Was anything new? Only if [start, end) is not within one existing range.
    const added = !(hi - lo === 2 && (r[lo] as number) <= start && (r[lo + 1] as number) >= end);
    if (hi - lo === 2) {
      r[lo] = mergedStart;
      r[lo + 1] = mergedEnd;
    } else {
      r.splice(lo, hi - lo, mergedStart, mergedEnd);
    }
    return added;
  }

  /** Removes `[start, end)`; returns true when at least one value was present. */
  remove(start: number, end: number): boolean {
    checkRange(start, end);
    if (start === end) return false;
    const r = this.#r;
    // First range whose end > start.
    let lo = this.#firstEndAtLeast(start);
    if (lo < r.length && (r[lo + 1] as number) === start) lo += 2;
    let hi = lo;
    while (hi < r.length && (r[hi] as number) < end) hi += 2;
    if (lo === hi) return false;
    const keepLeft = (r[lo] as number) < start;
    const keepRight = (r[hi - 1] as number) > end;
    const pieces: number[] = [];
    if (keepLeft) pieces.push(r[lo] as number, start);
    if (keepRight) pieces.push(end, r[hi - 1] as number);
    r.splice(lo, hi - lo, ...pieces);
    return true;
  }

  /** Removes every value below `bound`. */
  removeBelow(bound: number): void {
    const r = this.#r;
    if (r.length === 0 || (r[0] as number) >= bound) return;
    this.remove(r[0] as number, Math.max(bound, r[0] as number));
  }

  /** True when `value` is in the set. */
  contains(value: number): boolean {
    const i = this.#firstEndAtLeast(value + 1);
    return i < this.#r.length && (this.#r[i] as number) <= value;
  }

  /** True when every value of `[start, end)` is in the set (true for an empty range). */
  containsRange(start: number, end: number): boolean {
    if (start >= end) return true;
    const i = this.#firstEndAtLeast(end);
    return i < this.#r.length && (this.#r[i] as number) <= start;
  }

  /** Removes every value. */
  clear(): void {
    this.#r.length = 0;
  }

  /** Ranges in descending order as `[start, end)` pairs (the order ACK frames use). */
  *descending(): IterableIterator<[start: number, end: number]> {
    const r = this.#r;
    for (let i = r.length - 2; i >= 0; i -= 2) yield [r[i] as number, r[i + 1] as number];
  }

  /** Ranges in ascending order as `[start, end)` pairs. */
  *[Symbol.iterator](): IterableIterator<[start: number, end: number]> {
    const r = this.#r;
    for (let i = 0; i < r.length; i += 2) yield [r[i] as number, r[i + 1] as number];
  }

  /** Index (into the flat array, even) of the first range whose end is >= `value`. */
  #firstEndAtLeast(value: number): number {
    const r = this.#r;
    const n = r.length >>> 1;
    // Fast path for the top range (most operations land there).
    if (n === 0 || (r[r.length - 1] as number) < value) return r.length;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((r[2 * mid + 1] as number) >= value) hi = mid;
      else lo = mid + 1;
    }
    return 2 * lo;
  }

  #trim(): void {
    const excess = (this.#r.length >>> 1) - this.#maxRanges;
    if (excess > 0) {
      this.#r.splice(0, 2 * excess);
      this.#truncatedBelow = Math.max(this.#truncatedBelow, this.#r[0] as number);
    }
  }
}

function checkRange(start: number, end: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RangeError(`invalid range [${start}, ${end})`);
  }
}
