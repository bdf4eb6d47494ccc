/**
 * The `node` provider: node:crypto (OpenSSL) for everything OpenSSL does
 * well, with the gaps filled from noble: XChaCha20-Poly1305 (noble's HChaCha20
 * derives the subkey, OpenSSL's ChaCha20-Poly1305 does the bulk work), BLAKE3,
 * BLAKE2b at lengths other than 64, ML-KEM-768, and Argon2id before Node 24.7.
 * `suppliers` says which library backs each capability on this Node.
 *
 * node:crypto is reached through `process.getBuiltinModule`, never a static
 * import, so bundles for browsers can include this module and simply get
 * `undefined` from {@link createNodeProvider}.
 *
 * @example
 * ```ts
 * import { getProvider } from "@zsync/crypto";
 * declare const key: Uint8Array;
 * declare const data: Uint8Array;
 * const node = getProvider("node");
 * const tag = node.hmac("sha256", key, data);
 * ```
 * @module
 */

import type * as NodeCrypto from "node:crypto";
import { hchacha } from "@noble/ciphers/chacha.js";
import { CheckedAeadKey } from "../aead-key.js";
import { assertBytes, outputView } from "../assert-input.js";
import { bytesEqual, isAllZero } from "../constant-time.js";
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
  KeyAgreement,
  MacHash,
  ProviderName,
  SignatureFormat,
  SignatureScheme,
} from "../provider.js";
import { MAC_HASH_LENGTH } from "../provider.js";
import { checkArgon2id, checkHkdfExpand, checkPbkdf2, checkRandomLength, hashOutputLength, macHashLength } from "../provider-checks.js";
import { checkAeadAlgorithm, checkChacha20Input, hkdfExpandWith, nobleArgon2id, nobleHash, nobleMlKem768, nobleProvider } from "./noble.js";
import { releaseMemory } from "./release-memory.js";

type NodeCryptoModule = typeof NodeCrypto;

/** node:crypto if this runtime has it. */
function loadNodeCrypto(): NodeCryptoModule | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return proc?.getBuiltinModule?.("node:crypto") as NodeCryptoModule | undefined;
  } catch {
    return undefined;
  }
}

/** A plain Uint8Array view of a Buffer, so callers never meet Buffer's view-returning `slice`. */
function plain(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * node:crypto objects made from raw key bytes, remembered per key array.
 * OpenSSL spends far more on importing a key than on using it (an X25519
 * scalar wrapped in DER: ~0.35 ms on Node 20; an HMAC key given as bytes:
 * ~9 µs more per MAC on Node 24 than as a `KeyObject`), and TLS and QUIC
 * pass the same secret array several times (a traffic secret derives a key,
 * an IV and a Finished key). Entries are keyed by the array's identity in a
 * WeakMap, so one lives no longer than the caller's array, and a hit is
 * checked against a copy of the bytes it was made from, so an array
 * rewritten in place with another key is re-imported, never mistaken.
 */
class KeyMemo<T> {
  readonly #entries = new WeakMap<Uint8Array, { readonly bytes: Uint8Array; readonly value: T }>();
  readonly #make: (bytes: Uint8Array) => T;

  constructor(make: (bytes: Uint8Array) => T) {
    this.#make = make;
  }

  get(bytes: Uint8Array): T {
    const hit = this.#entries.get(bytes);
    if (hit !== undefined && bytesEqual(hit.bytes, bytes)) return hit.value;
    const value = this.#make(bytes);
    this.remember(bytes, value);
    return value;
  }

  /** Records `value` as made from `bytes` (key generation already holds both). */
  remember(bytes: Uint8Array, value: T): void {
    // `new Uint8Array(view)` copies; a Buffer's `slice` would not.
    this.#entries.set(bytes, { bytes: new Uint8Array(bytes), value });
  }
}

const OPENSSL_AEAD: Readonly<Record<Exclude<AeadAlgorithm, "xchacha20-poly1305">, "aes-128-gcm" | "aes-256-gcm" | "chacha20-poly1305">> = {
  "aes-128-gcm": "aes-128-gcm",
  "aes-256-gcm": "aes-256-gcm",
  "chacha20-poly1305": "chacha20-poly1305",
};

// "expand 32-byte k" as little-endian words (RFC 8439 §2.3).
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);

function readWordsLE(bytes: Uint8Array, offset: number, words: Uint32Array): void {
  for (let i = 0; i < words.length; i++) {
    const at = offset + i * 4;
    words[i] =
      ((bytes[at] as number) | ((bytes[at + 1] as number) << 8) | ((bytes[at + 2] as number) << 16) | ((bytes[at + 3] as number) << 24)) >>>
      0;
  }
}

function writeWordsLE(words: Uint32Array, out: Uint8Array): void {
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as number;
    out[i * 4] = w & 0xff;
    out[i * 4 + 1] = (w >>> 8) & 0xff;
    out[i * 4 + 2] = (w >>> 16) & 0xff;
    out[i * 4 + 3] = w >>> 24;
  }
}

class NodeAeadKey extends CheckedAeadKey {
  readonly #crypto: NodeCryptoModule;
  readonly #cipherName: "aes-128-gcm" | "aes-256-gcm" | "chacha20-poly1305";
  readonly #extended: boolean;
  readonly #key: NodeCrypto.KeyObject | undefined;
  readonly #keyWords: Uint32Array | undefined;
  // XChaCha scratch: reused so the per-message subkey derivation allocates nothing but the subkey itself.
  readonly #nonceWords = new Uint32Array(4);
  readonly #subkeyWords = new Uint32Array(8);
  readonly #shortNonce = new Uint8Array(12);

  constructor(crypto: NodeCryptoModule, algorithm: AeadAlgorithm, key: Uint8Array) {
    super(algorithm, key);
    this.#crypto = crypto;
    this.#extended = algorithm === "xchacha20-poly1305";
    this.#cipherName = algorithm === "xchacha20-poly1305" ? "chacha20-poly1305" : OPENSSL_AEAD[algorithm];
    if (this.#extended) {
      this.#keyWords = new Uint32Array(8);
      readWordsLE(key, 0, this.#keyWords);
    } else {
      // Validated once; OpenSSL gets the same key object for every message.
      this.#key = crypto.createSecretKey(key);
    }
  }

  /** XChaCha20 (draft-irtf-cfrg-xchacha §2.3): HChaCha20 subkey, then ChaCha20-Poly1305 with 4 zero bytes || nonce[16..24]. */
  #subkey(nonce: Uint8Array): Uint8Array {
    readWordsLE(nonce, 0, this.#nonceWords);
    hchacha(SIGMA, this.#keyWords as Uint32Array, this.#nonceWords, this.#subkeyWords);
    const subkey = new Uint8Array(32);
    writeWordsLE(this.#subkeyWords, subkey);
    this.#subkeyWords.fill(0);
    this.#shortNonce.set(nonce.subarray(16, 24), 4);
    return subkey;
  }

  protected sealTo(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, output: Uint8Array | undefined): Uint8Array {
    let key: NodeCrypto.KeyObject | Uint8Array | undefined = this.#key;
    let iv = nonce;
    if (this.#extended) {
      key = this.#subkey(nonce);
      iv = this.#shortNonce;
    }
    const cipher = this.#crypto.createCipheriv(this.#cipherName as "aes-128-gcm", key as Uint8Array, iv, { authTagLength: 16 });
    if (aad.length > 0) cipher.setAAD(aad);
    const body = cipher.update(plaintext);
    cipher.final();
    const tag = cipher.getAuthTag();
    if (key instanceof Uint8Array) key.fill(0);
    const out = output ?? allocate(plaintext.length + 16);
    out.set(body, 0);
    out.set(tag, plaintext.length);
    // Copied out: free node:crypto's buffer now rather than at the next sweep (see release-memory.ts).
    releaseMemory(body);
    return out;
  }

  protected openTo(nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array, output: Uint8Array | undefined): Uint8Array {
    let key: NodeCrypto.KeyObject | Uint8Array | undefined = this.#key;
    let iv = nonce;
    if (this.#extended) {
      key = this.#subkey(nonce);
      iv = this.#shortNonce;
    }
    const bodyLength = sealed.length - 16;
    const decipher = this.#crypto.createDecipheriv(this.#cipherName as "aes-128-gcm", key as Uint8Array, iv, { authTagLength: 16 });
    decipher.setAuthTag(sealed.subarray(bodyLength));
    if (aad.length > 0) decipher.setAAD(aad);
    const body = decipher.update(sealed.subarray(0, bodyLength));
    try {
      decipher.final();
    } catch (error) {
      body.fill(0);
      throw new AuthenticationError(undefined, { cause: error });
    } finally {
      if (key instanceof Uint8Array) key.fill(0);
    }
    if (output === undefined) return plain(body);
    output.set(body);
    body.fill(0);
    releaseMemory(body);
    return output;
  }
}

/** Uninitialised memory for outputs that will be fully overwritten; zeroing 1 MiB is measurable. */
function allocate(length: number): Uint8Array {
  return length < 4096 ? new Uint8Array(length) : plain(Buffer.allocUnsafeSlow(length));
}

class NodeAesBlock implements AesBlockCipher {
  readonly keyLength: 16 | 32;
  // ECB has no chaining state, so one cipher object encrypts every block: no re-keying per mask.
  readonly #cipher: NodeCrypto.Cipheriv;

  constructor(crypto: NodeCryptoModule, key: Uint8Array) {
    assertBytes(key, "key", 16, 32);
    this.keyLength = key.length as 16 | 32;
    this.#cipher = crypto.createCipheriv(key.length === 16 ? "aes-128-ecb" : "aes-256-ecb", key, null).setAutoPadding(false);
  }

  encryptBlock(block: Uint8Array, output?: Uint8Array): Uint8Array {
    assertBytes(block, "block", 16);
    const out = outputView(output, 16);
    const encrypted = this.#cipher.update(block);
    if (out === undefined) return plain(encrypted);
    out.set(encrypted);
    return out;
  }
}

class NodeHasher implements Hasher {
  readonly outputLength: number;
  #inner: NodeCrypto.Hash | undefined;

  constructor(inner: NodeCrypto.Hash, outputLength: number) {
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
    return plain(inner.digest());
  }

  clone(): Hasher {
    return new NodeHasher(this.#live().copy(), this.outputLength);
  }

  #live(): NodeCrypto.Hash {
    if (this.#inner === undefined) throw new InvalidStateError("hasher already finished: digest() was called");
    return this.#inner;
  }
}

const BLOCK_SIZE: Readonly<Record<MacHash, number>> = { sha256: 64, sha384: 128, sha512: 128 };

/**
 * HMAC (RFC 2104) over node Hash objects rather than node's Hmac, because
 * Hash can be copied: TLS needs to clone a running MAC, Hmac cannot.
 */
class NodeHmacHasher implements Hasher {
  readonly outputLength: number;
  #inner: NodeCrypto.Hash | undefined;
  readonly #outer: NodeCrypto.Hash;

  constructor(inner: NodeCrypto.Hash, outer: NodeCrypto.Hash, outputLength: number) {
    this.#inner = inner;
    this.#outer = outer;
    this.outputLength = outputLength;
  }

  static create(crypto: NodeCryptoModule, hash: MacHash, key: Uint8Array): NodeHmacHasher {
    const blockSize = BLOCK_SIZE[hash];
    const padded = new Uint8Array(blockSize);
    padded.set(key.length > blockSize ? crypto.createHash(hash).update(key).digest() : key);
    for (let i = 0; i < blockSize; i++) padded[i] = (padded[i] as number) ^ 0x36;
    const inner = crypto.createHash(hash).update(padded);
    for (let i = 0; i < blockSize; i++) padded[i] = (padded[i] as number) ^ (0x36 ^ 0x5c);
    const outer = crypto.createHash(hash).update(padded);
    padded.fill(0);
    return new NodeHmacHasher(inner, outer, MAC_HASH_LENGTH[hash]);
  }

  update(data: Uint8Array): Hasher {
    assertBytes(data, "data");
    this.#live().update(data);
    return this;
  }

  digest(): Uint8Array {
    const inner = this.#live();
    this.#inner = undefined;
    return plain(this.#outer.update(inner.digest()).digest());
  }

  clone(): Hasher {
    return new NodeHmacHasher(this.#live().copy(), this.#outer.copy(), this.outputLength);
  }

  #live(): NodeCrypto.Hash {
    if (this.#inner === undefined) throw new InvalidStateError("hmac already finished: digest() was called");
    return this.#inner;
  }
}

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
const fromB64url = (value: string | undefined): Uint8Array => plain(Buffer.from(value ?? "", "base64url"));

/**
 * An X25519 or Ed25519 private key from its 32 raw bytes. JWK is the
 * cheapest import node:crypto offers (it hands OpenSSL the raw key; a
 * PKCS#8 DER wrapper goes through OpenSSL 3's decoder chain, ~10x slower
 * on Node 20). Node derives the public half from `d` and does not read
 * `x`, which this caller does not know yet; should a Node release start
 * requiring it, the DER import below still gives the same key.
 */
function okpPrivateKey(crypto: NodeCryptoModule, crv: "X25519" | "Ed25519", secretKey: Uint8Array): NodeCrypto.KeyObject {
  try {
    return crypto.createPrivateKey({ key: { kty: "OKP", crv, d: b64url(secretKey), x: "" }, format: "jwk" });
  } catch {
    const prefix = crv === "X25519" ? X25519_PKCS8 : ED25519_PKCS8;
    const der = Buffer.alloc(prefix.length + 32);
    der.set(prefix);
    der.set(secretKey, prefix.length);
    return crypto.createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  }
}

// PKCS#8 prefixes of the raw X25519 / Ed25519 private keys (the fallback import above).
const X25519_PKCS8 = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20);
const ED25519_PKCS8 = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20);

function okpPublicKey(crypto: NodeCryptoModule, crv: "X25519" | "Ed25519", publicKey: Uint8Array): NodeCrypto.KeyObject {
  return crypto.createPublicKey({ key: { kty: "OKP", crv, x: b64url(publicKey) }, format: "jwk" });
}

/** The raw public key (`x`) of an OKP key object. */
function okpRawPublic(crypto: NodeCryptoModule, key: NodeCrypto.KeyObject): Uint8Array {
  const publicKey = key.type === "private" ? crypto.createPublicKey(key) : key;
  return fromB64url(publicKey.export({ format: "jwk" }).x);
}

/** A fresh OKP key pair as raw bytes, its private key object remembered for the secret bytes. */
function okpGenerate(crypto: NodeCryptoModule, type: "x25519" | "ed25519", privateKeys: KeyMemo<NodeCrypto.KeyObject>) {
  const pair = crypto.generateKeyPairSync(type as "x25519");
  const jwk = pair.privateKey.export({ format: "jwk" });
  const secretKey = fromB64url(jwk.d);
  privateKeys.remember(secretKey, pair.privateKey);
  return { secretKey, publicKey: fromB64url(jwk.x) };
}

function nodeX25519(crypto: NodeCryptoModule): KeyAgreement {
  const privateKeys = new KeyMemo((secretKey) => okpPrivateKey(crypto, "X25519", secretKey));
  const publicKeys = new KeyMemo((publicKey) => okpPublicKey(crypto, "X25519", publicKey));
  return {
    secretKeyLength: 32,
    publicKeyLength: 32,
    generateKeyPair: () => okpGenerate(crypto, "x25519", privateKeys),
    publicKey(secretKey) {
      assertBytes(secretKey, "secretKey", 32);
      return okpRawPublic(crypto, privateKeys.get(secretKey));
    },
    sharedSecret(secretKey, peerPublicKey) {
      assertBytes(secretKey, "secretKey", 32);
      assertBytes(peerPublicKey, "peerPublicKey", 32);
      const privateKey = privateKeys.get(secretKey);
      let shared: Uint8Array;
      try {
        shared = crypto.diffieHellman({ privateKey, publicKey: publicKeys.get(peerPublicKey) });
      } catch (error) {
        // OpenSSL refuses exactly the all-zero output (RFC 7748 §6.1); any 32 bytes import as a public key.
        throw new KeyAgreementError("X25519 shared secret is all zeros (low-order peer public key)", { cause: error });
      }
      if (isAllZero(shared)) throw new KeyAgreementError("X25519 shared secret is all zeros (low-order peer public key)");
      return plain(shared);
    },
  };
}

function nodeP256(crypto: NodeCryptoModule): KeyAgreement & { readonly ecdh: KeyMemo<NodeCrypto.ECDH> } {
  // A keyed ECDH object is reused for every agreement with the same scalar (setPrivateKey costs ~20 µs).
  const ecdh = new KeyMemo((secretKey) => {
    const e = crypto.createECDH("prime256v1");
    try {
      e.setPrivateKey(secretKey);
    } catch (error) {
      throw new InvalidKeyError("secretKey is not a valid P-256 scalar (zero or not below the group order)", { cause: error });
    }
    return e;
  });
  return {
    ecdh,
    secretKeyLength: 32,
    publicKeyLength: 65,
    generateKeyPair() {
      const e = crypto.createECDH("prime256v1");
      const publicKey = plain(e.generateKeys());
      // OpenSSL returns the scalar without leading zero bytes (1 key in 256
      // starts with one); the interface promises exactly 32 bytes.
      const secretKey = leftPad(e.getPrivateKey(), 32);
      ecdh.remember(secretKey, e);
      return { secretKey, publicKey };
    },
    publicKey(secretKey) {
      assertBytes(secretKey, "secretKey", 32);
      return plain(ecdh.get(secretKey).getPublicKey(null, "uncompressed"));
    },
    sharedSecret(secretKey, peerPublicKey) {
      assertBytes(secretKey, "secretKey", 32);
      assertBytes(peerPublicKey, "peerPublicKey", 65, 33);
      // OpenSSL also takes X9.62's hybrid form (06/07 || x || y); TLS and the noble provider take only 04 and 02/03.
      if (!hasSec1Prefix(peerPublicKey))
        throw new KeyAgreementError("P-256 key agreement failed: peer public key is not an uncompressed or compressed point");
      const e = ecdh.get(secretKey);
      try {
        return plain(e.computeSecret(peerPublicKey));
      } catch (error) {
        throw new KeyAgreementError("P-256 key agreement failed: peer public key is not a valid point", { cause: error });
      }
    },
  };
}

function nodeEd25519(crypto: NodeCryptoModule): SignatureScheme {
  const privateKeys = new KeyMemo((secretKey) => okpPrivateKey(crypto, "Ed25519", secretKey));
  // Verification keys are usually a few long-lived ones (certificates, peers), so each is checked once, here:
  // OpenSSL imports any 32 bytes, including a y >= p or a negative zero x (RFC 8032 §5.1.3 says decoding
  // fails) and the small-order points, under which one (R, S) verifies for many or every message. Refusing
  // them is what the noble provider's strict mode does, so both providers accept the same keys.
  const publicKeys = new KeyMemo((publicKey) => {
    const refused = ed25519KeyRefusal(publicKey);
    if (refused !== undefined) throw new RangeError(`publicKey refused: ${refused}`);
    return okpPublicKey(crypto, "Ed25519", publicKey);
  });
  return {
    secretKeyLength: 32,
    publicKeyLength: 32,
    generateKeyPair: () => okpGenerate(crypto, "ed25519", privateKeys),
    publicKey(secretKey) {
      assertBytes(secretKey, "secretKey", 32);
      return okpRawPublic(crypto, privateKeys.get(secretKey));
    },
    sign(message, secretKey) {
      assertBytes(message, "message");
      assertBytes(secretKey, "secretKey", 32);
      return plain(crypto.sign(null, message, privateKeys.get(secretKey)));
    },
    verify(signature, message, publicKey) {
      assertBytes(signature, "signature");
      assertBytes(message, "message");
      assertBytes(publicKey, "publicKey", 32);
      if (signature.length !== 64) return false;
      try {
        return crypto.verify(null, message, publicKeys.get(publicKey), signature);
      } catch {
        // Public keys that do not decode to a curve point cannot verify anything.
        return false;
      }
    },
  };
}

function signatureFormat(options: { readonly format?: SignatureFormat } | undefined): "der" | "ieee-p1363" {
  const format = options?.format ?? "der";
  if (format !== "der" && format !== "compact") throw new TypeError(`options.format must be "der" or "compact", got ${String(format)}`);
  return format === "der" ? "der" : "ieee-p1363";
}

/** A P-256 public key object from a 65-byte uncompressed point (x and y as JWK, OpenSSL checks the point). */
function p256PublicKey(crypto: NodeCryptoModule, uncompressed: Uint8Array, d?: Uint8Array): NodeCrypto.KeyObject {
  const jwk = { kty: "EC", crv: "P-256", x: b64url(uncompressed.subarray(1, 33)), y: b64url(uncompressed.subarray(33, 65)) };
  return d === undefined
    ? crypto.createPublicKey({ key: jwk, format: "jwk" })
    : crypto.createPrivateKey({ key: { ...jwk, d: b64url(d) }, format: "jwk" });
}

function nodeEcdsaP256(crypto: NodeCryptoModule, p256: ReturnType<typeof nodeP256>): SignatureScheme {
  // The scalar is validated (and its point computed) by the P-256 ECDH object, then imported as JWK,
  // which OpenSSL reads faster than a SEC1 DER wrapper.
  const privateKeys = new KeyMemo((secretKey) => {
    const point = p256.ecdh.get(secretKey).getPublicKey();
    return p256PublicKey(crypto, point, secretKey);
  });
  const publicKeys = new KeyMemo((publicKey) => {
    // The JWK import below reads x and y only; the prefix must still say which encoding this is.
    if (!hasSec1Prefix(publicKey)) throw new RangeError("publicKey is not an uncompressed or compressed P-256 point");
    const point =
      publicKey.length === 65 ? publicKey : crypto.ECDH.convertKey(publicKey, "prime256v1", undefined, undefined, "uncompressed");
    return p256PublicKey(crypto, point as Uint8Array);
  });
  return {
    secretKeyLength: 32,
    publicKeyLength: 65,
    generateKeyPair: () => p256.generateKeyPair(),
    publicKey: (secretKey) => p256.publicKey(secretKey),
    sign(message, secretKey, options) {
      assertBytes(message, "message");
      assertBytes(secretKey, "secretKey", 32);
      const dsaEncoding = signatureFormat(options);
      let key: NodeCrypto.KeyObject;
      try {
        key = privateKeys.get(secretKey);
      } catch (error) {
        // Zero and out-of-range scalars are refused the same way the noble provider does.
        if (error instanceof InvalidKeyError) throw error;
        throw new InvalidKeyError("secretKey is not a valid P-256 scalar", { cause: error });
      }
      return plain(crypto.sign("sha256", message, { key, dsaEncoding }));
    },
    verify(signature, message, publicKey, options) {
      assertBytes(signature, "signature");
      assertBytes(message, "message");
      assertBytes(publicKey, "publicKey", 65, 33);
      const dsaEncoding = signatureFormat(options);
      try {
        return crypto.verify("sha256", message, { key: publicKeys.get(publicKey), dsaEncoding }, signature);
      } catch {
        return false;
      }
    },
  };
}

type NodeArgon2 = (
  algorithm: "argon2id",
  parameters: {
    message: Uint8Array;
    nonce: Uint8Array;
    parallelism: number;
    tagLength: number;
    memory: number;
    passes: number;
    secret?: Uint8Array;
    associatedData?: Uint8Array;
  },
  callback: (error: Error | null, result: Uint8Array) => void,
) => void;

/** Builds the node provider, or `undefined` where node:crypto is missing. */
export function createNodeProvider(): CryptoProvider | undefined {
  const crypto = loadNodeCrypto();
  if (crypto === undefined) return undefined;
  // Node ≥ 24.7 ships Argon2 in OpenSSL 3.5; older Node uses noble's.
  const nodeArgon2 = (crypto as unknown as { argon2?: NodeArgon2 }).argon2;
  const oneShotHash = (crypto as unknown as { hash?: (algorithm: string, data: Uint8Array, encoding: "buffer") => Buffer }).hash;
  const p256 = nodeP256(crypto);

  const suppliers: Readonly<Record<Capability, ProviderName>> = Object.freeze({
    "aes-128-gcm": "node",
    "aes-256-gcm": "node",
    "chacha20-poly1305": "node",
    "xchacha20-poly1305": "node",
    "aes-block": "node",
    chacha20: "node",
    sha256: "node",
    sha384: "node",
    sha512: "node",
    blake2b: "node",
    blake3: "noble",
    hmac: "node",
    hkdf: "node",
    pbkdf2: "node",
    argon2id: nodeArgon2 === undefined ? "noble" : "node",
    x25519: "node",
    "p256-ecdh": "node",
    "ml-kem-768": "noble",
    ed25519: "node",
    "ecdsa-p256": "node",
    random: "node",
  });

  /** node covers SHA-2 and 64-byte BLAKE2b; every other hash comes from noble. */
  const nodeHashName = (algorithm: HashAlgorithm, length: number): string | undefined => {
    if (algorithm === "blake3") return undefined;
    if (algorithm === "blake2b") return length === 64 ? "blake2b512" : undefined;
    return algorithm;
  };

  // HMAC keys as KeyObjects: Node 24's createHmac spends ~9 µs importing a raw key every call (Node 20: none).
  const macKeys = new KeyMemo((key) => crypto.createSecretKey(key));
  const hmacOnce = (hash: MacHash, key: Uint8Array, data: Uint8Array): Uint8Array =>
    plain(crypto.createHmac(hash, macKeys.get(key)).update(data).digest());
  // One zero salt per hash, so HKDF-Extract with an empty salt hits the key memo.
  const zeroSalts: Readonly<Record<MacHash, Uint8Array>> = {
    sha256: new Uint8Array(32),
    sha384: new Uint8Array(48),
    sha512: new Uint8Array(64),
  };

  const provider: CryptoProvider = {
    name: "node",
    suppliers,
    aead(algorithm: AeadAlgorithm, key: Uint8Array): AeadKey {
      return new NodeAeadKey(crypto, checkAeadAlgorithm(algorithm), key);
    },
    aesBlock: (key: Uint8Array): AesBlockCipher => new NodeAesBlock(crypto, key),
    chacha20(key, nonce, counter, data, output) {
      // Refuses an output past block 0xffffffff, where OpenSSL would carry into the nonce.
      checkChacha20Input(key, nonce, counter, data);
      const out = outputView(output, data.length);
      // OpenSSL's 16-byte ChaCha20 IV is the RFC 8439 state words 12..15: counter (LE) || nonce.
      const iv = new Uint8Array(16);
      iv[0] = counter & 0xff;
      iv[1] = (counter >>> 8) & 0xff;
      iv[2] = (counter >>> 16) & 0xff;
      iv[3] = counter >>> 24;
      iv.set(nonce, 4);
      const result = crypto.createCipheriv("chacha20", key, iv).update(data);
      if (out === undefined) return plain(result);
      out.set(result);
      return out;
    },
    hash(algorithm: HashAlgorithm, data: Uint8Array, options?: HashOptions): Uint8Array {
      const length = hashOutputLength(algorithm, options);
      assertBytes(data, "data");
      const name = nodeHashName(algorithm, length);
      if (name === undefined) return nobleHash(algorithm, data, length);
      if (oneShotHash !== undefined) return plain(oneShotHash(name, data, "buffer"));
      return plain(crypto.createHash(name).update(data).digest());
    },
    createHash(algorithm: HashAlgorithm, options?: HashOptions): Hasher {
      const length = hashOutputLength(algorithm, options);
      const name = nodeHashName(algorithm, length);
      if (name === undefined) return nobleProvider.createHash(algorithm, options);
      return new NodeHasher(crypto.createHash(name), length);
    },
    hmac(hash: MacHash, key: Uint8Array, data: Uint8Array): Uint8Array {
      macHashLength(hash);
      assertBytes(key, "key");
      assertBytes(data, "data");
      return hmacOnce(hash, key, data);
    },
    createHmac(hash: MacHash, key: Uint8Array): Hasher {
      macHashLength(hash);
      assertBytes(key, "key");
      return NodeHmacHasher.create(crypto, hash, key);
    },
    hkdfExtract(hash: MacHash, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
      macHashLength(hash);
      assertBytes(salt, "salt");
      assertBytes(ikm, "ikm");
      return hmacOnce(hash, salt.length === 0 ? (zeroSalts[hash] as Uint8Array) : salt, ikm);
    },
    hkdfExpand(hash: MacHash, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
      checkHkdfExpand(hash, prk, info, length);
      const key = macKeys.get(prk);
      return hkdfExpandWith((data) => crypto.createHmac(hash, key).update(data), MAC_HASH_LENGTH[hash], info, length);
    },
    pbkdf2(hash: MacHash, password: Uint8Array, salt: Uint8Array, iterations: number, length: number): Promise<Uint8Array> {
      checkPbkdf2(hash, password, salt, iterations, length);
      return new Promise((resolve, reject) => {
        crypto.pbkdf2(password, salt, iterations, length, hash, (error, key) => (error ? reject(error) : resolve(plain(key))));
      });
    },
    argon2id(password: Uint8Array, salt: Uint8Array, options: Argon2idOptions): Promise<Uint8Array> {
      if (nodeArgon2 === undefined) return nobleArgon2id(password, salt, options);
      checkArgon2id(password, salt, options);
      return new Promise((resolve, reject) => {
        nodeArgon2(
          "argon2id",
          {
            message: password,
            nonce: salt,
            parallelism: options.parallelism,
            tagLength: options.length,
            memory: options.memoryKiB,
            passes: options.passes,
            ...(options.secret !== undefined && { secret: options.secret }),
            ...(options.associatedData !== undefined && { associatedData: options.associatedData }),
          },
          (error, result) => (error ? reject(error) : resolve(plain(result))),
        );
      });
    },
    x25519: nodeX25519(crypto),
    p256,
    mlKem768: nobleMlKem768,
    ed25519: nodeEd25519(crypto),
    ecdsaP256: nodeEcdsaP256(crypto, p256),
    randomBytes(length: number): Uint8Array {
      checkRandomLength(length);
      return crypto.randomFillSync(new Uint8Array(length));
    },
    randomFill<T extends Uint8Array>(buffer: T): T {
      assertBytes(buffer, "buffer");
      return crypto.randomFillSync(buffer);
    },
  };
  return Object.freeze(provider);
}

const hexBytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, "hex"));

/**
 * The eight Ed25519 points of small order, canonically encoded: the identity, the point of
 * order 2, the two of order 4 and the four of order 8 (the blocklist libsodium uses too).
 * Comparing bytes costs nothing next to decoding the point (~0.3 ms in JS).
 */
const ED25519_SMALL_ORDER = [
  "0100000000000000000000000000000000000000000000000000000000000000",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0000000000000000000000000000000000000000000000000000000000000080",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
].map(hexBytes);
// The two y with x = 0 (y = 1 and y = p - 1), whose encodings must not carry the sign bit.
const ED25519_ZERO_X = [ED25519_SMALL_ORDER[0], ED25519_SMALL_ORDER[1]] as readonly Uint8Array[];

/** Why an Ed25519 public key encoding is refused (RFC 8032 §5.1.3 decoding, then small order), or undefined. */
function ed25519KeyRefusal(key: Uint8Array): string | undefined {
  // y >= p = 2^255 - 19, little-endian: ed ff .. ff 7f and above, sign bit aside.
  let atLeastP = ((key[31] as number) & 0x7f) === 0x7f && (key[0] as number) >= 0xed;
  for (let i = 1; i < 31 && atLeastP; i++) atLeastP = key[i] === 0xff;
  if (atLeastP) return "y is not reduced modulo p";
  if (((key[31] as number) & 0x80) !== 0) {
    const y = key.slice();
    y[31] = (y[31] as number) & 0x7f;
    if (ED25519_ZERO_X.some((zero) => bytesEqual(zero, y))) return "x = 0 with the sign bit set";
  }
  if (ED25519_SMALL_ORDER.some((point) => bytesEqual(point, key))) return "a point of small order";
  return undefined;
}

/** Whether a 65- or 33-byte P-256 key starts as SEC1 says: 04 uncompressed, 02/03 compressed. */
function hasSec1Prefix(key: Uint8Array): boolean {
  return key.length === 65 ? key[0] === 4 : key[0] === 2 || key[0] === 3;
}

/** `bytes` as a fresh array of exactly `length` bytes, zero-padded on the left. */
function leftPad(bytes: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(bytes, length - bytes.length);
  return out;
}
