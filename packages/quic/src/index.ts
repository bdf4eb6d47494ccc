/**
 * `@zsync/quic`: QUIC (RFC 9000, 9001, 9002, 9369) for Node. This entry is
 * the common case, the Node API; the sans-I/O core is `@zsync/quic/proto`.
 *
 * @example
 * ```ts
 * import { connect, QuicServer } from "@zsync/quic";
 * ```
 * @module
 */
export {
  Http3ClosedError,
  Http3ConnectionClosedError,
  Http3Error,
  Http3ErrorCode,
  type Http3ErrorKind,
  Http3MessageError,
  Http3RequestRejectedError,
  Http3RequestResetError,
} from "./h3/index.js";
export * from "./node/index.js";
export { type CloseReason, QuicError, type QuicErrorCode, QuicVersion, TransportErrorCode } from "./proto/index.js";
