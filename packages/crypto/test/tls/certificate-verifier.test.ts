/**
 * `createCertificateVerifier` around the path checks: path building (a
 * trusted leaf is a path of one; an issuer found by name whose key did not
 * sign is `bad-signature`, no issuer by name is `unknown-ca`), the chain
 * limits, unparsable certificates, host-name and IP checks (subjectAltName
 * only, never the common name), parsed certificates not aliasing the
 * caller's buffers, the bounded cache of shared verifiers, and the
 * test-only accept-anything verifier.
 */
import { rootCertificates } from "node:tls";
import { describe, expect, test } from "vitest";
import {
  type CertificateFailureReason,
  createCertificateVerifier,
  dangerouslyAcceptAnyCertificateForTestsOnly,
  pemCertificates,
  sharedCertificateVerifier,
  TlsCertificateError,
} from "../../src/tls/index.js";
import { type CertificateOptions, type GeneratedCertificate, generateCertificate } from "../../src/tls/pki/certificate-generator.js";
import { MAX_CHAIN_CERTIFICATES } from "../../src/tls/pki/certificates.js";

const root = generateCertificate({ commonName: "verifier root", isCa: true, subjectAltNames: [] });
const ca = (commonName: string, issuer: GeneratedCertificate, options: CertificateOptions = {}): GeneratedCertificate =>
  generateCertificate({ commonName, isCa: true, subjectAltNames: [], issuer, ...options });
const leafOf = (issuer: GeneratedCertificate, options: CertificateOptions = {}): GeneratedCertificate =>
  generateCertificate({ issuer, ...options });
const intermediate = ca("verifier intermediate", root);

function refusal(fn: () => unknown): TlsCertificateError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TlsCertificateError);
    return error as TlsCertificateError;
  }
  return expect.fail("expected a refusal");
}

function expectRefusal(fn: () => unknown, reason: CertificateFailureReason, message: RegExp): TlsCertificateError {
  const error = refusal(fn);
  expect(error.reason).toBe(reason);
  expect(error.message).toMatch(message);
  return error;
}

const now = (): Date => new Date();

describe("path building", () => {
  test("a certificate that is itself a trust anchor is a path of one, even when it names itself as issuer", () => {
    const selfSigned = generateCertificate({ commonName: "pinned" });
    for (const ca of [[selfSigned.certificatePem], [root.certificatePem, selfSigned.certificatePem]]) {
      const verifier = createCertificateVerifier({ ca: ca.join("") });
      expect(() => verifier.verify([selfSigned.certificateDer], { now: now(), serverName: "localhost" })).not.toThrow();
    }
  });

  test("an anchor by name whose key type cannot check the signature is bad-signature, not a crash", () => {
    const edRoot = generateCertificate({ commonName: "verifier root", isCa: true, subjectAltNames: [], keyType: "ed25519" });
    const leaf = leafOf(root);
    expect(
      refusal(() => createCertificateVerifier({ ca: edRoot.certificatePem }).verify([leaf.certificateDer], { now: now() })).reason,
    ).toBe("bad-signature");
  });

  test("an anchor found by name whose key did not sign is bad-signature, naming the certificate", () => {
    const impostorRoot = generateCertificate({ commonName: "verifier root", isCa: true, subjectAltNames: [] });
    const leaf = leafOf(impostorRoot, { commonName: "signed by impostor" });
    const verifier = createCertificateVerifier({ ca: root.certificatePem });
    expectRefusal(
      () => verifier.verify([leaf.certificateDer], { now: now() }),
      "bad-signature",
      /: signature on CN=signed by impostor does not verify with its issuer's key$/,
    );
  });

  test("no issuer by name is unknown-ca, naming the certificate and its issuer", () => {
    const verifier = createCertificateVerifier({ ca: root.certificatePem });
    const leaf = leafOf(intermediate, { commonName: "orphan" });
    expectRefusal(
      () => verifier.verify([leaf.certificateDer], { now: now() }),
      "unknown-ca",
      /: no trusted certificate authority issued CN=orphan \(issuer CN=verifier intermediate\)$/,
    );
  });

  test("the path-length refusal says how far it looked", () => {
    const cas = [root];
    for (let i = 0; i < 9; i++) cas.push(ca(`deep ${i}`, cas[cas.length - 1] as GeneratedCertificate));
    const issuers = cas.slice(1).reverse();
    const chain = [leafOf(issuers[0] as GeneratedCertificate).certificateDer, ...issuers.map((c) => c.certificateDer)];
    expectRefusal(
      () => createCertificateVerifier({ ca: root.certificatePem }).verify(chain, { now: now() }),
      "path-too-long",
      /: no trust anchor within 10 certificates of the leaf$/,
    );
  });
});

describe("the system roots", () => {
  test("anchor paths when no ca is given: a bundled root sent alone is found among them; a private root is not", () => {
    const verifier = createCertificateVerifier();
    const bundled = pemCertificates(rootCertificates[0] as string)[0] as Uint8Array;
    let reason: string | undefined;
    try {
      verifier.verify([bundled], { now: now() });
    } catch (error) {
      reason = (error as TlsCertificateError).reason;
    }
    expect(reason).not.toBe("unknown-ca");
    expectRefusal(() => verifier.verify([leafOf(root).certificateDer], { now: now() }), "unknown-ca", /no trusted certificate authority/);
  });
});

describe("remembered chains", () => {
  test("are keyed by their certificates, not by the concatenation of their bytes", () => {
    const leaf = leafOf(intermediate);
    const verifier = createCertificateVerifier({ ca: root.certificatePem });
    verifier.verify([leaf.certificateDer, intermediate.certificateDer], { now: now() });
    const joined = new Uint8Array(leaf.certificateDer.length + intermediate.certificateDer.length);
    joined.set(leaf.certificateDer);
    joined.set(intermediate.certificateDer, leaf.certificateDer.length);
    expect(() => verifier.verify([joined], { now: now() })).toThrow(TlsCertificateError);
  });
});

describe("what the verifier refuses before building a path", () => {
  const verifier = createCertificateVerifier({ ca: root.certificatePem });

  test("an empty chain", () => {
    expectRefusal(() => verifier.verify([], { now: now() }), "no-certificate", /: peer sent no certificate$/);
  });

  test(`${MAX_CHAIN_CERTIFICATES} certificates are read, ${MAX_CHAIN_CERTIFICATES + 1} are not`, () => {
    const leaf = leafOf(intermediate);
    const padded = (n: number): Uint8Array[] => [
      leaf.certificateDer,
      intermediate.certificateDer,
      ...Array.from({ length: n - 2 }, () => root.certificateDer),
    ];
    expect(() => verifier.verify(padded(MAX_CHAIN_CERTIFICATES), { now: now() })).not.toThrow();
    expectRefusal(
      () => verifier.verify(padded(MAX_CHAIN_CERTIFICATES + 1), { now: now() }),
      "path-too-long",
      /: peer sent 17 certificates; at most 16 are read$/,
    );
  });

  test("a certificate that does not parse is malformed, saying which one, with node:crypto's error as cause", () => {
    const garbage = Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00);
    const error = expectRefusal(
      () => verifier.verify([leafOf(intermediate).certificateDer, garbage], { now: now() }),
      "malformed",
      /: certificate 1 of the chain does not parse$/,
    );
    expect(error.cause).toBeInstanceOf(Error);
  });
});

describe("host names and addresses", () => {
  const verifier = createCertificateVerifier({ ca: root.certificatePem });

  test("a DNS name and an IP address are each checked against subjectAltName", () => {
    const leaf = leafOf(root, { subjectAltNames: ["service.test", "192.0.2.7"] });
    const chain = [leaf.certificateDer];
    expect(() => verifier.verify(chain, { now: now(), serverName: "service.test" })).not.toThrow();
    expect(() => verifier.verify(chain, { now: now(), serverName: "192.0.2.7" })).not.toThrow();
    expectRefusal(
      () => verifier.verify(chain, { now: now(), serverName: "other.test" }),
      "hostname-mismatch",
      /: certificate is not valid for other\.test \(DNS:service\.test, IP Address:192\.0\.2\.7\)$/,
    );
    expectRefusal(
      () => verifier.verify(chain, { now: now(), serverName: "192.0.2.8" }),
      "hostname-mismatch",
      /not valid for 192\.0\.2\.8 /,
    );
  });

  test("the common name is never used, even without a DNS subjectAltName", () => {
    const cnOnly = leafOf(root, { commonName: "cn.test", subjectAltNames: [] });
    expectRefusal(
      () => verifier.verify([cnOnly.certificateDer], { now: now(), serverName: "cn.test" }),
      "hostname-mismatch",
      /: certificate is not valid for cn\.test \(no subjectAltName\)$/,
    );
    const ipOnly = leafOf(root, { commonName: "cn2.test", subjectAltNames: ["192.0.2.9"] });
    expectRefusal(() => verifier.verify([ipOnly.certificateDer], { now: now(), serverName: "cn2.test" }), "hostname-mismatch", /cn2\.test/);
  });
});

describe("parsed certificates", () => {
  test("do not alias the caller's buffers: a refused chain stays refused after its buffers are reused", () => {
    // Names of equal length: zeroed, the intermediate's subject and issuer would compare equal (self-issued).
    const zero = ca("alias CA 0", root, { pathLength: 0 });
    const below = ca("alias CA 1", zero);
    const leaf = leafOf(below);
    const verifier = createCertificateVerifier({ ca: root.certificatePem });
    const copies = (): Uint8Array[] => [leaf, below, zero].map((c) => c.certificateDer.slice());
    const first = copies();
    expect(refusal(() => verifier.verify(first, { now: now() })).reason).toBe("path-length-exceeded");
    for (const der of first) der.fill(0);
    expect(refusal(() => verifier.verify(copies(), { now: now() })).reason).toBe("path-length-exceeded");
  });
});

describe("shared verifiers", () => {
  test("at most 16 sets of anchors are remembered, the oldest forgotten first", () => {
    const anchors = Array.from(
      { length: 17 },
      (_, i) => generateCertificate({ commonName: `shared ${i}`, isCa: true, subjectAltNames: [] }).certificatePem,
    );
    const first = anchors.slice(0, 16).map((pem) => sharedCertificateVerifier(pem));
    expect(anchors.slice(0, 16).map((pem) => sharedCertificateVerifier(pem))).toEqual(first);
    const seventeenth = sharedCertificateVerifier(anchors[16]);
    expect(sharedCertificateVerifier(anchors[16])).toBe(seventeenth);
    expect(sharedCertificateVerifier(anchors[2])).toBe(first[2]);
    expect(sharedCertificateVerifier(anchors[0])).not.toBe(first[0]);
  });

  test("without anchors, one verifier of the system roots is shared", () => {
    const verifier = sharedCertificateVerifier(undefined);
    expect(typeof verifier.verify).toBe("function");
    expect(sharedCertificateVerifier(undefined)).toBe(verifier);
  });

  test("anchor sets are told apart by certificate, not by their concatenated bytes", () => {
    const a = generateCertificate({ commonName: "set a", isCa: true, subjectAltNames: [] }).certificateDer;
    const b = generateCertificate({ commonName: "set b", isCa: true, subjectAltNames: [] }).certificateDer;
    const joined = new Uint8Array(a.length + b.length);
    joined.set(a);
    joined.set(b, a.length);
    expect(typeof sharedCertificateVerifier([a, b]).verify).toBe("function");
    expect(() => sharedCertificateVerifier(joined)).toThrow(TlsCertificateError);
  });

  test("anchors that are neither PEM nor DER are refused, naming the option", () => {
    const bad = 42 as unknown as string;
    expect(() => sharedCertificateVerifier(bad)).toThrow(/^ca must be PEM text, DER bytes or an array of them$/);
    expect(() => createCertificateVerifier({ ca: bad })).toThrow(/^ca must be PEM text, DER bytes or an array of them$/);
  });
});

describe("the accept-anything verifier (tests only)", () => {
  test("still refuses an empty chain and returns the leaf's key", () => {
    const verifier = dangerouslyAcceptAnyCertificateForTestsOnly();
    expectRefusal(() => verifier.verify([], { now: now() }), "no-certificate", /: peer sent no certificate$/);
    const leaf = leafOf(intermediate);
    const key = verifier.verify([leaf.certificateDer], { now: new Date(0) });
    expect(key).toBeDefined();
    expect(key).toEqual(
      createCertificateVerifier({ ca: root.certificatePem }).verify([leaf.certificateDer, intermediate.certificateDer], { now: now() }),
    );
  });
});
