/**
 * The `noble` provider: every primitive from the audited pure-TypeScript
 * @noble libraries. Runs anywhere JavaScript runs (browsers, workers,
 * StacklessIo builds); slower than OpenSSL for bulk work.
 *
 * @example
 * ```ts
 * import { nobleProvider } from "@zsync/crypto";
 * const digest = nobleProvider.hash("blake3", new TextEncoder().encode("abc"));
 * ```
 * @module
 */
import { unsafe as aesUnsafe, gcm } from "@noble/ciphers/aes.js";
import { chacha20, chacha20poly1305, xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { p256 } from "@noble/curves/nist.js";
import { argon2idAsync } from "@noble/hashes/argon2.js";
import { blake2b } from "@noble/hashes/blake2.js";
import { blake3 } from "@noble/hashes/blake3.js";
import { hmac } from "@noble/hashes/hmac.js";
import { pbkdf2Async } from "@noble/hashes/pbkdf2.js";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { CheckedAeadKey } from "../aead-key.js";
import { assertBytes, assertInteger, outputView } from "../assert-input.js";
import { isAllZero } from "../constant-time.js";
import { copyBytes } from "../copy-bytes.js";
import { AuthenticationError, InvalidKeyError, InvalidStateError, KeyAgreementError } from "../errors.js";
import type {
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
} from "../provider.js";
import { checkArgon2id, checkHkdfExpand, checkPbkdf2, checkRandomLength, hashOutputLength, macHashLength } from "../provider-checks.js";

/** The structural shape of a noble incremental hash. */
interface NobleHash {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
  clone(): NobleHash;
}

const MAC_HASH_FN = { sha256, sha384, sha512 } as const;

function isInvalidTag(error: unknown): boolean {
  return error instanceof Error && /tag/i.test(error.message);
}

class NobleAeadKey extends CheckedAeadKey {
  readonly #key: Uint8Array;
  readonly #algorithm: AeadAlgorithm;

  constructor(algorithm: AeadAlgorithm, key: Uint8Array) {
    super(algorithm, key);
    this.#algorithm = algorithm;
    // Our own copy: noble borrows the key by reference and callers may reuse their buffer.
    this.#key = copyBytes(key);
  }

  protected sealTo(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, output: Uint8Array | undefined): Uint8Array {
    switch (this.#algorithm) {
      case "aes-128-gcm":
      case "aes-256-gcm": {
        const sealed = gcm(this.#key, nonce, aad).encrypt(plaintext);
        if (output === undefined) return sealed;
        output.set(sealed);
        return output;
      }
      case "chacha20-poly1305":
        return chacha20poly1305(this.#key, nonce, aad).encrypt(plaintext, output);
      case "xchacha20-poly1305":
        return xchacha20poly1305(this.#key, nonce, aad).encrypt(plaintext, output);
    }
  }

  protected openTo(nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array, output: Uint8Array | undefined): Uint8Array {
    try {
      switch (this.#algorithm) {
        case "aes-128-gcm":
        case "aes-256-gcm": {
          const plain = gcm(this.#key, nonce, aad).decrypt(sealed);
          if (output === undefined) return plain;
          output.set(plain);
          return output;
        }
        case "chacha20-poly1305":
          return chacha20poly1305(this.#key, nonce, aad).decrypt(sealed, output);
        case "xchacha20-poly1305":
          return xchacha20poly1305(this.#key, nonce, aad).decrypt(sealed, output);
      }
    } catch (error) {
      if (isInvalidTag(error)) throw new AuthenticationError(undefined, { cause: error });
      throw error;
    }
  }
}

class NobleAesBlock implements AesBlockCipher {
  readonly keyLength: 16 | 32;
  readonly #expanded: Uint32Array;
  // noble's block function works in place on a 4-byte-aligned buffer.
  readonly #scratch = new Uint8Array(16);

  constructor(key: Uint8Array) {
    assertBytes(key, "key", 16, 32);
    this.keyLength = key.length as 16 | 32;
    this.#expanded = aesUnsafe.expandKeyLE(copyBytes(key));
  }

  encryptBlock(block: Uint8Array, output?: Uint8Array): Uint8Array {
    assertBytes(block, "block", 16);
    const out = outputView(output, 16) ?? new Uint8Array(16);
    const scratch = this.#scratch;
    scratch.set(block);
    aesUnsafe.encryptBlock(this.#expanded, scratch);
    out.set(scratch);
    scratch.fill(0);
    return out;
  }
}

/** Adapts a noble hash to {@link Hasher}, refusing use after `digest()`. */
class NobleHasher implements Hasher {
  readonly outputLength: number;
  #inner: NobleHash | undefined;

  constructor(inner: NobleHash, outputLength: number) {
    this.#inner = inner;
    this.outputLength = outputLength;
  }

  update(data: Uint8Array): Hasher {
    assertBytes(data, "data");
    this.#live().update(data);
    return this;
  }

  digest(): Uint8Array {
    const inner = this.#live();
    this.#inner = undefined;
    return inner.digest();
  }

  clone(): Hasher {
    return new NobleHasher(this.#live().clone(), this.outputLength);
  }

  #live(): NobleHash {
    if (this.#inner === undefined) throw new InvalidStateError("hasher already finished: digest() was called");
    return this.#inner;
  }
}

/** A noble hash object for `algorithm` with `length` bytes of output. @internal */
export function nobleHashState(algorithm: HashAlgorithm, length: number): NobleHash {
  switch (algorithm) {
    case "sha256":
      return sha256.create();
    case "sha384":
      return sha384.create();
    case "sha512":
      return sha512.create();
    case "blake2b":
      return blake2b.create({ dkLen: length });
    case "blake3":
      return blake3.create({ dkLen: length });
  }
}

/** One-shot noble hash. @internal */
export function nobleHash(algorithm: HashAlgorithm, data: Uint8Array, length: number): Uint8Array {
  switch (algorithm) {
    case "sha256":
      return sha256(data);
    case "sha384":
      return sha384(data);
    case "sha512":
      return sha512(data);
    case "blake2b":
      return blake2b(data, { dkLen: length });
    case "blake3":
      return blake3(data, { dkLen: length });
  }
}

/** Noble HMAC, exported for the node provider's gap filling. @internal */
export function nobleHmac(hash: MacHash, key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(MAC_HASH_FN[hash], key, data);
}

/** Fills from `globalThis.crypto`, in the 64 KiB pieces WebCrypto allows. */
function webRandomFill<T extends Uint8Array>(buffer: T): T {
  assertBytes(buffer, "buffer");
  for (let offset = 0; offset < buffer.length; offset += 65536) {
    globalThis.crypto.getRandomValues(buffer.subarray(offset, Math.min(buffer.length, offset + 65536)) as Uint8Array<ArrayBuffer>);
  }
  return buffer;
}

function pair(keys: { secretKey: Uint8Array; publicKey: Uint8Array }): KeyPair {
  return { secretKey: keys.secretKey, publicKey: keys.publicKey };
}

/** X25519 (RFC 7748) over noble. @internal */
export const nobleX25519: KeyAgreement = {
  secretKeyLength: 32,
  publicKeyLength: 32,
  generateKeyPair: () => pair(x25519.keygen()),
  publicKey(secretKey) {
    assertBytes(secretKey, "secretKey", 32);
    return x25519.getPublicKey(secretKey);
  },
  sharedSecret(secretKey, peerPublicKey) {
    assertBytes(secretKey, "secretKey", 32);
    assertBytes(peerPublicKey, "peerPublicKey", 32);
    let shared: Uint8Array;
    try {
      shared = x25519.getSharedSecret(secretKey, peerPublicKey);
    } catch (error) {
      throw new KeyAgreementError("X25519 shared secret is all zeros (low-order peer public key)", { cause: error });
    }
    if (isAllZero(shared)) throw new KeyAgreementError("X25519 shared secret is all zeros (low-order peer public key)");
    return shared;
  },
};

function assertP256PublicKey(publicKey: unknown, name: string): asserts publicKey is Uint8Array {
  assertBytes(publicKey, name, 65, 33);
}

const nobleP256: KeyAgreement = {
  secretKeyLength: 32,
  publicKeyLength: 65,
  generateKeyPair() {
    const secretKey = p256.utils.randomSecretKey();
    return { secretKey, publicKey: p256.getPublicKey(secretKey, false) };
  },
  publicKey(secretKey) {
    assertBytes(secretKey, "secretKey", 32);
    try {
      return p256.getPublicKey(secretKey, false);
    } catch (error) {
      throw new InvalidKeyError("secretKey is not a valid P-256 scalar (zero or not below the group order)", { cause: error });
    }
  },
  sharedSecret(secretKey, peerPublicKey) {
    assertBytes(secretKey, "secretKey", 32);
    assertP256PublicKey(peerPublicKey, "peerPublicKey");
    let point: Uint8Array;
    try {
      point = p256.getSharedSecret(secretKey, peerPublicKey, true);
    } catch (error) {
      throw new KeyAgreementError("P-256 key agreement failed: peer public key is not a valid point or secret key is invalid", {
        cause: error,
      });
    }
    return point.slice(1);
  },
};

const nobleMlKem768: Kem = {
  publicKeyLength: 1184,
  secretKeyLength: 2400,
  cipherTextLength: 1088,
  generateKeyPair(seed) {
    if (seed !== undefined) assertBytes(seed, "seed", 64);
    return pair(ml_kem768.keygen(seed));
  },
  encapsulate(publicKey) {
    assertBytes(publicKey, "publicKey", 1184);
    try {
      const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey);
      return { cipherText, sharedSecret };
    } catch (error) {
      throw new KeyAgreementError("ML-KEM-768 encapsulation key failed the FIPS 203 modulus check", { cause: error });
    }
  },
  decapsulate(cipherText, secretKey) {
    assertBytes(cipherText, "cipherText", 1088);
    assertBytes(secretKey, "secretKey", 2400);
    try {
      return ml_kem768.decapsulate(cipherText, secretKey);
    } catch (error) {
      throw new InvalidKeyError("ML-KEM-768 decapsulation key failed the FIPS 203 hash check", { cause: error });
    }
  },
};

/** ML-KEM-768 over noble, shared with the node provider. @internal */
export { nobleMlKem768 };

const nobleEd25519: SignatureScheme = {
  secretKeyLength: 32,
  publicKeyLength: 32,
  generateKeyPair: () => pair(ed25519.keygen()),
  publicKey(secretKey) {
    assertBytes(secretKey, "secretKey", 32);
    return ed25519.getPublicKey(secretKey);
  },
  sign(message, secretKey) {
    assertBytes(message, "message");
    assertBytes(secretKey, "secretKey", 32);
    return ed25519.sign(message, secretKey);
  },
  verify(signature, message, publicKey) {
    assertBytes(signature, "signature");
    assertBytes(message, "message");
    assertBytes(publicKey, "publicKey", 32);
    if (signature.length !== 64) return false;
    try {
      // RFC 8032 strict decoding, not ZIP-215's permissive rules; small-order keys refused (the node provider checks the same).
      return ed25519.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
};

function signatureFormat(options: { readonly format?: SignatureFormat } | undefined): SignatureFormat {
  const format = options?.format ?? "der";
  if (format !== "der" && format !== "compact") throw new TypeError(`options.format must be "der" or "compact", got ${String(format)}`);
  return format;
}

const nobleEcdsaP256: SignatureScheme = {
  secretKeyLength: 32,
  publicKeyLength: 65,
  generateKeyPair: () => nobleP256.generateKeyPair(),
  publicKey: (secretKey) => nobleP256.publicKey(secretKey),
  sign(message, secretKey, options) {
    assertBytes(message, "message");
    assertBytes(secretKey, "secretKey", 32);
    const format = signatureFormat(options);
    try {
      return p256.sign(message, secretKey, { prehash: true, lowS: false, format });
    } catch (error) {
      throw new InvalidKeyError("secretKey is not a valid P-256 scalar", { cause: error });
    }
  },
  verify(signature, message, publicKey, options) {
    assertBytes(signature, "signature");
    assertBytes(message, "message");
    assertP256PublicKey(publicKey, "publicKey");
    const format = signatureFormat(options);
    try {
      return p256.verify(signature, message, publicKey, { prehash: true, lowS: false, format });
    } catch {
      return false;
    }
  },
};

const NOBLE_SUPPLIES: Readonly<Record<Capability, ProviderName>> = Object.freeze({
  "aes-128-gcm": "noble",
  "aes-256-gcm": "noble",
  "chacha20-poly1305": "noble",
  "xchacha20-poly1305": "noble",
  "aes-block": "noble",
  chacha20: "noble",
  sha256: "noble",
  sha384: "noble",
  sha512: "noble",
  blake2b: "noble",
  blake3: "noble",
  hmac: "noble",
  hkdf: "noble",
  pbkdf2: "noble",
  argon2id: "noble",
  x25519: "noble",
  "p256-ecdh": "noble",
  "ml-kem-768": "noble",
  ed25519: "noble",
  "ecdsa-p256": "noble",
  random: "noble",
});

/** Argon2id over noble, shared with the node provider where node lacks it. @internal */
export function nobleArgon2id(password: Uint8Array, salt: Uint8Array, options: Argon2idOptions): Promise<Uint8Array> {
  checkArgon2id(password, salt, options);
  return argon2idAsync(password, salt, {
    t: options.passes,
    m: options.memoryKiB,
    p: options.parallelism,
    dkLen: options.length,
    // Large memory costs are the caller's explicit choice; noble's default cap would refuse them.
    maxmem: 2 ** 32 - 1,
    ...(options.secret !== undefined && { key: options.secret }),
    ...(options.associatedData !== undefined && { personalization: options.associatedData }),
  });
}

/** The last block of a (key, nonce) stream: RFC 8439's block counter is 32 bits, 0 through 0xffffffff. */
const CHACHA20_LAST_BLOCK = 0xffffffff;

/**
 * Argument checks shared by both providers' `chacha20`, so they accept and refuse the same calls.
 * Every block from `counter` up to 0xffffffff is allowed (RFC 8439 §2.3 uses the whole 32-bit
 * counter; QUIC header protection feeds attacker-chosen samples as the counter, RFC 9001 §5.4.4).
 * An output that would need a block past 0xffffffff is refused with a RangeError before anything
 * is written: the counter does not wrap (that would repeat keystream at block 0) and does not
 * carry into the nonce (OpenSSL's EVP ChaCha20 would, silently changing the nonce). @internal
 */
export function checkChacha20Input(key: unknown, nonce: unknown, counter: unknown, data: unknown): asserts data is Uint8Array {
  assertBytes(key, "key", 32);
  assertBytes(nonce, "nonce", 12);
  assertInteger(counter, "counter", 0, CHACHA20_LAST_BLOCK);
  assertBytes(data, "data");
  const blocks = Math.ceil(data.length / 64);
  if (blocks > 0 && counter + blocks - 1 > CHACHA20_LAST_BLOCK)
    throw new RangeError(
      `data of ${data.length} bytes from counter ${counter} would need block 2^32; ChaCha20's 32-bit block counter does not wrap ` +
        `(at most ${(CHACHA20_LAST_BLOCK - counter + 1) * 64} bytes from this counter)`,
    );
}

/** The ChaCha20 quarter round (RFC 8439 §2.1) on state words a, b, c, d; Uint32Array stores wrap mod 2^32. */
function quarterRound(x: Uint32Array, a: number, b: number, c: number, d: number): void {
  let v: number;
  x[a] = (x[a] as number) + (x[b] as number);
  v = (x[d] as number) ^ (x[a] as number);
  x[d] = (v << 16) | (v >>> 16);
  x[c] = (x[c] as number) + (x[d] as number);
  v = (x[b] as number) ^ (x[c] as number);
  x[b] = (v << 12) | (v >>> 20);
  x[a] = (x[a] as number) + (x[b] as number);
  v = (x[d] as number) ^ (x[a] as number);
  x[d] = (v << 8) | (v >>> 24);
  x[c] = (x[c] as number) + (x[d] as number);
  v = (x[b] as number) ^ (x[c] as number);
  x[b] = (v << 7) | (v >>> 25);
}

/**
 * One ChaCha20 block function (RFC 8439 §2.3), used only for block 0xffffffff, which
 * @noble/ciphers refuses by policy ("arx: counter overflow") although RFC 8439 defines it.
 * XORs the block's keystream into `output[0..data.length]` (data.length ≤ 64).
 */
function xorLastChacha20Block(key: Uint8Array, nonce: Uint8Array, counter: number, data: Uint8Array, output: Uint8Array): void {
  const state = new Uint32Array(16);
  state.set([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);
  const k = new DataView(key.buffer, key.byteOffset, 32);
  for (let i = 0; i < 8; i++) state[4 + i] = k.getUint32(i * 4, true);
  state[12] = counter;
  const n = new DataView(nonce.buffer, nonce.byteOffset, 12);
  for (let i = 0; i < 3; i++) state[13 + i] = n.getUint32(i * 4, true);
  const x = state.slice();
  for (let round = 0; round < 10; round++) {
    quarterRound(x, 0, 4, 8, 12);
    quarterRound(x, 1, 5, 9, 13);
    quarterRound(x, 2, 6, 10, 14);
    quarterRound(x, 3, 7, 11, 15);
    quarterRound(x, 0, 5, 10, 15);
    quarterRound(x, 1, 6, 11, 12);
    quarterRound(x, 2, 7, 8, 13);
    quarterRound(x, 3, 4, 9, 14);
  }
  const keystream = new Uint8Array(64);
  const ks = new DataView(keystream.buffer);
  for (let i = 0; i < 16; i++) ks.setUint32(i * 4, ((x[i] as number) + (state[i] as number)) >>> 0, true);
  for (let i = 0; i < data.length; i++) output[i] = (data[i] as number) ^ (keystream[i] as number);
  keystream.fill(0);
  state.fill(0);
  x.fill(0);
}

/** Validates and runs XChaCha-free ChaCha20 (RFC 8439) over noble (see {@link checkChacha20Input} for the counter range). @internal */
export function nobleChacha20(key: Uint8Array, nonce: Uint8Array, counter: number, data: Uint8Array, output?: Uint8Array): Uint8Array {
  checkChacha20Input(key, nonce, counter, data);
  const out = outputView(output, data.length) ?? new Uint8Array(data.length);
  // Blocks before 0xffffffff go to noble; the block 0xffffffff, if reached, is computed here.
  const beforeLast = Math.min(data.length, (CHACHA20_LAST_BLOCK - counter) * 64);
  if (data.length === 0) return out; // no block needed (noble would refuse counter 0xffffffff even for nothing)
  if (beforeLast === data.length) return chacha20(key, nonce, data, out, counter); // the common case: no views to make
  if (beforeLast > 0) chacha20(key, nonce, data.subarray(0, beforeLast), out.subarray(0, beforeLast), counter);
  if (beforeLast < data.length) xorLastChacha20Block(key, nonce, CHACHA20_LAST_BLOCK, data.subarray(beforeLast), out.subarray(beforeLast));
  return out;
}

/** The noble provider. */
export const nobleProvider: CryptoProvider = Object.freeze({
  name: "noble" as const,
  suppliers: NOBLE_SUPPLIES,

  aead(algorithm: AeadAlgorithm, key: Uint8Array): AeadKey {
    return new NobleAeadKey(checkAeadAlgorithm(algorithm), key);
  },
  aesBlock: (key: Uint8Array): AesBlockCipher => new NobleAesBlock(key),
  chacha20: nobleChacha20,

  hash(algorithm: HashAlgorithm, data: Uint8Array, options?: HashOptions): Uint8Array {
    const length = hashOutputLength(algorithm, options);
    assertBytes(data, "data");
    return nobleHash(algorithm, data, length);
  },
  createHash(algorithm: HashAlgorithm, options?: HashOptions): Hasher {
    const length = hashOutputLength(algorithm, options);
    return new NobleHasher(nobleHashState(algorithm, length), length);
  },
  hmac(hash: MacHash, key: Uint8Array, data: Uint8Array): Uint8Array {
    macHashLength(hash);
    assertBytes(key, "key");
    assertBytes(data, "data");
    return nobleHmac(hash, key, data);
  },
  createHmac(hash: MacHash, key: Uint8Array): Hasher {
    const length = macHashLength(hash);
    assertBytes(key, "key");
    return new NobleHasher(hmac.create(MAC_HASH_FN[hash], key), length);
  },
  hkdfExtract(hash: MacHash, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
    const length = macHashLength(hash);
    assertBytes(salt, "salt");
    assertBytes(ikm, "ikm");
    return nobleHmac(hash, salt.length === 0 ? new Uint8Array(length) : salt, ikm);
  },
  hkdfExpand(hash: MacHash, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    checkHkdfExpand(hash, prk, info, length);
    return hkdfExpandWith((data) => hmac.create(MAC_HASH_FN[hash], prk).update(data), macHashLength(hash), info, length);
  },
  async pbkdf2(hash: MacHash, password: Uint8Array, salt: Uint8Array, iterations: number, length: number): Promise<Uint8Array> {
    checkPbkdf2(hash, password, salt, iterations, length);
    return pbkdf2Async(MAC_HASH_FN[hash], password, salt, { c: iterations, dkLen: length });
  },
  argon2id: nobleArgon2id,

  x25519: nobleX25519,
  p256: nobleP256,
  mlKem768: nobleMlKem768,
  ed25519: nobleEd25519,
  ecdsaP256: nobleEcdsaP256,

  randomBytes(length: number): Uint8Array {
    checkRandomLength(length);
    return webRandomFill(new Uint8Array(length));
  },
  randomFill: webRandomFill,
});

/** Validates an AEAD algorithm name. @internal */
export function checkAeadAlgorithm(algorithm: AeadAlgorithm): AeadAlgorithm {
  if (
    algorithm !== "aes-128-gcm" &&
    algorithm !== "aes-256-gcm" &&
    algorithm !== "chacha20-poly1305" &&
    algorithm !== "xchacha20-poly1305"
  ) {
    throw new TypeError(
      `algorithm must be "aes-128-gcm", "aes-256-gcm", "chacha20-poly1305" or "xchacha20-poly1305", got ${String(algorithm)}`,
    );
  }
  return algorithm;
}

/**
 * RFC 5869 §2.3 HKDF-Expand over any HMAC: T(i) = HMAC(PRK, T(i-1) || info || i).
 * `mac(data)` returns a fresh HMAC keyed with PRK, already fed `data`.
 * @internal
 */
export function hkdfExpandWith(
  mac: (data: Uint8Array) => { update(data: Uint8Array): unknown; digest(): Uint8Array },
  hashLength: number,
  info: Uint8Array,
  length: number,
): Uint8Array {
  const output = new Uint8Array(length);
  const counter = new Uint8Array(1);
  let previous: Uint8Array = new Uint8Array(0);
  for (let i = 0, offset = 0; offset < length; i++, offset += hashLength) {
    counter[0] = i + 1;
    const state = mac(previous);
    state.update(info);
    state.update(counter);
    previous = state.digest();
    output.set(previous.subarray(0, Math.min(hashLength, length - offset)), offset);
  }
  return output;
}
