/**
 * Peer certificate validation: builds a path from the leaf through the
 * peer's intermediates to a trust anchor (caller-supplied CAs, or the
 * system roots from node:tls), checks every signature, the validity period
 * of every certificate on the path, CA basic constraints, and the host name
 * against the leaf's subjectAltName (DNS names with the usual single-label
 * wildcard, or IP addresses). Each refusal is a `TlsCertificateError` whose
 * `reason` names the failure.
 *
 * `dangerouslyAcceptAnyCertificateForTestsOnly()` skips all of that but
 * still returns the leaf key, so the handshake keeps proving possession.
 *
 * @example
 * ```ts
 * const verifier = createCertificateVerifier({ ca: caPem });
 * const key = verifier.verify(chainDer, { serverName: "localhost", now: new Date() });
 * ```
 * @module
 */
import { X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { rootCertificates } from "node:tls";
import { TlsCertificateError } from "./errors.js";
import { type CertificateInput, certificatesFromInput } from "./pem.js";
import { type PeerPublicKey, peerPublicKey } from "./signatures.js";

/** What the verifier knows about the connection. */
export interface VerificationContext {
  /** Expected host name or IP address; omit to skip the name check (servers verifying clients). */
  readonly serverName?: string | undefined;
  readonly now: Date;
}

/** Validates a chain (DER, leaf first) and returns the leaf's public key. */
export interface CertificateVerifier {
  verify(chain: readonly Uint8Array[], context: VerificationContext): PeerPublicKey;
}

const MAX_PATH = 8;

function parse(der: Uint8Array, index: number): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (error) {
    throw new TlsCertificateError("malformed", `certificate ${index} of the chain does not parse`, { cause: error });
  }
}

function dateOf(cert: X509Certificate, which: "validFrom" | "validTo"): Date {
  const direct = (cert as unknown as Record<string, unknown>)[`${which}Date`];
  return direct instanceof Date ? direct : new Date(cert[which]);
}

function checkValidity(cert: X509Certificate, now: Date, role: string): void {
  if (now < dateOf(cert, "validFrom"))
    throw new TlsCertificateError("not-yet-valid", `${role} ${cert.subject} is valid only from ${cert.validFrom}`);
  if (now > dateOf(cert, "validTo")) throw new TlsCertificateError("expired", `${role} ${cert.subject} expired on ${cert.validTo}`);
}

function sameCert(a: X509Certificate, b: X509Certificate): boolean {
  return a.fingerprint256 === b.fingerprint256;
}

let systemRoots: X509Certificate[] | undefined;
function loadSystemRoots(): X509Certificate[] {
  systemRoots ??= rootCertificates.map((pem) => new X509Certificate(pem));
  return systemRoots;
}

/** Options of {@link createCertificateVerifier}. */
export interface CertificateVerifierOptions {
  /** Trust anchors (PEM or DER). Default: the system roots bundled with Node (`tls.rootCertificates`). */
  readonly ca?: CertificateInput | undefined;
}

/** The standard verifier: path building to `ca` (or the system roots), validity, and host name. */
export function createCertificateVerifier(options: CertificateVerifierOptions = {}): CertificateVerifier {
  const anchors = options.ca === undefined ? undefined : certificatesFromInput(options.ca, "ca").map((der, i) => parse(der, i));
  return {
    verify(chain, context) {
      if (chain.length === 0) throw new TlsCertificateError("no-certificate", "peer sent no certificate");
      const certs = chain.map((der, i) => parse(der, i));
      const leaf = certs[0] as X509Certificate;
      const roots = anchors ?? loadSystemRoots();
      checkValidity(leaf, context.now, "certificate");
      let current = leaf;
      let trusted = roots.some((root) => sameCert(root, leaf));
      let issuerFoundButBadSignature = false;
      for (let depth = 0; !trusted && depth < MAX_PATH; depth++) {
        const root = roots.find((r) => current.checkIssued(r) && current.verify(r.publicKey));
        if (root !== undefined) {
          checkValidity(root, context.now, "trust anchor");
          trusted = true;
          break;
        }
        if (roots.some((r) => current.checkIssued(r))) issuerFoundButBadSignature = true;
        const next = certs.find((c, i) => i > 0 && c !== current && current.checkIssued(c));
        if (next === undefined) break;
        if (!current.verify(next.publicKey))
          throw new TlsCertificateError("bad-signature", `signature on ${current.subject} does not verify with ${next.subject}'s key`);
        if (!next.ca) throw new TlsCertificateError("not-a-ca", `${next.subject} signs certificates but is not a CA`);
        checkValidity(next, context.now, "intermediate");
        current = next;
      }
      if (!trusted) {
        if (issuerFoundButBadSignature)
          throw new TlsCertificateError("bad-signature", `signature on ${current.subject} does not verify with its issuer's key`);
        throw new TlsCertificateError(
          "unknown-ca",
          `no trusted certificate authority issued ${current.subject} (issuer ${current.issuer})`,
        );
      }
      const name = context.serverName;
      if (name !== undefined) {
        const ok = isIP(name) !== 0 ? leaf.checkIP(name) !== undefined : leaf.checkHost(name, { subject: "never" }) !== undefined;
        if (!ok)
          throw new TlsCertificateError(
            "hostname-mismatch",
            `certificate is not valid for ${name} (${leaf.subjectAltName ?? "no subjectAltName"})`,
          );
      }
      return peerPublicKey(leaf.publicKey);
    },
  };
}

/**
 * DANGER: accepts any certificate chain, from anyone. Only the leaf key is
 * extracted so CertificateVerify is still checked. For tests only; never in
 * production, where it removes all protection against impersonation.
 */
export function dangerouslyAcceptAnyCertificateForTestsOnly(): CertificateVerifier {
  return {
    verify(chain) {
      if (chain.length === 0) throw new TlsCertificateError("no-certificate", "peer sent no certificate");
      return peerPublicKey(parse(chain[0] as Uint8Array, 0).publicKey);
    },
  };
}
