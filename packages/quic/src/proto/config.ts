/**
 * Endpoint and connection settings, validated once when a connection is
 * created, so the per-packet code never re-checks them and a bad setting
 * fails at construction with a message naming it (not as a mysterious
 * TRANSPORT_PARAMETER_ERROR from the peer later).
 *
 * Three layers, as in quinn: {@link TransportConfig} (what RFC 9000 §18.2
 * advertises plus local recovery knobs), and the client/server configs that
 * add the TLS options passed to `@zsync/crypto/tls`'s engines. The engine
 * options `transportParameters` and `quic` are set by the connection itself
 * (our encoded transport parameters go out in the TLS extension 0x39; the
 * peer's come back as the engine's `transport-parameters` event), so they
 * are not part of these configs.
 *
 * @example
 * ```ts
 * import { resolveClientConfig, resolveTransportConfig } from "@zsync/quic/proto";
 * declare const caPem: string;
 * const transport = resolveTransportConfig({ maxIdleTimeout: 10_000, initialMaxData: 4 << 20 });
 * const client = resolveClientConfig({ tls: { serverName: "localhost", ca: caPem, alpnProtocols: ["zq"] }, transport });
 * ```
 * @module
 */
import { type CryptoProvider, getProvider } from "@zsync/crypto";
import { SessionTicketer, type TlsClientOptions, type TlsServerOptions } from "@zsync/crypto/tls";
import type { AddressValidationOptions } from "./endpoint/address-validation.js";
import { QuicError } from "./errors.js";
import { QuicVersion } from "./wire/version.js";

/** A setting is out of range or inconsistent. */
export class QuicConfigError extends QuicError<"ZSYNC_QUIC_CONFIG"> {
  static {
    QuicConfigError.brand("@zsync/quic:QuicConfigError");
  }

  /** The offending setting's name, e.g. `ackDelayExponent`. */
  readonly setting: string;
  constructor(setting: string, message: string) {
    super("ZSYNC_QUIC_CONFIG", `${setting}: ${message}`);
    this.setting = setting;
  }
}

/** Transport settings of one connection (RFC 9000 §18.2 names, ms for durations, bytes for sizes). */
export interface TransportConfig {
  /** max_idle_timeout in ms; 0 disables the idle timeout on our side (§10.1). */
  readonly maxIdleTimeout: number;
  /** initial_max_data: connection-level receive window. */
  readonly initialMaxData: number;
  /** initial_max_stream_data_bidi_local: receive window of bidirectional streams we open. */
  readonly initialMaxStreamDataBidiLocal: number;
  /** initial_max_stream_data_bidi_remote: receive window of bidirectional streams the peer opens. */
  readonly initialMaxStreamDataBidiRemote: number;
  /** initial_max_stream_data_uni: receive window of unidirectional streams the peer opens. */
  readonly initialMaxStreamDataUni: number;
  /** initial_max_streams_bidi: how many bidirectional streams the peer may open (renewed as they close). */
  readonly initialMaxStreamsBidi: number;
  /** initial_max_streams_uni. */
  readonly initialMaxStreamsUni: number;
  /** ack_delay_exponent (0..20). */
  readonly ackDelayExponent: number;
  /** max_ack_delay in ms (< 2^14). */
  readonly maxAckDelay: number;
  /** active_connection_id_limit (>= 2). */
  readonly activeConnectionIdLimit: number;
  /** max_udp_payload_size we accept (1200..65527). */
  readonly maxUdpPayloadSize: number;
  /** Largest datagram we send before path MTU discovery (>= 1200; 1200 is always safe, §14). */
  readonly maxDatagramSize: number;
  /** RTT assumed before the first sample (RFC 9002 §6.2.2). */
  readonly initialRtt: number;
  /** disable_active_migration. */
  readonly disableActiveMigration: boolean;
  /** Bytes of out-of-order CRYPTO data buffered per level before CRYPTO_BUFFER_EXCEEDED (RFC 9000 §7.5). */
  readonly maxCryptoBuffer: number;
  /**
   * Packets one 1-RTT key may seal, and packets that may fail to open, before RFC 9001 §6.6 requires
   * a key update or closing (undefined: the cipher suite's limits). Lower only; for tests and cautious deployments.
   */
  readonly aeadConfidentialityLimit: number | undefined;
  readonly aeadIntegrityLimit: number | undefined;
  /** Congestion controller: NewReno (RFC 9002 §7, the default) or CUBIC (RFC 9438). */
  readonly congestionControl: "new-reno" | "cubic";
  /**
   * max_datagram_frame_size (RFC 9221 §3): the largest DATAGRAM frame we take, type and length included.
   * 0 (the default) takes none and does not advertise the parameter; 65535 or any size above a packet means "any".
   */
  readonly maxDatagramFrameSize: number;
}

/** Defaults: windows large enough for one bulk stream on a LAN, limits as common stacks use. */
export const DEFAULT_TRANSPORT_CONFIG: TransportConfig = Object.freeze({
  maxIdleTimeout: 30_000,
  initialMaxData: 4 * 1024 * 1024,
  initialMaxStreamDataBidiLocal: 1024 * 1024,
  initialMaxStreamDataBidiRemote: 1024 * 1024,
  initialMaxStreamDataUni: 1024 * 1024,
  initialMaxStreamsBidi: 100,
  initialMaxStreamsUni: 100,
  ackDelayExponent: 3,
  maxAckDelay: 25,
  activeConnectionIdLimit: 4,
  maxUdpPayloadSize: 65_527,
  maxDatagramSize: 1200,
  initialRtt: 333,
  disableActiveMigration: false,
  maxCryptoBuffer: 64 * 1024,
  aeadConfidentialityLimit: undefined,
  aeadIntegrityLimit: undefined,
  congestionControl: "new-reno",
  maxDatagramFrameSize: 0,
});

const VARINT_MAX = 2 ** 62 - 1;

function integer(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) && !(value === VARINT_MAX)) throw new QuicConfigError(name, `must be an integer, got ${value}`);
  if (value < min || value > max) throw new QuicConfigError(name, `must be in [${min}, ${max}], got ${value}`);
}

/** Fills defaults and validates every field; throws {@link QuicConfigError} naming the first bad one. */
export function resolveTransportConfig(input: Partial<TransportConfig> = {}): TransportConfig {
  const c: TransportConfig = { ...DEFAULT_TRANSPORT_CONFIG, ...stripUndefined(input) };
  integer("maxIdleTimeout", c.maxIdleTimeout, 0, VARINT_MAX);
  for (const name of [
    "initialMaxData",
    "initialMaxStreamDataBidiLocal",
    "initialMaxStreamDataBidiRemote",
    "initialMaxStreamDataUni",
  ] as const)
    integer(name, c[name], 0, Number.MAX_SAFE_INTEGER);
  // RFC 9000 §4.6: a stream count above 2^60 cannot be encoded as a stream ID.
  integer("initialMaxStreamsBidi", c.initialMaxStreamsBidi, 0, 2 ** 60);
  integer("initialMaxStreamsUni", c.initialMaxStreamsUni, 0, 2 ** 60);
  integer("ackDelayExponent", c.ackDelayExponent, 0, 20); // §18.2: values above 20 are invalid
  integer("maxAckDelay", c.maxAckDelay, 0, 2 ** 14 - 1); // §18.2: 2^14 or greater are invalid
  integer("activeConnectionIdLimit", c.activeConnectionIdLimit, 2, 1024); // §18.2: at least 2
  integer("maxUdpPayloadSize", c.maxUdpPayloadSize, 1200, 65_527); // §18.2
  integer("maxDatagramSize", c.maxDatagramSize, 1200, c.maxUdpPayloadSize);
  if (!(c.initialRtt > 0 && c.initialRtt <= 60_000))
    throw new QuicConfigError("initialRtt", `must be in (0, 60000] ms, got ${c.initialRtt}`);
  integer("maxCryptoBuffer", c.maxCryptoBuffer, 4096, 16 * 1024 * 1024);
  if (c.aeadConfidentialityLimit !== undefined) integer("aeadConfidentialityLimit", c.aeadConfidentialityLimit, 16, 2 ** 53);
  if (c.aeadIntegrityLimit !== undefined) integer("aeadIntegrityLimit", c.aeadIntegrityLimit, 1, 2 ** 53);
  if (c.congestionControl !== "new-reno" && c.congestionControl !== "cubic")
    throw new QuicConfigError("congestionControl", `must be "new-reno" or "cubic", got ${String(c.congestionControl)}`);
  integer("maxDatagramFrameSize", c.maxDatagramFrameSize, 0, 65_535);
  if (typeof c.disableActiveMigration !== "boolean") throw new QuicConfigError("disableActiveMigration", "must be a boolean");
  return Object.freeze(c);
}

/** Settings of an endpoint (shared by its connections). */
export interface EndpointConfig {
  /** Length of the connection IDs we issue (RFC 9000 §5.1): 0..20; servers need >= 1 to route, default 8. */
  readonly cidLength: number;
  /** QUIC versions we accept, preferred first (default: v1). */
  readonly versions: readonly number[];
  /** Maximum concurrent connections a server endpoint accepts before refusing (default 10,000). */
  readonly maxConnections: number;
  /**
   * Random bytes for connection IDs and tokens. The core has no entropy of
   * its own on purpose (it is deterministic for tests); a driver passes
   * `crypto.getRandomValues` or the provider's `randomBytes`.
   */
  readonly random: (out: Uint8Array) => void;
  /** Retry, address-validation tokens and stateless resets (RFC 9000 §8.1, §10.3); see endpoint/address-validation.ts. */
  readonly addressValidation?: AddressValidationOptions | undefined;
}

/** Fills defaults and validates an endpoint config. */
export function resolveEndpointConfig(input: Partial<EndpointConfig> & Pick<EndpointConfig, "random">): EndpointConfig {
  const c: EndpointConfig = {
    cidLength: 8,
    versions: [QuicVersion.V1],
    maxConnections: 10_000,
    ...stripUndefined(input),
    random: input.random,
  };
  integer("cidLength", c.cidLength, 0, 20);
  integer("maxConnections", c.maxConnections, 1, 2 ** 31);
  if (c.versions.length === 0) throw new QuicConfigError("versions", "must list at least one version");
  for (const v of c.versions) integer("versions", v, 1, 0xffff_ffff);
  if (typeof c.random !== "function") throw new QuicConfigError("random", "must be a function filling a Uint8Array");
  return Object.freeze({ ...c, versions: Object.freeze([...c.versions]) });
}

/** TLS options of a client connection; `transportParameters` and `quic` belong to the connection. */
export type ClientTlsOptions = Omit<TlsClientOptions, "transportParameters" | "quic" | "middleboxCompatibility" | "provider">;
/**
 * TLS options of a server connection; `transportParameters` and `quic` belong to the connection.
 * `maxEarlyData` turns 0-RTT on: QUIC requires 0xffffffff in tickets (RFC 9001 §4.6.1; stream flow
 * control is what bounds early data), so it is 0 (the default: off) or 0xffffffff.
 */
export type ServerTlsOptions = Omit<TlsServerOptions, "transportParameters" | "quic" | "provider">;

/** What a server's 0-RTT policy is told about a client whose TLS handshake offers early data. */
export interface EarlyDataRequest {
  /** The client's address (not validated yet: 0-RTT arrives before any round trip). */
  readonly remote: { readonly address: string; readonly port: number };
}

/** RFC 9001 §4.6.1: the `max_early_data_size` a QUIC server's tickets carry when it accepts 0-RTT. */
export const QUIC_MAX_EARLY_DATA = 0xffff_ffff;

/** A client connection's settings. */
export interface ClientConfig {
  readonly tls: ClientTlsOptions;
  readonly transport: TransportConfig;
  /** Provider for packet protection and TLS (default: the process default, `getProvider()`). */
  readonly provider: CryptoProvider;
  /** Version of the first Initial (default v1). */
  readonly version: number;
}

/** A server's settings (shared by every connection it accepts). */
export interface ServerConfig {
  readonly tls: ServerTlsOptions;
  readonly transport: TransportConfig;
  readonly provider: CryptoProvider;
  /**
   * With `tls.maxEarlyData`: called per connection before its TLS engine exists; false refuses this client's 0-RTT
   * (the handshake goes on and the client resends its data in 1-RTT, RFC 9001 §4.6.2). Default: accept.
   */
  readonly acceptEarlyData?: ((request: EarlyDataRequest) => boolean) | undefined;
}

/** Input of {@link resolveClientConfig}. */
export interface ClientConfigInput {
  readonly tls: ClientTlsOptions;
  readonly transport?: Partial<TransportConfig>;
  readonly provider?: CryptoProvider;
  readonly version?: number;
}

/** Input of {@link resolveServerConfig}. */
export interface ServerConfigInput {
  readonly tls: ServerTlsOptions;
  readonly transport?: Partial<TransportConfig>;
  readonly provider?: CryptoProvider;
  /** See {@link ServerConfig.acceptEarlyData}. */
  readonly acceptEarlyData?: ((request: EarlyDataRequest) => boolean) | undefined;
}

/** Validates a client config. QUIC requires ALPN (RFC 9001 §8.1), so an empty ALPN list is refused here. */
export function resolveClientConfig(input: ClientConfigInput): ClientConfig {
  if (input.tls.alpnProtocols === undefined || input.tls.alpnProtocols.length === 0)
    throw new QuicConfigError("tls.alpnProtocols", "QUIC requires at least one ALPN protocol (RFC 9001 §8.1)");
  const version = input.version ?? QuicVersion.V1;
  integer("version", version, 1, 0xffff_ffff);
  return Object.freeze({
    tls: input.tls,
    transport: resolveTransportConfig(input.transport),
    provider: input.provider ?? getProvider(),
    version,
  });
}

/**
 * Validates a server config; ALPN is required as for the client.
 *
 * The config holds the one {@link SessionTicketer} (ticket key) all connections
 * of the server share: each connection builds its TLS engine from a fresh
 * options object, and the engine's default ticketer is per options object, so
 * without this every ticket could be opened only by the connection that issued
 * it and no later connection ever resumed (RFC 8446 §4.6.1, RFC 9001 §4.5).
 * `tls.sessionTickets: false` still disables tickets; a caller's own ticketer
 * (e.g. shared by several servers) is kept.
 */
export function resolveServerConfig(input: ServerConfigInput): ServerConfig {
  if (input.tls.alpnProtocols === undefined || input.tls.alpnProtocols.length === 0)
    throw new QuicConfigError("tls.alpnProtocols", "QUIC requires at least one ALPN protocol (RFC 9001 §8.1)");
  const provider = input.provider ?? getProvider();
  const tls = input.tls;
  const maxEarlyData = tls.maxEarlyData ?? 0;
  if (maxEarlyData !== 0 && maxEarlyData !== QUIC_MAX_EARLY_DATA)
    throw new QuicConfigError("tls.maxEarlyData", "0 (no 0-RTT) or 0xffffffff (RFC 9001 §4.6.1)");
  // RFC 9000 §7.4.1: a server accepting 0-RTT must not lower the limits the client remembered with the ticket. Every
  // connection of this config sends the same limits, so a ticket from our own ticketer is safe; a caller's ticketer may
  // be shared with servers whose limits differ, which tickets do not record yet: 0-RTT is refused with it.
  if (maxEarlyData !== 0 && tls.sessionTickets !== undefined && tls.sessionTickets !== false)
    throw new QuicConfigError(
      "tls.maxEarlyData",
      "0-RTT needs the server's own session ticketer (RFC 9000 §7.4.1): leave tls.sessionTickets unset",
    );
  const sessionTickets = tls.sessionTickets ?? new SessionTicketer(provider);
  return Object.freeze({
    tls: Object.freeze({ ...tls, sessionTickets }),
    transport: resolveTransportConfig(input.transport),
    provider,
    acceptEarlyData: input.acceptEarlyData,
  });
}

function stripUndefined<T extends object>(input: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, value] of Object.entries(input)) if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  return out;
}
