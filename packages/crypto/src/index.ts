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

export { AsyncCipher, type AsyncCipherOptions, type CipherCallOptions } from "./bulk/async-cipher.js";
export { AsyncHasher, type AsyncHasherOptions, type HashCallOptions } from "./bulk/async-hasher.js";
export { type ByteSource, decryptStream, encryptStream } from "./bulk/cipher-streams.js";
export { type EnvelopeHeader, parseEnvelopeHeader } from "./bulk/envelope.js";
export * from "./primitives/errors.js";
// The provider interface, its algorithm names and their parameters: the whole module is public.
export * from "./primitives/provider.js";
export { nobleProvider } from "./primitives/providers/noble.js";
export { createNodeProvider } from "./primitives/providers/node.js";
export { availableProviders, getProvider } from "./primitives/providers/select.js";
export { createHeaderProtection, type HeaderProtection, type HeaderProtectionSuite } from "./protocol/header-protection.js";
export { deriveSecret, hkdfExpandLabel } from "./protocol/hkdf-label.js";
export { recordNonce } from "./protocol/record-nonce.js";
