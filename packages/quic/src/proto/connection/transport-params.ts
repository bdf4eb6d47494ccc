/**
 * The connection's side of the transport parameter exchange (RFC 9000
 * §7.3, §7.4, §18): what we advertise, built from the validated
 * {@link TransportConfig}, and the checks on the peer's that need
 * connection state. The wire codec (and the per-parameter range checks)
 * is wire/transport-parameters.ts.
 *
 * §7.3 authenticates the connection IDs of the handshake: each side puts
 * the Source Connection ID of its first packet in
 * initial_source_connection_id, and the server echoes the Destination
 * Connection ID of the client's first Initial in
 * original_destination_connection_id. A mismatch (an attacker rewrote the
 * unauthenticated long headers) or a missing value is
 * TRANSPORT_PARAMETER_ERROR. Without Retry, a server must not send
 * retry_source_connection_id.
 *
 * @module
 */
import type { TransportConfig } from "../config.js";
import { TransportError, TransportErrorCode } from "../errors.js";
import { decodeTransportParameters, type TransportParameters, type TransportParametersInput } from "../wire/transport-parameters.js";

/** The peer's parameters after validation. */
export type PeerTransportParameters = TransportParameters;

/** Our parameters for the TLS extension. */
export function buildTransportParameters(
  config: TransportConfig,
  ids: {
    readonly initialSourceConnectionId: Uint8Array;
    readonly originalDestinationConnectionId: Uint8Array | undefined;
    /** Server after a Retry: the Retry's SCID (§7.3). */
    readonly retrySourceConnectionId?: Uint8Array | undefined;
    /** Server: the token for the CID of its handshake (§10.3). */
    readonly statelessResetToken?: Uint8Array | undefined;
  },
): TransportParametersInput {
  return {
    maxIdleTimeout: config.maxIdleTimeout,
    maxUdpPayloadSize: config.maxUdpPayloadSize,
    initialMaxData: config.initialMaxData,
    initialMaxStreamDataBidiLocal: config.initialMaxStreamDataBidiLocal,
    initialMaxStreamDataBidiRemote: config.initialMaxStreamDataBidiRemote,
    initialMaxStreamDataUni: config.initialMaxStreamDataUni,
    initialMaxStreamsBidi: config.initialMaxStreamsBidi,
    initialMaxStreamsUni: config.initialMaxStreamsUni,
    ackDelayExponent: config.ackDelayExponent,
    maxAckDelay: config.maxAckDelay,
    activeConnectionIdLimit: config.activeConnectionIdLimit,
    disableActiveMigration: config.disableActiveMigration,
    initialSourceConnectionId: ids.initialSourceConnectionId,
    ...(ids.originalDestinationConnectionId === undefined ? {} : { originalDestinationConnectionId: ids.originalDestinationConnectionId }),
    ...(ids.retrySourceConnectionId === undefined ? {} : { retrySourceConnectionId: ids.retrySourceConnectionId }),
    ...(ids.statelessResetToken === undefined ? {} : { statelessResetToken: ids.statelessResetToken }),
    // RFC 9221 §3: absent means "no DATAGRAM frames", the same as 0.
    ...(config.maxDatagramFrameSize === 0 ? {} : { maxDatagramFrameSize: config.maxDatagramFrameSize }),
  };
}

/** What §7.3 compares the peer's connection-ID parameters against. */
export interface ConnectionIdExpectations {
  /** Who sent the parameters. */
  readonly peerSide: "client" | "server";
  /** The DCID of the client's first Initial. */
  readonly originalDestinationConnectionId: Uint8Array;
  /** The SCID of the peer's first packet (its Initial). */
  readonly peerSourceConnectionId: Uint8Array;
  /** Client: the SCID of the Retry it followed, if any; the server must echo it in retry_source_connection_id. */
  readonly retrySourceConnectionId?: Uint8Array | undefined;
}

/** Decodes and validates the peer's parameters; throws TransportError TRANSPORT_PARAMETER_ERROR. */
export function validatePeerTransportParameters(data: Uint8Array, expect: ConnectionIdExpectations): PeerTransportParameters {
  const params = decodeTransportParameters(data, expect.peerSide);
  const fail = (reason: string): never => {
    throw new TransportError(TransportErrorCode.TRANSPORT_PARAMETER_ERROR, reason);
  };
  if (params.initialSourceConnectionId === undefined) fail("initial_source_connection_id is missing (RFC 9000 §7.3)");
  else if (!bytesEqual(params.initialSourceConnectionId, expect.peerSourceConnectionId))
    fail("initial_source_connection_id does not match the Source Connection ID of the peer's first packet (RFC 9000 §7.3)");
  if (expect.peerSide === "server") {
    if (params.originalDestinationConnectionId === undefined) fail("original_destination_connection_id is missing (RFC 9000 §7.3)");
    else if (!bytesEqual(params.originalDestinationConnectionId, expect.originalDestinationConnectionId))
      fail("original_destination_connection_id does not match our first Destination Connection ID (RFC 9000 §7.3)");
    if (expect.retrySourceConnectionId === undefined) {
      if (params.retrySourceConnectionId !== undefined) fail("retry_source_connection_id without a Retry (RFC 9000 §7.3)");
    } else if (params.retrySourceConnectionId === undefined) fail("retry_source_connection_id is missing after a Retry (RFC 9000 §7.3)");
    else if (!bytesEqual(params.retrySourceConnectionId, expect.retrySourceConnectionId))
      fail("retry_source_connection_id does not match the Retry's Source Connection ID (RFC 9000 §7.3)");
  }
  return params;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
