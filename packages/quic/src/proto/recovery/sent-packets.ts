/**
 * The sent packets of one packet number space, in packet-number order, for
 * loss detection (RFC 9002 Appendix A.1).
 *
 * Why not a `Map`: acknowledgments arrive as ranges of packet numbers and a
 * peer chooses them, so a lookup must cost O(log n) per range, not O(range
 * length) or O(sent packets). Packet numbers only grow, so two parallel arrays
 * (numbers and records) sorted by construction give binary search for free.
 * A packet leaving the queue leaves a tombstone saying *why* (acknowledged or
 * lost): persistent congestion (RFC 9002 §7.6.2) needs to know whether a
 * packet between two lost ones was acknowledged. Leading tombstones are
 * skipped by a head index and compacted away in bulk, so removal is O(1).
 *
 * @module
 */
import type { CongestionPacket } from "../congestion/controller.js";

/**
 * What loss detection remembers about one sent packet (RFC 9002 Appendix
 * A.1.1). `frames` is the caller's record of what the packet carried, handed
 * back when the packet is acknowledged or lost so that it can be retired or
 * retransmitted.
 */
export interface SentPacket<T = unknown> extends CongestionPacket {
  /** The packet number (full, not truncated). */
  readonly packetNumber: number;
  /** Send time in ms. */
  readonly timeSent: number;
  /** Bytes on the wire: QUIC header, payload and AEAD tag. */
  readonly sentBytes: number;
  /** Contains a frame other than ACK, PADDING and CONNECTION_CLOSE (RFC 9002 §2). */
  readonly ackEliciting: boolean;
  /** Counts toward bytes in flight: ack-eliciting or containing PADDING (RFC 9002 §2). */
  readonly inFlight: boolean;
  /** The caller's record of what the packet carried. */
  readonly frames: T;
}

/** Tombstone of a packet removed because it was acknowledged. */
export const ACKED = 0;
/** Tombstone of a packet removed because it was declared lost (or discarded). */
export const LOST = 1;
/** A packet number deliberately skipped (never sent), to catch optimistic ACKs (RFC 9000 §21.4). */
export const SKIPPED = 2;
/** A slot of the queue: a live packet, the reason it left, or a skipped number. */
export type Slot<T> = SentPacket<T> | typeof ACKED | typeof LOST | typeof SKIPPED;

/** Sent packets of one space; see the module comment. */
export class SentPacketQueue<T> {
  #pns: number[] = [];
  #slots: Slot<T>[] = [];
  #head = 0;
  #live = 0;
  /**
   * Largest packet number ever pushed (sent or skipped), -1 when none. Kept
   * apart from `#pns`, which `trim` and `drain` empty: what was sent must stay
   * sent, or a late ACK of a compacted packet would look like an ACK of a
   * packet never sent (RFC 9000 §13.1).
   */
  #largest = -1;

  /** Live (neither acknowledged nor lost) packets. */
  get size(): number {
    return this.#live;
  }

  /** One past the last slot index; slots `[head, end)` may be live. */
  get end(): number {
    return this.#pns.length;
  }

  /** First slot index that may be live. */
  get head(): number {
    return this.#head;
  }

  /** Largest packet number ever pushed, -1 when none. */
  get largestPushed(): number {
    return this.#largest;
  }

  /** Appends a packet; its number must exceed every number pushed before. */
  push(packet: SentPacket<T>): void {
    if (packet.packetNumber <= this.largestPushed) {
      throw new RangeError(`packet number ${packet.packetNumber} is not above the last sent (${this.largestPushed})`);
    }
    this.#pns.push(packet.packetNumber);
    this.#slots.push(packet);
    this.#largest = packet.packetNumber;
    this.#live++;
  }

  /** Records a packet number that will never be sent; it must exceed every number pushed before. */
  pushSkipped(pn: number): void {
    if (pn <= this.largestPushed) throw new RangeError(`packet number ${pn} is not above the last sent (${this.largestPushed})`);
    this.#pns.push(pn);
    this.#slots.push(SKIPPED);
    this.#largest = pn;
  }

  /** Packet number of slot `i`. */
  pnAt(i: number): number {
    return this.#pns[i] as number;
  }

  /** Slot `i`: a live packet or a tombstone. */
  slotAt(i: number): Slot<T> {
    return this.#slots[i] as Slot<T>;
  }

  /** First slot index at or after the head whose packet number is >= `pn`. */
  lowerBound(pn: number): number {
    const pns = this.#pns;
    let lo = this.#head;
    let hi = pns.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((pns[mid] as number) < pn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Replaces live slot `i` with a tombstone and returns the packet. */
  take(i: number, reason: typeof ACKED | typeof LOST): SentPacket<T> {
    const slot = this.#slots[i];
    if (slot === undefined || typeof slot === "number") throw new RangeError(`slot ${i} holds no live packet`);
    this.#slots[i] = reason;
    this.#live--;
    return slot;
  }

  /**
   * Advances the head past tombstones and compacts storage when most of it is
   * dead. It may drop every slot, the largest packet's included;
   * `largestPushed` is unaffected.
   */
  trim(): void {
    const slots = this.#slots;
    let h = this.#head;
    while (h < slots.length && typeof slots[h] === "number") h++;
    if (h >= 64 && h * 2 >= slots.length) {
      slots.splice(0, h);
      this.#pns.splice(0, h);
      h = 0;
    }
    this.#head = h;
  }

  /** Removes every live packet, calling `each` for it, and forgets the tombstones. */
  drain(each: (packet: SentPacket<T>) => void): void {
    const slots = this.#slots;
    for (let i = this.#head; i < slots.length; i++) {
      const slot = slots[i];
      if (slot !== undefined && typeof slot !== "number") each(slot);
    }
    // `#largest` survives: numbering stays monotonic after a drain.
    this.#slots = [];
    this.#pns = [];
    this.#head = 0;
    this.#live = 0;
  }
}
