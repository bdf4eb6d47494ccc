/**
 * Options shared by `QuicServer.bind` and `connect`, and their translation
 * into the core's validated configs. Kept in one place so both sides name
 * things alike (`alpn`, `keyLog`, the transport knobs spread at top level
 * as in quinn's `TransportConfig`).
 *
 * @module
 */
import { randomFillSync } from "node:crypto";
import type { CryptoProvider } from "@zsync/crypto";
import type { KeyLogCallback } from "@zsync/crypto/tls";
import { QuicVersion, type TransportConfig } from "../proto/index.js";

/** Transport settings (RFC 9000 §18.2 names), all optional. */
export type TransportOptions = Partial<TransportConfig>;

/** Options common to servers and clients. */
export interface CommonOptions extends TransportOptions {
  /** ALPN protocol(s) to offer or accept; QUIC requires one (RFC 9001 §8.1). */
  readonly alpn: string | readonly string[];
  /** Crypto provider (default: the process default). */
  readonly provider?: CryptoProvider;
  /** Receives TLS secrets for SSLKEYLOGFILE (`keyLogFile(path)` from `@zsync/crypto/tls`). For debugging only. */
  readonly keyLog?: KeyLogCallback;
  /** QUIC version: `QuicVersion.V1` (default) or `QuicVersion.V2` (RFC 9369). */
  readonly version?: number;
  /** Error code sent in RESET_STREAM / STOP_SENDING when a stream wait is cancelled (default 0). */
  readonly cancelCode?: number;
}

export function alpnList(alpn: string | readonly string[]): string[] {
  return typeof alpn === "string" ? [alpn] : [...alpn];
}

/**
 * Every key of the core's TransportConfig. A `Record` over `keyof TransportConfig`, so a setting added
 * to the core and not listed here fails to typecheck instead of being silently dropped by
 * {@link transportOptions} (as `maxDatagramFrameSize` and `congestionControl` once were).
 */
const TRANSPORT_KEYS: Record<keyof TransportConfig, true> = {
  maxIdleTimeout: true,
  initialMaxData: true,
  initialMaxStreamDataBidiLocal: true,
  initialMaxStreamDataBidiRemote: true,
  initialMaxStreamDataUni: true,
  initialMaxStreamsBidi: true,
  initialMaxStreamsUni: true,
  ackDelayExponent: true,
  maxAckDelay: true,
  activeConnectionIdLimit: true,
  maxUdpPayloadSize: true,
  maxDatagramSize: true,
  initialRtt: true,
  disableActiveMigration: true,
  maxCryptoBuffer: true,
  aeadConfidentialityLimit: true,
  aeadIntegrityLimit: true,
  congestionControl: true,
  maxDatagramFrameSize: true,
};

/** The transport knobs of an options object (everything the core's TransportConfig names). */
export function transportOptions(options: TransportOptions): TransportOptions {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(TRANSPORT_KEYS) as (keyof TransportConfig)[]) if (options[key] !== undefined) out[key] = options[key];
  return out as TransportOptions;
}

/** Entropy for connection IDs: the OS CSPRNG (IDs must be unpredictable, RFC 9000 §7.2). */
export function osRandom(out: Uint8Array): void {
  randomFillSync(out);
}

export const DEFAULT_VERSION = QuicVersion.V1;
