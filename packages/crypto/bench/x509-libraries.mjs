/**
 * The measurement behind the README's "Why not a library" (X.509 path validation): our verifier
 * (node:crypto + src/tls/pki/x509) against @peculiar/x509 and pkijs, on time per cold chain and on
 * which hostile chains each refuses. The two libraries are not dependencies of this repository;
 * install them in a scratch directory and point X509_LIBS at it:
 *
 *   mkdir -p /tmp/x509-libs && (cd /tmp/x509-libs && npm init -y && npm install @peculiar/x509 reflect-metadata pkijs)
 *   cd packages/crypto && ../../node_modules/.bin/tsc -p tsconfig.bench.json && X509_LIBS=/tmp/x509-libs node bench/x509-libraries.mjs
 *
 * CHAINS (default 200) distinct root/intermediate/leaf ECDSA P-256 chains; ROUNDS (default 5) medians.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const libs = process.env.X509_LIBS;
if (libs === undefined) throw new Error("set X509_LIBS to a directory where @peculiar/x509, reflect-metadata and pkijs are installed");
const resolve = createRequire(join(libs, "package.json")).resolve;
const load = (name) => import(pathToFileURL(resolve(name)).href);
await load("reflect-metadata"); // @peculiar/x509 (tsyringe) refuses to load without this global polyfill
const px = await load("@peculiar/x509");
const pkijs = await load("pkijs");
const { generateCertificate } = await import("../.bench-dist/src/tls/pki/certificate-generator.js");
const { createCertificateVerifier } = await import("../.bench-dist/src/tls/pki/certificates.js");

const webcrypto = globalThis.crypto;
px.cryptoProvider.set(webcrypto);
pkijs.setEngine("node", new pkijs.CryptoEngine({ name: "node", crypto: webcrypto }));
const now = new Date();

/** Each library's verdict on a chain: leaf first, then intermediates; `root` the only anchor. */
const verifiers = {
  ours: async (root, chain) => {
    createCertificateVerifier({ ca: root }).verify(chain, { serverName: "localhost", now, role: "server" });
  },
  "@peculiar/x509": async (root, chain) => {
    // No validation engine: parse, verify each link's signature and validity, read the extensions a verifier needs.
    const certs = [...chain, root].map((der) => new px.X509Certificate(der));
    for (let i = 0; i + 1 < certs.length; i++)
      if (!(await certs[i].verify({ publicKey: certs[i + 1], date: now }))) throw new Error(`link ${i} does not verify`);
    for (const cert of certs)
      for (const type of [px.BasicConstraintsExtension, px.KeyUsagesExtension, px.ExtendedKeyUsageExtension]) cert.getExtension(type);
  },
  pkijs: async (root, chain) => {
    // pkijs takes the end-entity certificate last.
    const engine = new pkijs.CertificateChainValidationEngine({
      trustedCerts: [pkijs.Certificate.fromBER(root)],
      certs: [...chain].reverse().map((der) => pkijs.Certificate.fromBER(der)),
      checkDate: now,
    });
    const result = await engine.verify();
    if (!result.result) throw new Error(result.resultMessage);
  },
};

function hostileChains() {
  const g = generateCertificate;
  const unknown = { oid: "1.3.6.1.4.1.55555.1.1", critical: true, value: Uint8Array.of(0x30, 0) };
  const root = g({ commonName: "root", isCa: true, subjectAltNames: [] });
  const ca = (commonName, issuer, options = {}) => g({ commonName, isCa: true, subjectAltNames: [], issuer, ...options });
  const inter = ca("inter", root);
  const pathLenZero = ca("pathLen 0", root, { pathLength: 0 });
  const below = ca("below pathLen 0", pathLenZero);
  const notCa = g({ commonName: "not a CA", issuer: root });
  const noCertSign = ca("no keyCertSign", root, { keyUsage: ["digitalSignature"] });
  const critical = ca("critical", root, { extraExtensions: [unknown] });
  const chains = {
    "good chain (control)": [g({ issuer: inter }), inter],
    "unknown critical extension on the leaf": [g({ issuer: inter, extraExtensions: [unknown] }), inter],
    "unknown critical extension on the intermediate": [g({ issuer: critical }), critical],
    "pathLen 0 intermediate, then another CA": [g({ issuer: below }), below, pathLenZero],
    "issuer not a CA": [g({ issuer: notCa }), notCa],
    "CA without keyCertSign": [g({ issuer: noCertSign }), noCertSign],
    "clientAuth-only leaf used as a server": [g({ issuer: inter, extendedKeyUsage: ["clientAuth"] }), inter],
    "leaf keyUsage without digitalSignature": [g({ issuer: inter, keyUsage: ["keyEncipherment"] }), inter],
    "expired leaf": [g({ issuer: inter, notBefore: new Date(Date.now() - 9e8), notAfter: new Date(Date.now() - 1e8) }), inter],
  };
  return { root: root.certificateDer, chains };
}

const { root, chains } = hostileChains();
console.log("| chain | ours | @peculiar/x509 | pkijs |\n| --- | --- | --- | --- |");
for (const [name, chain] of Object.entries(chains)) {
  const verdicts = [];
  for (const verify of Object.values(verifiers)) {
    try {
      await verify(
        root,
        chain.map((c) => c.certificateDer),
      );
      verdicts.push("accepts");
    } catch (error) {
      verdicts.push(`refuses (${error.reason ?? error.message})`);
    }
  }
  console.log(`| ${name} | ${verdicts.join(" | ")} |`);
}

const count = Number(process.env.CHAINS ?? 200);
const rounds = Number(process.env.ROUNDS ?? 5);
const distinct = (n) =>
  Array.from({ length: n }, (_, i) => {
    const r = generateCertificate({ commonName: `root ${i}`, isCa: true, subjectAltNames: [] });
    const inter = generateCertificate({ commonName: `inter ${i}`, isCa: true, subjectAltNames: [], issuer: r });
    return { root: r.certificateDer, chain: [generateCertificate({ issuer: inter }).certificateDer, inter.certificateDer] };
  });
const warmUp = distinct(20);
// More certificates than the verifier's parse cache holds (256), so every measured chain is parsed cold.
const measured = distinct(count);
for (const verify of Object.values(verifiers)) for (const c of warmUp) await verify(c.root, c.chain);
const samples = Object.fromEntries(Object.keys(verifiers).map((name) => [name, []]));
for (let round = 0; round < rounds; round++)
  for (const [name, verify] of Object.entries(verifiers)) {
    const start = process.hrtime.bigint();
    for (const c of measured) await verify(c.root, c.chain);
    samples[name].push(Number(process.hrtime.bigint() - start) / 1e3 / measured.length);
  }
console.log(`\nparse + verify per cold 3-certificate chain (${count} chains, median of ${rounds} rounds, node ${process.version}):`);
for (const [name, xs] of Object.entries(samples)) {
  xs.sort((a, b) => a - b);
  console.log(`  ${name}: ${xs[Math.floor(xs.length / 2)].toFixed(0)} µs (rounds ${xs.map((x) => x.toFixed(0)).join(", ")})`);
}
