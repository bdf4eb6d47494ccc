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
export * from "./errors.js";
export { Future, isThenable, type FutureHooks, type FutureResolvers, type PollResult, type Settled } from "./future.js";
export { type Priority, yieldNow, setSliceMs, getSliceMs } from "./scheduler.js";
export {
  type CurrentTask,
  currentTask,
  type SpawnOptions,
  spawn,
  spawnUrgent,
  spawnWith,
  TaskHandle,
  throwIfCancelled,
} from "./task.js";
export { Executor, type ExecutorOptions } from "./executor.js";
export { type JoinResult, JoinSet } from "./join-set.js";
export { sleep, type WaitOptions } from "./time/sleep.js";
export { type Interval, type IntervalOptions, interval, type MissedTickPolicy } from "./time/interval.js";
export { timeout } from "./time/timeout.js";
export type { Awaitable, AwaitedOf } from "./combinators/input.js";
export { race } from "./combinators/race.js";
export { all, allSettled } from "./combinators/all.js";
export { any } from "./combinators/any.js";
export { type AsyncOptions, type Io, type IoKind, isWorkerTask, type Runnable, type WorkerTask, workerTask } from "./io/io.js";
export { GreenThreadsIo, type GreenThreadsOptions } from "./io/green-threads.js";
export { StacklessIo } from "./io/stackless.js";
export { BlockingIo } from "./io/blocking.js";
export { Config, type ConfigOptions, type ExecutionModel } from "./config.js";
export { deinit, getRuntime, init, Runtime, type RuntimeStats, run } from "./runtime.js";
export { type Capabilities, capabilities, printCapabilities } from "./capabilities.js";
export {
  bounded,
  Channel,
  ChannelIterator,
  oneshot,
  type Receiver,
  type Sender,
  type TryRecvResult,
  unbounded,
} from "./channel/channel.js";
export { Broadcast, BroadcastReceiver, broadcast } from "./channel/broadcast.js";
export { Watch, WatchReceiver, watch } from "./channel/watch.js";
export type { RecvSelectable, SendSelectable } from "./channel/ports.js";
export { after, onFuture, onRecv, onSend, type OnFutureOptions, select, SelectBranch, type SelectOptions, type SelectResult } from "./select.js";
export * from "./sync/index.js";
