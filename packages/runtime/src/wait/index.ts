/**
 * `@zsync/runtime/wait`: the cancellable-wait primitive the runtime's own
 * queues are built on, for packages that park callers on a resource of their
 * own (sqlite's writer lane and reader pool, QUIC streams' flow control).
 * Portable: no `node:*` imports.
 *
 * @example
 * ```ts
 * import { WaitQueue } from "@zsync/runtime/wait";
 * const ready = new WaitQueue<string>();
 * const controller = new AbortController();
 * const gaveUp = ready.wait({ signal: controller.signal });
 * const waiting = ready.wait();
 * controller.abort();
 * ready.wakeOne("hello"); // skips the aborted waiter
 * console.log(await waiting, await gaveUp.catch((e: Error) => e.name)); // "hello" "CancelledError"
 * ```
 * @module
 */
export type { TimedWaitOptions, WaitOptions } from "./options.js";
export { type ParkOptions, type Waiter, WaitQueue } from "./wait-queue.js";
