/**
 * Key exchange for the supported groups: X25519, secp256r1 and the hybrid
 * X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem: client share = ML-KEM-768
 * encapsulation key || X25519 public key; server share = ML-KEM ciphertext
 * || X25519 public key; shared secret = ML-KEM secret || X25519 secret).
 *
 * @example
 * ```ts
 * const offer = createKeyShare(provider, "x25519");
 * const { serverShare, sharedSecret } = acceptKeyShare(provider, "x25519", offer.publicKey);
 * offer.complete(serverShare); // === sharedSecret
 * ```
 * @module
 */
import { KeyAgreementError } from "../errors.js";
import type { CryptoProvider } from "../provider.js";
import { TlsProtocolError } from "./errors.js";
import { AlertDescription, NamedGroup } from "./wire/constants.js";

/** Names of the supported key-exchange groups. */
export type NamedGroupName = keyof typeof NamedGroup;

/** A client key share awaiting the server's answer. */
export interface KeyShareOffer {
  readonly group: NamedGroupName;
  readonly id: number;
  readonly publicKey: Uint8Array;
  /** The shared secret from the server's share; illegal_parameter on a malformed or invalid share. */
  complete(serverShare: Uint8Array): Uint8Array;
}

const ML_KEM_PK = 1184;
const ML_KEM_CT = 1088;

/** Group name for a wire id, or undefined. */
export function groupName(id: number): NamedGroupName | undefined {
  for (const [name, value] of Object.entries(NamedGroup)) if (value === id) return name as NamedGroupName;
  return undefined;
}

function invalidShare(group: string, cause?: unknown): TlsProtocolError {
  return new TlsProtocolError(AlertDescription.illegal_parameter, `invalid ${group} key share`, { cause });
}

function agree(fn: () => Uint8Array, group: string): Uint8Array {
  try {
    return fn();
  } catch (error) {
    if (error instanceof KeyAgreementError || error instanceof RangeError || error instanceof TypeError) throw invalidShare(group, error);
    throw error;
  }
}

/**
 * Generates a client key share. `secretKey` (and `seed` for ML-KEM) exist so
 * tests can replay published traces; production code omits them.
 */
export function createKeyShare(
  provider: CryptoProvider,
  group: NamedGroupName,
  fixed?: { readonly secretKey?: Uint8Array; readonly seed?: Uint8Array },
): KeyShareOffer {
  const id = NamedGroup[group];
  if (group === "x25519" || group === "secp256r1") {
    const ka = group === "x25519" ? provider.x25519 : provider.p256;
    const secretKey = fixed?.secretKey ?? ka.generateKeyPair().secretKey;
    const publicKey = ka.publicKey(secretKey);
    return {
      group,
      id,
      publicKey,
      complete: (share) => {
        if (share.length !== ka.publicKeyLength) throw invalidShare(group);
        return agree(() => ka.sharedSecret(secretKey, share), group);
      },
    };
  }
  const kem = provider.mlKem768.generateKeyPair(fixed?.seed);
  const ecdh = provider.x25519.generateKeyPair();
  const publicKey = new Uint8Array(ML_KEM_PK + 32);
  publicKey.set(kem.publicKey);
  publicKey.set(ecdh.publicKey, ML_KEM_PK);
  return {
    group,
    id,
    publicKey,
    complete: (share) => {
      if (share.length !== ML_KEM_CT + 32) throw invalidShare(group);
      const kemSecret = agree(() => provider.mlKem768.decapsulate(share.subarray(0, ML_KEM_CT), kem.secretKey), group);
      const dh = agree(() => provider.x25519.sharedSecret(ecdh.secretKey, share.subarray(ML_KEM_CT)), group);
      const out = new Uint8Array(64);
      out.set(kemSecret);
      out.set(dh, 32);
      return out;
    },
  };
}

/** Server side: answers the client's share with our share and the shared secret. */
export function acceptKeyShare(
  provider: CryptoProvider,
  group: NamedGroupName,
  clientShare: Uint8Array,
  fixedSecretKey?: Uint8Array,
): { readonly serverShare: Uint8Array; readonly sharedSecret: Uint8Array } {
  if (group === "x25519" || group === "secp256r1") {
    const ka = group === "x25519" ? provider.x25519 : provider.p256;
    if (clientShare.length !== ka.publicKeyLength) throw invalidShare(group);
    const secretKey = fixedSecretKey ?? ka.generateKeyPair().secretKey;
    const sharedSecret = agree(() => ka.sharedSecret(secretKey, clientShare), group);
    return { serverShare: ka.publicKey(secretKey), sharedSecret };
  }
  if (clientShare.length !== ML_KEM_PK + 32) throw invalidShare(group);
  // The ML-KEM encapsulation key is validated (modulus check) by the provider; failures are illegal_parameter.
  const encapsulated = agree(() => {
    const e = provider.mlKem768.encapsulate(clientShare.subarray(0, ML_KEM_PK));
    const packed = new Uint8Array(ML_KEM_CT + 32);
    packed.set(e.cipherText);
    packed.set(e.sharedSecret, ML_KEM_CT);
    return packed;
  }, group);
  const cipherText = encapsulated.subarray(0, ML_KEM_CT);
  const kemSecret = encapsulated.subarray(ML_KEM_CT);
  const ecdh = provider.x25519.generateKeyPair();
  const dh = agree(() => provider.x25519.sharedSecret(ecdh.secretKey, clientShare.subarray(ML_KEM_PK)), group);
  const serverShare = new Uint8Array(ML_KEM_CT + 32);
  serverShare.set(cipherText);
  serverShare.set(ecdh.publicKey, ML_KEM_CT);
  const sharedSecret = new Uint8Array(64);
  sharedSecret.set(kemSecret);
  sharedSecret.set(dh, 32);
  return { serverShare, sharedSecret };
}
