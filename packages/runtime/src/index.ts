/**
 * @zsync/runtime: zsync's async runtime for TypeScript.
 *
 * Tasks and futures, channels and select, timers and timeouts, locks, and
 * four execution models behind one `Io` interface. This entry point is
 * portable (no `node:*` imports; it runs in browsers, Deno, Bun and
 * workers). Node-only parts (thread pool, sockets, files) live in
 * `@zsync/runtime/node`.
 *
 * @example
 * ```ts
 * import { run, spawn, bounded, select, sleep } from "@zsync/runtime";
 * await run(async () => {
 *   const ch = bounded<number>(16);
 *   spawn(async () => { for (let i = 0; i < 3; i++) await ch.send(i); ch.close(); });
 *   for await (const n of ch) console.log(n);
 * });
 * ```
 * @module
 */

export { type Capabilities, capabilities, printCapabilities } from "./capabilities.js";
export { Broadcast, BroadcastReceiver, broadcast } from "./channel/broadcast.js";
export {
  bounded,
  Channel,
  oneshot,
  type Receiver,
  type Sender,
  type TryRecvResult,
  unbounded,
} from "./channel/channel.js";
export type { RecvSelectable, SendSelectable } from "./channel/ports.js";
export { Watch, WatchReceiver, watch } from "./channel/watch.js";
export { all, allSettled } from "./combinators/all.js";
export { any } from "./combinators/any.js";
export type { Awaitable, AwaitedOf } from "./combinators/input.js";
export { race } from "./combinators/race.js";
export { Config, type ConfigOptions, type ExecutionModel } from "./config.js";
export * from "./errors.js";
export { Executor, type ExecutorOptions } from "./executor.js";
export { Future, type FutureHooks, type FutureResolvers, isThenable, type PollResult, type Settled } from "./future.js";
export { BlockingIo } from "./io/blocking.js";
export { GreenThreadsIo, type GreenThreadsOptions } from "./io/green-threads.js";
export { type AsyncOptions, type Io, type IoKind, isWorkerTask, type Runnable, type WorkerTask, workerTask } from "./io/io.js";
export { StacklessIo } from "./io/stackless.js";
export { type JoinResult, JoinSet } from "./join-set.js";
export {
  type AcquireOptions,
  ConnectionPool,
  type ConnectionPoolOptions,
  type ConnectionPoolStats,
  type Lease,
} from "./pool/connection-pool.js";
export { deinit, getRuntime, init, Runtime, type RuntimeStats, run } from "./runtime.js";
export { getSliceMs, type Priority, setSliceMs, yieldNow } from "./scheduler.js";
export {
  type OnFutureOptions,
  onFuture,
  onRecv,
  onSend,
  onTimeout,
  SelectBranch,
  type SelectOptions,
  type SelectResult,
  select,
} from "./select.js";
export * from "./sync/index.js";
export {
  type CurrentTask,
  currentTask,
  onCancellation,
  onTaskCancel,
  type SpawnOptions,
  spawn,
  spawnUrgent,
  spawnWith,
  TaskHandle,
  throwIfCancelled,
} from "./task.js";
export { type Interval, type IntervalOptions, interval, type MissedTickPolicy } from "./time/interval.js";
export { sleep } from "./time/sleep.js";
export { timeout } from "./time/timeout.js";
export { clearTimer, type LongTimer, MAX_TIMER_DELAY_MS, setTimer, type Timer } from "./time/timer.js";
export type { TimedWaitOptions, WaitOptions } from "./wait/options.js";
