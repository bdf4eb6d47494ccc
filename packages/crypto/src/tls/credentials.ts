/**
 * Credentials: a certificate chain plus the signer for its leaf key, as a
 * server (or a client doing client authentication) presents them.
 *
 * @example
 * ```ts
 * const credentials = loadCredentials({ certificate: certPem, privateKey: keyPem });
 * ```
 * @module
 */
import type { CryptoProvider, ProviderName } from "../provider.js";
import { resolveProvider } from "../providers/select.js";
import { type CertificateInput, certificatesFromInput } from "./pem.js";
import { loadSigner, type TlsSigner } from "./signatures.js";

/** A certificate chain (DER, leaf first) and the signer of the leaf's key. */
export interface TlsCredentials {
  readonly certificateChain: readonly Uint8Array[];
  readonly signer: TlsSigner;
}

/** PEM (or DER) certificate chain and PEM private key. */
export interface CredentialsInput {
  readonly certificate: CertificateInput;
  readonly privateKey: string | Uint8Array;
  readonly provider?: CryptoProvider | ProviderName | undefined;
}

/** Loads a chain and key; TypeError for unreadable input, RangeError for an unsupported key type. */
export function loadCredentials(input: CredentialsInput): TlsCredentials {
  if (typeof input !== "object" || input === null) throw new TypeError("credentials must be an object with certificate and privateKey");
  const certificateChain = certificatesFromInput(input.certificate, "certificate");
  if (certificateChain.length === 0) throw new TypeError("certificate must contain at least one certificate");
  return { certificateChain, signer: loadSigner(input.privateKey, resolveProvider(input.provider)) };
}

/** Accepts either loaded credentials or the PEM input for them. */
export function toCredentials(value: TlsCredentials | CredentialsInput, provider: CryptoProvider): TlsCredentials {
  if ("signer" in value && "certificateChain" in value) return value;
  return loadCredentials({ ...value, provider: value.provider ?? provider });
}
