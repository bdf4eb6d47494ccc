/**
 * Peer certificate validation: builds a path from the leaf through the
 * peer's intermediates to a trust anchor (caller-supplied CAs, or the
 * system roots from node:tls) by issuer name and signature, then applies
 * the RFC 5280 path rules (./x509/path-checks.ts): no unprocessed critical
 * extension, every issuer a CA with keyCertSign, pathLenConstraint, the
 * leaf's keyUsage and the path's extendedKeyUsage for the peer's TLS role,
 * the validity period of every certificate, a bounded path length; and the
 * host name against the leaf's subjectAltName (DNS names with the usual
 * single-label wildcard, or IP addresses). Each refusal is a
 * `TlsCertificateError` whose `reason` names the failure.
 *
 * Work that depends only on the bytes is remembered: parsed certificates
 * (per DER encoding) and, per verifier, the path of each chain that
 * verified (per exact chain bytes), so a client reconnecting to the same
 * server does not re-parse and re-verify signatures. Everything else
 * (validity periods, path rules, role, host name) is checked on every call.
 *
 * `dangerouslyAcceptAnyCertificateForTestsOnly()` skips all of that but
 * still returns the leaf key, so the handshake keeps proving possession.
 *
 * @example
 * ```ts
 * import { createCertificateVerifier } from "@zsync/crypto/tls";
 * declare const caPem: string;
 * declare const chainDer: Uint8Array[];
 * const verifier = createCertificateVerifier({ ca: caPem });
 * const key = verifier.verify(chainDer, { serverName: "localhost", now: new Date() });
 * ```
 * @module
 */
import { X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { rootCertificates } from "node:tls";
import { TlsCertificateError } from "../errors.js";
import { type CertificateInput, certificatesFromInput } from "./pem.js";
import { type PeerPublicKey, peerPublicKey } from "./signatures.js";
import { certificateFields } from "./x509/certificate-fields.js";
import { checkPath, namesChain, type PathCertificate } from "./x509/path-checks.js";

/** What the verifier knows about the connection. */
export interface VerificationContext {
  /** Expected host name or IP address; omit to skip the name check (servers verifying clients). */
  readonly serverName?: string | undefined;
  readonly now: Date;
  /**
   * The role the peer plays, which the chain's extendedKeyUsage must allow:
   * "server" (the default, a client verifying a server) or "client" (a server verifying a client certificate).
   */
  readonly role?: "server" | "client" | undefined;
}

/** Validates a chain (DER, leaf first) and returns the leaf's public key. */
export interface CertificateVerifier {
  verify(chain: readonly Uint8Array[], context: VerificationContext): PeerPublicKey;
}

/** Most certificates a path may hold, leaf and trust anchor included (WebPKI paths have 3 or 4). */
export const MAX_PATH_CERTIFICATES = 10;
/** Most certificates accepted in a peer's Certificate message; more is refused before any is parsed. */
export const MAX_CHAIN_CERTIFICATES = 16;
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

const parsedCertificates = new Map<string, PathCertificate>();

/** node:crypto's parse plus our reading of the extensions (from a copy, so nothing aliases the caller's buffer). */
function parseUncached(der: Uint8Array, index: number): PathCertificate {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(der);
  } catch (error) {
    throw new TlsCertificateError("malformed", `certificate ${index} of the chain does not parse`, { cause: error });
  }
  return { x509, fields: certificateFields(der.slice()) };
}

function parse(der: Uint8Array, index: number): PathCertificate {
  const key = bytesKey(der);
  const known = parsedCertificates.get(key);
  if (known !== undefined) return known;
  return remember(parsedCertificates, key, parseUncached(der, index), PARSED_CACHE_SIZE);
}

/** A chain whose signatures chain up to an anchor: the certificates on its path, leaf first, anchor last, and the leaf key. */
interface VerifiedPath {
  readonly path: readonly PathCertificate[];
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

function sameCert(a: PathCertificate, b: PathCertificate): boolean {
  return a.x509.fingerprint256 === b.x509.fingerprint256;
}

/** `issuer`'s key verifies the signature on `child` (the name chaining is checked by the caller). */
function signs(issuer: PathCertificate, child: PathCertificate): boolean {
  try {
    return child.x509.verify(issuer.x509.publicKey);
  } catch {
    return false; // an issuer key type OpenSSL cannot use for this signature
  }
}

let systemRoots: PathCertificate[] | undefined;
function loadSystemRoots(): PathCertificate[] {
  // Held here, not in the parse cache (they would fill half of it). A root our strict reader refuses
  // cannot anchor a path, so it is left out rather than failing every call (every root Node 20/24 bundles reads).
  systemRoots ??= rootCertificates.flatMap((pem, i) => {
    try {
      return [parseUncached(certificatesFromInput(pem, "root")[0] as Uint8Array, i)];
    } catch {
      return [];
    }
  });
  return systemRoots;
}

/**
 * Builds the path from the leaf through the peer's certificates to an
 * anchor: each step takes an issuer whose subject is byte-equal to the
 * current certificate's issuer name and whose key verifies its signature,
 * an anchor before a peer-supplied certificate, and never a certificate
 * already on the path. Refuses with `bad-signature` when issuers by name
 * exist but none signed it, `unknown-ca` when none exists, `path-too-long`
 * past {@link MAX_PATH_CERTIFICATES}.
 */
function buildPath(certs: readonly PathCertificate[], roots: readonly PathCertificate[]): PathCertificate[] {
  const leaf = certs[0] as PathCertificate;
  const path = [leaf];
  if (roots.some((root) => sameCert(root, leaf))) return path;
  let current = leaf;
  for (;;) {
    const anchorsByName = roots.filter((root) => namesChain(current, root));
    const anchor = anchorsByName.find((root) => signs(root, current));
    if (anchor !== undefined) {
      path.push(anchor);
      return path;
    }
    const byName = certs.filter((c) => namesChain(current, c) && !path.includes(c));
    const next = byName.find((c) => signs(c, current));
    if (next === undefined) {
      if (anchorsByName.length > 0 || byName.length > 0)
        throw new TlsCertificateError("bad-signature", `signature on ${current.x509.subject} does not verify with its issuer's key`);
      throw new TlsCertificateError(
        "unknown-ca",
        `no trusted certificate authority issued ${current.x509.subject} (issuer ${current.x509.issuer})`,
      );
    }
    if (path.length + 1 >= MAX_PATH_CERTIFICATES)
      throw new TlsCertificateError("path-too-long", `no trust anchor within ${MAX_PATH_CERTIFICATES} certificates of the leaf`);
    path.push(next);
    current = next;
  }
}

/** Options of {@link createCertificateVerifier}. */
export interface CertificateVerifierOptions {
  /** Trust anchors (PEM or DER). Default: the system roots bundled with Node (`tls.rootCertificates`). */
  readonly ca?: CertificateInput | undefined;
}

/** The standard verifier: path building to `ca` (or the system roots), RFC 5280 path checks, validity, role and host name. */
export function createCertificateVerifier(options: CertificateVerifierOptions = {}): CertificateVerifier {
  const anchors = options.ca === undefined ? undefined : certificatesFromInput(options.ca, "ca").map((der, i) => parse(der, i));
  const verified = new Map<string, VerifiedPath>();
  return {
    verify(chain, context) {
      if (chain.length === 0) throw new TlsCertificateError("no-certificate", "peer sent no certificate");
      if (chain.length > MAX_CHAIN_CERTIFICATES)
        throw new TlsCertificateError(
          "path-too-long",
          `peer sent ${chain.length} certificates; at most ${MAX_CHAIN_CERTIFICATES} are read`,
        );
      const role = context.role ?? "server";
      const chainKey = chain.map(bytesKey).join("\u0100"); // a separator no latin1 byte can produce
      let known = verified.get(chainKey);
      if (known === undefined) {
        // Signatures depend only on the bytes, so a path that chained is remembered; everything else is checked per call.
        const path = buildPath(
          chain.map((der, i) => parse(der, i)),
          anchors ?? loadSystemRoots(),
        );
        known = remember(
          verified,
          chainKey,
          { path, leafKey: peerPublicKey((path[0] as PathCertificate).x509.publicKey) },
          PATH_CACHE_SIZE,
        );
      }
      checkPath(known.path, role, context.now);
      checkName((known.path[0] as PathCertificate).x509, context.serverName);
      return known.leafKey;
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
 * import { sharedCertificateVerifier } from "@zsync/crypto/tls";
 * declare const caPem: string;
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
      return peerPublicKey(parse(chain[0] as Uint8Array, 0).x509.publicKey);
    },
  };
}
