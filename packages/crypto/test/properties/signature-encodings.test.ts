/**
 * Property: what signature verification accepts beyond the published vectors,
 * identically on both providers.
 *
 * Ed25519 follows RFC 8032 §5.1.7's decoding strictly: S must be below the
 * group order L, and a public key whose y is not reduced (y ≥ p) or whose x is
 * a "negative zero" fails to decode (§5.1.3). Small-order public keys are
 * refused too (RFC 8032 allows them; under one, a single (R, S) verifies for
 * many or all messages). The forged signatures below satisfy the verification
 * equation [S]B = R + [k]A exactly (checked here), so each is refused for its
 * encoding or its key, not by chance.
 *
 * ECDSA P-256 accepts high-S signatures (s > n/2), as OpenSSL does and
 * X.509/TLS peers produce; r and s must lie in [1, n − 1]; the public key
 * must be a SEC1 point (04 || x || y or 02/03 || x).
 */
import { createHash } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";
import { describe, expect, test } from "vitest";
import { PROVIDERS } from "../support.js";

const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P25519 = 2n ** 255n - 19n;
const N256 = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function le32(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = value;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function fromLe(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i] as number);
  return v;
}

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"));

/** The Ed25519 challenge k = SHA-512(R || A || M) mod L, over the exact encodings (RFC 8032 §5.1.7 step 2). */
function challenge(r: Uint8Array, publicKey: Uint8Array, message: Uint8Array): bigint {
  return fromLe(createHash("sha512").update(r).update(publicKey).update(message).digest()) % L;
}

/**
 * A signature (R = [s]B, S = s) with a message for which k·A is the identity, so that
 * [S]B = R + [k]A holds: any message when A is the identity, otherwise one whose k is a
 * multiple of A's (small) order, found by trying message suffixes.
 */
function forgeUnderSmallOrderKey(encodedKey: Uint8Array): { signature: Uint8Array; message: Uint8Array } {
  const s = 123456789n;
  const r = ed25519.Point.BASE.multiply(s).toBytes();
  const A = ed25519.Point.fromBytes(encodedKey, true); // zip215 decoding: takes the non-canonical forms too
  for (let i = 0; i < 1000; i++) {
    const message = enc(`message ${i}`);
    const k = challenge(r, encodedKey, message);
    if (k === 0n || A.multiplyUnsafe(k).is0()) {
      const signature = new Uint8Array(64);
      signature.set(r);
      signature.set(le32(s), 32);
      // The verification equation holds: R + [k]A = [s]B.
      expect(ed25519.Point.fromBytes(r).add(A.multiplyUnsafe(k)).equals(ed25519.Point.BASE.multiply(s))).toBe(true);
      return { signature, message };
    }
  }
  throw new Error("no message with k·A = 0 found");
}

// The eight points of small order, canonically encoded (order 1, 2, 4, 4, 8, 8, 8, 8).
const SMALL_ORDER: readonly (readonly [string, Uint8Array])[] = [
  ["the identity (y = 1)", le32(1n)],
  ["the point of order 2 (y = p − 1)", le32(P25519 - 1n)],
  ["a point of order 4 (y = 0)", le32(0n)],
  ["the other point of order 4 (y = 0, x negative)", hex("0000000000000000000000000000000000000000000000000000000000000080")],
  ["a point of order 8", hex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")],
  ["a point of order 8", hex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85")],
  ["a point of order 8", hex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")],
  ["a point of order 8", hex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa")],
];

// Encodings RFC 8032 §5.1.3 refuses to decode (y ≥ p, or x = 0 with the sign bit set).
const NON_CANONICAL: readonly (readonly [string, Uint8Array])[] = [
  ["the identity as y = p + 1", le32(P25519 + 1n)],
  ["the identity with the sign bit (negative zero x)", le32(1n | (1n << 255n))],
  ["the order-2 point with the sign bit", le32(P25519 - 1n + (1n << 255n))],
];

test("the eight encodings above are the eight distinct points of small order (the control)", () => {
  const points = SMALL_ORDER.map(([, key]) => ed25519.Point.fromBytes(key));
  for (const point of points) expect(point.isSmallOrder()).toBe(true);
  expect(new Set(points.map((point) => Buffer.from(point.toBytes()).toString("hex"))).size).toBe(8);
});

describe.each(PROVIDERS)("Ed25519 verification on the $name provider", (provider) => {
  const { secretKey, publicKey } = provider.ed25519.generateKeyPair();
  const message = enc("signed");
  const signature = provider.ed25519.sign(message, secretKey);

  test("an honest signature verifies (the control)", () => {
    expect(provider.ed25519.verify(signature, message, publicKey)).toBe(true);
  });

  test.each([
    ["S + L", 1n],
    ["S + 2L", 2n],
  ])("a non-canonical S (%s, same value modulo L) is refused", (_name, multiple) => {
    const forged = signature.slice();
    forged.set(le32(fromLe(signature.subarray(32)) + multiple * L), 32);
    expect(provider.ed25519.verify(forged, message, publicKey)).toBe(false);
  });

  test.each(SMALL_ORDER)("a small-order public key, %s, verifies nothing", (_name, key) => {
    const forged = forgeUnderSmallOrderKey(key);
    expect(provider.ed25519.verify(forged.signature, forged.message, key)).toBe(false);
  });

  test.each(NON_CANONICAL)("a non-canonical public key, %s, verifies nothing", (_name, key) => {
    const forged = forgeUnderSmallOrderKey(key);
    expect(provider.ed25519.verify(forged.signature, forged.message, key)).toBe(false);
  });
});

/**
 * Where the providers still differ, as RFC 8032 §5.1.7 lets them: for a public key with a
 * small-order component (A = [a]B + T, T of order 8: not itself small-order, never made by
 * key generation), noble checks the cofactored equation [8][S]B = [8]R + [8][k]A and accepts
 * any signature made with a; OpenSSL checks [S]B = R + [k]A, which holds only when 8 divides k.
 */
describe("Ed25519 with a public key that has a small-order component", () => {
  const a = 0x1234567890abcdefn;
  const T = ed25519.Point.fromBytes(SMALL_ORDER[4]?.[1] as Uint8Array);
  const publicKey = ed25519.Point.BASE.multiply(a).add(T).toBytes();
  const r = 0xfedcba987654321n;
  const R = ed25519.Point.BASE.multiply(r).toBytes();
  /** A message whose challenge k is (or is not) a multiple of 8, and the signature made with a for it. */
  function signed(multipleOf8: boolean): { message: Uint8Array; signature: Uint8Array } {
    for (let i = 0; ; i++) {
      const message = enc(`mixed ${i}`);
      const k = challenge(R, publicKey, message);
      if ((k % 8n === 0n) !== multipleOf8) continue;
      const signature = new Uint8Array(64);
      signature.set(R);
      signature.set(le32((r + k * a) % L), 32);
      return { message, signature };
    }
  }
  const [node, noble] = PROVIDERS as [(typeof PROVIDERS)[number], (typeof PROVIDERS)[number]];

  test("k a multiple of 8: both providers accept", () => {
    const { message, signature } = signed(true);
    expect(node.ed25519.verify(signature, message, publicKey)).toBe(true);
    expect(noble.ed25519.verify(signature, message, publicKey)).toBe(true);
  });

  test("otherwise: noble (cofactored) accepts, node (cofactorless) refuses", () => {
    const { message, signature } = signed(false);
    expect(node.name).toBe("node");
    expect(node.ed25519.verify(signature, message, publicKey)).toBe(false);
    expect(noble.ed25519.verify(signature, message, publicKey)).toBe(true);
  });
});

/** DER ECDSA-Sig-Value from r and s. */
function der(r: bigint, s: bigint): Uint8Array {
  const integer = (v: bigint): number[] => {
    let bytes = [...Buffer.from(v.toString(16).padStart(64, "0"), "hex")];
    while (bytes.length > 1 && bytes[0] === 0 && (bytes[1] as number) < 0x80) bytes = bytes.slice(1);
    if ((bytes[0] as number) >= 0x80) bytes = [0, ...bytes];
    return [0x02, bytes.length, ...bytes];
  };
  const body = [...integer(r), ...integer(s)];
  return Uint8Array.from([0x30, body.length, ...body]);
}

function compact(r: bigint, s: bigint): Uint8Array {
  return Uint8Array.from(Buffer.from(r.toString(16).padStart(64, "0") + s.toString(16).padStart(64, "0"), "hex"));
}

describe.each(PROVIDERS)("ECDSA P-256 verification on the $name provider", (provider) => {
  const { secretKey, publicKey } = provider.ecdsaP256.generateKeyPair();
  const message = enc("signed");
  const signature = provider.ecdsaP256.sign(message, secretKey, { format: "compact" });
  const r = BigInt(`0x${Buffer.from(signature.subarray(0, 32)).toString("hex")}`);
  const s = BigInt(`0x${Buffer.from(signature.subarray(32)).toString("hex")}`);
  const [low, high] = s > N256 / 2n ? [N256 - s, s] : [s, N256 - s];

  test.each(["compact", "der"] as const)("both s and n − s verify (%s): high-S is accepted", (format) => {
    const encode = format === "der" ? der : compact;
    expect(provider.ecdsaP256.verify(encode(r, low), message, publicKey, { format })).toBe(true);
    expect(provider.ecdsaP256.verify(encode(r, high), message, publicKey, { format })).toBe(true);
    expect(provider.ecdsaP256.verify(encode(r, high), enc("other"), publicKey, { format })).toBe(false);
  });

  test.each([
    ["r = 0", 0n, s],
    ["s = 0", r, 0n],
    ["r + n", r + N256, s],
    ["s + n", r, s + N256],
  ])("%s is refused", (_name, rr, ss) => {
    // Values past 2^256 do not fit the compact form; DER carries them.
    if (rr < 2n ** 256n && ss < 2n ** 256n)
      expect(provider.ecdsaP256.verify(compact(rr, ss), message, publicKey, { format: "compact" })).toBe(false);
    expect(provider.ecdsaP256.verify(der(rr, ss), message, publicKey, { format: "der" })).toBe(false);
  });

  test.each([5, 6, 7, 0])("a public key with prefix %i instead of 04 verifies nothing", (prefix) => {
    const key = publicKey.slice();
    key[0] = prefix;
    expect(provider.ecdsaP256.verify(signature, message, key, { format: "compact" })).toBe(false);
  });
});
