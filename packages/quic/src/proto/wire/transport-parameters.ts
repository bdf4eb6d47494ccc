/**
 * QUIC transport parameters (RFC 9000 §7.4, §18): the TLS extension body
 * both endpoints send in the handshake, encoded as (id, length, value)
 * triples of varints. Covers every parameter of §18.2, max_datagram_frame_size
 * (RFC 9221 §3) and version_information (RFC 9368 §3).
 *
 * Decoding validates what can be validated from the bytes and the sender's
 * role, throwing {@link TransportError} TRANSPORT_PARAMETER_ERROR: lengths
 * that do not match the value, duplicates (§7.4), values out of range
 * (§18.2), server-only parameters sent by a client, a malformed
 * preferred_address. Unknown parameters, including the reserved GREASE ids
 * 31*N+27 (§18.1), are skipped. Cross-checks against the handshake (the
 * original/initial/retry source connection IDs of §7.3) need connection
 * state and belong to the connection.
 *
 * Absent parameters decode to their RFC defaults; absent connection IDs,
 * tokens and optional extensions decode to `undefined`.
 *
 * @example
 * ```ts
 * import { decodeTransportParameters, encodeTransportParameters } from "@zsync/quic/proto";
 * declare const scid: Uint8Array;
 * const bytes = encodeTransportParameters({ initialMaxData: 1 << 20, initialSourceConnectionId: scid });
 * const params = decodeTransportParameters(bytes, "client"); // as the server receives them
 * params.maxAckDelay; // 25 (default)
 * ```
 * @module
 */
import { TransportError, TransportErrorCode } from "../errors.js";
import { Reader } from "./reader.js";
import { varintLength } from "./varint.js";
import { Writer } from "./writer.js";

/** Transport parameter ids (§18.2, RFC 9221 §3, RFC 9368 §3). */
export const TransportParameterId = {
  ORIGINAL_DESTINATION_CONNECTION_ID: 0x00,
  MAX_IDLE_TIMEOUT: 0x01,
  STATELESS_RESET_TOKEN: 0x02,
  MAX_UDP_PAYLOAD_SIZE: 0x03,
  INITIAL_MAX_DATA: 0x04,
  INITIAL_MAX_STREAM_DATA_BIDI_LOCAL: 0x05,
  INITIAL_MAX_STREAM_DATA_BIDI_REMOTE: 0x06,
  INITIAL_MAX_STREAM_DATA_UNI: 0x07,
  INITIAL_MAX_STREAMS_BIDI: 0x08,
  INITIAL_MAX_STREAMS_UNI: 0x09,
  ACK_DELAY_EXPONENT: 0x0a,
  MAX_ACK_DELAY: 0x0b,
  DISABLE_ACTIVE_MIGRATION: 0x0c,
  PREFERRED_ADDRESS: 0x0d,
  ACTIVE_CONNECTION_ID_LIMIT: 0x0e,
  INITIAL_SOURCE_CONNECTION_ID: 0x0f,
  RETRY_SOURCE_CONNECTION_ID: 0x10,
  VERSION_INFORMATION: 0x11,
  MAX_DATAGRAM_FRAME_SIZE: 0x20,
} as const;

/** The server's preferred_address (§18.2, §9.6). Addresses are raw bytes; port 0 with a zero address means "none". */
export interface PreferredAddress {
  readonly ipv4Address: Uint8Array;
  readonly ipv4Port: number;
  readonly ipv6Address: Uint8Array;
  readonly ipv6Port: number;
  readonly connectionId: Uint8Array;
  readonly statelessResetToken: Uint8Array;
}

/** version_information (RFC 9368 §3). */
export interface VersionInformation {
  readonly chosenVersion: number;
  readonly availableVersions: readonly number[];
}

/** Decoded transport parameters: defaults applied, optional ones `undefined` when absent. */
export interface TransportParameters {
  readonly originalDestinationConnectionId: Uint8Array | undefined;
  /** Milliseconds; 0 = no idle timeout. */
  readonly maxIdleTimeout: number;
  readonly statelessResetToken: Uint8Array | undefined;
  readonly maxUdpPayloadSize: number;
  readonly initialMaxData: number;
  readonly initialMaxStreamDataBidiLocal: number;
  readonly initialMaxStreamDataBidiRemote: number;
  readonly initialMaxStreamDataUni: number;
  readonly initialMaxStreamsBidi: number;
  readonly initialMaxStreamsUni: number;
  readonly ackDelayExponent: number;
  /** Milliseconds. */
  readonly maxAckDelay: number;
  readonly disableActiveMigration: boolean;
  readonly preferredAddress: PreferredAddress | undefined;
  readonly activeConnectionIdLimit: number;
  readonly initialSourceConnectionId: Uint8Array | undefined;
  readonly retrySourceConnectionId: Uint8Array | undefined;
  /** Absent: the peer does not accept DATAGRAM frames (RFC 9221 §3). */
  readonly maxDatagramFrameSize: number | undefined;
  readonly versionInformation: VersionInformation | undefined;
}

/** What to encode: every field optional; absent fields are not sent (the peer assumes the default). */
export type TransportParametersInput = { readonly [K in keyof TransportParameters]?: TransportParameters[K] };

/** The defaults of §18.2 for parameters that are absent. */
export const DEFAULT_TRANSPORT_PARAMETERS: TransportParameters = {
  originalDestinationConnectionId: undefined,
  maxIdleTimeout: 0,
  statelessResetToken: undefined,
  maxUdpPayloadSize: 65527,
  initialMaxData: 0,
  initialMaxStreamDataBidiLocal: 0,
  initialMaxStreamDataBidiRemote: 0,
  initialMaxStreamDataUni: 0,
  initialMaxStreamsBidi: 0,
  initialMaxStreamsUni: 0,
  ackDelayExponent: 3,
  maxAckDelay: 25,
  disableActiveMigration: false,
  preferredAddress: undefined,
  activeConnectionIdLimit: 2,
  initialSourceConnectionId: undefined,
  retrySourceConnectionId: undefined,
  maxDatagramFrameSize: undefined,
  versionInformation: undefined,
};

const MAX_STREAMS_BIGINT = 1n << 60n;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Checks a parameter set against §18.2's limits; returns the first problem
 * or undefined. Shared by the encoder (RangeError) and decoder
 * (TRANSPORT_PARAMETER_ERROR).
 */
function problem(params: TransportParametersInput): string | undefined {
  const cid = (value: Uint8Array | undefined, name: string) =>
    value !== undefined && value.length > 20 ? `${name} of ${value.length} bytes exceeds 20` : undefined;
  if (params.maxUdpPayloadSize !== undefined && params.maxUdpPayloadSize < 1200)
    return `max_udp_payload_size ${params.maxUdpPayloadSize} is below 1200`;
  if (params.ackDelayExponent !== undefined && params.ackDelayExponent > 20)
    return `ack_delay_exponent ${params.ackDelayExponent} exceeds 20`;
  if (params.maxAckDelay !== undefined && params.maxAckDelay >= 2 ** 14) return `max_ack_delay ${params.maxAckDelay} is 2^14 or more`;
  if (params.activeConnectionIdLimit !== undefined && params.activeConnectionIdLimit < 2)
    return `active_connection_id_limit ${params.activeConnectionIdLimit} is below 2`;
  if (params.initialMaxStreamsBidi !== undefined && params.initialMaxStreamsBidi > 2 ** 60) return "initial_max_streams_bidi exceeds 2^60";
  if (params.initialMaxStreamsUni !== undefined && params.initialMaxStreamsUni > 2 ** 60) return "initial_max_streams_uni exceeds 2^60";
  if (params.statelessResetToken !== undefined && params.statelessResetToken.length !== 16) return "stateless_reset_token is not 16 bytes";
  const pa = params.preferredAddress;
  if (pa !== undefined) {
    if (pa.ipv4Address.length !== 4 || pa.ipv6Address.length !== 16) return "preferred_address addresses must be 4 and 16 bytes";
    if (pa.connectionId.length === 0 || pa.connectionId.length > 20) return "preferred_address connection ID must be 1..20 bytes (§18.2)";
    if (pa.statelessResetToken.length !== 16) return "preferred_address stateless reset token is not 16 bytes";
    if (pa.ipv4Port > 0xffff || pa.ipv6Port > 0xffff || pa.ipv4Port < 0 || pa.ipv6Port < 0) return "preferred_address port out of range";
  }
  const vi = params.versionInformation;
  if (vi !== undefined && (vi.chosenVersion === 0 || vi.availableVersions.includes(0)))
    return "version_information must not contain version 0 (RFC 9368 §3)";
  return (
    cid(params.originalDestinationConnectionId, "original_destination_connection_id") ??
    cid(params.initialSourceConnectionId, "initial_source_connection_id") ??
    cid(params.retrySourceConnectionId, "retry_source_connection_id")
  );
}

function fail(reason: string): TransportError {
  return new TransportError(TransportErrorCode.TRANSPORT_PARAMETER_ERROR, reason);
}

/** Reads one varint that must fill the parameter's value exactly. */
function integerValue(reader: Reader, length: number, name: string): number {
  const end = reader.position + length;
  const value = reader.varint();
  if (reader.position !== end) throw fail(`${name}: value length ${length} does not hold exactly one varint`);
  return value;
}

function streamCountValue(reader: Reader, length: number, name: string): number {
  const end = reader.position + length;
  const value = reader.varintBigInt();
  if (reader.position !== end) throw fail(`${name}: value length ${length} does not hold exactly one varint`);
  if (value > MAX_STREAMS_BIGINT) throw fail(`${name} exceeds 2^60 (§4.6)`);
  return Number(value);
}

const SERVER_ONLY = new Set<number>([
  TransportParameterId.ORIGINAL_DESTINATION_CONNECTION_ID,
  TransportParameterId.PREFERRED_ADDRESS,
  TransportParameterId.RETRY_SOURCE_CONNECTION_ID,
  TransportParameterId.STATELESS_RESET_TOKEN,
]);

/**
 * Decodes and validates the transport parameters `sender` sent. Throws
 * {@link TransportError} TRANSPORT_PARAMETER_ERROR for anything invalid.
 */
export function decodeTransportParameters(bytes: Uint8Array, sender: "client" | "server"): TransportParameters {
  const reader = new Reader("transport-parameters", bytes);
  const out: Mutable<TransportParameters> = { ...DEFAULT_TRANSPORT_PARAMETERS };
  const seen = new Set<number>();
  while (reader.remaining > 0) {
    const id = reader.varint();
    const length = reader.varint();
    if (length > reader.remaining) throw fail(`parameter 0x${id.toString(16)} of ${length} bytes runs past the end`);
    if (seen.has(id)) throw fail(`duplicate transport parameter 0x${id.toString(16)} (§7.4)`);
    seen.add(id);
    if (sender === "client" && SERVER_ONLY.has(id))
      throw fail(`a client sent the server-only transport parameter 0x${id.toString(16)} (§18.2)`);
    const valueEnd = reader.position + length;
    const bytesValue = (name: string, max: number, exact?: number) => {
      if (exact !== undefined && length !== exact) throw fail(`${name} must be ${exact} bytes, got ${length}`);
      if (length > max) throw fail(`${name} of ${length} bytes exceeds ${max}`);
      return reader.bytes(length);
    };
    switch (id) {
      case TransportParameterId.ORIGINAL_DESTINATION_CONNECTION_ID:
        out.originalDestinationConnectionId = bytesValue("original_destination_connection_id", 20);
        break;
      case TransportParameterId.MAX_IDLE_TIMEOUT:
        out.maxIdleTimeout = integerValue(reader, length, "max_idle_timeout");
        break;
      case TransportParameterId.STATELESS_RESET_TOKEN:
        out.statelessResetToken = bytesValue("stateless_reset_token", 16, 16);
        break;
      case TransportParameterId.MAX_UDP_PAYLOAD_SIZE:
        out.maxUdpPayloadSize = integerValue(reader, length, "max_udp_payload_size");
        break;
      case TransportParameterId.INITIAL_MAX_DATA:
        out.initialMaxData = integerValue(reader, length, "initial_max_data");
        break;
      case TransportParameterId.INITIAL_MAX_STREAM_DATA_BIDI_LOCAL:
        out.initialMaxStreamDataBidiLocal = integerValue(reader, length, "initial_max_stream_data_bidi_local");
        break;
      case TransportParameterId.INITIAL_MAX_STREAM_DATA_BIDI_REMOTE:
        out.initialMaxStreamDataBidiRemote = integerValue(reader, length, "initial_max_stream_data_bidi_remote");
        break;
      case TransportParameterId.INITIAL_MAX_STREAM_DATA_UNI:
        out.initialMaxStreamDataUni = integerValue(reader, length, "initial_max_stream_data_uni");
        break;
      case TransportParameterId.INITIAL_MAX_STREAMS_BIDI:
        out.initialMaxStreamsBidi = streamCountValue(reader, length, "initial_max_streams_bidi");
        break;
      case TransportParameterId.INITIAL_MAX_STREAMS_UNI:
        out.initialMaxStreamsUni = streamCountValue(reader, length, "initial_max_streams_uni");
        break;
      case TransportParameterId.ACK_DELAY_EXPONENT:
        out.ackDelayExponent = integerValue(reader, length, "ack_delay_exponent");
        break;
      case TransportParameterId.MAX_ACK_DELAY:
        out.maxAckDelay = integerValue(reader, length, "max_ack_delay");
        break;
      case TransportParameterId.DISABLE_ACTIVE_MIGRATION:
        if (length !== 0) throw fail(`disable_active_migration must be empty, got ${length} bytes`);
        out.disableActiveMigration = true;
        break;
      case TransportParameterId.PREFERRED_ADDRESS: {
        const ipv4Address = reader.bytes(4);
        const ipv4Port = reader.u16();
        const ipv6Address = reader.bytes(16);
        const ipv6Port = reader.u16();
        const cidLength = reader.u8();
        if (cidLength === 0 || cidLength > 20) throw fail(`preferred_address connection ID of ${cidLength} bytes (must be 1..20, §18.2)`);
        const connectionId = reader.bytes(cidLength);
        const statelessResetToken = reader.bytes(16);
        if (reader.position !== valueEnd) throw fail("preferred_address length does not match its fields");
        out.preferredAddress = { ipv4Address, ipv4Port, ipv6Address, ipv6Port, connectionId, statelessResetToken };
        break;
      }
      case TransportParameterId.ACTIVE_CONNECTION_ID_LIMIT:
        out.activeConnectionIdLimit = integerValue(reader, length, "active_connection_id_limit");
        break;
      case TransportParameterId.INITIAL_SOURCE_CONNECTION_ID:
        out.initialSourceConnectionId = bytesValue("initial_source_connection_id", 20);
        break;
      case TransportParameterId.RETRY_SOURCE_CONNECTION_ID:
        out.retrySourceConnectionId = bytesValue("retry_source_connection_id", 20);
        break;
      case TransportParameterId.MAX_DATAGRAM_FRAME_SIZE:
        out.maxDatagramFrameSize = integerValue(reader, length, "max_datagram_frame_size");
        break;
      case TransportParameterId.VERSION_INFORMATION: {
        if (length < 4 || length % 4 !== 0) throw fail(`version_information of ${length} bytes is not a non-empty multiple of 4`);
        const chosenVersion = reader.u32();
        const availableVersions: number[] = [];
        while (reader.position < valueEnd) availableVersions.push(reader.u32());
        out.versionInformation = { chosenVersion, availableVersions };
        break;
      }
      default:
        // Unknown and reserved (31*N+27) parameters are ignored (§7.4.2, §18.1).
        reader.skip(length);
    }
    if (reader.position !== valueEnd) throw fail(`parameter 0x${id.toString(16)} length does not match its value`);
  }
  const reason = problem(out);
  if (reason !== undefined) throw fail(reason);
  return out;
}

/** Bytes `params` encode to. */
export function transportParametersLength(params: TransportParametersInput): number {
  let total = 0;
  forEachParameter(params, (id, length) => {
    total += varintLength(id) + varintLength(length) + length;
  });
  return total;
}

type Emit = (id: number, length: number, write: (writer: Writer) => void) => void;

function forEachParameter(params: TransportParametersInput, emit: Emit): void {
  const integer = (id: number, value: number | undefined) => {
    if (value !== undefined) emit(id, varintLength(value), (w) => w.varint(value));
  };
  const bytes = (id: number, value: Uint8Array | undefined) => {
    if (value !== undefined) emit(id, value.length, (w) => w.bytes(value));
  };
  const P = TransportParameterId;
  bytes(P.ORIGINAL_DESTINATION_CONNECTION_ID, params.originalDestinationConnectionId);
  integer(P.MAX_IDLE_TIMEOUT, params.maxIdleTimeout);
  bytes(P.STATELESS_RESET_TOKEN, params.statelessResetToken);
  integer(P.MAX_UDP_PAYLOAD_SIZE, params.maxUdpPayloadSize);
  integer(P.INITIAL_MAX_DATA, params.initialMaxData);
  integer(P.INITIAL_MAX_STREAM_DATA_BIDI_LOCAL, params.initialMaxStreamDataBidiLocal);
  integer(P.INITIAL_MAX_STREAM_DATA_BIDI_REMOTE, params.initialMaxStreamDataBidiRemote);
  integer(P.INITIAL_MAX_STREAM_DATA_UNI, params.initialMaxStreamDataUni);
  integer(P.INITIAL_MAX_STREAMS_BIDI, params.initialMaxStreamsBidi);
  integer(P.INITIAL_MAX_STREAMS_UNI, params.initialMaxStreamsUni);
  integer(P.ACK_DELAY_EXPONENT, params.ackDelayExponent);
  integer(P.MAX_ACK_DELAY, params.maxAckDelay);
  if (params.disableActiveMigration === true) emit(P.DISABLE_ACTIVE_MIGRATION, 0, () => {});
  const pa = params.preferredAddress;
  if (pa !== undefined) {
    emit(P.PREFERRED_ADDRESS, 4 + 2 + 16 + 2 + 1 + pa.connectionId.length + 16, (w) =>
      w
        .bytes(pa.ipv4Address)
        .u16(pa.ipv4Port)
        .bytes(pa.ipv6Address)
        .u16(pa.ipv6Port)
        .u8(pa.connectionId.length)
        .bytes(pa.connectionId)
        .bytes(pa.statelessResetToken),
    );
  }
  integer(P.ACTIVE_CONNECTION_ID_LIMIT, params.activeConnectionIdLimit);
  bytes(P.INITIAL_SOURCE_CONNECTION_ID, params.initialSourceConnectionId);
  bytes(P.RETRY_SOURCE_CONNECTION_ID, params.retrySourceConnectionId);
  const vi = params.versionInformation;
  if (vi !== undefined) {
    emit(P.VERSION_INFORMATION, 4 + 4 * vi.availableVersions.length, (w) => {
      w.u32(vi.chosenVersion);
      for (const version of vi.availableVersions) w.u32(version);
    });
  }
  integer(P.MAX_DATAGRAM_FRAME_SIZE, params.maxDatagramFrameSize);
}

/**
 * Encodes the parameters present in `params` (absent ones are left to the
 * peer's defaults). `reserved` adds parameters with reserved ids (31*N+27)
 * to exercise the peer's tolerance of unknown ones (§18.1); the core has
 * no randomness, so the caller picks them. Throws `RangeError` for values
 * the RFC forbids.
 */
export function encodeTransportParameters(
  params: TransportParametersInput,
  reserved: readonly { readonly id: number; readonly value: Uint8Array }[] = [],
): Uint8Array {
  const reason = problem(params);
  if (reason !== undefined) throw new RangeError(reason);
  for (const { id } of reserved) {
    if (id < 27 || (id - 27) % 31 !== 0) throw new RangeError(`reserved transport parameter ids are 31*N+27, got ${id}`);
  }
  let total = transportParametersLength(params);
  for (const { id, value } of reserved) total += varintLength(id) + varintLength(value.length) + value.length;
  const writer = new Writer(new Uint8Array(total));
  forEachParameter(params, (id, length, write) => {
    writer.varint(id).varint(length);
    write(writer);
  });
  for (const { id, value } of reserved) writer.varint(id).varint(value.length).bytes(value);
  return writer.buffer;
}
