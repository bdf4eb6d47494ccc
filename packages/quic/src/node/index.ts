/**
 * The Node API of `@zsync/quic`: `QuicServer.bind`, `connect`,
 * `QuicConnection`, `QuicStream`, their errors, and the `EndpointDriver`
 * that runs the sans-I/O core over a UDP socket.
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
export type { CommonOptions, TransportOptions } from "./options.js";
export { QuicServer, type QuicServerOptions, type QuicServerStats } from "./server.js";
export { QuicSession, type RememberedTransportParameters } from "./session.js";
export { QuicStream } from "./stream.js";
export type { QuicWaitOptions } from "./wait.js";
