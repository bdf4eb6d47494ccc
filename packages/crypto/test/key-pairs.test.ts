// Generated key pairs always have the sizes the interface promises. OpenSSL
// drops leading zero bytes of a P-256 scalar (about 1 key in 256), which once
// produced 31-byte secret keys that the provider itself then rejected.
import { describe, expect, it } from "vitest";
import { PROVIDERS } from "./support.js";

// 2,000 noble key generations take about a second alone and over 5 s on a loaded shared
// machine: the default timeout would fail a correct run, so this one bounds CPU starvation only.
const MANY_KEYS_TIMEOUT_MS = 60_000;

describe.each(PROVIDERS.map((p) => [p.name, p] as const))("%s key pairs", (_name, provider) => {
  it("P-256 ECDH: 2,000 fresh key pairs are all 32-byte scalars that agree with each other", { timeout: MANY_KEYS_TIMEOUT_MS }, () => {
    let previous = provider.p256.generateKeyPair();
    for (let i = 0; i < 2000; i++) {
      const next = provider.p256.generateKeyPair();
      expect(next.secretKey.length).toBe(32);
      expect(next.publicKey.length).toBe(65);
      if (i % 100 === 0) {
        expect(provider.p256.sharedSecret(next.secretKey, previous.publicKey)).toEqual(
          provider.p256.sharedSecret(previous.secretKey, next.publicKey),
        );
      }
      previous = next;
    }
  });

  it("ECDSA P-256: generated secret keys are 32 bytes and sign verifiably", () => {
    for (let i = 0; i < 300; i++) {
      const pair = provider.ecdsaP256.generateKeyPair();
      expect(pair.secretKey.length).toBe(32);
    }
    const pair = provider.ecdsaP256.generateKeyPair();
    const message = new TextEncoder().encode("zsync");
    expect(provider.ecdsaP256.verify(provider.ecdsaP256.sign(message, pair.secretKey), message, pair.publicKey)).toBe(true);
  });
});
