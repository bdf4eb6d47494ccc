/**
 * Packet protection keys (RFC 9001 §5): from a traffic secret (an Initial
 * secret, or one the TLS handshake exported) derive the AEAD key, the IV
 * and the header-protection key with HKDF-Expand-Label, and key them once
 * into `@zsync/crypto` contexts, so that protecting a packet costs one AEAD
 * call and one block encryption. Also: the Initial secrets (§5.2) and the
 * next-generation secret of a key update (§6.1).
 *
 * The header-protection key is not updated by a key update (§6.1), so
 * {@link updatePacketKeys} reuses it.
 *
 * @example
 * ```ts
 * import { getProvider } from "@zsync/crypto";
 * import { createPacketKeys, initialSecrets, QuicVersion } from "@zsync/quic/proto";
 * declare const dcid: Uint8Array;
 * const provider = getProvider();
 * const { client, server } = initialSecrets(provider, QuicVersion.V1, dcid);
 * const clientKeys = createPacketKeys(provider, QuicVersion.V1, "aes-128-gcm", client);
 * ```
 * @module
 */
import { type AeadKey, type CryptoProvider, createHeaderProtection, type HeaderProtection, hkdfExpandLabel } from "@zsync/crypto";
import { versionConstants } from "./labels.js";
import { type PacketProtectionSuite, SUITES } from "./suite.js";

const EMPTY = new Uint8Array(0);

/** The raw key material derived from one traffic secret. */
export interface PacketKeyMaterial {
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
  readonly hp: Uint8Array;
}

/**
 * Keyed contexts for one direction at one encryption level: what
 * `sealPacket`/`openPacket` need. `nonce` is scratch space for the per-packet
 * nonce, so a packet allocates none.
 */
export interface PacketKeys {
  readonly version: number;
  readonly suite: PacketProtectionSuite;
  /** The traffic secret these keys came from (kept for key update). */
  readonly secret: Uint8Array;
  readonly aead: AeadKey;
  readonly iv: Uint8Array;
  readonly headerProtection: HeaderProtection;
  /** Scratch: the current packet's nonce. */
  readonly nonce: Uint8Array;
  /** Scratch: the current packet's header-protection mask. */
  readonly mask: Uint8Array;
}

/** The client and server Initial secrets (RFC 9001 §5.2). */
export interface InitialSecrets {
  readonly client: Uint8Array;
  readonly server: Uint8Array;
}

/**
 * initial_secret = HKDF-Extract(initial_salt, client_dst_connection_id);
 * client/server_initial_secret = HKDF-Expand-Label(initial_secret, "client in"/"server in", "", 32).
 * `dcid` is the Destination Connection ID of the client's first Initial.
 */
export function initialSecrets(provider: CryptoProvider, version: number, dcid: Uint8Array): InitialSecrets {
  const constants = versionConstants(version);
  const initial = provider.hkdfExtract("sha256", constants.initialSalt, dcid);
  return {
    client: hkdfExpandLabel(provider, "sha256", initial, "client in", EMPTY, 32),
    server: hkdfExpandLabel(provider, "sha256", initial, "server in", EMPTY, 32),
  };
}

/** The key, IV and header-protection key of `secret` (RFC 9001 §5.1; "quicv2" labels for v2). */
export function derivePacketKeyMaterial(
  provider: CryptoProvider,
  version: number,
  suite: PacketProtectionSuite,
  secret: Uint8Array,
): PacketKeyMaterial {
  const { labels } = versionConstants(version);
  const info = suiteInfo(suite);
  return {
    key: hkdfExpandLabel(provider, info.hash, secret, labels.key, EMPTY, info.keyLength),
    iv: hkdfExpandLabel(provider, info.hash, secret, labels.iv, EMPTY, 12),
    hp: hkdfExpandLabel(provider, info.hash, secret, labels.hp, EMPTY, info.keyLength),
  };
}

/** Derives and keys the packet protection of `secret`. */
export function createPacketKeys(provider: CryptoProvider, version: number, suite: PacketProtectionSuite, secret: Uint8Array): PacketKeys {
  const material = derivePacketKeyMaterial(provider, version, suite, secret);
  return {
    version,
    suite,
    secret,
    aead: provider.aead(suite, material.key),
    iv: material.iv,
    headerProtection: createHeaderProtection(provider, suite, material.hp),
    nonce: new Uint8Array(12),
    mask: new Uint8Array(5),
  };
}

/** The secret of the next key phase: HKDF-Expand-Label(secret, "quic ku", "", Hash.length) (RFC 9001 §6.1). */
export function nextTrafficSecret(provider: CryptoProvider, version: number, suite: PacketProtectionSuite, secret: Uint8Array): Uint8Array {
  const info = suiteInfo(suite);
  return hkdfExpandLabel(provider, info.hash, secret, versionConstants(version).labels.ku, EMPTY, info.secretLength);
}

/**
 * The keys of the next key phase: new AEAD key and IV from the next
 * secret, the same header protection (RFC 9001 §6.1: "The header
 * protection key is not updated").
 */
export function updatePacketKeys(provider: CryptoProvider, keys: PacketKeys): PacketKeys {
  const secret = nextTrafficSecret(provider, keys.version, keys.suite, keys.secret);
  const material = derivePacketKeyMaterial(provider, keys.version, keys.suite, secret);
  return {
    version: keys.version,
    suite: keys.suite,
    secret,
    aead: provider.aead(keys.suite, material.key),
    iv: material.iv,
    headerProtection: keys.headerProtection,
    nonce: new Uint8Array(12),
    mask: new Uint8Array(5),
  };
}

function suiteInfo(suite: PacketProtectionSuite) {
  const info = SUITES[suite];
  if (info === undefined) throw new TypeError(`suite must be "aes-128-gcm", "aes-256-gcm" or "chacha20-poly1305", got ${String(suite)}`);
  return info;
}
