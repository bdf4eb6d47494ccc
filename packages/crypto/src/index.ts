/**
 * `@zsync/crypto`: zcrypto for TypeScript. Authenticated encryption, hashes,
 * KDFs, key exchange and signatures behind one `CryptoProvider` interface
 * with two implementations (`node` over node:crypto/OpenSSL, `noble` over the
 * pure-TypeScript @noble libraries), plus `AsyncCipher` / `AsyncHasher` for
 * large data on the zsync runtime.
 *
 * @example
 * ```ts
 * import { AsyncCipher } from "@zsync/crypto";
 * const cipher = new AsyncCipher(AsyncCipher.generateKey());
 * const envelope = await cipher.encrypt(new TextEncoder().encode("hello"));
 * const plain = await cipher.decrypt(envelope);
 * ```
 * @module
 */

export { AsyncCipher, type AsyncCipherOptions, type CipherCallOptions } from "./async-cipher.js";
export { AsyncHasher, type AsyncHasherOptions, type HashCallOptions } from "./async-hasher.js";
export { type ByteSource, decryptStream, encryptStream } from "./cipher-streams.js";
export { type EnvelopeHeader, parseEnvelopeHeader } from "./envelope.js";
export * from "./errors.js";
export { createHeaderProtection, type HeaderProtection, type HeaderProtectionSuite } from "./header-protection.js";
export type {
  AeadAlgorithm,
  AeadKey,
  AesBlockCipher,
  Argon2idOptions,
  Capability,
  CryptoProvider,
  HashAlgorithm,
  Hasher,
  HashOptions,
  Kem,
  KeyAgreement,
  KeyPair,
  MacHash,
  ProviderName,
  SignatureFormat,
  SignatureScheme,
} from "./provider.js";
export { AEAD_ALGORITHMS, AEAD_PARAMS, HASH_ALGORITHMS, MAC_HASH_LENGTH, MAC_HASHES } from "./provider.js";
export { nobleProvider } from "./providers/noble.js";
export { createNodeProvider } from "./providers/node.js";
export { availableProviders, getProvider } from "./providers/select.js";
export { recordNonce } from "./record-nonce.js";
export { deriveSecret, hkdfExpandLabel } from "./tls-key-schedule.js";
