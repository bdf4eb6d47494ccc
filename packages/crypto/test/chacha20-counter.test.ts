/**
 * ChaCha20 at the top of its 32-bit block counter (issue 10, item 7). RFC 8439 defines every block
 * 0..0xffffffff; QUIC header protection (RFC 9001 §5.4.4) takes the counter from attacker-chosen
 * packet bytes, so block 0xffffffff must work on both providers. An output that would need a block
 * past 0xffffffff is a RangeError on both (no wrap to block 0, no carry into the nonce).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createHeaderProtection, getProvider, nobleProvider } from "../src/index.js";
import { hex, PROVIDERS, toHex } from "./support.js";

// RFC 8439 §2.4.2's key and nonce; the keystream blocks were produced by `openssl enc -chacha20`
// with the IV counter(LE) || nonce, independently of this package.
const KEY = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const NONCE = hex("000000000000004a00000000");
const BLOCK_FFFFFFFE =
  "143d2a137837a2a369b90769dd68f5ae394a28786b03f80c2a1e8d3d1ebdf4f0181e597e89f42939e94c717d60b681d34cf82dda79827ab2455b13428e525fd9";
const BLOCK_FFFFFFFF =
  "6d29da5bd16a472910e8c0bdb47edfc8499c3222cc168d3721747fc2b21266d9f15c8339f10f354d16cc9b8e118eb182bf858ce5718fa4e76389ea4eb50a9475";

describe.each(PROVIDERS.map((provider) => [provider.name, provider] as const))("%s provider chacha20 counter range", (_name, provider) => {
  it("computes block 0xffffffff (RFC 8439 allows it)", () => {
    expect(toHex(provider.chacha20(KEY, NONCE, 0xffffffff, new Uint8Array(64)))).toBe(BLOCK_FFFFFFFF);
    expect(toHex(provider.chacha20(KEY, NONCE, 0xffffffff, new Uint8Array(5)))).toBe(BLOCK_FFFFFFFF.slice(0, 10));
  });

  it("runs an output across blocks 0xfffffffe and 0xffffffff", () => {
    expect(toHex(provider.chacha20(KEY, NONCE, 0xfffffffe, new Uint8Array(128)))).toBe(BLOCK_FFFFFFFE + BLOCK_FFFFFFFF);
    expect(toHex(provider.chacha20(KEY, NONCE, 0xfffffffe, new Uint8Array(100)))).toBe((BLOCK_FFFFFFFE + BLOCK_FFFFFFFF).slice(0, 200));
  });

  it("encrypts in place and into a caller's output at the last block", () => {
    const data = new Uint8Array(70).fill(0xa5);
    const expected = provider.chacha20(KEY, NONCE, 0xfffffffe, data);
    const out = new Uint8Array(80);
    provider.chacha20(KEY, NONCE, 0xfffffffe, data, out);
    expect(toHex(out.subarray(0, 70))).toBe(toHex(expected));
    provider.chacha20(KEY, NONCE, 0xfffffffe, data, data);
    expect(toHex(data)).toBe(toHex(expected));
  });

  it("refuses, before writing, an output that would need block 2^32", () => {
    const out = new Uint8Array(65);
    expect(() => provider.chacha20(KEY, NONCE, 0xffffffff, new Uint8Array(65), out)).toThrow(RangeError);
    expect(() => provider.chacha20(KEY, NONCE, 0xfffffffe, new Uint8Array(129), out.subarray(0, 0))).toThrow(RangeError);
    expect(() => provider.chacha20(KEY, NONCE, 0xfffffffe, new Uint8Array(129))).toThrow(/block 2\^32/);
    expect(out.every((b) => b === 0)).toBe(true);
    // Zero bytes need no block at all.
    expect(provider.chacha20(KEY, NONCE, 0xffffffff, new Uint8Array(0))).toHaveLength(0);
  });

  it("QUIC ChaCha20 header protection works for a sample starting ff ff ff ff", () => {
    const sample = Uint8Array.from([0xff, 0xff, 0xff, 0xff, ...NONCE]);
    const mask = createHeaderProtection(provider, "chacha20-poly1305", KEY).mask(sample);
    expect(toHex(mask)).toBe(BLOCK_FFFFFFFF.slice(0, 10));
  });
});

describe("chacha20: node and noble agree near 2^32", () => {
  const node = getProvider("node");
  const outcome = (run: () => Uint8Array): string => {
    try {
      return toHex(run());
    } catch (error) {
      return error instanceof RangeError ? "RangeError" : `unexpected ${String(error)}`;
    }
  };

  it("for random keys, nonces, counters within 300 blocks of the top and lengths up to 20 blocks", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.integer({ min: 0xffffffff - 300, max: 0xffffffff }),
        fc.integer({ min: 0, max: 20 * 64 }),
        (key, nonce, counter, length) => {
          const data = new Uint8Array(length).map((_, i) => i * 7);
          const expected = outcome(() => node.chacha20(key, nonce, counter, data));
          expect(outcome(() => nobleProvider.chacha20(key, nonce, counter, data))).toBe(expected);
          const blocks = Math.ceil(length / 64);
          expect(expected === "RangeError").toBe(blocks > 0 && counter + blocks - 1 > 0xffffffff);
        },
      ),
      { numRuns: 300 },
    );
  });
});
