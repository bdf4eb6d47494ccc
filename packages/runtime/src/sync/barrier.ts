/**
 * `Barrier`: lets `parties` tasks wait until all of them have arrived, then
 * releases them together. It is reusable: the next `parties` arrivals form
 * the next generation.
 *
 * Exactly one party of each generation, the one whose arrival completed it,
 * is told it is the leader (handy for "one of us does the merge step").
 *
 * A cancelled `wait()` withdraws its arrival, so a generation is never
 * released on behalf of a party that has gone away.
 *
 * @example
 * ```ts
 * import { Barrier } from "@zsync/runtime";
 * const barrier = new Barrier(3);
 * const shards: number[] = [];
 * await Promise.all(
 *   [1, 2, 3].map(async (worker) => {
 *     shards.push(worker * 10);
 *     const { isLeader } = await barrier.wait(); // all three resume together
 *     if (isLeader) console.log(shards.reduce((a, b) => a + b)); // 60: every shard is in
 *   }),
 * );
 * ```
 * @module
 */
import { cancelledAlready } from "../internal/cancel.js";
import type { WaitOptions } from "../time/sleep.js";
import { ambientToken, WaitQueue } from "../wait/wait-queue.js";
import { checkCount } from "./check-count.js";

/**
 * What {@link Barrier.wait} resolves with.
 *
 * @example
 * ```ts
 * import { Barrier } from "@zsync/runtime";
 * const result = await new Barrier(1).wait();
 * console.log(result); // { isLeader: true, generation: 0 }
 * ```
 */
export interface BarrierWaitResult {
  /** True for exactly one party per generation: the one that arrived last. */
  readonly isLeader: boolean;
  /** Which use of the barrier this was, counting from 0. */
  readonly generation: number;
}

/**
 * A reusable barrier for a fixed number of parties.
 *
 * @example
 * ```ts
 * import { Barrier } from "@zsync/runtime";
 * const b = new Barrier(2);
 * const first = b.wait();              // waits for a second party
 * const second = await b.wait();       // completes generation 0
 * console.log(second.isLeader, (await first).isLeader); // true false
 * ```
 */
export class Barrier {
  readonly #parties: number;
  #generation = 0;
  readonly #queue = new WaitQueue<BarrierWaitResult>();

  /**
   * @param parties how many `wait()` calls release a generation (integer >= 1).
   * @throws {TypeError | RangeError} if `parties` is not an integer >= 1.
   */
  constructor(parties: number) {
    this.#parties = checkCount("parties", parties, 1);
  }

  /** The number of parties per generation. */
  get parties(): number {
    return this.#parties;
  }

  /** How many parties of the current generation are waiting. */
  get waiting(): number {
    return this.#queue.size;
  }

  /** The current generation, counting from 0; it increments on each release. */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Arrives at the barrier and resolves when the current generation is
   * complete. The caller that completes it resolves at once as the leader.
   *
   * Rejects with `CancelledError` when `options.signal` aborts or the ambient
   * task is cancelled before the generation completes (including when either
   * already is at the call); the arrival is withdrawn and the generation then
   * needs another party. Once a generation has completed, later cancellation
   * does not affect it.
   */
  wait(options?: WaitOptions): Promise<BarrierWaitResult> {
    const signal = options?.signal;
    const token = ambientToken();
    const cancelled = cancelledAlready(signal, token);
    if (cancelled !== undefined) return Promise.reject(cancelled);
    // A party whose cancellation has happened but whose listener has not run
    // yet must not be counted towards this generation.
    this.#queue.pruneCancelled();
    if (this.#queue.size + 1 < this.#parties) return this.#queue.park(0, signal, token);
    const generation = this.#generation++;
    const follower: BarrierWaitResult = Object.freeze({ isLeader: false, generation });
    this.#queue.grantAll(() => follower);
    return Promise.resolve(Object.freeze({ isLeader: true, generation }));
  }
}
