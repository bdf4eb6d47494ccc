/**
 * The network paths of one connection (RFC 9000 §8.2, §9): the current one,
 * which carries everything, and a few others a peer probed, a NAT moved
 * us away from, or our own `migrate` is validating. A path is a pair of a
 * local address (undefined: the endpoint's own socket; a client's
 * `migrate` names another) and a peer address.
 *
 * Why a table and not one "new address" slot: §8.2.2 wants a PATH_RESPONSE
 * on the path its PATH_CHALLENGE came from, and a peer may probe a path
 * (quiche's `probe_path`) long before it moves there, while another
 * validation is under way. Each path keeps what §8.2 and §9 need of it:
 * whether it is validated, the bytes it brought and was sent until then
 * (the 3x anti-amplification limit applies per path, §9.3, §21.5.3), the
 * PATH_CHALLENGE values outstanding with their retransmission and
 * abandon timers, the PATH_RESPONSEs owed on it, the peer connection ID
 * set aside for it (§9.5), and the recovery state it had when the
 * connection left it (§9.4 lets a return to a validated path restore it).
 *
 * Bounded: at most {@link MAX_PATHS} paths (the least recently active
 * unprotected one is evicted), two owed responses and three challenge
 * values per path, and only authenticated packets create one. An attacker
 * replaying a packet from many spoofed addresses therefore costs a fixed
 * amount of memory, and each spoofed address receives at most three times
 * what was sent from it.
 *
 * @module
 */
import type { CongestionController } from "../congestion/controller.js";
import { QuicError } from "../errors.js";
import type { SocketAddress } from "./connection.js";

/** Paths tracked at most per connection, the current one included. */
export const MAX_PATHS = 4;
/** PATH_RESPONSEs owed on one path at most: a peer challenging faster than we answer loses the oldest. */
const MAX_RESPONSES = 2;
/** Challenge values remembered per path: a response to any of the latest validates it. */
const MAX_CHALLENGES = 3;
const CHALLENGE_LENGTH = 8;

/**
 * Why a migration did not happen: `Connection.migrate` refused to start it (every reason but the last), or the
 * new path did not validate in time (`validation-failed`, from the Node API's `migrate`).
 */
export type MigrationFailure =
  | "server"
  | "not-confirmed"
  | "disabled-by-peer"
  | "zero-length-cid"
  | "no-connection-id"
  | "same-path"
  | "in-progress"
  | "validation-failed";

/** A migration was refused or failed; `reason` says why (RFC 9000 §9, §9.5, §8.2.4). */
export class MigrationError extends QuicError<"ZSYNC_QUIC_MIGRATION"> {
  static {
    MigrationError.brand("@zsync/quic:MigrationError");
  }

  readonly reason: MigrationFailure;

  constructor(reason: MigrationFailure, message: string) {
    super("ZSYNC_QUIC_MIGRATION", message);
    this.reason = reason;
  }
}

/** RTT estimator fields, saved with a path's controller for a return to it. */
export interface RttSnapshot {
  readonly latestRtt: number;
  readonly minRtt: number;
  readonly smoothedRtt: number;
  readonly rttvar: number;
  readonly hasSample: boolean;
}

/** One path; see the module comment. */
export class Path {
  readonly local: SocketAddress | undefined;
  readonly remote: SocketAddress;
  validated: boolean;
  /**
   * The peer's address on this path is unproven (a new address the peer sent from): until the path validates,
   * at most 3x what it brought may go there. A path we opened ourselves (`migrate`) leads to the peer's
   * known address and is not limited.
   */
  readonly amplificationLimited: boolean;
  /** Bytes received from and sent to the peer on this path while it was not validated. */
  received = 0;
  sent = 0;
  /** Time of the last authenticated packet on it (eviction order). */
  lastActive: number;
  /** The peer connection ID set aside for this path (§9.5), by sequence number. */
  cidSequence: number | undefined;
  /** A packet went out on this path with that ID (it must then be retired, not reused, when the path goes). */
  cidUsed = false;
  /** The recovery state the connection had here when it left, for a return (§9.4). */
  recovery: { readonly cc: CongestionController; readonly rtt: RttSnapshot } | undefined;
  /** PATH_CHALLENGE data received on this path, to echo on it (§8.2.2). */
  readonly responses: Uint8Array[] = [];
  readonly #challenges: Uint8Array[] = [];
  #challengeDue = false;
  #retryAt: number | undefined;
  #deadline: number | undefined;
  #attempts = 0;

  constructor(local: SocketAddress | undefined, remote: SocketAddress, validated: boolean, now: number, amplificationLimited = !validated) {
    this.local = local;
    this.remote = remote;
    this.validated = validated;
    this.amplificationLimited = amplificationLimited;
    this.lastActive = now;
  }

  /** True while a validation of this path is under way. */
  get validating(): boolean {
    return this.#deadline !== undefined;
  }

  /** A PATH_CHALLENGE is waiting to be sent. */
  get challengeDue(): boolean {
    return this.#challengeDue;
  }

  /** Something to send on this path: a response owed or a challenge due. */
  get wantsToSend(): boolean {
    return this.responses.length > 0 || this.#challengeDue;
  }

  /** The next time {@link onTimeout} has work, or undefined. */
  get timeout(): number | undefined {
    const r = this.#retryAt;
    const d = this.#deadline;
    return r === undefined ? d : d === undefined || r < d ? r : d;
  }

  /** How many more bytes may go to this path: 3x what it brought while unvalidated (§8.1, §9.3), else undefined. */
  sendLimit(): number | undefined {
    return this.validated || !this.amplificationLimited ? undefined : Math.max(0, 3 * this.received - this.sent);
  }

  onReceived(bytes: number): void {
    if (!this.validated) this.received += bytes;
  }

  onSent(bytes: number): void {
    if (!this.validated) this.sent += bytes;
  }

  /** Whether this is the path from `local` to `remote`. */
  is(local: SocketAddress | undefined, remote: SocketAddress): boolean {
    return (
      sameAddress(this.remote, remote) &&
      (this.local === undefined ? local === undefined : local !== undefined && sameAddress(this.local, local))
    );
  }

  /** Starts validating this path (§8.2.1): a challenge is due now; the attempt is abandoned at `now + timeout`. */
  startValidation(now: number, timeout: number): void {
    if (this.#deadline !== undefined) return;
    this.#deadline = now + timeout;
    this.#challengeDue = true;
    this.#retryAt = undefined;
    this.#attempts = 0;
  }

  /**
   * The PATH_CHALLENGE data to send now, if due: fresh unpredictable bytes every time (§8.2.1). The next one is
   * due after `interval` (a PTO), doubling per attempt: no more often than Initial packets would be sent.
   */
  takeChallenge(now: number, interval: number, random: (out: Uint8Array) => void): Uint8Array | undefined {
    if (!this.#challengeDue) return undefined;
    this.#challengeDue = false;
    const data = new Uint8Array(CHALLENGE_LENGTH);
    random(data);
    if (this.#challenges.length >= MAX_CHALLENGES) this.#challenges.shift();
    this.#challenges.push(data);
    this.#retryAt = now + interval * 2 ** this.#attempts;
    this.#attempts++;
    return data;
  }

  /** A PATH_RESPONSE with `data` arrived (on any path, §8.2.3): true when it answers one of our challenges here. */
  onResponse(data: Uint8Array): boolean {
    if (!this.#challenges.some((c) => sameBytes(c, data))) return false;
    this.validated = true;
    this.#stop();
    return true;
  }

  /** Fires the timers due at `now`: returns true when the validation was abandoned (§8.2.4). */
  onTimeout(now: number): boolean {
    if (this.#deadline !== undefined && now >= this.#deadline) {
      this.#stop();
      return true;
    }
    if (this.#retryAt !== undefined && now >= this.#retryAt) {
      this.#retryAt = undefined;
      this.#challengeDue = true;
    }
    return false;
  }

  /** Owes a PATH_RESPONSE echoing `data` on this path (§8.2.2); one per challenge, never retransmitted (§13.3). */
  queueResponse(data: Uint8Array): void {
    if (this.responses.length >= MAX_RESPONSES) this.responses.shift();
    this.responses.push(data.slice());
  }

  #stop(): void {
    this.#challenges.length = 0;
    this.#challengeDue = false;
    this.#retryAt = undefined;
    this.#deadline = undefined;
  }
}

/** The connection's paths; see the module comment. */
export class PathTable {
  /** Where the connection sends everything but probes. */
  current: Path;
  /** The last validated path before the current one: where a failed validation returns to (§9.3.2). */
  fallback: Path | undefined;
  /** Client: the path `migrate` is validating, to switch to once it is. */
  migrating: Path | undefined;
  readonly #paths: Path[];
  /** Paths created (stats, tests). */
  created = 0;
  /** Paths evicted to stay within {@link MAX_PATHS}. */
  evicted = 0;

  constructor(current: Path) {
    this.current = current;
    this.#paths = [current];
  }

  /** Every path, the current one included. */
  get all(): readonly Path[] {
    return this.#paths;
  }

  find(local: SocketAddress | undefined, remote: SocketAddress): Path | undefined {
    for (const p of this.#paths) if (p.is(local, remote)) return p;
    return undefined;
  }

  /**
   * Adds a path, evicting the least recently active one that is neither current, the fallback nor being
   * migrated to when the table is full. Returns the evicted path (its connection ID is for the caller to
   * release), if any.
   */
  add(path: Path): Path | undefined {
    let evicted: Path | undefined;
    if (this.#paths.length >= MAX_PATHS) {
      for (const p of this.#paths)
        if (
          p !== this.current &&
          p !== this.fallback &&
          p !== this.migrating &&
          (evicted === undefined || p.lastActive < evicted.lastActive)
        )
          evicted = p;
      if (evicted !== undefined) this.remove(evicted);
      this.evicted++;
    }
    this.#paths.push(path);
    this.created++;
    return evicted;
  }

  remove(path: Path): void {
    const at = this.#paths.indexOf(path);
    if (at >= 0) this.#paths.splice(at, 1);
    if (this.fallback === path) this.fallback = undefined;
    if (this.migrating === path) this.migrating = undefined;
  }

  /** A path other than the current one with a probe to send within its amplification limit (`minimum` bytes at least). */
  nextProbe(minimum: number): Path | undefined {
    for (const p of this.#paths) {
      if (p === this.current || !p.wantsToSend) continue;
      const limit = p.sendLimit();
      if (limit === undefined || limit >= minimum) return p;
    }
    return undefined;
  }

  /** The earliest path timer. */
  get timeout(): number | undefined {
    let t: number | undefined;
    for (const p of this.#paths) {
      const at = p.timeout;
      if (at !== undefined && (t === undefined || at < t)) t = at;
    }
    return t;
  }
}

/** Same IP address and port. */
export function sameAddress(a: SocketAddress, b: SocketAddress): boolean {
  return a.port === b.port && a.address === b.address;
}

/**
 * Whether moving from `from` to `to` changes only ports (§9.4: congestion state may then be kept): the same peer
 * IP, and the same local IP when both are known (an unknown local address counts as a change).
 */
export function onlyPortsDiffer(from: Path, to: Path): boolean {
  if (from.remote.address !== to.remote.address) return false;
  if (from.local === undefined && to.local === undefined) return true;
  return from.local !== undefined && to.local !== undefined && from.local.address === to.local.address;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
