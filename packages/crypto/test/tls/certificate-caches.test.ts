/**
 * What the handshake remembers between connections, and what it must still
 * check every time: a verifier remembers the path of a chain that verified
 * (signatures depend only on the bytes), but validity periods and the host
 * name are checked on each connection; verifiers are shared per set of
 * anchors, never across different anchors; PEM credentials are loaded once
 * per input object.
 */
import { describe, expect, test } from "vitest";
import { getProvider } from "../../src/index.js";
import { createCertificateVerifier, type PeerPublicKey, sharedCertificateVerifier, TlsCertificateError } from "../../src/tls/index.js";
import { toCredentials } from "../../src/tls/pki/credentials.js";
import { testPki } from "./support.js";

const pki = testPki();
const DAY = 86_400_000;

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof TlsCertificateError) return error.reason;
    throw error;
  }
  return undefined;
}

describe("a verifier remembering verified chains", () => {
  const chain = [pki.leaf.certificateDer, pki.ca.certificateDer];

  test("still checks the host name on every call", () => {
    const verifier = createCertificateVerifier({ ca: pki.ca.certificatePem });
    const first: PeerPublicKey = verifier.verify(chain, { serverName: "localhost", now: new Date() });
    expect(first.kind).toBe("ecdsa-p256");
    expect(reasonOf(() => verifier.verify(chain, { serverName: "example.com", now: new Date() }))).toBe("hostname-mismatch");
    expect(verifier.verify(chain, { serverName: "127.0.0.1", now: new Date() })).toBe(first);
  });

  test("still checks validity on every call, leaf and anchor alike", () => {
    const verifier = createCertificateVerifier({ ca: pki.ca.certificatePem });
    verifier.verify(chain, { serverName: "localhost", now: new Date() });
    expect(reasonOf(() => verifier.verify(chain, { serverName: "localhost", now: new Date(Date.now() + 400 * DAY) }))).toBe("expired");
    expect(reasonOf(() => verifier.verify(chain, { serverName: "localhost", now: new Date(Date.now() - 2 * DAY) }))).toBe("not-yet-valid");
  });

  test("remembers nothing from a refused chain, and nothing across anchors", () => {
    const ours = createCertificateVerifier({ ca: pki.ca.certificatePem });
    const other = createCertificateVerifier({ ca: pki.otherCa.certificatePem });
    ours.verify(chain, { serverName: "localhost", now: new Date() });
    expect(reasonOf(() => other.verify(chain, { serverName: "localhost", now: new Date() }))).toBe("unknown-ca");
    expect(reasonOf(() => other.verify(chain, { serverName: "localhost", now: new Date() }))).toBe("unknown-ca");
  });

  test("a chain differing in one byte is verified afresh (and refused)", () => {
    const verifier = createCertificateVerifier({ ca: pki.ca.certificatePem });
    verifier.verify(chain, { serverName: "localhost", now: new Date() });
    const tampered = pki.leaf.certificateDer.slice();
    // The last byte belongs to the signature: the certificate still parses, its signature no longer verifies.
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
    const reason = reasonOf(() => verifier.verify([tampered, pki.ca.certificateDer], { serverName: "localhost", now: new Date() }));
    expect(["bad-signature", "unknown-ca", "malformed"]).toContain(reason);
  });
});

describe("shared verifiers", () => {
  test("the same anchors (by bytes, PEM or DER) share one verifier; other anchors do not", () => {
    const a = sharedCertificateVerifier(pki.ca.certificatePem);
    expect(sharedCertificateVerifier(`${pki.ca.certificatePem}`)).toBe(a);
    expect(sharedCertificateVerifier(pki.ca.certificateDer.slice())).toBe(a);
    expect(sharedCertificateVerifier(pki.otherCa.certificatePem)).not.toBe(a);
    expect(sharedCertificateVerifier(undefined)).toBe(sharedCertificateVerifier(undefined));
  });
});

describe("credentials", () => {
  test("PEM input is loaded once per input object; a new object is loaded again", () => {
    const provider = getProvider("node");
    const input = { certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem };
    const first = toCredentials(input, provider);
    expect(toCredentials(input, provider)).toBe(first);
    expect(toCredentials({ ...input }, provider)).not.toBe(first);
  });

  test("replacing the certificate or key of the same object loads the new ones", () => {
    const provider = getProvider("node");
    const input: { certificate: string; privateKey: string } = { certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem };
    const first = toCredentials(input, provider);
    input.certificate = pki.otherLeaf.certificatePem;
    input.privateKey = pki.otherLeaf.privateKeyPem;
    const rotated = toCredentials(input, provider);
    expect(rotated).not.toBe(first);
    expect(Buffer.from(rotated.certificateChain[0] as Uint8Array).equals(Buffer.from(pki.otherLeaf.certificateDer))).toBe(true);
  });
});
