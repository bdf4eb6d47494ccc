/**
 * Connection IDs after the handshake (RFC 9000 §5.1, §19.15, §19.16): the
 * IDs we issue to the peer with NEW_CONNECTION_ID, and the IDs the peer
 * issues to us. Pure bookkeeping with no I/O, so the connection stays a thin
 * caller and the rules are tested here frame by frame.
 *
 * Why a connection needs several IDs at all: a peer that changes address
 * (NAT rebinding, migration, §9.5) should switch to an ID an on-path observer
 * cannot link to the old one, and the receiver of a new ID must be able to
 * route it (the endpoint's table) and recognise a stateless reset for it.
 *
 * - {@link LocalConnectionIds}: sequence 0 is the ID of the handshake; we
 *   keep `min(peer's active_connection_id_limit, MAX_ISSUED)` IDs active
 *   (§5.1.1), replace each one the peer retires, and report additions and
 *   removals (`takeRoutingChanges`) so the endpoint routes them.
 * - {@link RemoteConnectionIds}: the peer's IDs with their stateless reset
 *   tokens; enforces our active_connection_id_limit
 *   (CONNECTION_ID_LIMIT_ERROR), Retire Prior To (§5.1.2) and consistency
 *   (PROTOCOL_VIOLATION), and hands out an unused ID on a path change.
 *
 * Retransmission is by information (§13.3): a lost NEW_CONNECTION_ID is sent
 * again while its ID is still active, a lost RETIRE_CONNECTION_ID always.
 *
 * @module
 */
import { TransportError, TransportErrorCode } from "../errors.js";
import { FrameType } from "../wire/frame.js";
import type { Writer } from "../wire/writer.js";

/** IDs we keep issued at most, whatever the peer allows: enough for a few path changes, bounded routing state. */
export const MAX_ISSUED_CONNECTION_IDS = 8;
/** Retirements we owe the peer at most before declaring the peer abusive (§5.1.2's SHOULD limit). */
const MAX_PENDING_RETIREMENTS = 32;
const RESET_TOKEN_LENGTH = 16;
/** Retired sequence numbers remembered below the peer's Retire Prior To (late retransmissions land close to it). */
const RETIRED_MEMORY = 2 * MAX_PENDING_RETIREMENTS;

/** One of our connection IDs. */
interface LocalId {
  readonly sequence: number;
  readonly cid: Uint8Array;
  readonly resetToken: Uint8Array;
  /** A NEW_CONNECTION_ID for it is waiting to be (re)sent. */
  pending: boolean;
}

/** A change of the endpoint's routing table. */
export interface RoutingChange {
  readonly kind: "add" | "remove";
  readonly cid: Uint8Array;
}

/** Connection IDs we issued (see the module comment). */
export class LocalConnectionIds {
  readonly #active = new Map<number, LocalId>();
  readonly #changes: RoutingChange[] = [];
  readonly #length: number;
  readonly #random: (out: Uint8Array) => void;
  readonly #resetToken: (cid: Uint8Array) => Uint8Array;
  #nextSequence = 1;
  #limit = 0;

  /**
   * `initial` is the ID of the handshake (sequence 0, already routed).
   * `resetToken` derives the stateless reset token of an ID (the endpoint's
   * key, so the endpoint can answer for it after we are gone).
   */
  constructor(initial: Uint8Array, random: (out: Uint8Array) => void, resetToken: (cid: Uint8Array) => Uint8Array) {
    this.#length = initial.length;
    this.#random = random;
    this.#resetToken = resetToken;
    this.#active.set(0, { sequence: 0, cid: initial, resetToken: new Uint8Array(RESET_TOKEN_LENGTH), pending: false });
  }

  /** IDs the peer may use now. */
  get activeCount(): number {
    return this.#active.size;
  }

  /** True when a NEW_CONNECTION_ID is waiting. */
  get wantsToSend(): boolean {
    for (const id of this.#active.values()) if (id.pending) return true;
    return false;
  }

  /**
   * Once the handshake completed (1-RTT keys): issue IDs up to the peer's
   * active_connection_id_limit (capped). A zero-length ID cannot be
   * replaced (§5.1.1: nothing to route by), so then none are issued.
   */
  start(peerLimit: number): void {
    if (this.#length === 0) return;
    this.#limit = Math.min(peerLimit, MAX_ISSUED_CONNECTION_IDS);
    this.#refill();
  }

  /**
   * RETIRE_CONNECTION_ID (§19.16). `packetDcid` is the Destination
   * Connection ID of the packet carrying it: retiring that very ID, or one
   * never issued, is a PROTOCOL_VIOLATION. A retired ID is replaced.
   */
  onRetire(sequence: number, packetDcid: Uint8Array): void {
    if (sequence >= this.#nextSequence || this.#length === 0)
      throw new TransportError(
        TransportErrorCode.PROTOCOL_VIOLATION,
        `RETIRE_CONNECTION_ID for sequence ${sequence}, never issued`,
        FrameType.RETIRE_CONNECTION_ID,
      );
    const id = this.#active.get(sequence);
    if (id === undefined) return; // retired already (a retransmitted frame)
    if (bytesEqual(id.cid, packetDcid))
      throw new TransportError(
        TransportErrorCode.PROTOCOL_VIOLATION,
        "RETIRE_CONNECTION_ID retires the ID its packet was sent to",
        FrameType.RETIRE_CONNECTION_ID,
      );
    this.#active.delete(sequence);
    this.#changes.push({ kind: "remove", cid: id.cid });
    this.#refill();
  }

  /** Writes pending NEW_CONNECTION_ID frames that fit; returns the sequence numbers sent (for loss), or undefined. */
  fill(w: Writer): number[] | undefined {
    let sent: number[] | undefined;
    for (const id of this.#active.values()) {
      if (!id.pending) continue;
      if (w.remaining < 1 + 8 + 1 + 1 + id.cid.length + RESET_TOKEN_LENGTH) break;
      w.u8(FrameType.NEW_CONNECTION_ID).varint(id.sequence).varint(0).u8(id.cid.length).bytes(id.cid).bytes(id.resetToken);
      id.pending = false;
      if (sent === undefined) sent = [];
      sent.push(id.sequence);
    }
    return sent;
  }

  /** A packet carrying NEW_CONNECTION_ID for these sequences was lost: resend those still active. */
  onLost(sequences: readonly number[]): void {
    for (const s of sequences) {
      const id = this.#active.get(s);
      if (id !== undefined) id.pending = true;
    }
  }

  /** Routing additions and removals since the last call (the endpoint applies them). */
  takeRoutingChanges(): RoutingChange[] | undefined {
    if (this.#changes.length === 0) return undefined;
    return this.#changes.splice(0);
  }

  /** Every ID still routed to this connection (for the endpoint to forget when it drains). */
  get cids(): Uint8Array[] {
    return [...this.#active.values()].map((id) => id.cid);
  }

  #refill(): void {
    while (this.#active.size < this.#limit) {
      const cid = new Uint8Array(this.#length);
      this.#random(cid);
      const sequence = this.#nextSequence++;
      this.#active.set(sequence, { sequence, cid, resetToken: this.#resetToken(cid), pending: true });
      this.#changes.push({ kind: "add", cid });
    }
  }
}

/** One of the peer's connection IDs. */
interface RemoteId {
  readonly sequence: number;
  readonly cid: Uint8Array;
  /** Undefined for sequence 0 of a client (it has none) until known. */
  resetToken: Uint8Array | undefined;
}

/** Connection IDs the peer issued (see the module comment). */
export class RemoteConnectionIds {
  readonly #ids = new Map<number, RemoteId>();
  readonly #limit: number;
  /** Sequence numbers to retire with RETIRE_CONNECTION_ID (pending, or lost and due again). */
  readonly #retire: number[] = [];
  /**
   * Retired sequence numbers: a repeated NEW_CONNECTION_ID for one is not re-added, nor retired again (§19.15).
   * Only those from {@link RETIRED_MEMORY} below Retire Prior To up are kept (everything below it is retired by
   * definition; a frame that late draws at worst a second, harmless RETIRE_CONNECTION_ID): a peer raising Retire
   * Prior To with every NEW_CONNECTION_ID otherwise grew this set by one entry per frame for the connection's life
   * (about 21 MB per million frames).
   */
  readonly #retired = new Set<number>();
  #current: RemoteId;
  #retirePriorTo = 0;
  /** Sequences set aside for a path other than the current one (§9.5: one ID per path, never shared). */
  readonly #reserved = new Set<number>();

  /** `initial` is the peer's ID of the handshake (sequence 0); `limit` our active_connection_id_limit. */
  constructor(initial: Uint8Array, limit: number) {
    this.#limit = limit;
    this.#current = { sequence: 0, cid: initial, resetToken: undefined };
    this.#ids.set(0, this.#current);
  }

  /** The ID we send to. */
  get current(): Uint8Array {
    return this.#current.cid;
  }

  /** Sequence number of {@link current}. */
  get currentSequence(): number {
    return this.#current.sequence;
  }

  /** The handshake changed sequence 0 (the server's SCID, a Retry's): before any NEW_CONNECTION_ID. */
  resetInitial(cid: Uint8Array): void {
    this.#current = { sequence: 0, cid, resetToken: this.#ids.get(0)?.resetToken };
    this.#ids.set(0, this.#current);
  }

  /** The server's stateless_reset_token transport parameter belongs to its sequence 0 (§18.2). */
  setInitialResetToken(token: Uint8Array | undefined): void {
    const id = this.#ids.get(0);
    if (id !== undefined) id.resetToken = token;
  }

  /** Active IDs, the one in use included. */
  get activeCount(): number {
    return this.#ids.size;
  }

  /** True when a RETIRE_CONNECTION_ID is waiting. */
  get wantsToSend(): boolean {
    return this.#retire.length > 0;
  }

  /** Retired sequence numbers remembered individually (bounded state: tests, diagnostics). */
  get retiredRemembered(): number {
    return this.#retired.size;
  }

  /** Stateless reset tokens of the peer's active IDs (§10.3.1 compares a datagram with each). */
  *resetTokens(): Iterable<Uint8Array> {
    for (const id of this.#ids.values()) if (id.resetToken !== undefined) yield id.resetToken;
  }

  /**
   * NEW_CONNECTION_ID (§19.15). Throws PROTOCOL_VIOLATION when we use a
   * zero-length ID (the peer cannot have any), or when the frame
   * contradicts an earlier one (same sequence with another ID or token, same
   * ID with another sequence); CONNECTION_ID_LIMIT_ERROR when the active IDs
   * would exceed our limit (§5.1.1) or the peer makes us retire without end.
   */
  onNewConnectionId(sequence: number, retirePriorTo: number, cid: Uint8Array, resetToken: Uint8Array): void {
    const type = FrameType.NEW_CONNECTION_ID;
    if (this.#current.cid.length === 0)
      throw new TransportError(TransportErrorCode.PROTOCOL_VIOLATION, "NEW_CONNECTION_ID while the peer uses a zero-length ID", type);
    const known = this.#ids.get(sequence);
    if (known !== undefined) {
      if (!bytesEqual(known.cid, cid) || (known.resetToken !== undefined && !bytesEqual(known.resetToken, resetToken)))
        throw new TransportError(TransportErrorCode.PROTOCOL_VIOLATION, `sequence ${sequence} reissued differently`, type);
    } else {
      for (const other of this.#ids.values())
        if (bytesEqual(other.cid, cid))
          throw new TransportError(TransportErrorCode.PROTOCOL_VIOLATION, "connection ID issued under two sequence numbers", type);
    }
    if (known === undefined && !this.#retired.has(sequence)) {
      if (sequence < this.#retirePriorTo)
        this.#queueRetire(sequence); // §19.15: retire it at once
      else this.#ids.set(sequence, { sequence, cid: cid.slice(), resetToken: resetToken.slice() });
    }
    if (retirePriorTo > this.#retirePriorTo) {
      this.#retirePriorTo = retirePriorTo;
      for (const s of this.#retired) if (s < retirePriorTo - RETIRED_MEMORY) this.#retired.delete(s);
      for (const id of [...this.#ids.values()])
        if (id.sequence < retirePriorTo) {
          this.#ids.delete(id.sequence);
          this.#reserved.delete(id.sequence);
          this.#queueRetire(id.sequence);
        }
      if (this.#current.sequence < retirePriorTo) {
        // §5.1.2: switch to an ID that is still active. An honest frame guarantees one (its own sequence is at least
        // Retire Prior To); none is left only when the frame names a sequence we already retired.
        // A path's reserved ID is taken only when nothing else is left (that path then falls back to the current ID).
        const next = this.#lowestUnused() ?? this.#lowestUnused(true);
        if (next === undefined)
          throw new TransportError(TransportErrorCode.PROTOCOL_VIOLATION, "Retire Prior To leaves no connection ID", type);
        this.#reserved.delete(next.sequence);
        this.#current = next;
      }
    }
    if (this.#ids.size > this.#limit)
      throw new TransportError(
        TransportErrorCode.CONNECTION_ID_LIMIT_ERROR,
        `${this.#ids.size} active connection IDs exceed our limit ${this.#limit}`,
        type,
      );
  }

  /**
   * A path change (§9.5): move to an unused ID of the peer and retire the
   * one in use, so the new path cannot be linked to the old by its ID.
   * Returns false (and keeps the current ID, §9.5 allows it for a
   * rebinding the peer did not choose) when the peer gave us no spare.
   */
  rotate(): boolean {
    const next = this.#lowestUnused();
    if (next === undefined) return false;
    this.#ids.delete(this.#current.sequence);
    this.#queueRetire(this.#current.sequence);
    this.#current = next;
    return true;
  }

  /**
   * Sets an unused ID aside for a new path (a probe, or a peer's probe we answer, §9.5): returns its sequence
   * number, or undefined when the peer gave us no spare. {@link rotate} never hands it out.
   */
  reserve(): number | undefined {
    const next = this.#lowestUnused();
    if (next === undefined) return undefined;
    this.#reserved.add(next.sequence);
    return next.sequence;
  }

  /** The ID of `sequence`, or undefined once it was retired (Retire Prior To may retire a reserved one). */
  cidOf(sequence: number): Uint8Array | undefined {
    return this.#ids.get(sequence)?.cid;
  }

  /**
   * A path holding `sequence` was abandoned. `used`: a packet went out with it on that path, so it is retired
   * (§9.5: never reused elsewhere); otherwise it goes back among the unused ones.
   */
  release(sequence: number, used: boolean): void {
    this.#reserved.delete(sequence);
    const id = this.#ids.get(sequence);
    if (!used || id === undefined || id === this.#current) return;
    this.#ids.delete(sequence);
    this.#queueRetire(sequence);
  }

  /**
   * The path holding `sequence` becomes the current one: its ID becomes {@link current} and the previous one is
   * retired (§9.5). Returns false (nothing changed) when `sequence` was retired meanwhile.
   */
  adopt(sequence: number): boolean {
    this.#reserved.delete(sequence);
    const next = this.#ids.get(sequence);
    if (next === undefined) return false;
    if (next === this.#current) return true;
    this.#ids.delete(this.#current.sequence);
    this.#queueRetire(this.#current.sequence);
    this.#current = next;
    return true;
  }

  /** Writes pending RETIRE_CONNECTION_ID frames that fit; returns the sequences sent, or undefined. */
  fill(w: Writer): number[] | undefined {
    let sent: number[] | undefined;
    while (this.#retire.length > 0 && w.remaining >= 9) {
      const s = this.#retire.shift() as number;
      w.u8(FrameType.RETIRE_CONNECTION_ID).varint(s);
      if (sent === undefined) sent = [];
      sent.push(s);
    }
    return sent;
  }

  /** A packet carrying RETIRE_CONNECTION_ID for these sequences was lost: send them again (§13.3). */
  onLost(sequences: readonly number[]): void {
    for (const s of sequences) this.#queueRetire(s);
  }

  #queueRetire(sequence: number): void {
    if (sequence >= this.#retirePriorTo - RETIRED_MEMORY) this.#retired.add(sequence);
    if (this.#retire.includes(sequence)) return;
    if (this.#retire.length >= MAX_PENDING_RETIREMENTS)
      throw new TransportError(
        TransportErrorCode.CONNECTION_ID_LIMIT_ERROR,
        "too many connection IDs waiting to be retired",
        FrameType.NEW_CONNECTION_ID,
      );
    this.#retire.push(sequence);
  }

  #lowestUnused(includeReserved = false): RemoteId | undefined {
    let best: RemoteId | undefined;
    for (const id of this.#ids.values())
      if (
        id !== this.#current &&
        (includeReserved || !this.#reserved.has(id.sequence)) &&
        (best === undefined || id.sequence < best.sequence)
      )
        best = id;
    return best;
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
