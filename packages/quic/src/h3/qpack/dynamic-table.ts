/**
 * The QPACK dynamic table (RFC 9204 §3.2) as both sides keep it: a FIFO of
 * field lines with absolute indices that never change (§3.2.4), a capacity
 * set by the encoder (§3.2.2), eviction from the oldest end, and the three
 * ways representations address entries: absolute, relative to the insert
 * count on the encoder stream or to a Base in field sections (§3.2.5), and
 * post-Base (§3.2.6).
 *
 * The table does not judge whether an eviction is allowed: the decoder must
 * follow what the encoder sends, and the encoder decides beforehand (with
 * {@link DynamicTable.evictionsFor}) whether the entries an insertion would
 * evict are evictable. The size of an entry is its name and value lengths in
 * bytes plus 32 (§3.2.1); names and values are byte strings.
 *
 * @example
 * ```ts
 * import { DynamicTable } from "./dynamic-table.js";
 * const table = new DynamicTable();
 * table.setCapacity(220);
 * table.insert(":authority", "www.example.com"); // absolute index 0, size 57
 * table.fieldRelative(0, 1); // absolute index 0: Base 1, relative index 0
 * table.get(0); // { name: ":authority", value: "www.example.com" }
 * ```
 * @module
 */

/** The per-entry overhead of RFC 9204 §3.2.1. */
export const ENTRY_OVERHEAD = 32;

/** The size an entry takes in the table (RFC 9204 §3.2.1). */
export function entrySize(name: string, value: string): number {
  return name.length + value.length + ENTRY_OVERHEAD;
}

/** One field line in the table. */
export interface TableEntry {
  readonly name: string;
  readonly value: string;
}

/** The shared table state: entries, capacity and indexing, with no policy. */
export class DynamicTable {
  /** Live entries oldest first, from `#head`; the prefix before it is evicted and compacted lazily. */
  #entries: TableEntry[] = [];
  #head = 0;
  #capacity = 0;
  #size = 0;
  #insertCount = 0;

  /** The current capacity in bytes (0 until a Set Dynamic Table Capacity). */
  get capacity(): number {
    return this.#capacity;
  }

  /** The sum of the live entries' sizes. */
  get size(): number {
    return this.#size;
  }

  /** Total insertions so far: the absolute index the next entry gets (the Insert Count of §2.1.4 and §4.5.1.1). */
  get insertCount(): number {
    return this.#insertCount;
  }

  /** The absolute index of the oldest live entry (equal to {@link insertCount} when the table is empty). */
  get firstIndex(): number {
    return this.#insertCount - (this.#entries.length - this.#head);
  }

  /** The number of live entries. */
  get length(): number {
    return this.#entries.length - this.#head;
  }

  /** The entry with absolute index `index`, or undefined when it is evicted or not yet inserted. */
  get(index: number): TableEntry | undefined {
    const first = this.firstIndex;
    if (!Number.isInteger(index) || index < first || index >= this.#insertCount) return undefined;
    return this.#entries[this.#head + index - first];
  }

  /** Absolute index of relative index `relative` on the encoder stream (0 = the newest entry); may be out of the table. */
  encoderRelative(relative: number): number {
    return this.#insertCount - 1 - relative;
  }

  /** Absolute index of relative index `relative` in a field section with this Base (0 = Base - 1). */
  fieldRelative(relative: number, base: number): number {
    return base - 1 - relative;
  }

  /**
   * How many of the oldest entries an insertion of `size` bytes evicts, or -1
   * when it cannot fit even in an empty table.
   */
  evictionsFor(size: number): number {
    if (size > this.#capacity) return -1;
    let free = this.#capacity - this.#size;
    let n = 0;
    while (free < size) {
      const e = this.#entries[this.#head + n]!;
      free += entrySize(e.name, e.value);
      n++;
    }
    return n;
  }

  /**
   * Sets the capacity, evicting from the oldest end until the entries fit;
   * returns how many were evicted (the caller checked the limit).
   */
  setCapacity(capacity: number): number {
    this.#capacity = capacity;
    return this.#evictUntil(capacity);
  }

  /**
   * Appends a field line and returns its absolute index, after evicting the
   * oldest entries to make room. The caller checked that it fits the capacity;
   * `name` and `value` are read before anything is evicted (§3.2.2: an
   * insertion may name an entry that it evicts).
   */
  insert(name: string, value: string): number {
    const size = entrySize(name, value);
    if (size > this.#capacity) throw new RangeError(`entry of ${size} bytes exceeds the capacity of ${this.#capacity}`);
    this.#evictUntil(this.#capacity - size);
    this.#entries.push({ name, value });
    this.#size += size;
    return this.#insertCount++;
  }

  /** Called with each evicted entry's absolute index, oldest first (the encoder's lookup maps follow it). */
  onEvict: ((index: number, entry: TableEntry) => void) | undefined;

  #evictUntil(limit: number): number {
    let n = 0;
    while (this.#size > limit) {
      const index = this.firstIndex;
      const e = this.#entries[this.#head]!;
      this.#size -= entrySize(e.name, e.value);
      this.#head++;
      n++;
      this.onEvict?.(index, e);
    }
    // Compact once the evicted prefix is as long as the live part: amortized O(1) per entry.
    if (this.#head > 32 && this.#head * 2 >= this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    return n;
  }
}
