/**
 * The AEADs QUIC packet protection uses (RFC 9001 §5: the TLS 1.3 cipher
 * suite's AEAD and hash) and their usage limits (§6.6). The connection
 * counts packets against these limits to know when a key update is due
 * (confidentiality) or when to close with AEAD_LIMIT_REACHED (integrity).
 *
 * @example
 * ```ts
 * import { SUITES } from "@zsync/quic/proto";
 * SUITES["chacha20-poly1305"].hash; // "sha256"
 * SUITES["aes-128-gcm"].confidentialityLimit; // 2 ** 23
 * ```
 * @module
 */
import type { HeaderProtectionSuite, MacHash } from "@zsync/crypto";

/** A packet-protection AEAD: the header-protection suites of `@zsync/crypto`. */
export type PacketProtectionSuite = HeaderProtectionSuite;

/** What a suite implies for QUIC. */
export interface SuiteInfo {
  /** The TLS 1.3 hash of the cipher suite (HKDF for key derivation and key update). */
  readonly hash: MacHash;
  /** Hash output size: the length of each traffic secret. */
  readonly secretLength: number;
  /** AEAD key size (also the header-protection key size). */
  readonly keyLength: number;
  /** Packets one key may protect before a key update is required (§6.6). */
  readonly confidentialityLimit: number;
  /** Failed decryptions tolerated over the whole connection before AEAD_LIMIT_REACHED (§6.6). */
  readonly integrityLimit: number;
}

/** Per-suite facts (RFC 9001 §5.1, §5.3, §6.6; TLS_AES_256_GCM_SHA384 uses SHA-384). */
export const SUITES: Readonly<Record<PacketProtectionSuite, SuiteInfo>> = {
  "aes-128-gcm": { hash: "sha256", secretLength: 32, keyLength: 16, confidentialityLimit: 2 ** 23, integrityLimit: 2 ** 52 },
  "aes-256-gcm": { hash: "sha384", secretLength: 48, keyLength: 32, confidentialityLimit: 2 ** 23, integrityLimit: 2 ** 52 },
  "chacha20-poly1305": { hash: "sha256", secretLength: 32, keyLength: 32, confidentialityLimit: 2 ** 62, integrityLimit: 2 ** 36 },
};
