/**
 * The three TLS 1.3 cipher suites: their AEAD, hash, key length and the
 * confidentiality limit on records per key (RFC 9846 §5.5, RFC 9001 §6.6).
 *
 * @example
 * ```ts
 * import { cipherSuiteByName } from "@zsync/crypto/tls";
 * cipherSuiteByName("TLS_AES_128_GCM_SHA256").hash; // "sha256"
 * ```
 * @module
 */
import type { AeadAlgorithm, MacHash } from "../../primitives/provider.js";
import type { CipherSuiteId } from "../wire/constants.js";

/** Names of the supported cipher suites. */
export type CipherSuiteName = keyof typeof CipherSuiteId;

/** A TLS 1.3 cipher suite. */
export interface CipherSuite {
  readonly id: number;
  readonly name: CipherSuiteName;
  readonly aead: AeadAlgorithm;
  readonly hash: MacHash;
  readonly hashLength: number;
  readonly keyLength: number;
  /** Records that may be protected under one key before it must be updated. */
  readonly recordLimit: number;
}

// AES-GCM: 2^24.5 full-size records (RFC 9846 §5.5); ChaCha20-Poly1305 is not limited in practice.
const AES_GCM_LIMIT = Math.floor(2 ** 24.5);

export const CIPHER_SUITES: readonly CipherSuite[] = [
  {
    id: 0x1301,
    name: "TLS_AES_128_GCM_SHA256",
    aead: "aes-128-gcm",
    hash: "sha256",
    hashLength: 32,
    keyLength: 16,
    recordLimit: AES_GCM_LIMIT,
  },
  {
    id: 0x1302,
    name: "TLS_AES_256_GCM_SHA384",
    aead: "aes-256-gcm",
    hash: "sha384",
    hashLength: 48,
    keyLength: 32,
    recordLimit: AES_GCM_LIMIT,
  },
  {
    id: 0x1303,
    name: "TLS_CHACHA20_POLY1305_SHA256",
    aead: "chacha20-poly1305",
    hash: "sha256",
    hashLength: 32,
    keyLength: 32,
    recordLimit: 2 ** 53,
  },
];

/** The suite with wire id `id`, or undefined. */
export function cipherSuiteById(id: number): CipherSuite | undefined {
  return CIPHER_SUITES.find((s) => s.id === id);
}

/** The suite named `name`; TypeError for an unknown name. */
export function cipherSuiteByName(name: CipherSuiteName): CipherSuite {
  const suite = CIPHER_SUITES.find((s) => s.name === name);
  if (suite === undefined)
    throw new TypeError(`unknown cipher suite ${String(name)}; expected one of ${CIPHER_SUITES.map((s) => s.name).join(", ")}`);
  return suite;
}
