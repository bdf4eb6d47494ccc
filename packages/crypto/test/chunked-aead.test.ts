/**
 * The chunked AEAD construction (src/bulk/chunked-aead.ts) below
 * `AsyncCipher`: the key derivation checked against node:crypto's HKDF, the
 * chunk nonce layout, and how `openChunkRange` refuses short, truncated,
 * reordered and non-final chunks (and leaves other failures alone).
 */
import { hkdfSync } from "node:crypto";
import { describe, expect, test } from "vitest";
import { ChunkFailure, chunkNonce, deriveChunkKeys, openChunkRange, sealChunkRange, sealedLength } from "../src/bulk/chunked-aead.js";
import { encodeChunkedHeader } from "../src/bulk/envelope.js";
import { type AeadKey, AuthenticationError, getProvider } from "../src/index.js";

const provider = getProvider("node");
const key = new Uint8Array(32).map((_, i) => 200 - i);
const salt = new Uint8Array(32).map((_, i) => i * 7);
const header = encodeChunkedHeader("aes-256-gcm", 1024, salt);
const aad = new TextEncoder().encode("context");
const keys = deriveChunkKeys(provider, "aes-256-gcm", key, header, aad);
const CHUNK = 1024;

function failure(fn: () => unknown): ChunkFailure {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ChunkFailure);
    return error as ChunkFailure;
  }
  return expect.fail("expected a ChunkFailure");
}

describe("key derivation", () => {
  test("HKDF-SHA256 over the key, salted with the header's last 32 bytes, info = label || header || aad", () => {
    const label = new TextEncoder().encode("zsync-crypto v1 chunked AEAD");
    const info = Buffer.concat([label, header, aad]);
    const okm = new Uint8Array(hkdfSync("sha256", key, salt, info, 32 + 7));
    expect(keys.subkey).toEqual(okm.subarray(0, 32));
    expect(keys.prefix).toEqual(okm.subarray(32));
  });
});

describe("chunk nonces", () => {
  test("prefix || big-endian 32-bit index || last flag", () => {
    const prefix = Uint8Array.of(1, 2, 3, 4, 5, 6, 7);
    const nonce = new Uint8Array(12).fill(0xee);
    expect(Array.from(chunkNonce(prefix, 0x0a0b0c0d, true, nonce))).toEqual([1, 2, 3, 4, 5, 6, 7, 0x0a, 0x0b, 0x0c, 0x0d, 1]);
    expect(Array.from(chunkNonce(prefix, 0xfffffffe, false, nonce))).toEqual([1, 2, 3, 4, 5, 6, 7, 0xff, 0xff, 0xff, 0xfe, 0]);
  });
});

describe("opening chunk ranges", () => {
  const plaintext = new Uint8Array(3 * CHUNK + 100).map((_, i) => i & 0xff);
  const sealed = sealChunkRange(keys.aead, keys.prefix, plaintext, CHUNK, 0, true);

  test("a whole message opens, and a range opens from its first index", () => {
    expect(sealed.length).toBe(sealedLength(plaintext.length, CHUNK));
    expect(openChunkRange(keys.aead, keys.prefix, sealed, CHUNK, 0, true)).toEqual(plaintext);
    const middle = sealed.subarray(CHUNK + 16, 3 * (CHUNK + 16));
    expect(openChunkRange(keys.aead, keys.prefix, middle, CHUNK, 1, false)).toEqual(plaintext.subarray(CHUNK, 3 * CHUNK));
  });

  test("a chunk opened at the wrong index fails, reporting the index, and nothing written is left readable", () => {
    const out = new Uint8Array(2 * CHUNK).fill(9);
    const second = sealed.subarray(CHUNK + 16, 3 * (CHUNK + 16));
    const error = failure(() => openChunkRange(keys.aead, keys.prefix, second, CHUNK, 0, false, out));
    expect(error.index).toBe(0);
    expect(error.truncated).toBe(false);
    expect(error.message).toBe("chunk 0 failed authentication");
    const atTwo = failure(() => openChunkRange(keys.aead, keys.prefix, sealed.subarray(0, 2 * (CHUNK + 16)), CHUNK, 5, false, out));
    expect(atTwo.index).toBe(5);
    expect(out.every((b) => b === 0)).toBe(true);
  });

  test("a later chunk failing reports firstIndex plus its position", () => {
    const tampered = sealed.slice();
    tampered[2 * (CHUNK + 16) + 3] = (tampered[2 * (CHUNK + 16) + 3] as number) ^ 1;
    expect(failure(() => openChunkRange(keys.aead, keys.prefix, tampered, CHUNK, 0, true)).index).toBe(2);
  });

  test("a message cut at a chunk boundary is reported as truncated", () => {
    const cut = sealed.subarray(0, 2 * (CHUNK + 16));
    const error = failure(() => openChunkRange(keys.aead, keys.prefix, cut, CHUNK, 0, true));
    expect(error.index).toBe(1);
    expect(error.truncated).toBe(true);
    expect(error.message).toBe("chunk 1 is not the final chunk: ciphertext truncated");
  });

  test("a final piece shorter than a tag is a ChunkFailure, not a RangeError", () => {
    // Callers size the output from the chunk count (and refuse such input earlier themselves).
    const short = sealed.slice(0, CHUNK + 16 + 10);
    const error = failure(() => openChunkRange(keys.aead, keys.prefix, short, CHUNK, 0, true, new Uint8Array(2 * CHUNK)));
    expect(error.index).toBe(1);
  });

  test("a range that is not final must hold whole chunks only, even one sealed as a short non-final chunk", () => {
    const shortNonFinal = sealChunkRange(keys.aead, keys.prefix, plaintext.subarray(0, CHUNK + 4), CHUNK, 0, false);
    const out = new Uint8Array(CHUNK + 4).fill(9);
    const error = failure(() => openChunkRange(keys.aead, keys.prefix, shortNonFinal, CHUNK, 0, false, out));
    expect(error.index).toBe(1);
    expect(error.truncated).toBe(false);
    expect(out.every((b) => b === 0)).toBe(true);
  });

  test("a failure of the cipher other than authentication is passed on, not reported as a bad chunk", () => {
    const broken = new TypeError("cipher backend failed");
    const failing = Object.create(keys.aead, {
      open: {
        value: () => {
          throw broken;
        },
      },
    }) as AeadKey;
    const out = new Uint8Array(CHUNK).fill(9);
    expect(() => openChunkRange(failing, keys.prefix, sealed.subarray(0, CHUNK + 16), CHUNK, 0, false, out)).toThrow(broken);
    expect(out.every((b) => b === 0)).toBe(true);
  });

  test("ChunkFailure is an AuthenticationError, recognized across copies of the package by its brand", () => {
    const error = new ChunkFailure(3, false);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect({ [Symbol.for("@zsync/crypto:ChunkFailure")]: true }).toBeInstanceOf(ChunkFailure);
  });
});
