/**
 * Credentials: a certificate chain plus the signer for its leaf key, as a
 * server (or a client doing client authentication) presents them.
 *
 * @example
 * ```ts
 * import { loadCredentials } from "@zsync/crypto/tls";
 * declare const certPem: string;
 * declare const keyPem: string;
 * const credentials = loadCredentials({ certificate: certPem, privateKey: keyPem });
 * ```
 * @module
 */
import type { CryptoProvider, ProviderName } from "../../primitives/provider.js";
import { resolveProvider } from "../../primitives/providers/select.js";
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

interface LoadedCredentials {
  readonly certificate: CertificateInput;
  readonly privateKey: string | Uint8Array;
  readonly provider: CryptoProvider;
  readonly credentials: TlsCredentials;
}

const loaded = new WeakMap<CredentialsInput, LoadedCredentials>();

/**
 * Accepts either loaded credentials or the PEM input for them. PEM input is
 * loaded once per input object and provider (a listener passes the same
 * options to every handshake; parsing the key each time would dominate it);
 * replacing the object's `certificate` or `privateKey` loads them afresh.
 */
export function toCredentials(value: TlsCredentials | CredentialsInput, provider: CryptoProvider): TlsCredentials {
  if ("signer" in value && "certificateChain" in value) return value;
  const effective = resolveProvider(value.provider ?? provider);
  const known = loaded.get(value);
  if (
    known !== undefined &&
    known.provider === effective &&
    known.certificate === value.certificate &&
    known.privateKey === value.privateKey
  )
    return known.credentials;
  const credentials = loadCredentials({ ...value, provider: effective });
  loaded.set(value, { certificate: value.certificate, privateKey: value.privateKey, provider: effective, credentials });
  return credentials;
}
