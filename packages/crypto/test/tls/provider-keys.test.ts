/**
 * The TLS key schedule and key exchange hand the provider the same secret
 * arrays many times, and the node provider remembers the OpenSSL key object
 * made from each array. These tests pin down that the memory is only an
 * optimisation: every result equals the noble provider's, including when a
 * caller rewrites an array in place with another key, or passes an equal
 * key in a different array.
 */
import { describe, expect, test } from "vitest";
import { getProvider, type MacHash, nobleProvider } from "../../src/index.js";

const node = getProvider("node");

function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 37 + seed * 101 + 7) & 0xff;
  return out;
}

describe("HMAC and HKDF keys reused and rewritten in place", () => {
  test.each(["sha256", "sha384", "sha512"] as MacHash[])("%s", (hash) => {
    const key = bytes(48, 1);
    const data = bytes(70, 2);
    const first = node.hmac(hash, key, data);
    expect(node.hmac(hash, key, data)).toEqual(first);
    expect(first).toEqual(nobleProvider.hmac(hash, key, data));
    key[17] = (key[17] as number) ^ 1; // same array, another key
    const second = node.hmac(hash, key, data);
    expect(second).not.toEqual(first);
    expect(second).toEqual(nobleProvider.hmac(hash, key, data));
    expect(node.hmac(hash, key.slice(), data)).toEqual(second); // equal bytes, another array

    const info = bytes(20, 3);
    const prk = node.hkdfExtract(hash, new Uint8Array(0), key);
    expect(prk).toEqual(nobleProvider.hkdfExtract(hash, new Uint8Array(0), key));
    const okm = node.hkdfExpand(hash, prk, info, 100);
    expect(okm).toEqual(nobleProvider.hkdfExpand(hash, prk, info, 100));
    prk.fill(0x5a);
    expect(node.hkdfExpand(hash, prk, info, 100)).toEqual(nobleProvider.hkdfExpand(hash, prk, info, 100));
    expect(node.hmac(hash, new Uint8Array(0), data)).toEqual(nobleProvider.hmac(hash, new Uint8Array(0), data));
  });
});

describe("asymmetric secret keys reused and rewritten in place", () => {
  test("X25519: generated keys, a rewritten secret array, agreement with noble", () => {
    const a = node.x25519.generateKeyPair();
    const b = nobleProvider.x25519.generateKeyPair();
    const shared = node.x25519.sharedSecret(a.secretKey, b.publicKey);
    expect(shared).toEqual(nobleProvider.x25519.sharedSecret(b.secretKey, a.publicKey));
    expect(node.x25519.publicKey(a.secretKey)).toEqual(a.publicKey);
    a.secretKey.set(bytes(32, 9));
    expect(node.x25519.publicKey(a.secretKey)).toEqual(nobleProvider.x25519.publicKey(a.secretKey));
    expect(node.x25519.sharedSecret(a.secretKey, b.publicKey)).toEqual(nobleProvider.x25519.sharedSecret(a.secretKey, b.publicKey));
  });

  test("P-256 ECDH: a rewritten secret array agrees as the new key", () => {
    const a = node.p256.generateKeyPair();
    const b = nobleProvider.p256.generateKeyPair();
    expect(node.p256.sharedSecret(a.secretKey, b.publicKey)).toEqual(nobleProvider.p256.sharedSecret(b.secretKey, a.publicKey));
    const other = nobleProvider.p256.generateKeyPair();
    a.secretKey.set(other.secretKey);
    expect(node.p256.publicKey(a.secretKey)).toEqual(other.publicKey);
    expect(node.p256.sharedSecret(a.secretKey, b.publicKey)).toEqual(nobleProvider.p256.sharedSecret(b.secretKey, other.publicKey));
  });

  test("Ed25519 and ECDSA P-256: signatures follow the array's current key", () => {
    const message = bytes(100, 4);
    const ed = node.ed25519.generateKeyPair();
    expect(nobleProvider.ed25519.verify(node.ed25519.sign(message, ed.secretKey), message, ed.publicKey)).toBe(true);
    const edOther = nobleProvider.ed25519.generateKeyPair();
    ed.secretKey.set(edOther.secretKey);
    // Ed25519 is deterministic: the same signature as noble's with the new key.
    expect(node.ed25519.sign(message, ed.secretKey)).toEqual(nobleProvider.ed25519.sign(message, edOther.secretKey));

    const ec = node.ecdsaP256.generateKeyPair();
    expect(nobleProvider.ecdsaP256.verify(node.ecdsaP256.sign(message, ec.secretKey), message, ec.publicKey)).toBe(true);
    const ecOther = nobleProvider.ecdsaP256.generateKeyPair();
    ec.secretKey.set(ecOther.secretKey);
    const signature = node.ecdsaP256.sign(message, ec.secretKey);
    expect(nobleProvider.ecdsaP256.verify(signature, message, ecOther.publicKey)).toBe(true);
    expect(nobleProvider.ecdsaP256.verify(signature, message, ec.publicKey)).toBe(false);
  });

  test("verification keys rewritten in place verify as the new key", () => {
    const message = bytes(64, 5);
    const one = nobleProvider.ed25519.generateKeyPair();
    const two = nobleProvider.ed25519.generateKeyPair();
    const publicKey = one.publicKey.slice();
    const signature = nobleProvider.ed25519.sign(message, two.secretKey);
    expect(node.ed25519.verify(signature, message, publicKey)).toBe(false);
    publicKey.set(two.publicKey);
    expect(node.ed25519.verify(signature, message, publicKey)).toBe(true);

    const p1 = nobleProvider.ecdsaP256.generateKeyPair();
    const p2 = nobleProvider.ecdsaP256.generateKeyPair();
    const point = p1.publicKey.slice();
    const ecSignature = nobleProvider.ecdsaP256.sign(message, p2.secretKey);
    expect(node.ecdsaP256.verify(ecSignature, message, point)).toBe(false);
    point.set(p2.publicKey);
    expect(node.ecdsaP256.verify(ecSignature, message, point)).toBe(true);
  });

  test("an invalid P-256 scalar is still refused after a valid key used the same array", () => {
    const pair = node.ecdsaP256.generateKeyPair();
    node.ecdsaP256.sign(bytes(10, 6), pair.secretKey);
    pair.secretKey.fill(0);
    expect(() => node.ecdsaP256.sign(bytes(10, 6), pair.secretKey)).toThrow(/P-256 scalar/);
    expect(() => node.p256.sharedSecret(pair.secretKey, nobleProvider.p256.generateKeyPair().publicKey)).toThrow(/P-256 scalar/);
  });
});
