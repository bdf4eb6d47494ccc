/**
 * Intrusive FIFO list of parked channel operations.
 *
 * Waiters are linked through their own `prev`/`next` fields so that a
 * cancelled wait, or the losing branches of a `select`, leave the middle of
 * a queue in O(1) without searching it. A node knows its list, which makes
 * removal idempotent: removing a node that was already shifted is a no-op.
 * @internal
 */

/** A node that can sit in one {@link WaitList} at a time. */
export class WaitNode {
  prev: WaitNode | null = null;
  next: WaitNode | null = null;
  list: WaitList<WaitNode> | null = null;
}

export class WaitList<N extends WaitNode> {
  #head: N | null = null;
  #tail: N | null = null;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get isEmpty(): boolean {
    return this.#head === null;
  }

  push(node: N): void {
    node.list = this as unknown as WaitList<WaitNode>;
    node.prev = this.#tail;
    node.next = null;
    if (this.#tail === null) this.#head = node;
    else this.#tail.next = node;
    this.#tail = node;
    this.#size++;
  }

  /** Detaches and returns the oldest node, or undefined. */
  shift(): N | undefined {
    const node = this.#head;
    if (node === null) return undefined;
    this.remove(node);
    return node;
  }

  /** Detaches `node` if it is in this list; returns whether it was. */
  remove(node: N): boolean {
    if (node.list !== (this as unknown as WaitList<WaitNode>)) return false;
    const { prev, next } = node;
    if (prev === null) this.#head = next as N | null;
    else prev.next = next;
    if (next === null) this.#tail = prev as N | null;
    else next.prev = prev;
    node.prev = null;
    node.next = null;
    node.list = null;
    this.#size--;
    return true;
  }

  /**
   * Detaches every node and returns them oldest first. Callers that settle
   * waiters (which may, through `select`, detach other nodes) iterate the
   * snapshot instead of the live links.
   */
  drain(): N[] {
    const out: N[] = [];
    for (let node = this.shift(); node !== undefined; node = this.shift()) out.push(node);
    return out;
  }

  /** The current nodes oldest first, without detaching them. */
  snapshot(): N[] {
    const out: N[] = [];
    for (let node = this.#head; node !== null; node = node.next as N | null) out.push(node);
    return out;
  }
}

/** Detaches `node` from whichever list holds it. */
export function unlink(node: WaitNode): void {
  node.list?.remove(node);
}
