/**
 * NEW_TOKEN tokens are accepted once (RFC 9000 §8.1.4): the replay filter
 * remembers a token's nonce until the token expires, within a bounded
 * number of entries; a Retry-enforcing server treats a replayed token as
 * no token (a Retry), not as an error.
 */
import { describe, expect, it } from "vitest";
import { AddressValidator } from "../../src/proto/endpoint/address-validation.js";
import { TokenReplayFilter } from "../../src/proto/endpoint/token-replay.js";
import { PacketHeader } from "../../src/proto/wire/packet-header.js";
import { QuicVersion } from "../../src/proto/wire/version.js";
import { PROVIDERS } from "../vectors/support.js";
import { seededBytes } from "./support.js";

const nonce = (n: number) => new Uint8Array(12).fill(n);
const CLIENT = { address: "192.0.2.1", port: 50_000 };

describe("TokenReplayFilter", () => {
  it("accepts a nonce once until its expiry, then again", () => {
    const f = new TokenReplayFilter(10);
    expect(f.firstUse(nonce(1), 0, 100)).toBe(true);
    expect(f.firstUse(nonce(1), 50, 100)).toBe(false);
    expect(f.firstUse(nonce(1), 100, 100)).toBe(false);
    expect(f.firstUse(nonce(1), 101, 200)).toBe(true); // the token itself would have expired: the entry is stale
    expect(f.firstUse(nonce(2), 101, 200)).toBe(true);
  });

  it("never holds more than its capacity, forgetting the oldest first", () => {
    const f = new TokenReplayFilter(3);
    for (let i = 0; i < 10; i++) expect(f.firstUse(nonce(i), 0, 1000)).toBe(true);
    expect(f.size).toBe(3);
    expect(f.firstUse(nonce(9), 0, 1000)).toBe(false); // recent: remembered
    expect(f.firstUse(nonce(0), 0, 1000)).toBe(true); // evicted: the documented trade-off of a bounded cache
  });

  it("drops expired entries as new ones arrive", () => {
    const f = new TokenReplayFilter(100);
    for (let i = 0; i < 50; i++) f.firstUse(nonce(i), 0, 10);
    f.firstUse(nonce(200), 11, 100);
    expect(f.size).toBe(1);
  });

  it("filters nothing with capacity 0", () => {
    const f = new TokenReplayFilter(0);
    expect(f.firstUse(nonce(1), 0, 100)).toBe(true);
    expect(f.firstUse(nonce(1), 0, 100)).toBe(true);
    expect(() => new TokenReplayFilter(-1)).toThrow(RangeError);
  });
});

describe("AddressValidator and NEW_TOKEN replay (§8.1.4)", () => {
  const provider = PROVIDERS[0]!;
  const initialWith = (token: Uint8Array): PacketHeader => {
    const h = new PacketHeader();
    h.type = "initial";
    h.long = true;
    h.version = QuicVersion.V1;
    h.dcid = new Uint8Array(8).fill(1);
    h.scid = new Uint8Array(8).fill(2);
    h.token = token;
    return h;
  };

  it("accepts a NEW_TOKEN token once; its replay gets a Retry", () => {
    const v = new AddressValidator(provider, seededBytes(1), { retry: true });
    const token = v.tokens.issueNewToken(0, CLIENT);
    expect(v.decide(10, initialWith(token), CLIENT)).toEqual({ action: "accept", addressValidated: true, retry: undefined });
    expect(v.decide(20, initialWith(token), CLIENT)).toEqual({ action: "retry" });
    // Another token of the same client is fine.
    expect(v.decide(30, initialWith(v.tokens.issueNewToken(25, CLIENT)), CLIENT).action).toBe("accept");
  });

  it("without Retry, a replayed token is accepted but unvalidated (3x limit applies)", () => {
    const v = new AddressValidator(provider, seededBytes(2), {});
    const token = v.tokens.issueNewToken(0, CLIENT);
    expect(v.decide(10, initialWith(token), CLIENT)).toMatchObject({ action: "accept", addressValidated: true });
    expect(v.decide(20, initialWith(token), CLIENT)).toMatchObject({ action: "accept", addressValidated: false });
  });

  it("can be disabled (newTokenReplayCapacity: 0)", () => {
    const v = new AddressValidator(provider, seededBytes(3), { retry: true, newTokenReplayCapacity: 0 });
    const token = v.tokens.issueNewToken(0, CLIENT);
    expect(v.decide(10, initialWith(token), CLIENT).action).toBe("accept");
    expect(v.decide(20, initialWith(token), CLIENT).action).toBe("accept");
  });
});
