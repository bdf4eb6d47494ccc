/**
 * Property: P-256 key agreement refuses every peer public key that is not a
 * point of the curve in a canonical SEC1 encoding, with `KeyAgreementError`,
 * on both providers: a point off the curve, the (0, 0) some encoders write for
 * the point at infinity, a coordinate not reduced modulo p, a prefix byte that
 * is not 04 (uncompressed) or 02/03 (compressed, 33 bytes), the hybrid 06/07
 * forms, and a compressed x with no point above it. A key of the wrong length
 * is an argument error (`RangeError`, as for every argument), like the 1-byte
 * SEC1 encoding of infinity. The points are computed here from the curve
 * equation y² = x³ − 3x + b (SEC 2 §2.4.2), independently of either provider.
 */
import { describe, expect, test } from "vitest";
import { KeyAgreementError } from "../../src/index.js";
import { PROVIDERS } from "../support.js";

const P = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

function power(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = base % P;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
  }
  return result;
}

const rhs = (x: bigint): bigint => (((x * x * x - 3n * x + B) % P) + P) % P;
/** Euler's criterion: whether some y has y² = rhs(x). */
const hasPoint = (x: bigint): boolean => power(rhs(x), (P - 1n) / 2n) === 1n;

function bytes32(value: bigint): Uint8Array {
  return Uint8Array.from(Buffer.from(value.toString(16).padStart(64, "0"), "hex"));
}

function encode(prefix: number, ...coordinates: bigint[]): Uint8Array {
  const out = new Uint8Array(1 + 32 * coordinates.length);
  out[0] = prefix;
  coordinates.forEach((c, i) => {
    out.set(bytes32(c), 1 + 32 * i);
  });
  return out;
}

// The smallest x with a point above it: small enough that x + p still fits in 32 bytes.
let x = 0n;
while (!hasPoint(x)) x++;
const y = power(rhs(x), (P + 1n) / 4n); // p ≡ 3 (mod 4): this is a square root
let noPointX = 0n;
while (hasPoint(noPointX)) noPointX++;

const ON_CURVE = encode(4, x, y);

const INVALID: readonly (readonly [string, Uint8Array])[] = [
  ["a point off the curve (y + 1)", encode(4, x, (y + 1n) % P)],
  ["(0, 0), written for the point at infinity", encode(4, 0n, 0n)],
  ["x not reduced modulo p (x + p, same point)", encode(4, x + P, y)],
  ["prefix 05", encode(5, x, y)],
  ["prefix 02 with 65 bytes", encode(2, x, y)],
  ["the hybrid form 06/07 of a valid point", encode(y % 2n === 0n ? 6 : 7, x, y)],
  ["a compressed x with no point above it", encode(2, noPointX)],
  ["a compressed x not reduced modulo p", encode(y % 2n === 0n ? 2 : 3, x + P)],
];

describe.each(PROVIDERS)("P-256 peer public keys on the $name provider", (provider) => {
  const ours = provider.p256.generateKeyPair();

  test("the valid point, uncompressed and compressed, agrees with its owner's side (the control)", () => {
    expect((y * y) % P).toBe(rhs(x));
    const peer = provider.p256.generateKeyPair();
    const secret = provider.p256.sharedSecret(ours.secretKey, peer.publicKey);
    expect(provider.p256.sharedSecret(peer.secretKey, ours.publicKey)).toEqual(secret);
    const compressed = peer.publicKey.slice(0, 33);
    compressed[0] = 2 + ((peer.publicKey[64] as number) & 1);
    expect(provider.p256.sharedSecret(ours.secretKey, compressed)).toEqual(secret);
    expect(provider.p256.sharedSecret(ours.secretKey, ON_CURVE)).toHaveLength(32);
    expect(provider.p256.sharedSecret(ours.secretKey, encode(y % 2n === 0n ? 2 : 3, x))).toEqual(
      provider.p256.sharedSecret(ours.secretKey, ON_CURVE),
    );
  });

  test.each(INVALID)("%s is a KeyAgreementError", (_name, peer) => {
    expect(() => provider.p256.sharedSecret(ours.secretKey, peer)).toThrow(KeyAgreementError);
  });

  test.each([
    ["64 bytes (no prefix)", ON_CURVE.subarray(1)],
    ["the 1-byte SEC1 point at infinity (00)", Uint8Array.of(0)],
    ["66 bytes", Uint8Array.of(...ON_CURVE, 0)],
  ] as const)("%s is a RangeError naming the argument", (_name, peer) => {
    expect(() => provider.p256.sharedSecret(ours.secretKey, peer)).toThrow(/peerPublicKey/);
    expect(() => provider.p256.sharedSecret(ours.secretKey, peer)).toThrow(RangeError);
  });
});
