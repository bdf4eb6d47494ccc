/**
 * The `CryptoProvider` interface: every primitive the rest of zsync needs
 * (TLS 1.3, QUIC packet protection, `AsyncCipher`), behind one object. Two
 * implementations exist: `node` (node:crypto / OpenSSL) and `noble`
 * (@noble/*, pure TypeScript). Code written against the interface runs on
 * either; which one is used is a deployment choice, as with rustls'
 * `CryptoProvider`.
 *
 * @example
 * ```ts
 * import { getProvider } from "@zsync/crypto";
 * const provider = getProvider(); // node where available, else noble
 * const key = provider.aead("aes-128-gcm", new Uint8Array(16));
 * const sealed = key.seal(new Uint8Array(12), new TextEncoder().encode("hi"));
 * ```
 * @module
 */

/** Provider names. */
export type ProviderName = "node" | "noble";

/** Authenticated encryption algorithms (all with 16-byte tags). */
export type AeadAlgorithm = "aes-128-gcm" | "aes-256-gcm" | "chacha20-poly1305" | "xchacha20-poly1305";

/** Hash functions. `blake2b` defaults to 64 bytes of output, `blake3` to 32. */
export type HashAlgorithm = "sha256" | "sha384" | "sha512" | "blake2b" | "blake3";

/** Hashes usable with HMAC, HKDF and PBKDF2. */
export type MacHash = "sha256" | "sha384" | "sha512";

/** Every capability a provider reports a supplier for (see {@link CryptoProvider.suppliers}). */
export type Capability =
  | AeadAlgorithm
  | "aes-block"
  | "chacha20"
  | HashAlgorithm
  | "hmac"
  | "hkdf"
  | "pbkdf2"
  | "argon2id"
  | "x25519"
  | "p256-ecdh"
  | "ml-kem-768"
  | "ed25519"
  | "ecdsa-p256"
  | "random";

/** All AEAD algorithm names, in a stable order. */
export const AEAD_ALGORITHMS: readonly AeadAlgorithm[] = ["aes-128-gcm", "aes-256-gcm", "chacha20-poly1305", "xchacha20-poly1305"];
/** All hash algorithm names. */
export const HASH_ALGORITHMS: readonly HashAlgorithm[] = ["sha256", "sha384", "sha512", "blake2b", "blake3"];
/** All HMAC/HKDF hash names. */
export const MAC_HASHES: readonly MacHash[] = ["sha256", "sha384", "sha512"];

/** Key, nonce and tag sizes of each AEAD. */
export const AEAD_PARAMS: Readonly<
  Record<AeadAlgorithm, { readonly keyLength: number; readonly nonceLength: number; readonly tagLength: number }>
> = {
  "aes-128-gcm": { keyLength: 16, nonceLength: 12, tagLength: 16 },
  "aes-256-gcm": { keyLength: 32, nonceLength: 12, tagLength: 16 },
  "chacha20-poly1305": { keyLength: 32, nonceLength: 12, tagLength: 16 },
  "xchacha20-poly1305": { keyLength: 32, nonceLength: 24, tagLength: 16 },
};

/** Output sizes of each MAC hash, in bytes. */
export const MAC_HASH_LENGTH: Readonly<Record<MacHash, number>> = { sha256: 32, sha384: 48, sha512: 64 };

/**
 * A keyed AEAD context. Keying happens once, at creation; `seal`/`open` take
 * only the per-message inputs, so a QUIC or TLS connection keeps one per
 * direction and calls it per packet. Sealed output is `ciphertext || tag`.
 */
export interface AeadKey {
  readonly algorithm: AeadAlgorithm;
  readonly keyLength: number;
  readonly nonceLength: number;
  readonly tagLength: number;
  /**
   * Encrypts and authenticates. With `output` (at least `plaintext.length +
   * tagLength` bytes; may be `plaintext`'s own buffer), writes there and
   * returns the written view; otherwise allocates.
   */
  seal(nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array, output?: Uint8Array): Uint8Array;
  /**
   * Verifies and decrypts `ciphertext || tag`. Throws `AuthenticationError` on
   * any mismatch, in which case nothing is written to `output`.
   */
  open(nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array, output?: Uint8Array): Uint8Array;
}

/** A keyed AES block cipher in single-block ECB mode (QUIC header protection). */
export interface AesBlockCipher {
  readonly keyLength: 16 | 32;
  /** Encrypts exactly one 16-byte block. */
  encryptBlock(block: Uint8Array, output?: Uint8Array): Uint8Array;
}

/** An incremental hash or MAC. */
export interface Hasher {
  readonly outputLength: number;
  /** Absorbs `data`; returns `this` for chaining. Throws after `digest()`. */
  update(data: Uint8Array): Hasher;
  /** Finishes and returns the digest; the hasher is then spent. */
  digest(): Uint8Array;
  /** An independent copy of the current state (TLS transcript hashes need this). */
  clone(): Hasher;
}

/** Options for {@link CryptoProvider.hash} and {@link CryptoProvider.createHash}. */
export interface HashOptions {
  /** Output length in bytes: BLAKE2b 1..64 (default 64), BLAKE3 1..65536 (default 32). SHA-2 lengths are fixed: omit it or pass the natural length. */
  readonly outputLength?: number;
}

/** Argon2id parameters (RFC 9106). */
export interface Argon2idOptions {
  /** Passes over memory (t), at least 1. */
  readonly passes: number;
  /** Memory in KiB (m), at least 8 × parallelism. */
  readonly memoryKiB: number;
  /** Lanes (p), 1..255. */
  readonly parallelism: number;
  /** Output length in bytes, at least 4. */
  readonly length: number;
  /** Optional secret (pepper). */
  readonly secret?: Uint8Array;
  /** Optional associated data. */
  readonly associatedData?: Uint8Array;
}

/** A key pair of raw encodings. */
export interface KeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/**
 * Diffie-Hellman key agreement. X25519: 32-byte keys (RFC 7748), 32-byte
 * secret. P-256: 32-byte scalar, 65-byte uncompressed public point (the TLS
 * encoding; 33-byte compressed accepted), 32-byte secret (the x-coordinate).
 */
export interface KeyAgreement {
  readonly secretKeyLength: number;
  readonly publicKeyLength: number;
  generateKeyPair(): KeyPair;
  publicKey(secretKey: Uint8Array): Uint8Array;
  /** Throws `KeyAgreementError` for an invalid peer key or (X25519) an all-zero result. */
  sharedSecret(secretKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array;
}

/** ML-KEM-768 (FIPS 203): 1184-byte public key, 2400-byte secret key, 1088-byte ciphertext, 32-byte secret. */
export interface Kem {
  readonly publicKeyLength: number;
  readonly secretKeyLength: number;
  readonly cipherTextLength: number;
  /** With a 64-byte `seed`, key generation is deterministic (FIPS 203 d || z). */
  generateKeyPair(seed?: Uint8Array): KeyPair;
  encapsulate(publicKey: Uint8Array): { readonly cipherText: Uint8Array; readonly sharedSecret: Uint8Array };
  decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array;
}

/** Signature encodings for ECDSA: `der` (X.509, TLS) or `compact` (r || s, 64 bytes). */
export type SignatureFormat = "der" | "compact";

/**
 * A signature scheme over raw keys. Ed25519: 32-byte seed, 32-byte public
 * key, 64-byte signature (RFC 8032, strict verification). ECDSA P-256 with
 * SHA-256: 32-byte scalar, 65-byte uncompressed public key (33 compressed
 * accepted), DER or compact signatures; verification accepts high-S
 * signatures as OpenSSL produces them.
 */
export interface SignatureScheme {
  readonly secretKeyLength: number;
  readonly publicKeyLength: number;
  generateKeyPair(): KeyPair;
  publicKey(secretKey: Uint8Array): Uint8Array;
  sign(message: Uint8Array, secretKey: Uint8Array, options?: { readonly format?: SignatureFormat }): Uint8Array;
  /** `false` for a wrong or malformed signature; throws only for wrongly typed arguments. */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array, options?: { readonly format?: SignatureFormat }): boolean;
}

/** Every primitive zsync needs, from one implementation family. */
export interface CryptoProvider {
  readonly name: ProviderName;
  /** Which library really supplies each capability (gaps are filled from noble). */
  readonly suppliers: Readonly<Record<Capability, ProviderName>>;

  /** A keyed AEAD context; validates the key length once. */
  aead(algorithm: AeadAlgorithm, key: Uint8Array): AeadKey;
  /** A keyed AES-128/256 single-block cipher. */
  aesBlock(key: Uint8Array): AesBlockCipher;
  /**
   * RFC 8439 ChaCha20: XORs `data` with the keystream of (`key`, 12-byte
   * `nonce`) starting at block `counter`. Zero `data` yields the keystream
   * (QUIC header protection masks).
   */
  chacha20(key: Uint8Array, nonce: Uint8Array, counter: number, data: Uint8Array, output?: Uint8Array): Uint8Array;

  hash(algorithm: HashAlgorithm, data: Uint8Array, options?: HashOptions): Uint8Array;
  createHash(algorithm: HashAlgorithm, options?: HashOptions): Hasher;
  hmac(hash: MacHash, key: Uint8Array, data: Uint8Array): Uint8Array;
  createHmac(hash: MacHash, key: Uint8Array): Hasher;
  /** RFC 5869 HKDF-Extract; an empty `salt` means HashLen zero bytes. */
  hkdfExtract(hash: MacHash, salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  /** RFC 5869 HKDF-Expand; `length` up to 255 × HashLen. */
  hkdfExpand(hash: MacHash, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** PBKDF2-HMAC (RFC 8018); runs off the event loop where the provider can. */
  pbkdf2(hash: MacHash, password: Uint8Array, salt: Uint8Array, iterations: number, length: number): Promise<Uint8Array>;
  /** Argon2id (RFC 9106). */
  argon2id(password: Uint8Array, salt: Uint8Array, options: Argon2idOptions): Promise<Uint8Array>;

  readonly x25519: KeyAgreement;
  readonly p256: KeyAgreement;
  readonly mlKem768: Kem;
  readonly ed25519: SignatureScheme;
  readonly ecdsaP256: SignatureScheme;

  /** `length` bytes from the platform CSPRNG. */
  randomBytes(length: number): Uint8Array;
  /** Fills `buffer` from the CSPRNG and returns it. */
  randomFill<T extends Uint8Array>(buffer: T): T;
}
