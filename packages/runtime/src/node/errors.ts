/**
 * Error classes of the Node-only half of the runtime: worker faults and
 * socket/file failures. Node's own error is always kept as `cause`, and its
 * OS code (`ECONNREFUSED`, `ENOENT`, ...) stays readable as `osCode`.
 *
 * @example
 * ```ts
 * import { TcpStream, ConnectionRefusedError } from "@zsync/runtime/node";
 * try {
 *   await TcpStream.connect({ port: 1 });
 * } catch (error) {
 *   if (error instanceof ConnectionRefusedError) console.log(error.osCode); // "ECONNREFUSED"
 * }
 * ```
 * @module
 */
import { ZsyncError } from "../errors.js";

/** Why a worker stopped while it was running a task. */
export type WorkerExitReason = "exit" | "error" | "resource-limits";

/**
 * The worker running a task crashed, exited or hit its `resourceLimits`
 * before the task finished. Only that task sees this error; the worker is
 * replaced and queued tasks continue.
 */
export class WorkerCrashedError extends ZsyncError<"ZSYNC_WORKER_CRASHED"> {
  static {
    WorkerCrashedError.brand("@zsync/runtime:WorkerCrashedError");
  }

  /** The worker's exit code, when it exited. */
  readonly exitCode: number | undefined;
  readonly reason: WorkerExitReason;

  constructor(reason: WorkerExitReason, exitCode: number | undefined, options?: { cause?: unknown; task?: string }) {
    const what = options?.task === undefined ? "task" : `task ${options.task}`;
    const why =
      reason === "resource-limits"
        ? "the worker hit its resource limits"
        : reason === "error"
          ? "the worker threw an uncaught error"
          : `the worker exited with code ${exitCode ?? "unknown"}`;
    super("ZSYNC_WORKER_CRASHED", `${what} failed: ${why}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = exitCode;
    this.reason = reason;
  }
}

/** Details of the failed system call, copied from Node's error. */
export interface IoErrorDetails {
  /** The OS error code, e.g. `ECONNREFUSED`. */
  readonly osCode?: string | undefined;
  readonly syscall?: string | undefined;
  readonly address?: string | undefined;
  readonly port?: number | undefined;
  readonly path?: string | undefined;
  readonly cause?: unknown;
}

/** The `code` of an {@link IoError}: `ZSYNC_IO` or the code of one of its subclasses. */
export type IoErrorCode =
  | "ZSYNC_IO"
  | "ZSYNC_CONNECTION_REFUSED"
  | "ZSYNC_CONNECTION_RESET"
  | "ZSYNC_ADDRESS_IN_USE"
  | "ZSYNC_FILE_NOT_FOUND"
  | "ZSYNC_PERMISSION_DENIED"
  | "ZSYNC_RESOURCE_CLOSED";

/** A socket or file operation failed. Subclasses name the common failures. */
export class IoError<C extends IoErrorCode = IoErrorCode> extends ZsyncError<C> {
  static {
    IoError.brand("@zsync/runtime:IoError");
  }

  /** The OS error code (`ECONNRESET`, `EACCES`, ...), if Node reported one. */
  readonly osCode: string | undefined;
  readonly syscall: string | undefined;
  readonly address: string | undefined;
  readonly port: number | undefined;
  readonly path: string | undefined;

  constructor(message: string, details: IoErrorDetails = {}, code: C = "ZSYNC_IO" as C) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.osCode = details.osCode;
    this.syscall = details.syscall;
    this.address = details.address;
    this.port = details.port;
    this.path = details.path;
  }
}

/** Nothing listens at the address (`ECONNREFUSED`). */
export class ConnectionRefusedError extends IoError<"ZSYNC_CONNECTION_REFUSED"> {
  static {
    ConnectionRefusedError.brand("@zsync/runtime:ConnectionRefusedError");
  }

  constructor(message: string, details?: IoErrorDetails) {
    super(message, details, "ZSYNC_CONNECTION_REFUSED");
  }
}

/** The peer reset or aborted the connection (`ECONNRESET`, `EPIPE`, `ECONNABORTED`). */
export class ConnectionResetError extends IoError<"ZSYNC_CONNECTION_RESET"> {
  static {
    ConnectionResetError.brand("@zsync/runtime:ConnectionResetError");
  }

  constructor(message: string, details?: IoErrorDetails) {
    super(message, details, "ZSYNC_CONNECTION_RESET");
  }
}

/** The address is taken (`EADDRINUSE`) or not available (`EADDRNOTAVAIL`). */
export class AddressInUseError extends IoError<"ZSYNC_ADDRESS_IN_USE"> {
  static {
    AddressInUseError.brand("@zsync/runtime:AddressInUseError");
  }

  constructor(message: string, details?: IoErrorDetails) {
    super(message, details, "ZSYNC_ADDRESS_IN_USE");
  }
}

/** The file or directory does not exist (`ENOENT`). */
export class FileNotFoundError extends IoError<"ZSYNC_FILE_NOT_FOUND"> {
  static {
    FileNotFoundError.brand("@zsync/runtime:FileNotFoundError");
  }

  constructor(message: string, details?: IoErrorDetails) {
    super(message, details, "ZSYNC_FILE_NOT_FOUND");
  }
}

/** The OS refused access (`EACCES`, `EPERM`). */
export class PermissionDeniedError extends IoError<"ZSYNC_PERMISSION_DENIED"> {
  static {
    PermissionDeniedError.brand("@zsync/runtime:PermissionDeniedError");
  }

  constructor(message: string, details?: IoErrorDetails) {
    super(message, details, "ZSYNC_PERMISSION_DENIED");
  }
}

/** The socket, listener or file was already closed by this side. */
export class ResourceClosedError extends IoError<"ZSYNC_RESOURCE_CLOSED"> {
  static {
    ResourceClosedError.brand("@zsync/runtime:ResourceClosedError");
  }

  constructor(message = "resource closed") {
    super(message, {}, "ZSYNC_RESOURCE_CLOSED");
  }
}

interface NodeSystemError {
  code?: unknown;
  syscall?: unknown;
  address?: unknown;
  port?: unknown;
  path?: unknown;
  message?: unknown;
}

const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/**
 * Wraps an error from node:net/dgram/fs in the matching {@link IoError}
 * subclass. Errors that are already zsync errors pass through.
 * @internal
 */
export function toIoError(error: unknown, what: string): Error {
  if (error instanceof ZsyncError) return error;
  const e = (typeof error === "object" && error !== null ? error : {}) as NodeSystemError;
  const osCode = str(e.code);
  const details: IoErrorDetails = {
    osCode,
    syscall: str(e.syscall),
    address: str(e.address),
    port: typeof e.port === "number" ? e.port : undefined,
    path: str(e.path),
    cause: error,
  };
  const message = `${what}: ${str(e.message) ?? String(error)}`;
  switch (osCode) {
    case "ECONNREFUSED":
      return new ConnectionRefusedError(message, details);
    case "ECONNRESET":
    case "EPIPE":
    case "ECONNABORTED":
      return new ConnectionResetError(message, details);
    case "EADDRINUSE":
    case "EADDRNOTAVAIL":
      return new AddressInUseError(message, details);
    case "ENOENT":
      return new FileNotFoundError(message, details);
    case "EACCES":
    case "EPERM":
      return new PermissionDeniedError(message, details);
    default:
      return new IoError(message, details);
  }
}
