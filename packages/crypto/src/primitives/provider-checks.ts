/**
 * Argument checks for the non-AEAD provider methods, shared by both
 * providers so they reject exactly the same inputs with the same messages.
 *
 * @example
 * ```ts
 * import { hashOutputLength } from "./provider-checks.js";
 * const length = hashOutputLength("blake2b", { outputLength: 32 }); // 32
 * ```
 * @internal
 * @module
 */
import { assertBytes, assertInteger, assertOneOf } from "./assert-input.js";
import type { Argon2idOptions, HashAlgorithm, HashOptions, MacHash } from "./provider.js";
import { HASH_ALGORITHMS, MAC_HASH_LENGTH, MAC_HASHES } from "./provider.js";

const DEFAULT_LENGTH: Readonly<Record<HashAlgorithm, number>> = { sha256: 32, sha384: 48, sha512: 64, blake2b: 64, blake3: 32 };
const MAX_LENGTH: Readonly<Record<HashAlgorithm, number>> = { sha256: 32, sha384: 48, sha512: 64, blake2b: 64, blake3: 65536 };

/** Validates a hash request and returns the output length to produce. */
export function hashOutputLength(algorithm: HashAlgorithm, options: HashOptions | undefined): number {
  assertOneOf(algorithm, "algorithm", HASH_ALGORITHMS);
  const requested = options?.outputLength;
  if (requested === undefined) return DEFAULT_LENGTH[algorithm];
  const fixed = algorithm.startsWith("sha");
  assertInteger(requested, "outputLength", fixed ? DEFAULT_LENGTH[algorithm] : 1, MAX_LENGTH[algorithm]);
  return requested;
}

/** Validates a MAC hash name and returns its output length. */
export function macHashLength(hash: MacHash): number {
  assertOneOf(hash, "hash", MAC_HASHES);
  return MAC_HASH_LENGTH[hash];
}

/** Validates HKDF-Expand arguments. */
export function checkHkdfExpand(hash: MacHash, prk: Uint8Array, info: Uint8Array, length: number): void {
  const hashLength = macHashLength(hash);
  assertBytes(prk, "prk");
  if (prk.length < hashLength) throw new RangeError(`prk must be at least ${hashLength} bytes (HashLen), got ${prk.length}`);
  assertBytes(info, "info");
  assertInteger(length, "length", 1, 255 * hashLength);
}

/** Validates PBKDF2 arguments. */
export function checkPbkdf2(hash: MacHash, password: Uint8Array, salt: Uint8Array, iterations: number, length: number): void {
  macHashLength(hash);
  assertBytes(password, "password");
  assertBytes(salt, "salt");
  assertInteger(iterations, "iterations", 1, 0xffffffff);
  assertInteger(length, "length", 1, 0x3fffffff);
}

/** Validates Argon2id arguments (RFC 9106 §3.1 limits). */
export function checkArgon2id(password: Uint8Array, salt: Uint8Array, options: Argon2idOptions): void {
  assertBytes(password, "password");
  assertBytes(salt, "salt");
  if (salt.length < 8) throw new RangeError(`salt must be at least 8 bytes, got ${salt.length}`);
  if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
  assertInteger(options.passes, "options.passes", 1, 0xffffffff);
  assertInteger(options.parallelism, "options.parallelism", 1, 255);
  assertInteger(options.memoryKiB, "options.memoryKiB", 8 * options.parallelism, 0xffffffff);
  assertInteger(options.length, "options.length", 4, 0xffffffff);
  if (options.secret !== undefined) assertBytes(options.secret, "options.secret");
  if (options.associatedData !== undefined) assertBytes(options.associatedData, "options.associatedData");
}

/** Validates `randomBytes` length (64 KiB per call is the WebCrypto cap; we loop, so allow more). */
export function checkRandomLength(length: number): void {
  assertInteger(length, "length", 0, 0x7fffffff);
}
