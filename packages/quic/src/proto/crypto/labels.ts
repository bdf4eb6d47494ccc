/**
 * The per-version constants of QUIC-TLS: the Initial salt (RFC 9001 §5.2,
 * RFC 9369 §3.3.1), the HKDF labels for packet keys, IVs, header protection
 * and key update (RFC 9001 §5.1, §6.1; "quicv2 ..." in RFC 9369 §3.3.2),
 * and the Retry integrity key and nonce (RFC 9001 §5.8, RFC 9369 §3.3.3).
 * They are facts copied from the RFCs; the tests rederive the Retry key and
 * nonce from the published secrets to check them.
 *
 * @example
 * ```ts
 * import { QuicVersion, versionConstants } from "@zsync/quic/proto";
 * versionConstants(QuicVersion.V2).labels.key; // "quicv2 key"
 * ```
 * @module
 */
import { QuicVersion } from "../wire/version.js";

function hex(value: string): Uint8Array {
  const out = new Uint8Array(value.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(value.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Everything about QUIC-TLS that depends on the version. */
export interface VersionConstants {
  readonly version: number;
  /** Salt of HKDF-Extract for Initial secrets. */
  readonly initialSalt: Uint8Array;
  /** HKDF-Expand-Label labels (without the "tls13 " prefix). */
  readonly labels: { readonly key: string; readonly iv: string; readonly hp: string; readonly ku: string };
  /** AES-128-GCM key of the Retry Integrity Tag. */
  readonly retryKey: Uint8Array;
  /** Nonce of the Retry Integrity Tag. */
  readonly retryNonce: Uint8Array;
}

const V1: VersionConstants = {
  version: QuicVersion.V1,
  initialSalt: hex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a"),
  labels: { key: "quic key", iv: "quic iv", hp: "quic hp", ku: "quic ku" },
  retryKey: hex("be0c690b9f66575a1d766b54e368c84e"),
  retryNonce: hex("461599d35d632bf2239825bb"),
};

const V2: VersionConstants = {
  version: QuicVersion.V2,
  initialSalt: hex("0dede3def700a6db819381be6e269dcbf9bd2ed9"),
  labels: { key: "quicv2 key", iv: "quicv2 iv", hp: "quicv2 hp", ku: "quicv2 ku" },
  retryKey: hex("8fb4b01b56ac48e260fbcbcead7ccc92"),
  retryNonce: hex("d86969bc2d7c6d9990efb04a"),
};

/** The constants of `version` (v1 or v2); throws `RangeError` for any other version. */
export function versionConstants(version: number): VersionConstants {
  if (version === QuicVersion.V1) return V1;
  if (version === QuicVersion.V2) return V2;
  throw new RangeError(`no QUIC-TLS constants for version 0x${version.toString(16)}`);
}
