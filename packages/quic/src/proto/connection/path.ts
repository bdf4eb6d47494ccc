/**
 * Following a client to a new address (RFC 9000 §9, §8.2): when a NAT
 * rebinds the client's port or address, the server sees its packets come
 * from elsewhere. Only an authenticated, highest-numbered, non-probing
 * packet moves the connection (§9.3), so spoofed or replayed datagrams
 * cannot; the new path is then validated with PATH_CHALLENGE /
 * PATH_RESPONSE (§8.2), and until it is, the server sends at most three
 * times what it received on it (§9.3, §21.5.3 request forgery). If no
 * response arrives within three PTOs, the connection goes back to the
 * previous address (§9.3.2).
 *
 * Congestion control and RTT are kept across the move: RFC 9000 §9.4 lets
 * an endpoint reuse them when only the port changed, which is what NAT
 * rebinding does; a change of IP address keeps them too (simplification:
 * see the README).
 *
 * @module
 */
import type { SocketAddress } from "./connection.js";

interface Validation {
  readonly previous: SocketAddress;
  readonly challenge: Uint8Array;
  challengeDue: boolean;
  readonly deadline: number;
  received: number;
  sent: number;
}

/** See the module comment. */
export class PathMigration {
  #validation: Validation | undefined;
  /** Completed migrations (stats, tests). */
  migrations = 0;

  /** True while a new path awaits its PATH_RESPONSE. */
  get validating(): boolean {
    return this.#validation !== undefined;
  }

  /** A PATH_CHALLENGE is waiting to be sent. */
  get challengeDue(): boolean {
    return this.#validation?.challengeDue === true;
  }

  /** When the validation gives up, or undefined. */
  get deadline(): number | undefined {
    return this.#validation?.deadline;
  }

  /**
   * The connection moved to a new address, away from `previous`, on a
   * datagram of `received` bytes. `challenge` is 8 fresh random bytes.
   */
  start(now: number, previous: SocketAddress, received: number, challenge: Uint8Array, timeout: number): void {
    // A move during a validation keeps the original previous address: that one was validated.
    const origin = this.#validation?.previous ?? previous;
    this.#validation = { previous: origin, challenge, challengeDue: true, deadline: now + timeout, received, sent: 0 };
  }

  /** Bytes received on the path being validated. */
  onReceived(bytes: number): void {
    if (this.#validation !== undefined) this.#validation.received += bytes;
  }

  /** Bytes sent on the path being validated. */
  onSent(bytes: number): void {
    if (this.#validation !== undefined) this.#validation.sent += bytes;
  }

  /** How many more bytes may be sent on an unvalidated path (3x received, §9.3), or undefined when validated. */
  sendLimit(): number | undefined {
    const v = this.#validation;
    return v === undefined ? undefined : 3 * v.received - v.sent;
  }

  /** The PATH_CHALLENGE data to send now, if due (marks it sent). */
  takeChallenge(): Uint8Array | undefined {
    const v = this.#validation;
    if (v === undefined || !v.challengeDue) return undefined;
    v.challengeDue = false;
    return v.challenge;
  }

  /** A probe timeout: send the challenge again (it may have been lost). */
  retryChallenge(): void {
    if (this.#validation !== undefined) this.#validation.challengeDue = true;
  }

  /** A PATH_RESPONSE arrived; returns true when it validates the new path (§8.2.3). */
  onResponse(data: Uint8Array): boolean {
    const v = this.#validation;
    if (v === undefined || data.length !== v.challenge.length) return false;
    for (let i = 0; i < data.length; i++) if (data[i] !== v.challenge[i]) return false;
    this.#validation = undefined;
    this.migrations++;
    return true;
  }

  /** At `now` past the deadline: gives up and returns the address to go back to (§9.3.2). */
  onTimeout(now: number): SocketAddress | undefined {
    const v = this.#validation;
    if (v === undefined || now < v.deadline) return undefined;
    this.#validation = undefined;
    return v.previous;
  }
}
