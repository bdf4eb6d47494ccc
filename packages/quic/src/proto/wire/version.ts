/**
 * QUIC versions this stack speaks and what differs between them on the
 * wire: the long-header type bits (RFC 9369 §3.2 reassigns them for v2) and
 * which are reserved for version negotiation (RFC 9000 §15: 0x?a?a?a?a is
 * reserved for greasing, 0 marks Version Negotiation).
 *
 * @example
 * ```ts
 * import { isGreaseVersion, isSupportedVersion, QuicVersion } from "@zsync/quic/proto";
 * isSupportedVersion(QuicVersion.V2); // true
 * isGreaseVersion(0x1a2a3a4a); // true
 * ```
 * @module
 */

/** Version numbers on the wire. */
export const QuicVersion = {
  /** Version Negotiation packets carry version 0 (RFC 9000 §17.2.1). */
  NEGOTIATION: 0x0000_0000,
  /** QUIC version 1 (RFC 9000). */
  V1: 0x0000_0001,
  /** QUIC version 2 (RFC 9369 §3.1). */
  V2: 0x6b33_43cf,
} as const;

/** The versions this implementation can speak, most preferred first. */
export const SUPPORTED_VERSIONS: readonly number[] = [QuicVersion.V1, QuicVersion.V2];

/** True for QUIC v1 and v2. */
export function isSupportedVersion(version: number): boolean {
  return version === QuicVersion.V1 || version === QuicVersion.V2;
}

/** True for the versions RFC 9000 §15 reserves to exercise negotiation (0x?a?a?a?a). */
export function isGreaseVersion(version: number): boolean {
  return (version & 0x0f0f0f0f) === 0x0a0a0a0a;
}
