/**
 * Stateless reset building blocks (RFC 9000 §10.3): the token is
 * HMAC-SHA256(static key, CID) truncated to 16 bytes on both providers
 * (checked against node:crypto), the comparison looks only at a datagram's
 * last 16 bytes, and the responder obeys every size and rate bound of §10.3
 * and §10.3.3 (smaller than its trigger, never under 21 bytes, one byte
 * shorter than triggers up to 43 bytes, short-header form, rate-limited on
 * the virtual clock, none without connection IDs).
 */
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { matchesResetToken, StatelessResetKey } from "../../src/proto/crypto/stateless-reset.js";
import { StatelessResetDetector, StatelessResetResponder } from "../../src/proto/endpoint/stateless-reset.js";
import { PROVIDERS } from "../vectors/support.js";
import { seededBytes } from "./support.js";

const STATIC_KEY = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
const CID = Uint8Array.from([0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8]);

function shortPacket(length: number, cid = CID): Uint8Array {
  const p = new Uint8Array(length);
  seededBytes(length)(p);
  p[0] = 0x40 | ((p[0] as number) & 0x3f);
  p.set(cid, 1);
  return p;
}

describe.each(PROVIDERS)("stateless reset tokens on the $name provider", (provider) => {
  it("are HMAC-SHA256(static key, connection ID) truncated to 16 bytes (§10.3.2)", () => {
    const expected = createHmac("sha256", STATIC_KEY).update(CID).digest().subarray(0, 16);
    expect(Buffer.from(new StatelessResetKey(provider, STATIC_KEY).token(CID)).equals(expected)).toBe(true);
  });

  it("differ per connection ID and per key, and are recomputable after a restart", () => {
    const key = new StatelessResetKey(provider, STATIC_KEY);
    const other = Uint8Array.from(CID);
    other[7] = (other[7] as number) ^ 1;
    expect(key.token(CID)).not.toEqual(key.token(other));
    expect(key.token(CID)).not.toEqual(new StatelessResetKey(provider, new Uint8Array(32)).token(CID));
    expect(new StatelessResetKey(provider, STATIC_KEY).token(CID)).toEqual(key.token(CID));
  });
});

describe("matchesResetToken (§10.3.1)", () => {
  const token = new StatelessResetKey(PROVIDERS[0]!, STATIC_KEY).token(CID);

  it("matches a datagram whose last 16 bytes are the token, whatever precedes them", () => {
    const datagram = shortPacket(60);
    datagram.set(token, 44);
    expect(matchesResetToken(datagram, token)).toBe(true);
    datagram[0] = (datagram[0] as number) ^ 0x80; // a long-header form still counts (§10.3: any packet ending in the token)
    expect(matchesResetToken(datagram, token)).toBe(true);
  });

  it("does not match when any one of the 16 bytes differs", () => {
    const datagram = shortPacket(40);
    datagram.set(token, 24);
    for (let i = 24; i < 40; i++) {
      const copy = datagram.slice();
      copy[i] = (copy[i] as number) ^ 0x01;
      expect(matchesResetToken(copy, token), `byte ${i}`).toBe(false);
    }
  });

  it("never matches datagrams under 21 bytes (they cannot be a reset)", () => {
    const datagram = new Uint8Array(20);
    datagram.set(token, 4);
    expect(matchesResetToken(datagram, token)).toBe(false);
    const ok = new Uint8Array(21);
    ok.set(token, 5);
    expect(matchesResetToken(ok, token)).toBe(true);
  });
});

describe("StatelessResetResponder (§10.3, §10.3.3)", () => {
  const provider = PROVIDERS[0]!;
  const key = new StatelessResetKey(provider, STATIC_KEY);
  const responder = (limits = {}) => new StatelessResetResponder(key, 8, seededBytes(5), limits);

  it("answers with a short-header-shaped datagram ending in the token of the packet's DCID", () => {
    const out = new Uint8Array(1500);
    const n = responder().respond(0, shortPacket(1200), CID, out);
    expect(n).toBeGreaterThanOrEqual(43);
    expect((out[0] as number) & 0xc0).toBe(0x40); // header form 0, fixed bit 1
    expect(out.subarray(n - 16, n)).toEqual(key.token(CID));
  });

  it("is always strictly smaller than its trigger and at least 21 bytes; one byte shorter up to 43", () => {
    fc.assert(
      fc.property(fc.integer({ min: 22, max: 1500 }), (length) => {
        const out = new Uint8Array(1500);
        const n = responder().respond(0, shortPacket(length), CID, out);
        expect(n).toBeLessThan(length);
        expect(n).toBeGreaterThanOrEqual(21);
        if (length <= 43) expect(n).toBe(length - 1);
        else expect(n).toBeGreaterThanOrEqual(43);
      }),
    );
  });

  it("never answers a trigger of 21 bytes or less, so two resetting endpoints cannot loop (§10.3.3)", () => {
    const r = responder();
    const out = new Uint8Array(100);
    for (let length = 1 + 8; length <= 21; length++) expect(r.respond(0, shortPacket(length), CID, out)).toBe(0);
    expect(r.stats.tooSmall).toBe(21 - 9 + 1);
    // A loop of resets shrinks by at least one byte per exchange and stops.
    let length = 43;
    let exchanges = 0;
    while (length > 0) {
      length = r.respond(exchanges, shortPacket(Math.max(length, 9)), CID, out);
      exchanges++;
    }
    expect(exchanges).toBeLessThanOrEqual(43 - 21 + 2);
  });

  it("is rate-limited: a burst, then the configured rate on the virtual clock", () => {
    const r = responder({ ratePerSecond: 10, burst: 3 });
    const out = new Uint8Array(1500);
    const trigger = shortPacket(100);
    const sentAt = (now: number) => r.respond(now, trigger, CID, out) > 0;
    expect([sentAt(0), sentAt(0), sentAt(0), sentAt(0)]).toEqual([true, true, true, false]);
    expect(sentAt(50)).toBe(false); // half a token
    expect(sentAt(100)).toBe(true); // 10/s: one per 100 ms
    expect(sentAt(100)).toBe(false);
    expect(r.stats).toEqual({ sent: 4, rateLimited: 3, tooSmall: 0 });
  });

  it("sends nothing without connection IDs of the endpoint's length (§10.3.2)", () => {
    const out = new Uint8Array(1500);
    expect(new StatelessResetResponder(key, 0, seededBytes(1)).respond(0, shortPacket(1200), new Uint8Array(0), out)).toBe(0);
    expect(responder().respond(0, shortPacket(1200), CID.subarray(0, 4), out)).toBe(0);
  });
});

describe("StatelessResetDetector (§10.3.1)", () => {
  const remote = { address: "198.51.100.1", port: 4433 };
  const fake = (address: { address: string; port: number }, token: Uint8Array) => {
    const conn = {
      remoteAddress: address,
      reset: false,
      handleStatelessReset(_now: number, datagram: Uint8Array): boolean {
        if (!matchesResetToken(datagram, token)) return false;
        conn.reset = true;
        return true;
      },
    };
    return conn;
  };

  it("asks only the connections with the sender's address, and finds the one whose token ends the datagram", () => {
    const detector = new StatelessResetDetector<ReturnType<typeof fake>>();
    const tokenA = new Uint8Array(16).fill(1);
    const tokenB = new Uint8Array(16).fill(2);
    const a = fake(remote, tokenA);
    const b = fake(remote, tokenB);
    const elsewhere = fake({ ...remote, port: 4434 }, tokenB);
    for (const c of [a, b, elsewhere]) detector.add(c);
    const reset = shortPacket(50);
    reset.set(tokenB, 34);
    expect(detector.detect(0, reset, remote)).toBe(b);
    expect([a.reset, b.reset, elsewhere.reset]).toEqual([false, true, false]);
    detector.delete(b);
    expect(detector.detect(0, reset, remote)).toBeUndefined();
    expect(detector.detect(0, reset, { address: "203.0.113.9", port: 1 })).toBeUndefined();
  });
});
