/**
 * The receive side of acknowledgments for one packet number space
 * (RFC 9000 §13.2): which packet numbers arrived, which are duplicates, when
 * an ACK frame is due, and the ACK Delay to report.
 *
 * Rules implemented, by section:
 * - §13.2.1: ack-eliciting Initial and Handshake packets are acknowledged
 *   immediately; in the application space, an ack-eliciting packet that
 *   arrives out of order (below the largest ack-eliciting one, or above it
 *   with a gap) or marked ECN-CE is acknowledged immediately, any other
 *   within max_ack_delay.
 * - §13.2.2: an ACK is sent once `ackElicitingThreshold` (2) ack-eliciting
 *   packets are unacknowledged.
 * - §13.2.4: ranges are bounded (the lowest dropped first), and once an ACK
 *   frame we sent is itself acknowledged, the ranges at or below its Largest
 *   Acknowledged need not be repeated.
 * - §13.2.5: the ACK Delay is the time since the largest packet was
 *   received, in microseconds scaled down by ack_delay_exponent.
 * - §12.3: duplicates are detected on a separate bounded record that also
 *   survives the ack-of-ack pruning; numbers below what it remembers are
 *   treated as duplicates (a minimum packet number, as §12.3 allows).
 *
 * Call order per packet: `isDuplicate(pn)` after removing packet protection,
 * process the frames, then `onPacketReceived(...)` (a packet is acknowledged
 * only once all its frames are processed, §13.1).
 *
 * @example
 * ```ts
 * import { AckManager, PacketNumberSpace, writeAckFrame, Writer } from "@zsync/quic/proto";
 * declare const pn: number;
 * declare const now: number;
 * declare function processFrames(): void;
 * declare function recordAckInPacket(sent: unknown): void;
 * const w = new Writer(new Uint8Array(1200));
 * const acks = new AckManager(PacketNumberSpace.ApplicationData, { maxAckDelay: 25 });
 * if (!acks.isDuplicate(pn)) { processFrames(); acks.onPacketReceived(pn, true, now); }
 * if (acks.wantsAck(now)) {
 *   writeAckFrame(w, acks.ranges, acks.ackDelayField(now, 3));
 *   recordAckInPacket(acks.onAckSent());
 * }
 * ```
 * @module
 */
import { RangeSet } from "../wire/range-set.js";
import { PacketNumberSpace } from "./loss-detection.js";

/** Options of {@link AckManager}. */
export interface AckManagerOptions {
  /** Our own max_ack_delay transport parameter, in ms (RFC 9000 §18.2, default 25). */
  readonly maxAckDelay?: number;
  /** Ack-eliciting packets after which an ACK is sent at once (RFC 9000 §13.2.2; default 2). */
  readonly ackElicitingThreshold?: number;
  /** Most ranges reported (default 64; the lowest are dropped first, §13.2.4). */
  readonly maxRanges?: number;
  /** Most ranges remembered for duplicate detection (default 128). */
  readonly dedupRanges?: number;
}

/** Decodes an ACK Delay field to ms: `raw * 2^exponent` microseconds (RFC 9000 §19.3). */
export function decodeAckDelay(raw: number, ackDelayExponent: number): number {
  return (raw * 2 ** ackDelayExponent) / 1000;
}

/** Encodes a delay in ms as an ACK Delay field (RFC 9000 §19.3), rounding down. */
export function encodeAckDelay(delayMs: number, ackDelayExponent: number): number {
  if (!(delayMs > 0)) return 0;
  return Math.floor((delayMs * 1000) / 2 ** ackDelayExponent);
}

/** ACK generation state of one packet number space; see the module comment. */
export class AckManager {
  /** The space this manager acknowledges. */
  readonly space: PacketNumberSpace;
  readonly #maxAckDelay: number;
  readonly #threshold: number;
  /** Packet numbers to report in the next ACK frame. */
  readonly #toAck: RangeSet;
  /** Packet numbers seen, for duplicate detection; never pruned by ack-of-ack. */
  readonly #seen: RangeSet;
  #largest = -1;
  #largestTime = 0;
  #largestAckEliciting = -1;
  #unackedEliciting = 0;
  /** Packets recorded since the last ACK was sent (ack-eliciting or not). */
  #unreported = 0;
  #deadline: number | undefined;

  constructor(space: PacketNumberSpace, options: AckManagerOptions = {}) {
    this.space = space;
    this.#maxAckDelay = options.maxAckDelay ?? 25;
    this.#threshold = options.ackElicitingThreshold ?? 2;
    if (!(this.#maxAckDelay >= 0)) throw new RangeError(`maxAckDelay must be >= 0 ms, got ${options.maxAckDelay}`);
    if (!(this.#threshold >= 1)) throw new RangeError(`ackElicitingThreshold must be >= 1, got ${options.ackElicitingThreshold}`);
    this.#toAck = new RangeSet({ maxRanges: options.maxRanges ?? 64 });
    this.#seen = new RangeSet({ maxRanges: options.dedupRanges ?? 128 });
  }

  /** The ranges the next ACK frame reports (ascending; walk them downwards to encode). */
  get ranges(): RangeSet {
    return this.#toAck;
  }

  /** Largest packet number received, or -1. */
  get largestReceived(): number {
    return this.#largest;
  }

  /** When an ACK frame must be sent at the latest, in ms; undefined when none is owed. */
  get deadline(): number | undefined {
    return this.#deadline;
  }

  /** True when packets arrived since the last ACK: an ACK may be piggybacked on an outgoing packet. */
  get hasUnreported(): boolean {
    return this.#unreported > 0 && !this.#toAck.isEmpty;
  }

  /**
   * True when `pn` was already received (or is below what is remembered):
   * the packet must be dropped (RFC 9000 §12.3).
   */
  isDuplicate(pn: number): boolean {
    return pn < this.#seen.truncatedBelow || this.#seen.contains(pn);
  }

  /**
   * Records a packet whose frames were all processed (RFC 9000 §13.1).
   * Returns false, recording nothing, for a duplicate.
   *
   * @param ecnCe the packet was marked ECN-CE (acknowledged at once, §13.2.1).
   */
  onPacketReceived(pn: number, ackEliciting: boolean, now: number, ecnCe = false): boolean {
    if (this.isDuplicate(pn)) return false;
    // Out of order relative to the ack-eliciting packets seen so far (§13.2.1)?
    const outOfOrder =
      this.#largestAckEliciting >= 0 && (pn < this.#largestAckEliciting || !this.#seen.containsRange(this.#largestAckEliciting + 1, pn));
    this.#seen.insertOne(pn);
    this.#toAck.insertOne(pn);
    this.#unreported++;
    if (pn > this.#largest) {
      this.#largest = pn;
      this.#largestTime = now;
    }
    if (!ackEliciting) return true;
    if (pn > this.#largestAckEliciting) this.#largestAckEliciting = pn;
    this.#unackedEliciting++;
    const immediate = this.space !== PacketNumberSpace.ApplicationData || outOfOrder || ecnCe || this.#unackedEliciting >= this.#threshold;
    const due = immediate ? now : now + this.#maxAckDelay;
    if (this.#deadline === undefined || due < this.#deadline) this.#deadline = due;
    return true;
  }

  /** True when an ACK frame is due by `now`. */
  wantsAck(now: number): boolean {
    return this.#deadline !== undefined && now >= this.#deadline && !this.#toAck.isEmpty;
  }

  /** The ACK Delay field for an ACK sent at `now` (RFC 9000 §13.2.5), scaled by our ack_delay_exponent. */
  ackDelayField(now: number, ackDelayExponent: number): number {
    return encodeAckDelay(now - this.#largestTime, ackDelayExponent);
  }

  /**
   * An ACK frame reporting the current ranges went out. Returns its Largest
   * Acknowledged, to be remembered with the packet that carried it and fed
   * to {@link onAckOfAckReceived} when that packet is acknowledged.
   */
  onAckSent(): number {
    this.#unackedEliciting = 0;
    this.#unreported = 0;
    this.#deadline = undefined;
    return this.#toAck.max ?? -1;
  }

  /**
   * A packet carrying one of our ACK frames was acknowledged: stop
   * reporting packet numbers up to its Largest Acknowledged (RFC 9000
   * §13.2.4). Duplicate detection keeps its own record.
   */
  onAckOfAckReceived(largestAcknowledged: number): void {
    this.#toAck.removeBelow(largestAcknowledged + 1);
  }
}
