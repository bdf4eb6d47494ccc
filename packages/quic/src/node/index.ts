/**
 * The Node API of `@zsync/quic`: `QuicServer.bind`, `connect`,
 * `QuicConnection`, `QuicStream`, their errors, the `EndpointDriver`
 * that runs the sans-I/O core over a UDP socket, and HTTP/3 over them:
 * `Http3Server` and `Http3Client`.
 *
 * @module
 */

/** What a server's `earlyData` policy function is told (re-exported from the core). */
export type { EarlyDataRequest } from "../proto/index.js";
/** `QuicConnection.migrate`'s error and its reasons (from the core). */
export { MigrationError, type MigrationFailure, type PacketSpaceCounts } from "../proto/index.js";
export { connect, MemoryTokenStore, type QuicConnectOptions, type QuicTokenStore } from "./client.js";
export { MAX_QUEUED_DATAGRAMS, QuicConnection, type QuicConnectionStats } from "./connection.js";
export { type DriverStats, EndpointDriver } from "./driver.js";
export {
  QuicApplicationClosedError,
  type QuicConnectionClosedCode,
  QuicConnectionClosedError,
  QuicEndpointClosedError,
  QuicIdleTimeoutError,
  QuicSessionFormatError,
  QuicStreamClosedError,
  QuicStreamResetError,
  QuicStreamStoppedError,
  QuicTransportClosedError,
} from "./errors.js";
export { Http3Client, type Http3ClientOptions } from "./h3-client.js";
export {
  type Http3CloseOptions,
  type Http3Handler,
  type Http3RequestInfo,
  Http3Server,
  type Http3ServerOptions,
  type Http3ServerStats,
  type Http3SettingsOptions,
} from "./h3-server.js";
export type { CommonOptions, TransportOptions } from "./options.js";
export { QuicServer, type QuicServerOptions, type QuicServerStats } from "./server.js";
export { QuicSession, type RememberedTransportParameters } from "./session.js";
export { QuicStream } from "./stream.js";
export type { QuicWaitOptions } from "./wait.js";
