/**
 * `@zsync/runtime/node`: the Node-only half of the runtime. `ThreadPoolIo`
 * (worker threads), pull-style TCP/UDP/file I/O, and their error types.
 * Everything portable (futures, `BlockingIo`, `ConnectionPool`, ...) lives in
 * `@zsync/runtime`.
 *
 * @example
 * ```ts
 * import { workerTask } from "@zsync/runtime";
 * import { ThreadPoolIo, UdpSocket } from "@zsync/runtime/node";
 * const pool = new ThreadPoolIo();
 * const hash = workerTask<[Uint8Array], string>(new URL("./tasks.js", import.meta.url), "hash");
 * console.log(await pool.async(hash, new Uint8Array(1024)));
 * ```
 * @module
 */
export {
  AddressInUseError,
  ConnectionRefusedError,
  ConnectionResetError,
  FileNotFoundError,
  IoError,
  type IoErrorCode,
  type IoErrorDetails,
  PermissionDeniedError,
  ResourceClosedError,
  WorkerCrashedError,
  type WorkerExitReason,
} from "./errors.js";
export { File, type FileOpenOptions, type FileReadOptions, type FileWriteOptions } from "./file.js";
export type { TimedWaitOptions } from "./pending-wait.js";
export { type TransferResult, taskSignal, unwrapTransfer, withTransfer } from "./task-context.js";
export { type TcpBindOptions, type TcpConnectOptions, TcpListener, TcpStream } from "./tcp.js";
export {
  type LatencySummary,
  type QueueFullPolicy,
  type RunOptions,
  type ShutdownOptions,
  ThreadPoolIo,
  type ThreadPoolOptions,
  type ThreadPoolStats,
} from "./thread-pool.js";
export { type Datagram, type UdpBindOptions, UdpSocket } from "./udp.js";
