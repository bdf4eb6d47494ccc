/**
 * The endpoint's two halves of stateless reset (RFC 9000 §10.3).
 *
 * Sending ({@link StatelessResetResponder}): a short-header packet for a
 * connection ID we do not know is answered with a datagram shaped like a
 * short-header packet that ends in the token derived from that connection
 * ID (crypto/stateless-reset.ts), so a peer whose connection we lost (a
 * restart with the same static key) stops at once instead of timing out.
 * The RFC's bounds are enforced here, not left to callers:
 *
 * - strictly smaller than the packet that triggered it (§10.3.3), so two
 *   endpoints resetting each other's resets shrink to nothing: a trigger of
 *   21 bytes or less (the smallest a reset can be) gets no answer at all;
 * - one byte shorter than a trigger of 43 bytes or less, otherwise a random
 *   length of at least 43 bytes so that resets do not stand out (§10.3);
 * - never more than the trigger, so never an amplifier (§10.3 forbids 3x);
 * - rate-limited by a token bucket (default 50/s, bursts of 20) so that a
 *   flood of junk cannot turn the endpoint into a packet generator;
 * - only with non-zero-length connection IDs (the token is derived from
 *   the CID, §10.3.2).
 *
 * Receiving ({@link StatelessResetDetector}): §10.3.1 requires checking the
 * last 16 bytes of a datagram that cannot be associated with a connection
 * against the tokens of the connections with the sender's address (a reset
 * carries a random DCID, so it is usually unroutable). The detector indexes
 * connections by remote address so that the check costs the connections
 * of that one address, not all of them; each connection compares in
 * constant time (`Connection.handleStatelessReset`).
 *
 * @module
 */
import { MIN_STATELESS_RESET_LENGTH, STATELESS_RESET_TOKEN_LENGTH, type StatelessResetKey } from "../crypto/stateless-reset.js";

/** Rate limit of {@link StatelessResetResponder}. */
export interface StatelessResetLimits {
  /** Resets per second on average (default 50). */
  readonly ratePerSecond?: number;
  /** Resets that may go out back to back (default 20). */
  readonly burst?: number;
}

/** Below this trigger length the reset is one byte shorter than the trigger; above, at least this long (§10.3). */
const INDISTINGUISHABLE_LENGTH = 43;
/** Random extra length above 43 bytes, bounded by the trigger. */
const LENGTH_SPREAD = 32;

/** Builds rate-limited, size-bounded stateless resets; see the module comment. */
export class StatelessResetResponder {
  readonly #key: StatelessResetKey;
  readonly #cidLength: number;
  readonly #random: (out: Uint8Array) => void;
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #last: number | undefined;
  /** Resets sent, and triggers refused by the rate limit or the size rules. */
  readonly stats = { sent: 0, rateLimited: 0, tooSmall: 0 };

  constructor(key: StatelessResetKey, cidLength: number, random: (out: Uint8Array) => void, limits: StatelessResetLimits = {}) {
    this.#key = key;
    this.#cidLength = cidLength;
    this.#random = random;
    this.#rate = limits.ratePerSecond ?? 50;
    this.#burst = limits.burst ?? 20;
    if (!(this.#rate >= 0) || !(this.#burst >= 0)) throw new RangeError("stateless reset limits must be non-negative");
    this.#tokens = this.#burst;
  }

  /**
   * Writes into `out` the stateless reset answering the unroutable
   * short-header `datagram` whose Destination Connection ID is `dcid`;
   * returns its length, or 0 when none may be sent (see the module
   * comment). `out` must hold `datagram.length` bytes.
   */
  respond(now: number, datagram: Uint8Array, dcid: Uint8Array, out: Uint8Array): number {
    if (this.#cidLength === 0 || dcid.length !== this.#cidLength) return 0;
    const trigger = datagram.length;
    if (trigger <= MIN_STATELESS_RESET_LENGTH) {
      this.stats.tooSmall++; // §10.3.3: a reset must be smaller than its trigger and cannot be under 21 bytes
      return 0;
    }
    if (!this.#take(now)) {
      this.stats.rateLimited++;
      return 0;
    }
    let length: number;
    if (trigger <= INDISTINGUISHABLE_LENGTH) length = trigger - 1;
    else {
      const spread = new Uint8Array(1);
      this.#random(spread);
      length = Math.min(trigger - 1, INDISTINGUISHABLE_LENGTH + ((spread[0] as number) % LENGTH_SPREAD));
    }
    if (out.length < length) throw new RangeError(`buffer of ${out.length} bytes cannot hold a ${length}-byte stateless reset`);
    const unpredictable = out.subarray(0, length - STATELESS_RESET_TOKEN_LENGTH);
    this.#random(unpredictable);
    // §10.3: a short header's first two bits (form 0, fixed bit 1); everything else unpredictable.
    out[0] = ((out[0] as number) & 0x3f) | 0x40;
    out.set(this.#key.token(dcid), length - STATELESS_RESET_TOKEN_LENGTH);
    this.stats.sent++;
    return length;
  }

  #take(now: number): boolean {
    if (this.#last !== undefined && now > this.#last)
      this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) * this.#rate) / 1000);
    if (this.#last === undefined || now > this.#last) this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** What the detector needs of a connection. */
export interface ResettableConnection {
  readonly remoteAddress: { readonly address: string; readonly port: number };
  /** Compares the datagram's last 16 bytes with the peer's tokens (constant time); on a match, drains and returns true. */
  handleStatelessReset(now: number, datagram: Uint8Array): boolean;
}

/** Connections by remote address, for §10.3.1's check of unroutable datagrams; see the module comment. */
export class StatelessResetDetector<C extends ResettableConnection> {
  readonly #byAddress = new Map<string, Set<C>>();
  /** The address object each connection is filed under, so a move (NAT rebinding, RFC 9000 §9) can be noticed and undone. */
  readonly #filedAt = new Map<C, { readonly address: string; readonly port: number }>();

  /** Connections tracked. */
  get size(): number {
    return this.#filedAt.size;
  }

  /** Starts tracking `conn` under its current remote address. */
  add(conn: C): void {
    const at = conn.remoteAddress;
    this.#filedAt.set(conn, at);
    const k = addressKey(at);
    let set = this.#byAddress.get(k);
    if (set === undefined) {
      set = new Set();
      this.#byAddress.set(k, set);
    }
    set.add(conn);
  }

  /**
   * Files `conn` again if its remote address changed since (a server following a rebound client): its resets
   * now come from there. Cheap when nothing moved (an identity check), so the endpoint calls it after every datagram.
   */
  update(conn: C): void {
    const at = this.#filedAt.get(conn);
    if (at === undefined || at === conn.remoteAddress) return;
    this.delete(conn);
    this.add(conn);
  }

  /** Stops tracking `conn` (under the address it was filed at, which may not be its current one). */
  delete(conn: C): void {
    const at = this.#filedAt.get(conn);
    if (at === undefined) return;
    this.#filedAt.delete(conn);
    const k = addressKey(at);
    const set = this.#byAddress.get(k);
    if (set === undefined) return;
    set.delete(conn);
    if (set.size === 0) this.#byAddress.delete(k);
  }

  /** The connection with `remote` that `datagram` resets (now draining), or undefined. */
  detect(now: number, datagram: Uint8Array, remote: { readonly address: string; readonly port: number }): C | undefined {
    if (datagram.length < MIN_STATELESS_RESET_LENGTH) return undefined;
    const set = this.#byAddress.get(addressKey(remote));
    if (set === undefined) return undefined;
    for (const conn of set) if (conn.handleStatelessReset(now, datagram)) return conn;
    return undefined;
  }
}

function addressKey(a: { readonly address: string; readonly port: number }): string {
  return `${a.address} ${a.port}`;
}
