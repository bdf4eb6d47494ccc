/**
 * AEAD usage limits (RFC 9001 §6.6): the per-suite defaults, a key update
 * asked for before the confidentiality limit and "exhausted" at it, the
 * count restarting per key generation, and AEAD_LIMIT_REACHED once failed
 * openings exceed the integrity limit (counted over the connection, not
 * per key).
 */
import { describe, expect, it } from "vitest";
import { AeadUsage } from "../../src/proto/crypto/aead-limits.js";
import { TransportError, TransportErrorCode } from "../../src/proto/errors.js";

describe("AeadUsage (RFC 9001 §6.6)", () => {
  it("takes the suite's limits: 2^23 sealed / 2^52 failed for AES-GCM, 2^62 / 2^36 for ChaCha20-Poly1305", () => {
    for (const suite of ["aes-128-gcm", "aes-256-gcm"] as const) {
      const u = new AeadUsage(suite);
      expect([u.confidentialityLimit, u.integrityLimit]).toEqual([2 ** 23, 2 ** 52]);
    }
    const c = new AeadUsage("chacha20-poly1305");
    expect([c.confidentialityLimit, c.integrityLimit]).toEqual([2 ** 62, 2 ** 36]);
  });

  it("asks for a key update before the confidentiality limit, then reports the keys exhausted at it", () => {
    const u = new AeadUsage("aes-128-gcm", { confidentialityLimit: 8, updateAt: 0.5 });
    const verdicts = Array.from({ length: 8 }, () => u.onSealed());
    expect(verdicts).toEqual(["ok", "ok", "ok", "update-keys", "update-keys", "update-keys", "update-keys", "exhausted"]);
    expect(u.canSeal).toBe(false);
  });

  it("counts per write key: a key update restarts the confidentiality count", () => {
    const u = new AeadUsage("aes-128-gcm", { confidentialityLimit: 4, updateAt: 0.5 });
    u.onSealed();
    expect(u.onSealed()).toBe("update-keys");
    u.onKeysUpdated();
    expect(u.canSeal).toBe(true);
    expect(u.onSealed()).toBe("ok");
  });

  it("closes with AEAD_LIMIT_REACHED once failed openings exceed the integrity limit, whatever the key updates", () => {
    const u = new AeadUsage("chacha20-poly1305", { integrityLimit: 3 });
    u.onAuthenticationFailed();
    u.onKeysUpdated(); // integrity is counted over the connection, across keys
    u.onAuthenticationFailed();
    u.onAuthenticationFailed();
    let error: unknown;
    try {
      u.onAuthenticationFailed();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).errorCode).toBe(TransportErrorCode.AEAD_LIMIT_REACHED);
    expect(u.failed).toBe(4);
  });

  it("refuses limits above the RFC's and nonsense settings", () => {
    expect(() => new AeadUsage("aes-128-gcm", { confidentialityLimit: 2 ** 23 + 1 })).toThrow(RangeError);
    expect(() => new AeadUsage("aes-128-gcm", { integrityLimit: 0 })).toThrow(RangeError);
    expect(() => new AeadUsage("aes-128-gcm", { updateAt: 0 })).toThrow(RangeError);
    expect(() => new AeadUsage("aes-128-gcm", { updateAt: 1.5 })).toThrow(RangeError);
  });
});
