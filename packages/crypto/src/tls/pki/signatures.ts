/**
 * CertificateVerify signing and verification (RFC 9846 §4.4.3). Servers and
 * clients sign with ECDSA P-256, Ed25519 or RSA-PSS keys loaded from PEM;
 * peers are verified for ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384,
 * ed25519 and rsa_pss_rsae_sha256/384/512. P-256 and Ed25519 run on the
 * `CryptoProvider`; RSA and P-384, which the provider does not offer, run on
 * node:crypto. With the node provider, P-256 and Ed25519 keys are used as
 * the OpenSSL key objects they were parsed into: the provider's raw-bytes
 * interface would re-import the key on every signature, which costs OpenSSL 3
 * several times the signature itself.
 *
 * @example
 * ```ts
 * import { getProvider } from "@zsync/crypto";
 * import { certificateVerifyInput, loadSigner } from "./signatures.js";
 * declare const privateKeyPem: string;
 * declare const transcriptHash: Uint8Array;
 * const provider = getProvider();
 * const signer = loadSigner(privateKeyPem, provider);
 * const [scheme] = signer.schemes; // in order of preference
 * if (scheme !== undefined) signer.sign(scheme, certificateVerifyInput(true, transcriptHash));
 * ```
 * @module
 */
import { constants, createPrivateKey, type KeyObject, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import type { CryptoProvider } from "../../primitives/provider.js";
import { TlsCertificateError } from "../errors.js";
import { SignatureScheme } from "../wire/constants.js";

/** Something that can sign CertificateVerify messages (a key in memory, an HSM, ...). */
export interface TlsSigner {
  /** Schemes this key can produce, in preference order. */
  readonly schemes: readonly number[];
  sign(scheme: number, message: Uint8Array): Uint8Array;
}

/** A peer's certificate public key, ready to verify CertificateVerify. */
export type PeerPublicKey =
  | { readonly kind: "ecdsa-p256"; readonly raw: Uint8Array; readonly key?: KeyObject | undefined }
  | { readonly kind: "ed25519"; readonly raw: Uint8Array; readonly key?: KeyObject | undefined }
  | { readonly kind: "rsa" | "ecdsa-p384"; readonly key: KeyObject };

const PREFIX = new Uint8Array(64).fill(0x20);
const encoder = new TextEncoder();
const SERVER_CONTEXT = encoder.encode("TLS 1.3, server CertificateVerify\0");
const CLIENT_CONTEXT = encoder.encode("TLS 1.3, client CertificateVerify\0");

/** 64 spaces || context string || 0 || transcript hash. */
export function certificateVerifyInput(server: boolean, transcriptHash: Uint8Array): Uint8Array {
  const context = server ? SERVER_CONTEXT : CLIENT_CONTEXT;
  const out = new Uint8Array(64 + context.length + transcriptHash.length);
  out.set(PREFIX);
  out.set(context, 64);
  out.set(transcriptHash, 64 + context.length);
  return out;
}

/** Schemes we accept from peers, in the order we advertise them. */
export const VERIFY_SCHEMES: readonly number[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ed25519,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
];

const RSA_HASH: Record<number, { hash: string; salt: number }> = {
  [SignatureScheme.rsa_pss_rsae_sha256]: { hash: "sha256", salt: 32 },
  [SignatureScheme.rsa_pss_rsae_sha384]: { hash: "sha384", salt: 48 },
  [SignatureScheme.rsa_pss_rsae_sha512]: { hash: "sha512", salt: 64 },
};

/** Whether `scheme` fits `key` (a P-256 key cannot verify an Ed25519 signature, etc.). */
export function schemeMatchesKey(scheme: number, key: PeerPublicKey): boolean {
  switch (key.kind) {
    case "ecdsa-p256":
      return scheme === SignatureScheme.ecdsa_secp256r1_sha256;
    case "ecdsa-p384":
      return scheme === SignatureScheme.ecdsa_secp384r1_sha384;
    case "ed25519":
      return scheme === SignatureScheme.ed25519;
    case "rsa":
      return RSA_HASH[scheme] !== undefined;
  }
}

/** Verifies `signature` over `message`; false for a wrong signature or a scheme that does not fit the key. */
export function verifySignature(
  provider: CryptoProvider,
  key: PeerPublicKey,
  scheme: number,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (!schemeMatchesKey(scheme, key)) return false;
  switch (key.kind) {
    case "ecdsa-p256":
      if (key.key !== undefined && provider.name === "node") return nodeVerifyQuietly("sha256", message, key.key, signature);
      return provider.ecdsaP256.verify(signature, message, key.raw, { format: "der" });
    case "ed25519":
      if (key.key !== undefined && provider.name === "node") return nodeVerifyQuietly(null, message, key.key, signature);
      return provider.ed25519.verify(signature, message, key.raw);
    case "ecdsa-p384":
      return nodeVerify("sha384", message, { key: key.key, dsaEncoding: "der" }, signature);
    case "rsa": {
      const params = RSA_HASH[scheme] as { hash: string; salt: number };
      try {
        return nodeVerify(
          params.hash,
          message,
          { key: key.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: params.salt },
          signature,
        );
      } catch {
        return false;
      }
    }
  }
}

/** OpenSSL verification of an ECDSA (DER) or Ed25519 signature; false for any failure, as the provider does. */
function nodeVerifyQuietly(hash: string | null, message: Uint8Array, key: KeyObject, signature: Uint8Array): boolean {
  try {
    return nodeVerify(hash, message, { key, dsaEncoding: "der" }, signature);
  } catch {
    return false;
  }
}

function b64url(value: string | undefined, what: string): Uint8Array {
  if (value === undefined) throw new TypeError(`key has no ${what}`);
  return new Uint8Array(Buffer.from(value, "base64url"));
}

/** The TLS view of a node:crypto public key; `unsupported-key` for anything else. */
export function peerPublicKey(key: KeyObject): PeerPublicKey {
  const type = key.asymmetricKeyType;
  if (type === "ed25519") return { kind: "ed25519", raw: b64url(key.export({ format: "jwk" }).x, "x"), key };
  if (type === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === "prime256v1") {
      const jwk = key.export({ format: "jwk" });
      const raw = new Uint8Array(65);
      raw[0] = 4;
      raw.set(b64url(jwk.x, "x"), 1);
      raw.set(b64url(jwk.y, "y"), 33);
      return { kind: "ecdsa-p256", raw, key };
    }
    if (curve === "secp384r1") return { kind: "ecdsa-p384", key };
  }
  if (type === "rsa") return { kind: "rsa", key };
  throw new TlsCertificateError("unsupported-key", `certificate key type ${type ?? "unknown"} is not supported`);
}

/**
 * A signer over a PEM (PKCS#8, SEC1 or PKCS#1) private key: ECDSA P-256 and
 * Ed25519 sign on `provider`; RSA keys sign RSA-PSS on node:crypto.
 * Throws TypeError for an unreadable key, RangeError for an unsupported type.
 */
export function loadSigner(privateKeyPem: string | Uint8Array, provider: CryptoProvider): TlsSigner {
  let key: KeyObject;
  try {
    key = createPrivateKey(typeof privateKeyPem === "string" ? privateKeyPem : Buffer.from(privateKeyPem));
  } catch (error) {
    throw new TypeError("privateKey is not a readable PEM private key", { cause: error });
  }
  const type = key.asymmetricKeyType;
  if (type === "ed25519") {
    if (provider.name === "node")
      return { schemes: [SignatureScheme.ed25519], sign: (_scheme, message) => new Uint8Array(nodeSign(null, message, key)) };
    const seed = b64url(key.export({ format: "jwk" }).d, "d");
    return { schemes: [SignatureScheme.ed25519], sign: (_scheme, message) => provider.ed25519.sign(message, seed) };
  }
  if (type === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") {
    if (provider.name === "node")
      return {
        schemes: [SignatureScheme.ecdsa_secp256r1_sha256],
        sign: (_scheme, message) => new Uint8Array(nodeSign("sha256", message, { key, dsaEncoding: "der" })),
      };
    const d = b64url(key.export({ format: "jwk" }).d, "d");
    return {
      schemes: [SignatureScheme.ecdsa_secp256r1_sha256],
      sign: (_scheme, message) => provider.ecdsaP256.sign(message, d, { format: "der" }),
    };
  }
  if (type === "rsa") {
    return {
      schemes: [SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512],
      sign: (scheme, message) => {
        const params = RSA_HASH[scheme];
        if (params === undefined) throw new RangeError(`RSA key cannot sign scheme 0x${scheme.toString(16)}`);
        return new Uint8Array(nodeSign(params.hash, message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: params.salt }));
      },
    };
  }
  throw new RangeError(`privateKey type ${type ?? "unknown"} is not supported (use ECDSA P-256, Ed25519 or RSA)`);
}
