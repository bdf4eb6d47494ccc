/**
 * The sans-I/O QUIC core: wire codecs, packet protection, recovery and
 * congestion control. Nothing here touches `node:*`, timers or sockets; time
 * is always an argument (`now`, in milliseconds).
 *
 * Exports, by area: errors (RFC 9000 §20); wire codecs (varints §16, packet
 * numbers §17.1, headers §17 with RFC 9369 and RFC 8999, range sets for ACK);
 * packet protection (RFC 9001 §5-6, RFC 9369 §3.3).
 *
 * @module
 */

export {
  type ClientConfig,
  type ClientConfigInput,
  type ClientTlsOptions,
  DEFAULT_TRANSPORT_CONFIG,
  type EarlyDataRequest,
  type EndpointConfig,
  QUIC_MAX_EARLY_DATA,
  QuicConfigError,
  resolveClientConfig,
  resolveEndpointConfig,
  resolveServerConfig,
  resolveTransportConfig,
  type ServerConfig,
  type ServerConfigInput,
  type ServerTlsOptions,
  type TransportConfig,
} from "./config.js";
export * from "./congestion/controller.js";
export {
  CUBIC_ALPHA,
  CUBIC_BETA,
  CUBIC_C,
  Cubic,
  type CubicOptions,
} from "./congestion/cubic.js";
export { NewReno, type NewRenoOptions } from "./congestion/new-reno.js";
export { MAX_ISSUED_CONNECTION_IDS } from "./connection/cid-state.js";
export {
  type AcceptOptions,
  Connection,
  type ConnectionCounters,
  type ConnectionState,
  type ConnectionStats,
  type ConnectOptions,
  type PacketSpaceCounts,
  type SocketAddress,
} from "./connection/connection.js";
export { DatagramError, MAX_QUEUED_DATAGRAMS } from "./connection/datagrams.js";
export type { EarlyTransportParameters } from "./connection/early-data.js";
export { MAX_PATHS, MigrationError, type MigrationFailure } from "./connection/path.js";
export { type BlockedFrameCounters, StreamStateError } from "./connection/streams.js";
export * from "./crypto/address-token.js";
export * from "./crypto/aead-limits.js";
export * from "./crypto/labels.js";
export * from "./crypto/packet-keys.js";
export * from "./crypto/packet-protection.js";
export * from "./crypto/retry-integrity.js";
export * from "./crypto/stateless-reset.js";
export * from "./crypto/suite.js";
export {
  type AddressValidationOptions,
  AddressValidator,
  type InitialDecision,
  type RetryPolicy,
} from "./endpoint/address-validation.js";
export { isAcceptableRetry, writeInvalidTokenClose, writeRetryPacket } from "./endpoint/retry.js";
export {
  type ResettableConnection,
  StatelessResetDetector,
  type StatelessResetLimits,
  StatelessResetResponder,
} from "./endpoint/stateless-reset.js";
export { Endpoint, type EndpointEvent, type EndpointStats, type Transmit } from "./endpoint.js";
export * from "./errors.js";
export type { CloseReason, ConnectionEvent, StreamDirection } from "./events.js";
export { AckManager, type AckManagerOptions, decodeAckDelay, encodeAckDelay } from "./recovery/ack-manager.js";
export {
  type AckOutcome,
  K_PACKET_THRESHOLD,
  K_TIME_THRESHOLD,
  LossDetection,
  type LossDetectionOptions,
  PacketNumberSpace,
  type TimeoutOutcome,
} from "./recovery/loss-detection.js";
export { PACING_GAIN, Pacer, type PacerOptions } from "./recovery/pacer.js";
export { type AckDelayContext, K_GRANULARITY, K_INITIAL_RTT, RttEstimator } from "./recovery/rtt.js";
export type { SentPacket } from "./recovery/sent-packets.js";
export { Assembler, type AssemblerOptions } from "./streams/assembler.js";
export { ReceiveCredit, type ReceiveCreditOptions, SendCredit } from "./streams/flow-control.js";
export { type ReadResult, RecvStream, type RecvStreamOptions, type RecvStreamState } from "./streams/recv-stream.js";
export {
  type ResetFrame,
  SendStream,
  type SendStreamOptions,
  type SendStreamState,
  type StreamChunk,
} from "./streams/send-stream.js";
export * from "./streams/stream-id.js";
export { type OpenedRange, StreamLimits, type StreamLimitsOptions } from "./streams/stream-limits.js";
export * from "./wire/ack-frame.js";
export * from "./wire/frame.js";
export * from "./wire/packet-header.js";
export * from "./wire/packet-number.js";
export { RangeSet, type RangeSetOptions } from "./wire/range-set.js";
export * from "./wire/reader.js";
export * from "./wire/transport-parameters.js";
export * from "./wire/varint.js";
export * from "./wire/version.js";
export * from "./wire/writer.js";
