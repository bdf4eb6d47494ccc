// Pins CheckedAeadKey's argument checks (src/primitives/aead-key.ts), shared by
// both providers: each refusal names the argument it refuses, and a sealed
// input shorter than the tag is a RangeError before any cipher call. Prompted
// by the survivors of the mutation run on aead-key.ts (issue 14).
import { describe, expect, it } from "vitest";
import { PROVIDERS } from "./support.js";

const bytes = (n: number) => new Uint8Array(n);

describe.each(PROVIDERS.map((p) => [p.name, p] as const))("CheckedAeadKey arguments (%s)", (_name, provider) => {
  const key = provider.aead("aes-128-gcm", bytes(16));
  const nonce = bytes(12);

  it("a key of the wrong length is refused and named", () => {
    expect(() => provider.aead("aes-128-gcm", bytes(15))).toThrow(new RangeError("key must be 16 bytes, got 15"));
  });

  it("seal names the nonce, the plaintext and the aad it refuses", () => {
    expect(() => key.seal(bytes(11), bytes(1))).toThrow(new RangeError("nonce must be 12 bytes, got 11"));
    expect(() => key.seal(nonce, "x" as unknown as Uint8Array)).toThrow(/^plaintext must be a Uint8Array/);
    expect(() => key.seal(nonce, bytes(1), "x" as unknown as Uint8Array)).toThrow(/^aad must be a Uint8Array/);
  });

  it("open names the nonce, the sealed input and the aad it refuses", () => {
    const sealed = key.seal(nonce, bytes(1));
    expect(() => key.open(bytes(13), sealed)).toThrow(new RangeError("nonce must be 12 bytes, got 13"));
    expect(() => key.open(nonce, "x" as unknown as Uint8Array)).toThrow(/^sealed must be a Uint8Array/);
    expect(() => key.open(nonce, sealed, "x" as unknown as Uint8Array)).toThrow(/^aad must be a Uint8Array/);
  });

  it("a sealed input shorter than the tag is a RangeError, exactly the tag length is not", () => {
    expect(() => key.open(nonce, bytes(15))).toThrow(new RangeError("sealed must be at least 16 bytes (the tag), got 15"));
    // 16 bytes is a well-formed empty ciphertext with a wrong tag: the cipher refuses it, not the length check.
    expect(() => key.open(nonce, bytes(16))).not.toThrow(RangeError);
    expect(key.open(nonce, key.seal(nonce, bytes(0)))).toEqual(bytes(0));
  });
});
