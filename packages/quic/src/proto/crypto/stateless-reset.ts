/**
 * Stateless reset tokens (RFC 9000 §10.3): the 16 bytes that let an
 * endpoint which lost a connection's state tell the peer "this connection
 * is gone" in one datagram, and let the peer believe it.
 *
 * Tokens are derived, not stored (§10.3.2): token = HMAC-SHA256(static
 * key, connection ID) truncated to 16 bytes. An endpoint that restarted
 * with the same key recomputes the token from the Destination Connection
 * ID of a packet it cannot place, with no state at all. Consequences the
 * RFC spells out and the endpoint honours: every connection ID must have
 * the endpoint's fixed length (the endpoint's `cidLength`), zero-length
 * connection IDs cannot be reset, and a connection ID must never be reused
 * with the same key (ours are random, 8 bytes by default).
 *
 * Comparisons against received datagrams are constant-time
 * ({@link matchesResetToken}): §10.3.1 forbids leaking the token through
 * timing, since whoever learns it can close the connection.
 *
 * @example
 * ```ts
 * import { getProvider } from "@zsync/crypto";
 * import { matchesResetToken, StatelessResetKey } from "@zsync/quic/proto";
 * declare const staticKey32: Uint8Array;
 * declare const localCid: Uint8Array;
 * declare const datagram: Uint8Array;
 * declare const peerToken: Uint8Array;
 * declare function enterDraining(): void;
 * const provider = getProvider();
 * const resets = new StatelessResetKey(provider, staticKey32);
 * const token = resets.token(localCid); // goes in stateless_reset_token / NEW_CONNECTION_ID
 * if (matchesResetToken(datagram, peerToken)) enterDraining();
 * ```
 * @module
 */
import type { CryptoProvider } from "@zsync/crypto";

/** Length of a stateless reset token (§10.3). */
export const STATELESS_RESET_TOKEN_LENGTH = 16;
/** The smallest datagram that can be a stateless reset: 5 unpredictable bytes (38 bits plus the fixed bits) and the token (§10.3). */
export const MIN_STATELESS_RESET_LENGTH = 21;
/** Length of the static key (any length works with HMAC; 32 bytes is SHA-256's strength). */
export const STATELESS_RESET_KEY_LENGTH = 32;

/** Derives stateless reset tokens from one static key; see the module comment. */
export class StatelessResetKey {
  readonly #provider: CryptoProvider;
  readonly #key: Uint8Array;

  constructor(provider: CryptoProvider, key: Uint8Array) {
    if (key.length !== STATELESS_RESET_KEY_LENGTH) throw new RangeError(`stateless reset key must be ${STATELESS_RESET_KEY_LENGTH} bytes`);
    this.#provider = provider;
    this.#key = key.slice();
  }

  /** The token for connection ID `cid` (HMAC-SHA256(key, cid)[0, 16)). */
  token(cid: Uint8Array): Uint8Array {
    return this.#provider.hmac("sha256", this.#key, cid).slice(0, STATELESS_RESET_TOKEN_LENGTH);
  }
}

/**
 * True when the last 16 bytes of `datagram` equal `token`, compared in
 * constant time (every byte is looked at whatever the data). Datagrams
 * shorter than {@link MIN_STATELESS_RESET_LENGTH} never match: they cannot
 * be a reset (§10.3).
 */
export function matchesResetToken(datagram: Uint8Array, token: Uint8Array): boolean {
  if (token.length !== STATELESS_RESET_TOKEN_LENGTH || datagram.length < MIN_STATELESS_RESET_LENGTH) return false;
  const base = datagram.length - STATELESS_RESET_TOKEN_LENGTH;
  let difference = 0;
  for (let i = 0; i < STATELESS_RESET_TOKEN_LENGTH; i++) difference |= (datagram[base + i] as number) ^ (token[i] as number);
  return difference === 0;
}
