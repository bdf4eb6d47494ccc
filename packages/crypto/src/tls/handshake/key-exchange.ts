/**
 * Key exchange for the supported groups: X25519, secp256r1 and the hybrid
 * X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem: client share = ML-KEM-768
 * encapsulation key || X25519 public key; server share = ML-KEM ciphertext
 * || X25519 public key; shared secret = ML-KEM secret || X25519 secret).
 *
 * @example
 * ```ts
 * import { getProvider } from "@zsync/crypto";
 * import { acceptKeyShare, createKeyShare } from "./key-exchange.js";
 * const provider = getProvider();
 * const offer = createKeyShare(provider, "x25519");
 * const { serverShare, sharedSecret } = acceptKeyShare(provider, "x25519", offer.publicKey);
 * offer.complete(serverShare); // === sharedSecret
 * ```
 * @module
 */
import { createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from "node:crypto";
import { isAllZero } from "../../primitives/constant-time.js";
import { KeyAgreementError } from "../../primitives/errors.js";
import type { CryptoProvider, KeyAgreement } from "../../primitives/provider.js";
import { TlsProtocolError } from "../errors.js";
import { AlertDescription, NamedGroup } from "../wire/constants.js";

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

/** One side's ephemeral (EC)DH key: its public share, and agreement with the peer's share. */
interface Ephemeral {
  readonly publicKey: Uint8Array;
  agree(peerPublicKey: Uint8Array): Uint8Array;
}

/**
 * An ephemeral X25519 key kept inside OpenSSL for its whole (one-handshake)
 * life. The provider's raw-bytes interface re-imports the scalar for every
 * call, and OpenSSL 3 decodes a DER private key in ~0.35 ms, several times
 * the cost of the agreement itself; an ephemeral key never needs its bytes.
 */
function nodeEphemeralX25519(): Ephemeral {
  const pair = generateKeyPairSync("x25519");
  const x = pair.publicKey.export({ format: "jwk" }).x;
  if (x === undefined) throw new KeyAgreementError("X25519 public key export failed");
  const privateKey: KeyObject = pair.privateKey;
  return {
    publicKey: new Uint8Array(Buffer.from(x, "base64url")),
    agree(peer) {
      if (peer.length !== 32) throw new RangeError(`peerPublicKey must be 32 bytes, got ${peer.length}`);
      let shared: Buffer;
      try {
        const publicKey = createPublicKey({
          key: { kty: "OKP", crv: "X25519", x: Buffer.from(peer.buffer, peer.byteOffset, peer.byteLength).toString("base64url") },
          format: "jwk",
        });
        shared = diffieHellman({ privateKey, publicKey });
      } catch (error) {
        // OpenSSL refuses exactly the all-zero output (RFC 7748 §6.1).
        throw new KeyAgreementError("X25519 key agreement refused the peer share (low-order point)", { cause: error });
      }
      if (isAllZero(shared)) throw new KeyAgreementError("X25519 shared secret is all zeros (low-order peer public key)");
      return new Uint8Array(shared.buffer, shared.byteOffset, shared.byteLength);
    },
  };
}

/** An ephemeral key through the provider's raw interface (any provider; fixed keys replay traces). */
function providerEphemeral(ka: KeyAgreement, fixedSecretKey: Uint8Array | undefined): Ephemeral {
  let secretKey: Uint8Array;
  let publicKey: Uint8Array;
  if (fixedSecretKey !== undefined) {
    secretKey = fixedSecretKey;
    publicKey = ka.publicKey(secretKey);
  } else {
    const pair = ka.generateKeyPair();
    secretKey = pair.secretKey;
    publicKey = pair.publicKey;
  }
  return { publicKey, agree: (peer) => ka.sharedSecret(secretKey, peer) };
}

function ephemeral(provider: CryptoProvider, group: "x25519" | "secp256r1", fixedSecretKey?: Uint8Array): Ephemeral {
  if (group === "x25519" && fixedSecretKey === undefined && provider.name === "node") return nodeEphemeralX25519();
  return providerEphemeral(group === "x25519" ? provider.x25519 : provider.p256, fixedSecretKey);
}

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
    const shareLength = group === "x25519" ? 32 : 65;
    const key = ephemeral(provider, group, fixed?.secretKey);
    return {
      group,
      id,
      publicKey: key.publicKey,
      complete: (share) => {
        if (share.length !== shareLength) throw invalidShare(group);
        return agree(() => key.agree(share), group);
      },
    };
  }
  const kem = provider.mlKem768.generateKeyPair(fixed?.seed);
  const ecdh = ephemeral(provider, "x25519");
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
      const dh = agree(() => ecdh.agree(share.subarray(ML_KEM_CT)), group);
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
    if (clientShare.length !== (group === "x25519" ? 32 : 65)) throw invalidShare(group);
    const key = ephemeral(provider, group, fixedSecretKey);
    const sharedSecret = agree(() => key.agree(clientShare), group);
    return { serverShare: key.publicKey, sharedSecret };
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
  const ecdh = ephemeral(provider, "x25519");
  const dh = agree(() => ecdh.agree(clientShare.subarray(ML_KEM_PK)), group);
  const serverShare = new Uint8Array(ML_KEM_CT + 32);
  serverShare.set(cipherText);
  serverShare.set(ecdh.publicKey, ML_KEM_CT);
  const sharedSecret = new Uint8Array(64);
  sharedSecret.set(kemSecret);
  sharedSecret.set(dh, 32);
  return { serverShare, sharedSecret };
}
