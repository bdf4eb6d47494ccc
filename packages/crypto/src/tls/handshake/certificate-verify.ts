/**
 * The CertificateVerify message (RFC 9846 §4.4.3) in both directions: signing
 * ours over the transcript up to our Certificate, and checking the peer's
 * against the key its verified certificate carries. A server's signature and
 * a client's differ only in the context string the signed input starts with
 * (so neither can be replayed as the other), which is why both engines call
 * the same two functions with the signer's side.
 *
 * @example
 * ```ts
 * import { getProvider } from "@zsync/crypto";
 * import { checkCertificateVerify } from "./certificate-verify.js";
 * import type { PeerPublicKey } from "../pki/signatures.js";
 * declare const serverKey: PeerPublicKey;
 * declare const certificateVerifyBody: Uint8Array;
 * declare const transcriptHash: Uint8Array;
 * // A client checking the server's proof of its key; throws a TlsProtocolError with the alert to send.
 * checkCertificateVerify(getProvider(), "server", serverKey, certificateVerifyBody, transcriptHash);
 * ```
 * @module
 */
import type { CryptoProvider } from "../../primitives/provider.js";
import { TlsProtocolError } from "../errors.js";
import type { TlsCredentials } from "../pki/credentials.js";
import { certificateVerifyInput, type PeerPublicKey, VERIFY_SCHEMES, verifySignature } from "../pki/signatures.js";
import { AlertDescription } from "../wire/constants.js";
import { decodeCertificateVerify, encodeCertificateVerify } from "../wire/messages.js";
import type { Side } from "./traffic-secrets.js";

/** Our CertificateVerify message, signed with `scheme` (one the peer offered) over `transcriptHash` (everything up to our Certificate). */
export function signCertificateVerify(signer: Side, credentials: TlsCredentials, scheme: number, transcriptHash: Uint8Array): Uint8Array {
  const signature = credentials.signer.sign(scheme, certificateVerifyInput(signer === "server", transcriptHash));
  return encodeCertificateVerify(scheme, signature);
}

/**
 * Checks the body of the CertificateVerify `signer` sent: a scheme we offered
 * (illegal_parameter otherwise) and a signature by `key` over `transcriptHash`
 * (decrypt_error otherwise).
 */
export function checkCertificateVerify(
  provider: CryptoProvider,
  signer: Side,
  key: PeerPublicKey,
  body: Uint8Array,
  transcriptHash: Uint8Array,
): void {
  const cv = decodeCertificateVerify(body);
  if (!VERIFY_SCHEMES.includes(cv.scheme))
    throw new TlsProtocolError(
      AlertDescription.illegal_parameter,
      `${signer} CertificateVerify scheme 0x${cv.scheme.toString(16)} was not offered`,
    );
  const input = certificateVerifyInput(signer === "server", transcriptHash);
  if (!verifySignature(provider, key, cv.scheme, input, cv.signature))
    throw new TlsProtocolError(AlertDescription.decrypt_error, `${signer} CertificateVerify signature does not verify`);
}
