/**
 * The checks RFC 5280 §6.1 (and `openssl verify`) make on a certification
 * path once its signatures are known to chain: every certificate within
 * its validity period and free of critical extensions we do not process;
 * every issuer a CA (basicConstraints cA, keyCertSign when keyUsage is
 * present) whose pathLenConstraint admits the intermediates below it; and
 * the leaf's keyUsage and the path's extendedKeyUsage fit the TLS role the
 * peer plays (RFC 9846 §4.4.2.2, RFC 5280 §4.2.1.12). Each refusal is a
 * `TlsCertificateError` with its own `reason`.
 *
 * @example
 * ```ts
 * import { checkPath, type PathCertificate } from "./path-checks.js";
 * declare const leaf: PathCertificate;
 * declare const intermediate: PathCertificate;
 * declare const anchor: PathCertificate;
 * checkPath([leaf, intermediate, anchor], "server", new Date()); // throws TlsCertificateError
 * ```
 * @module
 */
import type { X509Certificate } from "node:crypto";
import { bytesEqual } from "../../../primitives/constant-time.js";
import { TlsCertificateError } from "../../errors.js";
import { type CertificateFields, KeyUsageBit, OID } from "./certificate-fields.js";

/** The role the certificate's owner plays in the TLS handshake: what its extendedKeyUsage must allow. */
export type CertificateRole = "server" | "client";

/** A parsed certificate: node:crypto's object (signatures, times, names) and the fields it does not expose. */
export interface PathCertificate {
  readonly x509: X509Certificate;
  readonly fields: CertificateFields;
}

/**
 * Extensions this verifier acts on. A critical extension outside this set
 * refuses the certificate (RFC 5280 §4.2). subjectAltName is read by the
 * host-name check; certificatePolicies is accepted as any-policy validation
 * does (no policy is required of the path, so a critical one restricts
 * nothing we rely on); key identifiers only help path building. Name
 * constraints, policy constraints and mappings are not processed, so a
 * critical one is refused rather than ignored.
 */
export const PROCESSED_EXTENSIONS: ReadonlySet<string> = new Set([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extendedKeyUsage,
  OID.subjectAltName,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
  OID.certificatePolicies,
]);

const PURPOSE: Readonly<Record<CertificateRole, string>> = { server: OID.serverAuth, client: OID.clientAuth };

/** Subject and issuer names are the same: it does not count against pathLenConstraint (RFC 5280 §6.1.4 (l)). */
export function isSelfIssued(cert: PathCertificate): boolean {
  return bytesEqual(cert.fields.subject, cert.fields.issuer);
}

/** `child` names `issuer` as its issuer (byte-equal DER Names). */
export function namesChain(child: PathCertificate, issuer: PathCertificate): boolean {
  return bytesEqual(child.fields.issuer, issuer.fields.subject);
}

function dateOf(cert: X509Certificate, which: "validFrom" | "validTo"): Date {
  const direct = (cert as unknown as Record<string, unknown>)[`${which}Date`];
  return direct instanceof Date ? direct : new Date(cert[which]);
}

/** notBefore ≤ now ≤ notAfter, or `not-yet-valid` / `expired`. */
export function checkValidity(cert: X509Certificate, now: Date, label: string): void {
  if (now < dateOf(cert, "validFrom"))
    throw new TlsCertificateError("not-yet-valid", `${label} ${cert.subject} is valid only from ${cert.validFrom}`);
  if (now > dateOf(cert, "validTo")) throw new TlsCertificateError("expired", `${label} ${cert.subject} expired on ${cert.validTo}`);
}

function checkCriticalExtensions(cert: PathCertificate, label: string): void {
  for (const extension of cert.fields.extensions)
    if (extension.critical && !PROCESSED_EXTENSIONS.has(extension.oid))
      throw new TlsCertificateError(
        "unknown-critical-extension",
        `${label} ${cert.x509.subject} has critical extension ${extension.oid}, which this verifier does not process`,
      );
}

function checkPurpose(cert: PathCertificate, role: CertificateRole, label: string): void {
  const purposes = cert.fields.extendedKeyUsage;
  if (purposes === undefined || purposes.includes(PURPOSE[role]) || purposes.includes(OID.anyExtendedKeyUsage)) return;
  throw new TlsCertificateError(
    "bad-extended-key-usage",
    `${label} ${cert.x509.subject} is not for TLS ${role} authentication (extendedKeyUsage ${purposes.join(", ")} lacks ${PURPOSE[role]})`,
  );
}

/** Issuer rules for `path[index]` (index ≥ 1): a CA allowed to sign certificates, whose pathLenConstraint admits the path below it. */
function checkIssuer(path: readonly PathCertificate[], index: number, label: string): void {
  const cert = path[index] as PathCertificate;
  const { basicConstraints, keyUsage, version } = cert.fields;
  // A version 1 certificate cannot carry basicConstraints; like OpenSSL, accept one as a CA only as the trust anchor.
  const legacyAnchor = index === path.length - 1 && version === 1;
  if (basicConstraints?.ca !== true && !legacyAnchor)
    throw new TlsCertificateError(
      "not-a-ca",
      `${label} ${cert.x509.subject} issued a certificate but is not a CA (${basicConstraints === undefined ? "no basicConstraints" : "basicConstraints cA is false"})`,
    );
  if (keyUsage !== undefined && (keyUsage & KeyUsageBit.keyCertSign) === 0)
    throw new TlsCertificateError("not-a-ca", `${label} ${cert.x509.subject} issued a certificate but its keyUsage lacks keyCertSign`);
  const limit = basicConstraints?.pathLength;
  if (limit !== undefined) {
    let below = 0;
    for (let i = 1; i < index; i++) if (!isSelfIssued(path[i] as PathCertificate)) below++;
    if (below > limit)
      throw new TlsCertificateError(
        "path-length-exceeded",
        `${label} ${cert.x509.subject} allows ${limit} intermediate CA certificate(s) below it (pathLenConstraint), the path has ${below}`,
      );
  }
}

/**
 * Checks a path whose signatures already chain: leaf first, trust anchor
 * last (a path of one is a leaf that is itself trusted). Structure first,
 * then validity periods, as OpenSSL orders them.
 */
export function checkPath(path: readonly PathCertificate[], role: CertificateRole, now: Date): void {
  const last = path.length - 1;
  const labelOf = (i: number): string => (i === 0 ? "certificate" : i === last ? "trust anchor" : "intermediate");
  for (let i = 0; i <= last; i++) checkCriticalExtensions(path[i] as PathCertificate, labelOf(i));
  for (let i = 1; i <= last; i++) checkIssuer(path, i, labelOf(i));
  const leaf = path[0] as PathCertificate;
  // TLS 1.3 peers prove possession by signing (CertificateVerify), so keyUsage must allow digitalSignature.
  if (leaf.fields.keyUsage !== undefined && (leaf.fields.keyUsage & KeyUsageBit.digitalSignature) === 0)
    throw new TlsCertificateError("bad-key-usage", `certificate ${leaf.x509.subject} keyUsage does not include digitalSignature`);
  for (let i = 0; i <= last; i++) checkPurpose(path[i] as PathCertificate, role, labelOf(i));
  for (let i = 0; i <= last; i++) checkValidity((path[i] as PathCertificate).x509, now, labelOf(i));
}
