/**
 * Address validation tokens (RFC 9000 §8.1.1-§8.1.4), on both crypto
 * providers: Retry and NEW_TOKEN tokens round-trip with their contents,
 * expire (Retry after 10 s, NEW_TOKEN after 24 h by default), are bound to
 * the client address (IP and port for Retry, IP only for NEW_TOKEN), and
 * any change to a token (one flipped bit, truncation, extension, another
 * key) makes it invalid without throwing; fuzzed input never throws.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AddressTokenKey, MAX_RETRY_TOKEN_LENGTH, NEW_TOKEN_LENGTH } from "../../src/proto/crypto/address-token.js";
import { PROVIDERS } from "../vectors/support.js";
import { seededBytes as seededRandom } from "./support.js";

const CLIENT = { address: "192.0.2.1", port: 50_000 };
const ODCID = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
const RSCID = Uint8Array.from([9, 10, 11, 12, 13, 14, 15, 16]);

function key(seed: number): Uint8Array {
  const k = new Uint8Array(32);
  seededRandom(seed)(k);
  return k;
}

describe.each(PROVIDERS)("address tokens on the $name provider", (provider) => {
  const tokens = new AddressTokenKey(provider, key(1), seededRandom(2));

  it("round-trips a Retry token with both connection IDs (§8.1.2, §7.3)", () => {
    const token = tokens.issueRetry(1000, CLIENT, ODCID, RSCID);
    const result = tokens.validate(token, 1500, CLIENT);
    expect(result).toEqual({ valid: true, kind: "retry", issued: 1000, originalDestinationCid: ODCID, retrySourceCid: RSCID });
  });

  it("round-trips connection IDs of every length 0..20", () => {
    for (let n = 0; n <= 20; n++) {
      const odcid = new Uint8Array(n).fill(0xaa);
      const rscid = new Uint8Array(20 - n).fill(0xbb);
      const token = tokens.issueRetry(0, CLIENT, odcid, rscid);
      expect(token.length).toBeLessThanOrEqual(MAX_RETRY_TOKEN_LENGTH);
      const result = tokens.validate(token, 0, CLIENT);
      expect(result.valid && result.kind === "retry" && [result.originalDestinationCid, result.retrySourceCid]).toEqual([odcid, rscid]);
    }
  });

  it("round-trips a NEW_TOKEN token (§8.1.3)", () => {
    const token = tokens.issueNewToken(5000, CLIENT);
    expect(token.length).toBe(NEW_TOKEN_LENGTH);
    expect(tokens.validate(token, 6000, CLIENT)).toEqual({ valid: true, kind: "new-token", issued: 5000 });
  });

  it("issues a different token every time, even for the same client and time (§8.1.3: unique across clients)", () => {
    const a = tokens.issueNewToken(0, CLIENT);
    const b = tokens.issueNewToken(0, CLIENT);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it("expires Retry tokens after 10 s and NEW_TOKEN tokens after 24 h (§8.1.4)", () => {
    const retry = tokens.issueRetry(0, CLIENT, ODCID, RSCID);
    expect(tokens.validate(retry, 10_000, CLIENT).valid).toBe(true);
    expect(tokens.validate(retry, 10_001, CLIENT)).toEqual({ valid: false, kind: "retry", reason: "expired" });
    const newToken = tokens.issueNewToken(0, CLIENT);
    expect(tokens.validate(newToken, 86_400_000, CLIENT).valid).toBe(true);
    expect(tokens.validate(newToken, 86_400_001, CLIENT)).toEqual({ valid: false, kind: "new-token", reason: "expired" });
  });

  it("refuses a token issued in the future beyond the clock skew", () => {
    const token = tokens.issueNewToken(100_000, CLIENT);
    expect(tokens.validate(token, 90_000, CLIENT).valid).toBe(true); // 10 s skew tolerated
    expect(tokens.validate(token, 89_999, CLIENT)).toEqual({ valid: false, kind: "new-token", reason: "expired" });
  });

  it("honours configured lifetimes", () => {
    const short = new AddressTokenKey(provider, key(1), seededRandom(3), { retryLifetime: 100, newTokenLifetime: 1000 });
    expect(short.validate(short.issueRetry(0, CLIENT, ODCID, RSCID), 101, CLIENT).valid).toBe(false);
    expect(short.validate(short.issueNewToken(0, CLIENT), 1001, CLIENT).valid).toBe(false);
    expect(() => new AddressTokenKey(provider, key(1), seededRandom(3), { retryLifetime: 0 })).toThrow(RangeError);
    expect(() => new AddressTokenKey(provider, new Uint8Array(16), seededRandom(3))).toThrow(RangeError);
  });

  it("binds a Retry token to the client's IP and port (§8.1.4)", () => {
    const token = tokens.issueRetry(0, CLIENT, ODCID, RSCID);
    expect(tokens.validate(token, 0, { ...CLIENT, port: 50_001 })).toEqual({ valid: false, kind: "retry", reason: "invalid" });
    expect(tokens.validate(token, 0, { ...CLIENT, address: "192.0.2.2" })).toEqual({ valid: false, kind: "retry", reason: "invalid" });
  });

  it("binds a NEW_TOKEN token to the client's IP but not its port (§8.1.3)", () => {
    const token = tokens.issueNewToken(0, CLIENT);
    expect(tokens.validate(token, 0, { ...CLIENT, port: 61_234 }).valid).toBe(true);
    expect(tokens.validate(token, 0, { ...CLIENT, address: "198.51.100.7" })).toEqual({
      valid: false,
      kind: "new-token",
      reason: "invalid",
    });
  });

  it("refuses tokens of another key (another server, or a rotated key)", () => {
    const other = new AddressTokenKey(provider, key(99), seededRandom(4));
    expect(tokens.validate(other.issueRetry(0, CLIENT, ODCID, RSCID), 0, CLIENT).valid).toBe(false);
    expect(tokens.validate(other.issueNewToken(0, CLIENT), 0, CLIENT).valid).toBe(false);
  });

  it("accepts tokens of a retired key listed in previousKeys after a rotation, and issues with the new key only", () => {
    const old = new AddressTokenKey(provider, key(1), seededRandom(20));
    const oldToken = old.issueNewToken(0, CLIENT);
    const rotated = new AddressTokenKey(provider, key(5), seededRandom(21), { previousKeys: [key(1)] });
    expect(rotated.validate(oldToken, 1, CLIENT).valid).toBe(true);
    const newToken = rotated.issueNewToken(0, CLIENT);
    expect(rotated.validate(newToken, 1, CLIENT).valid).toBe(true);
    expect(old.validate(newToken, 1, CLIENT).valid).toBe(false); // issued with the new key, not the retired one
    const forgotten = new AddressTokenKey(provider, key(5), seededRandom(22));
    expect(forgotten.validate(oldToken, 1, CLIENT)).toEqual({ valid: false, kind: "new-token", reason: "invalid" });
    expect(() => new AddressTokenKey(provider, key(5), seededRandom(23), { previousKeys: [key(1), key(2), key(3), key(4)] })).toThrow(
      RangeError,
    );
    expect(() => new AddressTokenKey(provider, key(5), seededRandom(23), { previousKeys: [new Uint8Array(16)] })).toThrow(RangeError);
  });

  it("refuses every single-bit flip of a token (integrity, §8.1.4)", () => {
    for (const token of [tokens.issueRetry(0, CLIENT, ODCID, RSCID), tokens.issueNewToken(0, CLIENT)]) {
      for (let bit = 0; bit < token.length * 8; bit++) {
        const tampered = token.slice();
        tampered[bit >> 3] = (tampered[bit >> 3] as number) ^ (1 << (bit & 7));
        expect(tokens.validate(tampered, 0, CLIENT).valid, `bit ${bit}`).toBe(false);
      }
    }
  });

  it("refuses a Retry token relabelled as a NEW_TOKEN token and vice versa (the kind is authenticated)", () => {
    const retry = tokens.issueRetry(0, CLIENT, new Uint8Array(0), new Uint8Array(0)); // same length as a NEW_TOKEN token + 2
    const relabelled = retry.slice(0, NEW_TOKEN_LENGTH);
    relabelled[0] = 0x4e;
    expect(tokens.validate(relabelled, 0, CLIENT).valid).toBe(false);
    const newToken = tokens.issueNewToken(0, CLIENT);
    const asRetry = Uint8Array.from([...newToken, 0, 0]);
    asRetry[0] = 0x52;
    expect(tokens.validate(asRetry, 0, CLIENT).valid).toBe(false);
  });

  it("refuses truncated and extended tokens", () => {
    const token = tokens.issueRetry(0, CLIENT, ODCID, RSCID);
    for (let n = 0; n < token.length; n++) expect(tokens.validate(token.subarray(0, n), 0, CLIENT).valid).toBe(false);
    expect(tokens.validate(Uint8Array.from([...token, 0]), 0, CLIENT).valid).toBe(false);
  });

  it("never throws on arbitrary or mutated input (fuzz)", () => {
    const seeds = [tokens.issueRetry(0, CLIENT, ODCID, RSCID), tokens.issueNewToken(0, CLIENT)];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.tuple(fc.constantFrom(...seeds), fc.nat(), fc.integer({ min: 1, max: 255 })).map(([t, i, x]) => {
            const m = t.slice();
            m[i % m.length] = (m[i % m.length] as number) ^ x;
            return m;
          }),
        ),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (token, now) => {
          const result = tokens.validate(token, now, CLIENT);
          expect(result.valid).toBe(false);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("tokens across providers", () => {
  it("a token issued with one provider validates with the other (same key)", () => {
    const [a, b] = PROVIDERS as [(typeof PROVIDERS)[0], (typeof PROVIDERS)[0]];
    const token = new AddressTokenKey(a, key(7), seededRandom(8)).issueRetry(0, CLIENT, ODCID, RSCID);
    expect(new AddressTokenKey(b, key(7), seededRandom(9)).validate(token, 0, CLIENT).valid).toBe(true);
  });
});
