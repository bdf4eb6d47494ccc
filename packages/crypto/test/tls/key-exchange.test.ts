/**
 * Key exchange for every group on both providers: the two sides agree
 * across providers (the node provider keeps ephemeral X25519 keys inside
 * OpenSSL, the noble provider works on raw bytes), and a malformed or
 * low-order peer share is illegal_parameter, never another exception.
 */
import { describe, expect, test } from "vitest";
import { getProvider, nobleProvider } from "../../src/index.js";
import { acceptKeyShare, createKeyShare, type NamedGroupName } from "../../src/tls/handshake/key-exchange.js";
import { TlsProtocolError } from "../../src/tls/index.js";

const node = getProvider("node");
const GROUPS: NamedGroupName[] = ["x25519", "secp256r1", "x25519mlkem768"];
const PAIRS = [
  ["node", node, "node", node],
  ["node", node, "noble", nobleProvider],
  ["noble", nobleProvider, "node", node],
] as const;

function alertOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof TlsProtocolError) return error.alertName;
    throw error;
  }
  return undefined;
}

describe.each(GROUPS)("%s", (group) => {
  test.each(PAIRS)("a %s client and a %s server derive the same secret", (_c, client, _s, server) => {
    for (let i = 0; i < 4; i++) {
      const offer = createKeyShare(client, group);
      const { serverShare, sharedSecret } = acceptKeyShare(server, group, offer.publicKey);
      expect(Buffer.from(offer.complete(serverShare)).toString("hex")).toBe(Buffer.from(sharedSecret).toString("hex"));
    }
  });

  test.each([
    ["node", node],
    ["noble", nobleProvider],
  ] as const)("a truncated share is illegal_parameter on the %s provider, both ways", (_name, provider) => {
    const offer = createKeyShare(provider, group);
    expect(alertOf(() => acceptKeyShare(provider, group, offer.publicKey.subarray(1)))).toBe("illegal_parameter");
    const { serverShare } = acceptKeyShare(provider, group, offer.publicKey);
    expect(alertOf(() => offer.complete(serverShare.subarray(1)))).toBe("illegal_parameter");
  });
});

describe.each([
  ["node", node],
  ["noble", nobleProvider],
] as const)("X25519 on the %s provider", (_name, provider) => {
  // u = 0 is of low order: the shared secret would be all zeros (RFC 7748 §6.1).
  const lowOrder = new Uint8Array(32);

  test("a low-order server share is illegal_parameter", () => {
    expect(alertOf(() => createKeyShare(provider, "x25519").complete(lowOrder))).toBe("illegal_parameter");
  });

  test("a low-order client share is illegal_parameter", () => {
    expect(alertOf(() => acceptKeyShare(provider, "x25519", lowOrder))).toBe("illegal_parameter");
  });

  test("each share is fresh", () => {
    const a = createKeyShare(provider, "x25519").publicKey;
    const b = createKeyShare(provider, "x25519").publicKey;
    expect(a).toHaveLength(32);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });
});
