/**
 * The pool's pending-task queue: highest priority first, FIFO within a
 * priority. Priorities are few in practice, so each level is a deque and the
 * levels are kept sorted; removal of a cancelled entry is O(1) (it is marked
 * and skipped when it reaches the head), which keeps cancellation cheap even
 * with 100k queued tasks.
 * @internal
 * @module
 */

interface Level<T> {
  readonly priority: number;
  items: (T | undefined)[];
  head: number;
}

/** Entries must expose whether they are still wanted. */
export interface Queueable {
  readonly priority: number;
  /** False once removed (cancelled); such entries are skipped. */
  queued: boolean;
}

export class JobQueue<T extends Queueable> {
  #levels: Level<T>[] = [];
  #size = 0;

  /** Live entries (removed ones excluded). */
  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    this.#level(item.priority).items.push(item);
    item.queued = true;
    this.#size++;
  }

  /** Puts `item` back at the head of its level (a task given back by a dead worker). */
  unshift(item: T): void {
    const level = this.#level(item.priority);
    if (level.head > 0) level.items[--level.head] = item;
    else level.items.unshift(item);
    item.queued = true;
    this.#size++;
  }

  /** Marks `item` as removed; it is dropped lazily. */
  remove(item: T): boolean {
    if (!item.queued) return false;
    item.queued = false;
    this.#size--;
    return true;
  }

  /** The next live entry, without removing it. */
  peek(): T | undefined {
    for (const level of this.#levels) {
      while (level.head < level.items.length) {
        const item = level.items[level.head] as T;
        if (item.queued) return item;
        level.items[level.head++] = undefined;
      }
      level.items = [];
      level.head = 0;
    }
    return undefined;
  }

  shift(): T | undefined {
    const item = this.peek();
    if (item === undefined) return undefined;
    const level = this.#level(item.priority);
    level.items[level.head++] = undefined;
    if (level.head > 1024 && level.head * 2 > level.items.length) {
      level.items = level.items.slice(level.head);
      level.head = 0;
    }
    item.queued = false;
    this.#size--;
    return item;
  }

  /** Removes and returns every live entry. */
  drain(): T[] {
    const out: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) out.push(item);
    return out;
  }

  #level(priority: number): Level<T> {
    const levels = this.#levels;
    let i = 0;
    while (i < levels.length && (levels[i] as Level<T>).priority > priority) i++;
    const found = levels[i];
    if (found !== undefined && found.priority === priority) return found;
    const level: Level<T> = { priority, items: [], head: 0 };
    levels.splice(i, 0, level);
    return level;
  }
}
