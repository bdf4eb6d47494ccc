/**
 * A bounded memory of the NEW_TOKEN tokens a server already accepted, so
 * that each is accepted once (RFC 9000 §8.1.4: tokens from NEW_TOKEN
 * "SHOULD NOT be accepted multiple times"; a replayed token would let an
 * attacker who saw it skip address validation and use the server as an
 * amplifier toward the client's address).
 *
 * A token is identified by its 12-byte nonce (unique per token,
 * crypto/address-token.ts), remembered until the token would have expired
 * anyway. Memory is bounded by `capacity` entries (about 100 bytes each):
 * when full, the oldest entry is forgotten, so under a flood of distinct
 * valid tokens an old token could be accepted a second time. That is the
 * trade-off every bounded replay cache makes; the token's address binding
 * still limits what a replay achieves. A replayed token is treated as no
 * token (§8.1.3: proceed as if the client had not validated its address),
 * never as an error.
 *
 * @module
 */

/** See the module comment. */
export class TokenReplayFilter {
  readonly capacity: number;
  /** Nonce (binary string) -> expiry; insertion order is the eviction order. */
  readonly #seen = new Map<string, number>();

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0)
      throw new RangeError(`replay filter capacity must be a non-negative integer, got ${capacity}`);
    this.capacity = capacity;
  }

  /** Entries held. */
  get size(): number {
    return this.#seen.size;
  }

  /**
   * Records the token with nonce `nonce` (valid until `expiry`) and returns
   * true if it is new; false when it was already accepted and has not yet
   * expired. With a capacity of 0 every token is new (no filtering).
   */
  firstUse(nonce: Uint8Array, now: number, expiry: number): boolean {
    if (this.capacity === 0) return true;
    const key = String.fromCharCode(...nonce);
    const seen = this.#seen.get(key);
    if (seen !== undefined && seen >= now) return false;
    if (seen !== undefined) this.#seen.delete(key);
    // Forget expired entries at the front, then the oldest while full (bounded memory).
    for (const [k, e] of this.#seen) {
      if (e >= now && this.#seen.size < this.capacity) break;
      this.#seen.delete(k);
    }
    this.#seen.set(key, expiry);
    return true;
  }
}
