/**
 * `checkPath` (RFC 5280 §6.1 as OpenSSL applies it) on paths assembled by
 * hand, so each rule is seen alone: which certificate a refusal names (the
 * leaf, an intermediate, the trust anchor), the exact validity boundaries,
 * self-issued CAs and pathLenConstraint, a version 1 certificate as trust
 * anchor only, and absent keyUsage / extendedKeyUsage meaning "no
 * restriction". Version 1 certificates come from the openssl CLI (the
 * generator writes version 3 only).
 */
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { type CertificateFailureReason, pemCertificates, TlsCertificateError } from "../../src/tls/index.js";
import { type CertificateOptions, type GeneratedCertificate, generateCertificate } from "../../src/tls/pki/certificate-generator.js";
import { certificateFields } from "../../src/tls/pki/x509/certificate-fields.js";
import { type CertificateRole, checkPath, isSelfIssued, type PathCertificate } from "../../src/tls/pki/x509/path-checks.js";
import { OPENSSL, opensslAvailable, tempFiles } from "./openssl.js";

const DAY = 86_400_000;
const UNKNOWN_EXTENSION = { oid: "1.3.6.1.4.1.55555.1.1", critical: true, value: Uint8Array.of(0x30, 0x00) };

const pathCert = (der: Uint8Array): PathCertificate => ({ x509: new X509Certificate(der), fields: certificateFields(der) });
const of = (c: GeneratedCertificate): PathCertificate => pathCert(c.certificateDer);

const root = generateCertificate({ commonName: "checks root", isCa: true, subjectAltNames: [] });
const ca = (commonName: string, issuer: GeneratedCertificate, options: CertificateOptions = {}): GeneratedCertificate =>
  generateCertificate({ commonName, isCa: true, subjectAltNames: [], issuer, ...options });
const leafOf = (issuer: GeneratedCertificate, options: CertificateOptions = {}): GeneratedCertificate =>
  generateCertificate({ issuer, ...options });

/** The refusal `checkPath` throws, or undefined when it accepts. */
function refusal(path: readonly PathCertificate[], role: CertificateRole = "server", now = new Date()): TlsCertificateError | undefined {
  try {
    checkPath(path, role, now);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(TlsCertificateError);
    return error as TlsCertificateError;
  }
}

function expectRefusal(
  path: readonly PathCertificate[],
  reason: CertificateFailureReason,
  message: RegExp,
  role: CertificateRole = "server",
  now?: Date,
): void {
  const error = refusal(path, role, now);
  expect(error?.reason).toBe(reason);
  expect(error?.message).toMatch(message);
}

const intermediate = ca("checks intermediate", root);

describe("which certificate a refusal names", () => {
  test("an unknown critical extension on the leaf, an intermediate or the anchor", () => {
    const oid = UNKNOWN_EXTENSION.oid.replaceAll(".", "\\.");
    const badLeaf = leafOf(intermediate, { commonName: "bad leaf", extraExtensions: [UNKNOWN_EXTENSION] });
    expectRefusal(
      [of(badLeaf), of(intermediate), of(root)],
      "unknown-critical-extension",
      new RegExp(`: certificate CN=bad leaf has critical extension ${oid}, which this verifier does not process$`),
    );
    const badCa = ca("bad intermediate", root, { extraExtensions: [UNKNOWN_EXTENSION] });
    expectRefusal(
      [of(leafOf(badCa)), of(badCa), of(root)],
      "unknown-critical-extension",
      /: intermediate CN=bad intermediate has critical/,
    );
    const badRoot = generateCertificate({ commonName: "bad root", isCa: true, subjectAltNames: [], extraExtensions: [UNKNOWN_EXTENSION] });
    expectRefusal([of(leafOf(badRoot)), of(badRoot)], "unknown-critical-extension", /: trust anchor CN=bad root has critical/);
  });

  test("an issuer that is not a CA: an intermediate or the anchor, saying which basicConstraints it lacks", () => {
    const notCa = leafOf(root, { commonName: "leaf as CA" });
    expectRefusal(
      [of(leafOf(notCa)), of(notCa), of(root)],
      "not-a-ca",
      /: intermediate CN=leaf as CA issued a certificate but is not a CA \(basicConstraints cA is false\)$/,
    );
    const bare = ca("bare CA", root, { omitBasicConstraints: true });
    expectRefusal(
      [of(leafOf(bare)), of(bare)],
      "not-a-ca",
      /: trust anchor CN=bare CA issued a certificate but is not a CA \(no basicConstraints\)$/,
    );
  });

  test("a CA whose keyUsage lacks keyCertSign; a CA without keyUsage at all may sign", () => {
    const noSign = ca("no keyCertSign", root, { keyUsage: ["digitalSignature", "cRLSign"] });
    expectRefusal(
      [of(leafOf(noSign)), of(noSign), of(root)],
      "not-a-ca",
      /: intermediate CN=no keyCertSign issued a certificate but its keyUsage lacks keyCertSign$/,
    );
    const noKeyUsage = ca("no keyUsage", root, { keyUsage: null });
    expect(refusal([of(leafOf(noKeyUsage)), of(noKeyUsage), of(root)])).toBeUndefined();
  });

  test("the leaf's keyUsage must allow digitalSignature; a leaf without keyUsage is not restricted", () => {
    const noSignature = leafOf(intermediate, { commonName: "encipher only", keyUsage: ["keyEncipherment"] });
    expectRefusal(
      [of(noSignature), of(intermediate), of(root)],
      "bad-key-usage",
      /: certificate CN=encipher only keyUsage does not include digitalSignature$/,
    );
    expect(refusal([of(leafOf(intermediate, { keyUsage: null })), of(intermediate), of(root)])).toBeUndefined();
  });

  test("extendedKeyUsage of the leaf, an intermediate and the anchor must allow the role", () => {
    const clientLeaf = leafOf(intermediate, { commonName: "client leaf", extendedKeyUsage: ["clientAuth"] });
    expectRefusal(
      [of(clientLeaf), of(intermediate), of(root)],
      "bad-extended-key-usage",
      /: certificate CN=client leaf is not for TLS server authentication \(extendedKeyUsage 1\.3\.6\.1\.5\.5\.7\.3\.2 lacks 1\.3\.6\.1\.5\.5\.7\.3\.1\)$/,
    );
    const signing = leafOf(intermediate, { commonName: "signing leaf", extendedKeyUsage: ["codeSigning", "emailProtection"] });
    expectRefusal(
      [of(signing), of(intermediate), of(root)],
      "bad-extended-key-usage",
      /\(extendedKeyUsage 1\.3\.6\.1\.5\.5\.7\.3\.3, 1\.3\.6\.1\.5\.5\.7\.3\.4 lacks 1\.3\.6\.1\.5\.5\.7\.3\.1\)$/,
    );
    const serverCa = ca("server-only CA", root, { extendedKeyUsage: ["serverAuth"] });
    expectRefusal(
      [of(leafOf(serverCa)), of(serverCa), of(root)],
      "bad-extended-key-usage",
      /: intermediate CN=server-only CA is not for TLS client/,
      "client",
    );
    const serverRoot = generateCertificate({
      commonName: "server-only root",
      isCa: true,
      subjectAltNames: [],
      extendedKeyUsage: ["serverAuth"],
    });
    expectRefusal(
      [of(leafOf(serverRoot)), of(serverRoot)],
      "bad-extended-key-usage",
      /: trust anchor CN=server-only root is not for TLS client/,
      "client",
    );
  });

  test("validity of the leaf, an intermediate and the anchor", () => {
    const past = { notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) };
    const oldLeaf = leafOf(intermediate, { commonName: "old leaf", ...past });
    expectRefusal([of(oldLeaf), of(intermediate), of(root)], "expired", /: certificate CN=old leaf expired on /);
    const oldCa = ca("old CA", root, past);
    expectRefusal([of(leafOf(oldCa)), of(oldCa), of(root)], "expired", /: intermediate CN=old CA expired on /);
    const oldRoot = generateCertificate({ commonName: "old root", isCa: true, subjectAltNames: [], ...past });
    expectRefusal([of(leafOf(oldRoot)), of(oldRoot)], "expired", /: trust anchor CN=old root expired on /);
    const futureRoot = generateCertificate({
      commonName: "future root",
      isCa: true,
      subjectAltNames: [],
      notBefore: new Date(Date.now() + DAY),
    });
    expectRefusal([of(leafOf(futureRoot)), of(futureRoot)], "not-yet-valid", /: trust anchor CN=future root is valid only from /);
  });

  test("a path of one is a trusted leaf, named as the certificate", () => {
    const lone = generateCertificate({ commonName: "lone", extendedKeyUsage: ["clientAuth"] });
    expectRefusal([of(lone)], "bad-extended-key-usage", /: certificate CN=lone is not for TLS server/);
    expect(refusal([of(lone)], "client")).toBeUndefined();
  });
});

describe("validity boundaries", () => {
  const notBefore = new Date(Date.UTC(2026, 0, 1, 0, 0, 0));
  const notAfter = new Date(Date.UTC(2026, 5, 1, 0, 0, 0));
  const dated = generateCertificate({ commonName: "dated root", isCa: true, subjectAltNames: [], notBefore, notAfter });
  const path = [of(dated)];

  test("valid from notBefore through notAfter, inclusive (RFC 5280 §4.1.2.5)", () => {
    expect(refusal(path, "server", notBefore)).toBeUndefined();
    expect(refusal(path, "server", notAfter)).toBeUndefined();
  });

  test("one millisecond outside either end is refused", () => {
    expect(refusal(path, "server", new Date(notBefore.getTime() - 1))?.reason).toBe("not-yet-valid");
    expect(refusal(path, "server", new Date(notAfter.getTime() + 1))?.reason).toBe("expired");
  });
});

describe("pathLenConstraint", () => {
  test("a self-issued CA below a pathLen 0 CA does not count (RFC 5280 §6.1.4 (l)); a differently named one does", () => {
    const zero = ca("pathLen zero", root, { pathLength: 0 });
    // Same subject name as its issuer, another key: a key rollover certificate.
    const rollover = ca("pathLen zero", zero);
    expect(isSelfIssued(of(rollover))).toBe(true);
    expect(isSelfIssued(of(zero))).toBe(false);
    expect(refusal([of(leafOf(rollover)), of(rollover), of(zero), of(root)])).toBeUndefined();
    const other = ca("another name", zero);
    expectRefusal(
      [of(leafOf(other)), of(other), of(zero), of(root)],
      "path-length-exceeded",
      /: intermediate CN=pathLen zero allows 0 intermediate CA certificate\(s\) below it \(pathLenConstraint\), the path has 1$/,
    );
  });
});

describe("version 1 certificates (no extensions)", () => {
  if (!opensslAvailable()) throw new Error("openssl 3.x must be on PATH (.ci/run installs it)");
  const files = tempFiles({
    "leaf.cnf": "[v3]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=DNS:localhost\n",
  });
  const dir = files.dir as string;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[]): void => {
    const result = spawnSync(OPENSSL, args, { cwd: dir, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${result.stderr}`);
  };
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  /** `name` issued by `issuer` (self-signed without one), version 1 unless `v3` names an extension file. */
  const issue = (name: string, issuer?: string, v3?: string): PathCertificate => {
    run(["req", "-new", ...newKey, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`]);
    const ext = v3 === undefined ? [] : ["-extfile", v3, "-extensions", "v3"];
    const signer = issuer === undefined ? ["-key", `${name}.key`] : ["-CA", `${issuer}.pem`, "-CAkey", `${issuer}.key`];
    run(["x509", "-req", "-in", `${name}.csr`, ...signer, ...ext, "-days", "2", "-out", `${name}.pem`]);
    return pathCert(pemCertificates(readFileSync(join(dir, `${name}.pem`), "utf8"))[0] as Uint8Array);
  };
  const v1Root = issue("v1-root");
  const v1Intermediate = issue("v1-intermediate", "v1-root");
  const leafUnderRoot = issue("leaf-root", "v1-root", "leaf.cnf");
  const leafUnderIntermediate = issue("leaf-intermediate", "v1-intermediate", "leaf.cnf");

  test("a version 1 trust anchor may issue (as OpenSSL accepts it)", () => {
    expect(v1Root.fields.version).toBe(1);
    expect(refusal([leafUnderRoot, v1Root])).toBeUndefined();
  });

  test("a version 1 intermediate is not a CA", () => {
    expectRefusal(
      [leafUnderIntermediate, v1Intermediate, v1Root],
      "not-a-ca",
      /: intermediate CN=v1-intermediate issued a certificate but is not a CA \(no basicConstraints\)$/,
    );
  });

  test("a version 3 trust anchor without basicConstraints is not a CA", () => {
    const bare = generateCertificate({ commonName: "bare v3 root", isCa: true, subjectAltNames: [], omitBasicConstraints: true });
    expectRefusal([of(leafOf(bare)), of(bare)], "not-a-ca", /: trust anchor CN=bare v3 root .* \(no basicConstraints\)$/);
  });
});
