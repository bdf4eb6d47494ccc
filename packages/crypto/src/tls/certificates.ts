/**
 * Peer certificate validation: builds a path from the leaf through the
 * peer's intermediates to a trust anchor (caller-supplied CAs, or the
 * system roots from node:tls), checks every signature, the validity period
 * of every certificate on the path, CA basic constraints, and the host name
 * against the leaf's subjectAltName (DNS names with the usual single-label
 * wildcard, or IP addresses). Each refusal is a `TlsCertificateError` whose
 * `reason` names the failure.
 *
 * Work that depends only on the bytes is remembered: parsed certificates
 * (per DER encoding) and, per verifier, the path of each chain that
 * verified (per exact chain bytes), so a client reconnecting to the same
 * server does not re-parse and re-verify signatures. Validity periods and
 * the host name are checked on every call.
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
const PARSED_CACHE_SIZE = 256;
const PATH_CACHE_SIZE = 64;

/** A Map that forgets its oldest entry beyond `limit` entries. */
function remember<K, V>(cache: Map<K, V>, key: K, value: V, limit: number): V {
  if (cache.size >= limit) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  cache.set(key, value);
  return value;
}

/** The exact bytes as a string key (latin1 keeps one char per byte). */
function bytesKey(der: Uint8Array): string {
  return Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("latin1");
}

const parsedCertificates = new Map<string, X509Certificate>();

function parse(der: Uint8Array, index: number): X509Certificate {
  const key = bytesKey(der);
  const known = parsedCertificates.get(key);
  if (known !== undefined) return known;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch (error) {
    throw new TlsCertificateError("malformed", `certificate ${index} of the chain does not parse`, { cause: error });
  }
  return remember(parsedCertificates, key, cert, PARSED_CACHE_SIZE);
}

/** A chain that verified up to an anchor: the certificates on its path, leaf first, anchor last, and the leaf key. */
interface VerifiedPath {
  readonly path: readonly X509Certificate[];
  readonly leafKey: PeerPublicKey;
}

function checkName(leaf: X509Certificate, name: string | undefined): void {
  if (name === undefined) return;
  const ok = isIP(name) !== 0 ? leaf.checkIP(name) !== undefined : leaf.checkHost(name, { subject: "never" }) !== undefined;
  if (!ok)
    throw new TlsCertificateError(
      "hostname-mismatch",
      `certificate is not valid for ${name} (${leaf.subjectAltName ?? "no subjectAltName"})`,
    );
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
  const verified = new Map<string, VerifiedPath>();
  return {
    verify(chain, context) {
      if (chain.length === 0) throw new TlsCertificateError("no-certificate", "peer sent no certificate");
      const chainKey = chain.map(bytesKey).join("\u0100"); // a separator no latin1 byte can produce
      const known = verified.get(chainKey);
      if (known !== undefined) {
        // Signatures depend only on the bytes; time and name depend on this connection.
        const last = known.path.length - 1;
        for (let i = 0; i <= last; i++)
          checkValidity(
            known.path[i] as X509Certificate,
            context.now,
            i === 0 ? "certificate" : i === last ? "trust anchor" : "intermediate",
          );
        checkName(known.path[0] as X509Certificate, context.serverName);
        return known.leafKey;
      }
      const certs = chain.map((der, i) => parse(der, i));
      const leaf = certs[0] as X509Certificate;
      const roots = anchors ?? loadSystemRoots();
      checkValidity(leaf, context.now, "certificate");
      const path = [leaf];
      let current = leaf;
      let trusted = roots.some((root) => sameCert(root, leaf));
      let issuerFoundButBadSignature = false;
      for (let depth = 0; !trusted && depth < MAX_PATH; depth++) {
        const root = roots.find((r) => current.checkIssued(r) && current.verify(r.publicKey));
        if (root !== undefined) {
          checkValidity(root, context.now, "trust anchor");
          path.push(root);
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
        path.push(next);
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
      checkName(leaf, context.serverName);
      const leafKey = peerPublicKey(leaf.publicKey);
      remember(verified, chainKey, { path, leafKey }, PATH_CACHE_SIZE);
      return leafKey;
    },
  };
}

const VERIFIER_CACHE_SIZE = 16;
const sharedVerifiers = new Map<string, CertificateVerifier>();
let systemRootsVerifier: CertificateVerifier | undefined;

/**
 * The standard verifier for `ca`, shared by every caller passing the same
 * anchors (compared by their bytes), so that connections to the same server
 * reuse its remembered paths. What `TlsClientEngine` uses when it is given
 * `ca` and no `verifier`.
 *
 * @example
 * ```ts
 * const verifier = sharedCertificateVerifier(caPem); // same object for the same PEM
 * ```
 */
export function sharedCertificateVerifier(ca: CertificateInput | undefined): CertificateVerifier {
  if (ca === undefined) {
    systemRootsVerifier ??= createCertificateVerifier();
    return systemRootsVerifier;
  }
  const key = certificatesFromInput(ca, "ca").map(bytesKey).join("\u0100");
  const known = sharedVerifiers.get(key);
  if (known !== undefined) return known;
  return remember(sharedVerifiers, key, createCertificateVerifier({ ca }), VERIFIER_CACHE_SIZE);
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
