/**
 * Address validation tokens (RFC 9000 §8.1.1-§8.1.4): what a server hands
 * a client in a Retry packet or a NEW_TOKEN frame so that the client can
 * later prove it receives packets at its address, without the server
 * keeping any state between the two.
 *
 * The token is opaque to everyone but the server that made it: AES-256-GCM
 * under a server-only key, with a fresh random 96-bit nonce per token
 * (random nonces are safe for GCM up to about 2^32 tokens per key; rotate
 * the key well before that). Layout:
 *
 * ```
 * kind (1: 0x52 'R' Retry | 0x4e 'N' NEW_TOKEN, in clear: §8.1.1 lets others see it)
 * nonce (12)
 * AEAD(issued-at ms (8) [, ODCID length (1), ODCID, RSCID length (1), RSCID]) + tag (16)
 * ```
 *
 * The client's address is not stored in the token but bound as associated
 * data (with the kind byte): a token presented from another address fails
 * authentication exactly like a forged or bit-flipped one, and the token
 * stays short. Retry tokens bind IP and port (the client answers
 * immediately from the same socket, §8.1.4 "SHOULD"); NEW_TOKEN tokens bind
 * the IP only (§8.1.3: the port of a later connection is unlikely to
 * match). Neither lets an observer link connections: everything but the
 * kind is encrypted, and every token has its own nonce (§8.1.3: "unique
 * across all clients").
 *
 * Validation is constant-time where it matters: the AEAD tag check is the
 * provider's, and a failed check does not reveal which byte differed. The
 * cheap checks before it (kind byte, length bounds) only look at
 * information an attacker chose.
 *
 * Replay (§8.1.4, "servers MUST ensure that replay of tokens is prevented
 * or limited"): Retry tokens expire after `retryLifetime` (default 10 s)
 * and are bound to the exact address and port, so a replay can only target
 * the address that obtained the token, for seconds. NEW_TOKEN tokens live
 * `newTokenLifetime` (default 24 h) and are bound to the client IP, so a
 * replay from elsewhere is rejected. This codec is stateless, so it
 * accepts a replay from the same IP within the lifetime; the endpoint
 * makes NEW_TOKEN tokens single-use by remembering the nonce
 * ({@link addressTokenNonce}) of each one it accepted until it expires
 * (endpoint/token-replay.ts). A token whose issue time lies in the future (more
 * than `clockSkew`) is rejected, so a token from a previous run with a
 * different clock origin cannot live forever.
 *
 * `now` is whatever clock the endpoint runs on (ms). Tokens carry it, so a
 * NEW_TOKEN token survives a restart only if the key and the clock origin
 * do (give the endpoint a persisted key and a wall-clock-based `now`).
 *
 * @example
 * ```ts
 * import { getProvider } from "@zsync/crypto";
 * import { AddressTokenKey, type TokenAddress } from "@zsync/quic/proto";
 * declare const key32: Uint8Array;
 * declare function random(out: Uint8Array): Uint8Array;
 * declare const now: number;
 * declare const remote: TokenAddress;
 * declare const originalDcid: Uint8Array;
 * declare const retryScid: Uint8Array;
 * const provider = getProvider();
 * const tokens = new AddressTokenKey(provider, key32, random);
 * const token = tokens.issueRetry(now, remote, originalDcid, retryScid);
 * const result = tokens.validate(token, now, remote); // { valid: true, kind: "retry", ... }
 * ```
 * @module
 */
import type { AeadKey, CryptoProvider } from "@zsync/crypto";

/** How a token reached the client (§8.1.1: the server must be able to tell). */
export type AddressTokenKind = "retry" | "new-token";

/** The part of a socket address a token is bound to (the shape of Node's rinfo). */
export interface TokenAddress {
  readonly address: string;
  readonly port: number;
}

/** Lifetimes and tolerances of {@link AddressTokenKey}, in ms. */
export interface AddressTokenOptions {
  /** How long a Retry token is accepted (default 10 s: clients echo it within one round trip). */
  readonly retryLifetime?: number;
  /** How long a NEW_TOKEN token is accepted (default 24 h). */
  readonly newTokenLifetime?: number;
  /** How far in the future an issue time may lie (clock adjustments between issuing nodes; default 10 s). */
  readonly clockSkew?: number;
  /**
   * Keys retired by a rotation, still accepted for validation (never used to
   * issue), newest first; at most {@link MAX_PREVIOUS_TOKEN_KEYS}. Keep a
   * retired key for the NEW_TOKEN lifetime, then drop it.
   */
  readonly previousKeys?: readonly Uint8Array[];
}

/** Retired keys a validator tries at most: each costs one more AEAD open for a token that fails. */
export const MAX_PREVIOUS_TOKEN_KEYS = 3;

/** A token that validated. */
export type ValidAddressToken =
  | {
      readonly valid: true;
      readonly kind: "retry";
      readonly issued: number;
      /** The Destination Connection ID of the client's first Initial (original_destination_connection_id, §7.3). */
      readonly originalDestinationCid: Uint8Array;
      /** The Source Connection ID of our Retry (retry_source_connection_id, §7.3). */
      readonly retrySourceCid: Uint8Array;
    }
  | { readonly valid: true; readonly kind: "new-token"; readonly issued: number };

/**
 * Why a token did not validate. `malformed`: not a token of ours at all
 * (wrong kind byte or length). `invalid`: authentication failed (forged,
 * tampered, another key, or another client address: indistinguishable on
 * purpose). `expired`: authentic but too old (or issued in the future).
 */
export type InvalidAddressToken = {
  readonly valid: false;
  readonly kind: AddressTokenKind | undefined;
  readonly reason: "malformed" | "invalid" | "expired";
};

/** Result of {@link AddressTokenKey.validate}. */
export type AddressTokenValidation = ValidAddressToken | InvalidAddressToken;

/** Length of the token key (AES-256-GCM). */
export const ADDRESS_TOKEN_KEY_LENGTH = 32;
const KIND_RETRY = 0x52;
const KIND_NEW_TOKEN = 0x4e;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
const ISSUED_LENGTH = 8;
const MAX_CID = 20;
/** Length of a NEW_TOKEN token. */
export const NEW_TOKEN_LENGTH = 1 + NONCE_LENGTH + ISSUED_LENGTH + TAG_LENGTH;
/** Upper bound of a Retry token (two 20-byte connection IDs): anything longer is refused before decryption. */
export const MAX_RETRY_TOKEN_LENGTH = NEW_TOKEN_LENGTH + 2 + 2 * MAX_CID;

const encoder = new TextEncoder();

/**
 * The 12-byte nonce of a token of ours: unique per token, so it identifies
 * a token for replay filtering (endpoint/token-replay.ts). Only meaningful
 * for a token that validated.
 */
export function addressTokenNonce(token: Uint8Array): Uint8Array {
  return token.subarray(1, 1 + NONCE_LENGTH);
}

/** Issues and validates address-validation tokens with one server-only key; see the module comment. */
export class AddressTokenKey {
  readonly retryLifetime: number;
  readonly newTokenLifetime: number;
  readonly clockSkew: number;
  readonly #aead: AeadKey;
  /** The current key first, then the retired ones. */
  readonly #openers: readonly AeadKey[];
  readonly #random: (out: Uint8Array) => void;

  /**
   * `key` is 32 secret bytes known only to this server (or to the servers
   * that jointly accept its tokens); `random` supplies the nonces (the core
   * has no entropy of its own).
   */
  constructor(provider: CryptoProvider, key: Uint8Array, random: (out: Uint8Array) => void, options: AddressTokenOptions = {}) {
    if (key.length !== ADDRESS_TOKEN_KEY_LENGTH) throw new RangeError(`address token key must be ${ADDRESS_TOKEN_KEY_LENGTH} bytes`);
    this.#aead = provider.aead("aes-256-gcm", key);
    const previous = options.previousKeys ?? [];
    if (previous.length > MAX_PREVIOUS_TOKEN_KEYS) throw new RangeError(`at most ${MAX_PREVIOUS_TOKEN_KEYS} previous token keys`);
    for (const k of previous)
      if (k.length !== ADDRESS_TOKEN_KEY_LENGTH) throw new RangeError(`address token key must be ${ADDRESS_TOKEN_KEY_LENGTH} bytes`);
    this.#openers = [this.#aead, ...previous.map((k) => provider.aead("aes-256-gcm", k))];
    this.#random = random;
    this.retryLifetime = duration("retryLifetime", options.retryLifetime ?? 10_000);
    this.newTokenLifetime = duration("newTokenLifetime", options.newTokenLifetime ?? 86_400_000);
    this.clockSkew = duration("clockSkew", options.clockSkew ?? 10_000);
  }

  /** A Retry token for `client`, carrying the two connection IDs the server must echo in its transport parameters (§7.3). */
  issueRetry(now: number, client: TokenAddress, originalDestinationCid: Uint8Array, retrySourceCid: Uint8Array): Uint8Array {
    if (originalDestinationCid.length > MAX_CID || retrySourceCid.length > MAX_CID)
      throw new RangeError("connection IDs are at most 20 bytes");
    const plain = new Uint8Array(ISSUED_LENGTH + 2 + originalDestinationCid.length + retrySourceCid.length);
    writeU64(plain, 0, now);
    let p = ISSUED_LENGTH;
    plain[p++] = originalDestinationCid.length;
    plain.set(originalDestinationCid, p);
    p += originalDestinationCid.length;
    plain[p++] = retrySourceCid.length;
    plain.set(retrySourceCid, p);
    return this.#seal(KIND_RETRY, client, plain);
  }

  /** A NEW_TOKEN token for `client` (bound to its IP, not its port). */
  issueNewToken(now: number, client: TokenAddress): Uint8Array {
    const plain = new Uint8Array(ISSUED_LENGTH);
    writeU64(plain, 0, now);
    return this.#seal(KIND_NEW_TOKEN, client, plain);
  }

  /**
   * Checks a token from an Initial's Token field. Never throws on any
   * input: bounded work (one AEAD open per key, current and retired, over
   * at most {@link MAX_RETRY_TOKEN_LENGTH} bytes).
   */
  validate(token: Uint8Array, now: number, client: TokenAddress): AddressTokenValidation {
    const kindByte = token.length > 0 ? (token[0] as number) : -1;
    const kind: AddressTokenKind | undefined = kindByte === KIND_RETRY ? "retry" : kindByte === KIND_NEW_TOKEN ? "new-token" : undefined;
    if (kind === undefined) return { valid: false, kind, reason: "malformed" };
    const lengthOk =
      kind === "new-token"
        ? token.length === NEW_TOKEN_LENGTH
        : token.length >= NEW_TOKEN_LENGTH + 2 && token.length <= MAX_RETRY_TOKEN_LENGTH;
    if (!lengthOk) return { valid: false, kind, reason: "malformed" };
    let plain: Uint8Array | undefined;
    const aad = associatedData(kindByte, client);
    for (const aead of this.#openers) {
      try {
        plain = aead.open(token.subarray(1, 1 + NONCE_LENGTH), token.subarray(1 + NONCE_LENGTH), aad);
        break;
      } catch {
        // not this key (or not authentic at all): try the next retired key
      }
    }
    if (plain === undefined) return { valid: false, kind, reason: "invalid" };
    const issued = readU64(plain, 0);
    const lifetime = kind === "retry" ? this.retryLifetime : this.newTokenLifetime;
    if (issued > now + this.clockSkew || now - issued > lifetime) return { valid: false, kind, reason: "expired" };
    if (kind === "new-token") return { valid: true, kind, issued };
    // Authentic, so written by issueRetry: the lengths are consistent; check anyway (a key shared with a buggy issuer).
    let p = ISSUED_LENGTH;
    const odcidLength = plain[p++] as number;
    if (odcidLength > MAX_CID || p + odcidLength + 1 > plain.length) return { valid: false, kind, reason: "malformed" };
    const originalDestinationCid = plain.slice(p, p + odcidLength);
    p += odcidLength;
    const rscidLength = plain[p++] as number;
    if (rscidLength > MAX_CID || p + rscidLength !== plain.length) return { valid: false, kind, reason: "malformed" };
    return { valid: true, kind, issued, originalDestinationCid, retrySourceCid: plain.slice(p, p + rscidLength) };
  }

  #seal(kindByte: number, client: TokenAddress, plain: Uint8Array): Uint8Array {
    const token = new Uint8Array(1 + NONCE_LENGTH + plain.length + TAG_LENGTH);
    token[0] = kindByte;
    const nonce = token.subarray(1, 1 + NONCE_LENGTH);
    this.#random(nonce);
    this.#aead.seal(nonce, plain, associatedData(kindByte, client), token.subarray(1 + NONCE_LENGTH));
    return token;
  }
}

/** The kind byte and the bound address: IP and port for Retry, IP only for NEW_TOKEN. */
function associatedData(kindByte: number, client: TokenAddress): Uint8Array {
  const text = kindByte === KIND_RETRY ? `R ${client.address} ${client.port}` : `N ${client.address}`;
  return encoder.encode(text);
}

function duration(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer number of ms, got ${value}`);
  return value;
}

/** Writes a non-negative integer below 2^53 (ms; fractions are dropped) as 8 bytes big-endian. */
function writeU64(out: Uint8Array, offset: number, value: number): void {
  const v = Math.max(0, Math.floor(value));
  const high = Math.floor(v / 2 ** 32);
  const low = v >>> 0;
  const view = new DataView(out.buffer, out.byteOffset + offset, 8);
  view.setUint32(0, high);
  view.setUint32(4, low);
}

function readU64(data: Uint8Array, offset: number): number {
  const view = new DataView(data.buffer, data.byteOffset + offset, 8);
  return view.getUint32(0) * 2 ** 32 + view.getUint32(4);
}
