/**
 * Property: `AeadKey.open` releases nothing unauthenticated. When the tag does
 * not verify it throws `AuthenticationError` and leaves a caller's `output`
 * exactly as it was: no plaintext, not even a prefix of it, and no zeroing
 * either (the caller's buffer is theirs). Checked for every AEAD on both
 * providers, with a separate output buffer and with `output` at the front of
 * the sealed bytes' own buffer (decrypting in place).
 */
import { describe, expect, test } from "vitest";
import { AEAD_ALGORITHMS, AEAD_PARAMS, AuthenticationError } from "../../src/index.js";
import { PROVIDERS } from "../support.js";

/** 3 KiB: several blocks and more than one internal chunk for every implementation. */
const PLAINTEXT = new Uint8Array(3 * 1024 + 7).map((_, i) => (i * 131 + 17) & 0xff);
const AAD = new TextEncoder().encode("header");

function tamperings(sealed: Uint8Array): readonly (readonly [string, Uint8Array, Uint8Array])[] {
  const tagBit = sealed.slice();
  tagBit[tagBit.length - 1] = (tagBit[tagBit.length - 1] as number) ^ 0x01;
  const bodyBit = sealed.slice();
  bodyBit[5] = (bodyBit[5] as number) ^ 0x80;
  return [
    ["a flipped tag bit", tagBit, AAD],
    ["a flipped ciphertext bit", bodyBit, AAD],
    ["other associated data", sealed, new TextEncoder().encode("Header")],
  ];
}

describe.each(PROVIDERS)("AeadKey.open on the $name provider", (provider) => {
  describe.each(AEAD_ALGORITHMS)("%s", (algorithm) => {
    const params = AEAD_PARAMS[algorithm];
    const key = provider.aead(
      algorithm,
      new Uint8Array(params.keyLength).map((_, i) => i + 1),
    );
    const nonce = new Uint8Array(params.nonceLength).fill(9);
    const sealed = key.seal(nonce, PLAINTEXT, AAD);

    test("the untampered message opens into output (the control for the cases below)", () => {
      const output = new Uint8Array(PLAINTEXT.length).fill(0xa5);
      expect(key.open(nonce, sealed, AAD, output)).toBe(output);
      expect(Buffer.from(output).equals(Buffer.from(PLAINTEXT))).toBe(true);
    });

    test.each(tamperings(sealed))("%s: AuthenticationError, and output keeps every byte it had", (_name, forged, aad) => {
      const output = new Uint8Array(PLAINTEXT.length).fill(0xa5);
      expect(() => key.open(nonce, forged, aad, output)).toThrow(AuthenticationError);
      expect(output.every((b) => b === 0xa5)).toBe(true);
    });

    test.each(tamperings(sealed))("%s, decrypting in place: the sealed bytes are left as they were", (_name, forged, aad) => {
      const buffer = forged.slice();
      const output = buffer.subarray(0, PLAINTEXT.length);
      expect(() => key.open(nonce, buffer, aad, output)).toThrow(AuthenticationError);
      expect(Buffer.from(buffer).equals(Buffer.from(forged))).toBe(true);
    });
  });
});
