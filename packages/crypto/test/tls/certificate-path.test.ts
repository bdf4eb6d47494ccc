/**
 * X.509 path validation (issue 10, item 5): hostile chains built with the
 * certificate generator are refused with the right typed reason, good ones
 * are accepted, the TLS engines send the matching alert, and `openssl
 * verify` reaches the same verdict on the same chains.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import fc from "fast-check";
import { afterAll, describe, expect, test } from "vitest";
import {
  type CertificateFailureReason,
  createCertificateVerifier,
  pemCertificates,
  TlsCertificateError,
  TlsClientEngine,
  TlsConnection,
  TlsPeerAlertError,
  TlsServerEngine,
} from "../../src/tls/index.js";
import { type CertificateOptions, type GeneratedCertificate, generateCertificate } from "../../src/tls/pki/certificate-generator.js";
import { certificateFields, KeyUsageBit } from "../../src/tls/pki/x509/certificate-fields.js";
import { PROCESSED_EXTENSIONS } from "../../src/tls/pki/x509/path-checks.js";
import { AlertDescription } from "../../src/tls/wire/constants.js";
import { OPENSSL, opensslAvailable, tempFiles } from "./openssl.js";
import { pump } from "./support.js";

const DAY = 86_400_000;
/** An extension no verifier knows: a private-enterprise OID with an empty SEQUENCE as its value. */
const UNKNOWN_EXTENSION = { oid: "1.3.6.1.4.1.55555.1.1", critical: true, value: Uint8Array.of(0x30, 0x00) };

const root = generateCertificate({ commonName: "path root", isCa: true, subjectAltNames: [] });
const ca = (commonName: string, issuer: GeneratedCertificate, options: CertificateOptions = {}): GeneratedCertificate =>
  generateCertificate({ commonName, isCa: true, subjectAltNames: [], issuer, ...options });
const leafOf = (issuer: GeneratedCertificate, options: CertificateOptions = {}): GeneratedCertificate =>
  generateCertificate({ issuer, ...options });

interface Case {
  readonly name: string;
  /** Leaf first, then the intermediates the peer sends; `root` is the only trust anchor. */
  readonly chain: readonly GeneratedCertificate[];
  readonly role: "server" | "client";
  /** undefined: accepted. */
  readonly reason: CertificateFailureReason | undefined;
  /** What `openssl verify` says, when the case is one it judges the same way (undefined: not compared). */
  readonly openssl?: "OK" | RegExp;
}

const intermediate = ca("intermediate", root);
const pathLenZero = ca("pathLen 0 CA", root, { pathLength: 0 });
const belowPathLenZero = ca("CA below pathLen 0", pathLenZero);
const pathLenOne = ca("pathLen 1 CA", root, { pathLength: 1 });
const belowPathLenOne = ca("CA below pathLen 1", pathLenOne);
const criticalIntermediate = ca("critical intermediate", root, { extraExtensions: [UNKNOWN_EXTENSION] });
const notCa = leafOf(root, { commonName: "leaf acting as CA" });
const noBasicConstraints = ca("CA without basicConstraints", root, { omitBasicConstraints: true });
const noCertSign = ca("CA without keyCertSign", root, { keyUsage: ["digitalSignature", "cRLSign"] });
const clientOnlyCa = ca("clientAuth-only CA", root, { extendedKeyUsage: ["clientAuth"] });
const expiredIntermediate = ca("expired intermediate", root, {
  notBefore: new Date(Date.now() - 30 * DAY),
  notAfter: new Date(Date.now() - DAY),
});

// `openssl verify` prints "error N at D depth lookup: <text>"; N is the stable X509_V_ERR_* number.
const UNHANDLED = /error 34 at/; // X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION
const PURPOSE = /error 26 at/; // X509_V_ERR_INVALID_PURPOSE
const INVALID_CA = /error 79 at/; // X509_V_ERR_INVALID_CA

const CASES: readonly Case[] = [
  { name: "leaf, intermediate, root", chain: [leafOf(intermediate), intermediate], role: "server", reason: undefined, openssl: "OK" },
  {
    name: "unknown critical extension on the leaf",
    chain: [leafOf(intermediate, { extraExtensions: [UNKNOWN_EXTENSION] }), intermediate],
    role: "server",
    reason: "unknown-critical-extension",
    openssl: UNHANDLED,
  },
  {
    name: "unknown critical extension on the intermediate",
    chain: [leafOf(criticalIntermediate), criticalIntermediate],
    role: "server",
    reason: "unknown-critical-extension",
    openssl: UNHANDLED,
  },
  {
    name: "unknown non-critical extension (ignored)",
    chain: [leafOf(intermediate, { extraExtensions: [{ ...UNKNOWN_EXTENSION, critical: false }] }), intermediate],
    role: "server",
    reason: undefined,
    openssl: "OK",
  },
  {
    name: "pathLen 0 intermediate followed by another CA",
    chain: [leafOf(belowPathLenZero), belowPathLenZero, pathLenZero],
    role: "server",
    reason: "path-length-exceeded",
    openssl: /error 25 at/, // X509_V_ERR_PATH_LENGTH_EXCEEDED
  },
  {
    name: "pathLen 0 intermediate issuing the leaf",
    chain: [leafOf(pathLenZero), pathLenZero],
    role: "server",
    reason: undefined,
    openssl: "OK",
  },
  {
    name: "pathLen 1 intermediate followed by one CA",
    chain: [leafOf(belowPathLenOne), belowPathLenOne, pathLenOne],
    role: "server",
    reason: undefined,
    openssl: "OK",
  },
  {
    name: "leaf without serverAuth used as a server",
    chain: [leafOf(intermediate, { extendedKeyUsage: ["clientAuth"] }), intermediate],
    role: "server",
    reason: "bad-extended-key-usage",
    openssl: PURPOSE,
  },
  {
    name: "leaf without serverAuth used as a client",
    chain: [leafOf(intermediate, { extendedKeyUsage: ["clientAuth"] }), intermediate],
    role: "client",
    reason: undefined,
    openssl: "OK",
  },
  {
    name: "client certificate without clientAuth",
    chain: [leafOf(intermediate, { extendedKeyUsage: ["serverAuth"] }), intermediate],
    role: "client",
    reason: "bad-extended-key-usage",
    openssl: PURPOSE,
  },
  {
    name: "anyExtendedKeyUsage serves either role",
    chain: [leafOf(intermediate, { extendedKeyUsage: ["anyExtendedKeyUsage"] }), intermediate],
    role: "client",
    reason: undefined,
  },
  {
    name: "no extendedKeyUsage at all serves either role",
    chain: [leafOf(intermediate, { extendedKeyUsage: null }), intermediate],
    role: "server",
    reason: undefined,
    openssl: "OK",
  },
  {
    name: "intermediate restricted to clientAuth issuing a server leaf",
    chain: [leafOf(clientOnlyCa), clientOnlyCa],
    role: "server",
    reason: "bad-extended-key-usage",
    openssl: PURPOSE,
  },
  {
    // OpenSSL's sslserver purpose also takes keyEncipherment or keyAgreement (TLS 1.2 RSA/ECDH); TLS 1.3 only signs.
    name: "keyUsage without digitalSignature (nonRepudiation only)",
    chain: [leafOf(intermediate, { keyUsage: ["nonRepudiation"] }), intermediate],
    role: "server",
    reason: "bad-key-usage",
    openssl: PURPOSE,
  },
  {
    name: "keyUsage keyEncipherment only (TLS 1.3 cannot use it; OpenSSL's TLS 1.2-era purpose check can)",
    chain: [leafOf(intermediate, { keyUsage: ["keyEncipherment"] }), intermediate],
    role: "server",
    reason: "bad-key-usage",
  },
  { name: "issuer that is not a CA", chain: [leafOf(notCa), notCa], role: "server", reason: "not-a-ca", openssl: INVALID_CA },
  {
    name: "issuer without basicConstraints",
    chain: [leafOf(noBasicConstraints), noBasicConstraints],
    role: "server",
    reason: "not-a-ca",
    openssl: INVALID_CA,
  },
  {
    name: "CA whose keyUsage lacks keyCertSign",
    chain: [leafOf(noCertSign), noCertSign],
    role: "server",
    reason: "not-a-ca",
    openssl: INVALID_CA,
  },
  {
    name: "expired intermediate",
    chain: [leafOf(expiredIntermediate), expiredIntermediate],
    role: "server",
    reason: "expired",
    openssl: /error 10 at/, // X509_V_ERR_CERT_HAS_EXPIRED
  },
  {
    name: "leaf valid only from tomorrow",
    chain: [leafOf(intermediate, { notBefore: new Date(Date.now() + DAY) }), intermediate],
    role: "server",
    reason: "not-yet-valid",
    openssl: /error 9 at/, // X509_V_ERR_CERT_NOT_YET_VALID
  },
  {
    name: "intermediate missing from the chain (no name chains to an anchor)",
    chain: [leafOf(intermediate)],
    role: "server",
    reason: "unknown-ca",
    openssl: /error 20 at/, // X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
  },
  {
    name: "impostor intermediate: right name, other key",
    chain: [leafOf(intermediate), ca("intermediate", root)],
    role: "server",
    reason: "bad-signature",
    // OpenSSL builds by name and key identifier, finds no issuer whose key matches: 20, or 7 (signature failure).
    openssl: /error (20|7) at/,
  },
];

function reasonOf(chain: readonly GeneratedCertificate[], role: "server" | "client"): CertificateFailureReason | undefined {
  const verifier = createCertificateVerifier({ ca: root.certificatePem });
  try {
    verifier.verify(
      chain.map((c) => c.certificateDer),
      { serverName: role === "server" ? "localhost" : undefined, now: new Date(), role },
    );
    return undefined;
  } catch (error) {
    if (error instanceof TlsCertificateError) return error.reason;
    throw error;
  }
}

describe("path validation refuses hostile chains with a typed reason", () => {
  test.each(CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    expect(reasonOf(c.chain, c.role)).toBe(c.reason);
  });

  test("a remembered chain is checked again for a different role", () => {
    const serverOnly = leafOf(intermediate, { extendedKeyUsage: ["serverAuth"] });
    const verifier = createCertificateVerifier({ ca: root.certificatePem });
    const chain = [serverOnly.certificateDer, intermediate.certificateDer];
    verifier.verify(chain, { serverName: "localhost", now: new Date(), role: "server" });
    expect(() => verifier.verify(chain, { now: new Date(), role: "client" })).toThrow(
      expect.objectContaining({ reason: "bad-extended-key-usage" }),
    );
  });

  test("a path longer than 10 certificates is refused; 10 are accepted", () => {
    const cas = [root];
    for (let i = 0; i < 9; i++) cas.push(ca(`deep CA ${i}`, cas[cas.length - 1] as GeneratedCertificate));
    const chainBelow = (n: number): Uint8Array[] => {
      const issuers = cas.slice(1, n + 1).reverse();
      return [leafOf(issuers[0] ?? root).certificateDer, ...issuers.map((c) => c.certificateDer)];
    };
    const verifier = createCertificateVerifier({ ca: root.certificatePem });
    expect(() => verifier.verify(chainBelow(8), { now: new Date() })).not.toThrow(); // leaf + 8 + root = 10
    expect(() => verifier.verify(chainBelow(9), { now: new Date() })).toThrow(expect.objectContaining({ reason: "path-too-long" }));
  });

  test("a Certificate message with more than 16 certificates is refused before parsing", () => {
    const verifier = createCertificateVerifier({ ca: root.certificatePem });
    const chain = [leafOf(intermediate).certificateDer, ...new Array<Uint8Array>(16).fill(Uint8Array.of(0x30, 0x00))];
    expect(() => verifier.verify(chain, { now: new Date() })).toThrow(expect.objectContaining({ reason: "path-too-long" }));
  });

  test("a second basicConstraints extension is malformed (RFC 5280 §4.2: one instance per extension)", () => {
    const twice = leafOf(intermediate, { extraExtensions: [{ oid: "2.5.29.19", critical: true, value: Uint8Array.of(0x30, 0x00) }] });
    expect(reasonOf([twice, intermediate], "server")).toBe("malformed");
  });

  test("an empty extendedKeyUsage is malformed (RFC 5280 §4.2.1.12: at least one purpose)", () => {
    const empty = leafOf(intermediate, {
      extendedKeyUsage: null,
      extraExtensions: [{ oid: "2.5.29.37", critical: false, value: Uint8Array.of(0x30, 0x00) }],
    });
    expect(reasonOf([empty, intermediate], "server")).toBe("malformed");
  });

  test("the alert for each reason follows RFC 9846 §6.2 and OpenSSL's mapping", () => {
    const alert = (reason: CertificateFailureReason): number => new TlsCertificateError(reason, "").alert;
    expect(alert("unknown-critical-extension")).toBe(AlertDescription.unsupported_certificate);
    expect(alert("bad-key-usage")).toBe(AlertDescription.unsupported_certificate);
    expect(alert("bad-extended-key-usage")).toBe(AlertDescription.unsupported_certificate);
    expect(alert("path-length-exceeded")).toBe(AlertDescription.unknown_ca);
    expect(alert("path-too-long")).toBe(AlertDescription.unknown_ca);
    expect(alert("not-a-ca")).toBe(AlertDescription.unknown_ca);
    expect(alert("expired")).toBe(AlertDescription.certificate_expired);
  });
});

describe("openssl verify agrees on the same chains", () => {
  if (!opensslAvailable()) throw new Error("openssl 3.x must be on PATH (.ci/run installs it)");
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const compared = CASES.filter((c) => c.openssl !== undefined);

  test.each(compared.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const [leaf, ...intermediates] = c.chain as [GeneratedCertificate, ...GeneratedCertificate[]];
    const files = tempFiles({
      "root.pem": root.certificatePem,
      "untrusted.pem": intermediates.map((i) => i.certificatePem).join("") || root.certificatePem,
      "leaf.pem": leaf.certificatePem,
    });
    dirs.push(files.dir as string);
    const args = ["verify", "-CAfile", files["root.pem"] as string, "-untrusted", files["untrusted.pem"] as string];
    args.push("-purpose", c.role === "server" ? "sslserver" : "sslclient", files["leaf.pem"] as string);
    const result = spawnSync(OPENSSL, args, { encoding: "utf8" });
    const output = result.stdout + result.stderr;
    if (c.openssl === "OK") {
      expect(output).toMatch(/: OK/);
      expect(result.status).toBe(0);
    } else {
      expect(result.status).not.toBe(0);
      expect(output).toMatch(c.openssl as RegExp);
    }
    expect(reasonOf(c.chain, c.role) === undefined).toBe(c.openssl === "OK");
  });
});

/**
 * The same rules on certificates made by `openssl req` / `openssl x509 -req`, so neither the hostile inputs
 * nor their encoding come only from our own generator (AKID with issuer and serial, policies, SKI after
 * the others, OpenSSL's DER choices).
 */
describe("chains built by the openssl CLI", () => {
  if (!opensslAvailable()) throw new Error("openssl 3.x must be on PATH (.ci/run installs it)");
  const files = tempFiles({});
  const dir = files.dir as string;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[]): string => {
    const result = spawnSync(OPENSSL, args, { cwd: dir, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${result.stderr}`);
    return result.stdout + result.stderr;
  };
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  /** Issues `name` under `issuer` (self-signed without one) with the given v3 extension lines; returns its PEM. */
  const issue = (name: string, issuer: string | undefined, extensions: readonly string[]): string => {
    writeFileSync(join(dir, `${name}.cnf`), `[v3]\n${extensions.join("\n")}\n`);
    const ext = ["-extfile", `${name}.cnf`, "-extensions", "v3", "-days", "2", "-set_serial", `0x4${randomBytes(8).toString("hex")}`];
    run(["req", "-new", ...newKey, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`]);
    if (issuer === undefined) run(["x509", "-req", "-in", `${name}.csr`, "-key", `${name}.key`, ...ext, "-out", `${name}.pem`]);
    else run(["x509", "-req", "-in", `${name}.csr`, "-CA", `${issuer}.pem`, "-CAkey", `${issuer}.key`, ...ext, "-out", `${name}.pem`]);
    return readFileSync(join(dir, `${name}.pem`), "utf8");
  };
  const CA = [
    "basicConstraints=critical,CA:TRUE",
    "keyUsage=critical,keyCertSign,cRLSign",
    "subjectKeyIdentifier=hash",
    "authorityKeyIdentifier=keyid:always,issuer",
  ];
  const LEAF = [
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature",
    "subjectAltName=DNS:localhost",
    "authorityKeyIdentifier=keyid,issuer",
  ];
  const rootPem = issue("ossl-root", undefined, CA);
  const interPem = issue("ossl-inter", "ossl-root", ["basicConstraints=critical,CA:TRUE,pathlen:0", ...CA.slice(1)]);
  const subPem = issue("ossl-sub", "ossl-inter", CA);
  const constrainedPem = issue("ossl-constrained", "ossl-root", [...CA, "nameConstraints=critical,permitted;DNS:localhost"]);

  const ours = (pems: readonly string[], role: "server" | "client"): string => {
    try {
      createCertificateVerifier({ ca: rootPem }).verify(
        pems.flatMap((pem) => pemCertificates(pem)),
        { serverName: role === "server" ? "localhost" : undefined, now: new Date(), role },
      );
      return "OK";
    } catch (error) {
      if (error instanceof TlsCertificateError) return error.reason;
      throw error;
    }
  };
  const openssl = (pems: readonly string[], role: "server" | "client"): string => {
    writeFileSync(join(dir, "chain-leaf.pem"), pems[0] as string);
    writeFileSync(join(dir, "chain-untrusted.pem"), pems.slice(1).join("") || rootPem);
    const args = [
      "verify",
      "-CAfile",
      "ossl-root.pem",
      "-untrusted",
      "chain-untrusted.pem",
      "-purpose",
      role === "server" ? "sslserver" : "sslclient",
    ];
    const result = spawnSync(OPENSSL, [...args, "chain-leaf.pem"], { cwd: dir, encoding: "utf8" });
    return result.status === 0 ? "OK" : (/error (\d+) at/.exec(result.stdout + result.stderr)?.[1] ?? "failed");
  };

  test.each([
    [
      "a leaf with serverAuth, AKID issuer+serial and critical certificatePolicies",
      ["extendedKeyUsage=serverAuth", "certificatePolicies=critical,2.23.140.1.2.1"],
      [],
      "server",
      "OK",
      "OK",
    ],
    [
      "a leaf with an unknown critical extension",
      ["extendedKeyUsage=serverAuth", "1.3.6.1.4.1.55555.2=critical,DER:05:00"],
      [],
      "server",
      "unknown-critical-extension",
      "34",
    ],
    ["a clientAuth leaf used as a server", ["extendedKeyUsage=clientAuth"], [], "server", "bad-extended-key-usage", "26"],
    ["a serverAuth leaf used as a client", ["extendedKeyUsage=serverAuth"], [], "client", "bad-extended-key-usage", "26"],
    ["a leaf below a CA below a pathlen:0 intermediate", ["extendedKeyUsage=serverAuth"], ["sub"], "server", "path-length-exceeded", "25"],
    // Known difference: OpenSSL enforces name constraints; we do not process them, so a critical one is refused.
    [
      "a leaf below a CA with critical nameConstraints",
      ["extendedKeyUsage=serverAuth"],
      ["constrained"],
      "server",
      "unknown-critical-extension",
      "OK",
    ],
  ] as const)("%s", (_name, leafExtensions, via, role, expectedOurs, expectedOpenssl) => {
    const issuer = via.length === 0 ? "ossl-inter" : via[0] === "sub" ? "ossl-sub" : "ossl-constrained";
    const leafPem = issue(`leaf-${randomBytes(4).toString("hex")}`, issuer, [...LEAF, ...leafExtensions]);
    const chain = via.length === 0 ? [leafPem, interPem] : via[0] === "sub" ? [leafPem, subPem, interPem] : [leafPem, constrainedPem];
    expect(ours(chain, role)).toBe(expectedOurs);
    expect(openssl(chain, role)).toBe(expectedOpenssl);
  });
});

describe("the engines send the alert that matches the reason", () => {
  const serverLeaf = (options: CertificateOptions): GeneratedCertificate => leafOf(intermediate, options);
  const credentialsOf = (leaf: GeneratedCertificate) => ({
    certificate: leaf.certificatePem + intermediate.certificatePem,
    privateKey: leaf.privateKeyPem,
  });

  test.each([
    [
      "unknown critical extension",
      { extraExtensions: [UNKNOWN_EXTENSION] },
      "unknown-critical-extension",
      AlertDescription.unsupported_certificate,
    ],
    ["no serverAuth", { extendedKeyUsage: ["clientAuth"] }, "bad-extended-key-usage", AlertDescription.unsupported_certificate],
    ["no digitalSignature", { keyUsage: ["keyEncipherment"] }, "bad-key-usage", AlertDescription.unsupported_certificate],
  ] as const)("client refusing a server certificate with %s", (_name, options, reason, alert) => {
    const c = new TlsConnection(new TlsClientEngine({ serverName: "localhost", ca: root.certificatePem }));
    const s = new TlsConnection(new TlsServerEngine({ credentials: credentialsOf(serverLeaf(options)) }));
    c.start();
    expect(() => pump(c, s)).toThrow(TlsCertificateError);
    expect((c.error as TlsCertificateError).reason).toBe(reason);
    expect(() => pump(c, s)).toThrow(TlsPeerAlertError);
    expect((s.error as TlsPeerAlertError).alert).toBe(alert);
  });

  test("server refusing a client certificate without clientAuth sends unsupported_certificate", () => {
    const clientLeaf = leafOf(intermediate, { extendedKeyUsage: ["serverAuth"] });
    const serverCredentials = credentialsOf(serverLeaf({}));
    const c = new TlsConnection(
      new TlsClientEngine({ serverName: "localhost", ca: root.certificatePem, clientCertificate: credentialsOf(clientLeaf) }),
    );
    const s = new TlsConnection(
      new TlsServerEngine({ credentials: serverCredentials, clientAuthentication: "require", clientCa: root.certificatePem }),
    );
    c.start();
    expect(() => pump(c, s)).toThrow(TlsCertificateError);
    expect((s.error as TlsCertificateError).reason).toBe("bad-extended-key-usage");
    expect(() => pump(c, s)).toThrow(TlsPeerAlertError);
    expect((c.error as TlsPeerAlertError).alert).toBe(AlertDescription.unsupported_certificate);
  });
});

describe("the DER reader", () => {
  test("reads every root certificate Node bundles, and each one can anchor a path", () => {
    for (const pem of rootCertificates) {
      const fields = certificateFields(pemCertificates(pem)[0] as Uint8Array);
      expect(fields.subject.length).toBeGreaterThan(0);
      expect(fields.basicConstraints?.ca).toBe(true);
      if (fields.keyUsage !== undefined) expect(fields.keyUsage & KeyUsageBit.keyCertSign).not.toBe(0);
      expect(fields.extensions.filter((e) => e.critical && !PROCESSED_EXTENSIONS.has(e.oid))).toEqual([]);
      expect(fields.extendedKeyUsage).toBeUndefined();
    }
  });

  test("refuses non-minimal and indefinite lengths and trailing bytes", () => {
    const der = leafOf(intermediate).certificateDer;
    expect(der[1]).toBe(0x82); // SEQUENCE with a two-byte length
    const reasonFor = (bytes: Uint8Array): string | undefined => {
      try {
        certificateFields(bytes);
        return undefined;
      } catch (error) {
        return error instanceof TlsCertificateError ? error.reason : String(error);
      }
    };
    expect(reasonFor(der)).toBeUndefined();
    const threeByteLength = Uint8Array.from([0x30, 0x83, 0x00, ...der.subarray(2)]);
    expect(reasonFor(threeByteLength)).toBe("malformed");
    const indefinite = Uint8Array.from([0x30, 0x80, ...der.subarray(4), 0x00, 0x00]);
    expect(reasonFor(indefinite)).toBe("malformed");
    expect(reasonFor(Uint8Array.from([...der, 0x00]))).toBe("malformed");
  });

  test("refuses random and mutated input only with a malformed TlsCertificateError", () => {
    const real = leafOf(intermediate).certificateDer;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }),
          fc.tuple(fc.nat(), fc.nat(255)).map(([at, byte]) => {
            const copy = real.slice();
            copy[at % copy.length] = byte;
            return copy;
          }),
        ),
        (bytes) => {
          try {
            certificateFields(bytes);
          } catch (error) {
            expect(error).toBeInstanceOf(TlsCertificateError);
            expect((error as TlsCertificateError).reason).toBe("malformed");
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
