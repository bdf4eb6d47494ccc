/**
 * Loss detection, RFC 9002 §6 and Appendix A: which sent packets are
 * acknowledged, which are lost, when the single loss-detection timer fires,
 * and what to do when it does (declare time-threshold losses, or send probes).
 *
 * It is sans-I/O: every entry point takes `now` (ms) and the object exposes
 * its next deadline (`deadline`) for the connection's timer. It drives the
 * {@link CongestionController} exactly where Appendix A calls into Appendix B
 * (sent, acked, lost, congestion event, persistent congestion, discarded), so
 * bytes in flight are always consistent with the sent-packet records.
 *
 * Results (`AckOutcome`, `TimeoutOutcome`) are objects owned by this instance
 * and reused by the next call: consume them (retire acked frames, requeue
 * lost ones) before calling again. That keeps the per-ACK path free of
 * allocation beyond the records the caller itself created.
 *
 * Persistent congestion (§7.6.2) is established from the packets of the
 * space being acknowledged only, which the RFC permits ("MAY use state for
 * just the packet number space that was acknowledged").
 *
 * @example
 * ```ts
 * import { type Frame, LossDetection, NewReno, PacketNumberSpace } from "@zsync/quic/proto";
 * declare const now: number, later: number;
 * declare const frames: Frame[];
 * declare const ackRanges: Parameters<LossDetection<Frame[]>["onAckReceived"]>[1];
 * declare function requeue(frames: Frame[]): void;
 * declare function armTimer(at: number): void;
 * const cc = new NewReno();
 * const ld = new LossDetection<Frame[]>(cc, { isServer: false });
 * ld.onPacketSent(PacketNumberSpace.Initial, { packetNumber: 0, timeSent: now, sentBytes: 1200,
 *   ackEliciting: true, inFlight: true, frames }, now);
 * const outcome = ld.onAckReceived(PacketNumberSpace.Initial, ackRanges, 0, later);
 * for (const p of outcome.lost) requeue(p.frames);
 * if (ld.deadline !== undefined) armTimer(ld.deadline);
 * ```
 * @module
 */
import type { CongestionController } from "../congestion/controller.js";
import { K_PERSISTENT_CONGESTION_THRESHOLD } from "../congestion/controller.js";
import { TransportError, TransportErrorCode } from "../errors.js";
import type { AckRanges } from "../wire/ack-frame.js";
import { K_GRANULARITY, RttEstimator } from "./rtt.js";
import { ACKED, LOST, type SentPacket, SentPacketQueue, SKIPPED } from "./sent-packets.js";

export type { SentPacket } from "./sent-packets.js";

/** The three packet number spaces (RFC 9000 §12.3); 0-RTT and 1-RTT share ApplicationData. */
export const PacketNumberSpace = { Initial: 0, Handshake: 1, ApplicationData: 2 } as const;
/** A packet number space. */
export type PacketNumberSpace = (typeof PacketNumberSpace)[keyof typeof PacketNumberSpace];

/** kPacketThreshold, RFC 9002 §6.1.1. */
export const K_PACKET_THRESHOLD = 3;
/** kTimeThreshold, RFC 9002 §6.1.2. */
export const K_TIME_THRESHOLD = 9 / 8;

/** Options of {@link LossDetection}. */
export interface LossDetectionOptions {
  /** Servers consider the peer's address validated from the start (Appendix A.8 PeerCompletedAddressValidation). */
  readonly isServer: boolean;
  /** kInitialRtt in ms (default 333, RFC 9002 §6.2.2). */
  readonly initialRtt?: number;
  /** The peer's max_ack_delay in ms until its transport parameters say otherwise (default 25, RFC 9000 §18.2). */
  readonly peerMaxAckDelay?: number;
}

/** What an ACK frame did; owned by the {@link LossDetection} and reused by its next call. */
export interface AckOutcome<T> {
  /** Newly acknowledged packets, ascending packet number. */
  readonly acked: SentPacket<T>[];
  /** Packets newly declared lost, ascending packet number within the space. */
  readonly lost: SentPacket<T>[];
  /** An RTT sample was taken. */
  rttSampled: boolean;
  /** Persistent congestion was established (the window collapsed to its minimum). */
  persistentCongestion: boolean;
}

/** What the loss-detection timer asks the connection to do; reused by the next call. */
export interface TimeoutOutcome<T> {
  /**
   * `none`: the timer had not expired. `loss`: packets were declared lost by
   * the time threshold in `space` (see `lost`). `probe`: the PTO expired; send
   * `probeCount` ack-eliciting packets in `space` (new data, else a
   * retransmission, else PING), exempt from congestion control (RFC 9002
   * §6.2.4). `anti-deadlock`: a client that is not yet sure its address is
   * validated must send one ack-eliciting packet in `space` (a padded
   * Initial or a Handshake packet, Appendix A.9).
   */
  kind: "none" | "loss" | "probe" | "anti-deadlock";
  readonly lost: SentPacket<T>[];
  /** The space of the losses or of the probes. */
  space: PacketNumberSpace;
  /** Probe packets to send (0 unless `probe` or `anti-deadlock`). */
  probeCount: number;
}

interface SpaceState<T> {
  readonly sent: SentPacketQueue<T>;
  /** largest_acked_packet; -1 until an ACK arrives (the RFC's "infinite"). */
  largestAcked: number;
  /** loss_time; undefined for the RFC's 0. */
  lossTime: number | undefined;
  /** time_of_last_ack_eliciting_packet. */
  lastAckElicitingTime: number | undefined;
  /** Ack-eliciting packets in flight. */
  ackElicitingInFlight: number;
  /** Highest ECN-CE count the peer reported (Appendix B.7). */
  ecnCe: number;
  /** The most recent deliberately skipped packet numbers (at most MAX_SKIPPED), ascending. */
  readonly skipped: number[];
  discarded: boolean;
}

const SPACES: readonly PacketNumberSpace[] = [0, 1, 2];
/** Skipped packet numbers remembered per space for optimistic-ACK detection. */
const MAX_SKIPPED = 32;

/** RFC 9002 loss detection for one connection path; see the module comment. */
export class LossDetection<T = unknown> {
  /** The path's RTT estimator (§5). */
  readonly rtt: RttEstimator;
  /** The controller this instance feeds. */
  readonly cc: CongestionController;
  /** pto_count: consecutive PTO expirations without progress. */
  ptoCount = 0;
  readonly #isServer: boolean;
  readonly #spaces: SpaceState<T>[];
  #peerMaxAckDelay: number;
  #handshakeConfirmed = false;
  #hasHandshakeKeys = false;
  #receivedHandshakeAck = false;
  #amplificationLimited = false;
  /** first_rtt_sample: when the first RTT sample was taken. */
  #firstRttSampleTime: number | undefined;
  #deadline: number | undefined;
  #ptoSpace: PacketNumberSpace = PacketNumberSpace.Initial;
  readonly #ack: AckOutcome<T> = { acked: [], lost: [], rttSampled: false, persistentCongestion: false };
  readonly #timeout: TimeoutOutcome<T> = { kind: "none", lost: [], space: 0, probeCount: 0 };

  constructor(cc: CongestionController, options: LossDetectionOptions) {
    this.cc = cc;
    this.#isServer = options.isServer;
    this.rtt = new RttEstimator(options.initialRtt);
    this.#peerMaxAckDelay = options.peerMaxAckDelay ?? 25;
    this.#spaces = SPACES.map(() => ({
      sent: new SentPacketQueue<T>(),
      largestAcked: -1,
      lossTime: undefined,
      lastAckElicitingTime: undefined,
      ackElicitingInFlight: 0,
      ecnCe: 0,
      skipped: [],
      discarded: false,
    }));
  }

  /** When the connection must call {@link onTimeout}, in ms; undefined when no timer is armed. */
  get deadline(): number | undefined {
    return this.#deadline;
  }

  /** The peer's max_ack_delay in ms. */
  get peerMaxAckDelay(): number {
    return this.#peerMaxAckDelay;
  }

  /** Handshake confirmed (RFC 9001 §4.1.2). */
  get handshakeConfirmed(): boolean {
    return this.#handshakeConfirmed;
  }

  /** Largest acknowledged packet number in `space`, or -1. */
  largestAcked(space: PacketNumberSpace): number {
    return this.#space(space).largestAcked;
  }

  /** Packets of `space` neither acknowledged, lost nor discarded. */
  outstanding(space: PacketNumberSpace): number {
    return this.#space(space).sent.size;
  }

  /** Ack-eliciting packets in flight in `space`. */
  ackElicitingInFlight(space: PacketNumberSpace): number {
    return this.#space(space).ackElicitingInFlight;
  }

  /**
   * The PTO period for `space` without backoff (RFC 9002 §6.2.1): also the
   * unit of the closing/draining period and the idle-timeout floor (RFC 9000
   * §10.1, §10.2). ApplicationData includes max_ack_delay.
   */
  ptoPeriod(space: PacketNumberSpace = PacketNumberSpace.ApplicationData): number {
    return this.rtt.ptoBase() + (space === PacketNumberSpace.ApplicationData ? this.#peerMaxAckDelay : 0);
  }

  /** The peer's transport parameters arrived: its max_ack_delay in ms (RFC 9000 §18.2). */
  setPeerMaxAckDelay(maxAckDelay: number, now: number): void {
    if (!(maxAckDelay >= 0)) throw new RangeError(`maxAckDelay must be >= 0 ms, got ${maxAckDelay}`);
    this.#peerMaxAckDelay = maxAckDelay;
    this.#setTimer(now);
  }

  /** Handshake keys are installed: anti-deadlock probes move to the Handshake space (Appendix A.8). */
  onHandshakeKeysAvailable(now: number): void {
    this.#hasHandshakeKeys = true;
    this.#setTimer(now);
  }

  /** The handshake is confirmed (RFC 9001 §4.1.2): ApplicationData PTOs start, ack delay is capped. */
  onHandshakeConfirmed(now: number): void {
    this.#handshakeConfirmed = true;
    this.#setTimer(now);
  }

  /**
   * A server's anti-amplification state changed (RFC 9000 §8.1). While
   * limited, no PTO is armed (nothing could be sent); when a datagram lifts
   * the limit the timer is rearmed, possibly in the past, in which case the
   * connection should call {@link onTimeout} right away (Appendix A.6).
   */
  setAmplificationLimited(limited: boolean, now: number): void {
    this.#amplificationLimited = limited;
    this.#setTimer(now);
  }

  /** Records a sent packet (Appendix A.5). Packet numbers must increase within a space. */
  onPacketSent(space: PacketNumberSpace, packet: SentPacket<T>, now: number): void {
    const s = this.#space(space);
    if (s.discarded) throw new RangeError(`packet number space ${space} was discarded`);
    s.sent.push(packet);
    if (packet.inFlight) {
      if (packet.ackEliciting) {
        s.lastAckElicitingTime = packet.timeSent;
        s.ackElicitingInFlight++;
      }
      this.cc.onPacketSent(packet.sentBytes, now);
    }
    this.#setTimer(now);
  }

  /**
   * Records that packet number `pn` of `space` is skipped on purpose (never
   * sent). An ACK covering it proves the peer acknowledges packets it did
   * not receive (an optimistic ACK attack, RFC 9000 §21.4) and becomes a
   * PROTOCOL_VIOLATION. The most recent 32 skipped numbers are remembered.
   */
  onPacketNumberSkipped(space: PacketNumberSpace, pn: number): void {
    const s = this.#space(space);
    s.sent.pushSkipped(pn);
    s.skipped.push(pn);
    if (s.skipped.length > MAX_SKIPPED) s.skipped.shift();
  }

  /**
   * Processes an ACK frame received in `space` (Appendix A.7).
   *
   * @param ranges the acknowledged packet numbers, ascending `[start, end)` ranges.
   * @param ackDelay the ACK Delay field decoded to ms (ignored for Initial, RFC 9002 §5.3).
   * @param ecnCe the ECN-CE count of an ACK_ECN frame (type 0x03): an increase is a congestion
   *   event for the largest acknowledged packet's send time (Appendix B.7).
   * @throws TransportError PROTOCOL_VIOLATION when the frame acknowledges a packet never sent (RFC 9000 §13.1),
   *   including a deliberately skipped one (§21.4); nothing is changed then.
   */
  onAckReceived(space: PacketNumberSpace, ranges: AckRanges, ackDelay: number, now: number, ecnCe?: number): AckOutcome<T> {
    const out = this.#ack;
    out.acked.length = 0;
    out.lost.length = 0;
    out.rttSampled = false;
    out.persistentCongestion = false;
    const s = this.#space(space);
    const count = ranges.rangeCount;
    if (count === 0 || s.discarded) return out;
    const largest = ranges.endAt(count - 1) - 1;
    // Against the largest number ever sent in the space, which the queue keeps apart from its slots: compaction
    // (`trim`) drops acknowledged packets, and a late, reordered ACK of one of them is not a violation.
    if (largest > s.sent.largestPushed) {
      throw new TransportError(TransportErrorCode.PROTOCOL_VIOLATION, `ACK of packet ${largest}, never sent`, 0x02);
    }
    for (const pn of s.skipped) {
      if (rangesContain(ranges, pn)) {
        throw new TransportError(TransportErrorCode.PROTOCOL_VIOLATION, `ACK of packet ${pn}, which was skipped`, 0x02);
      }
    }
    if (largest > s.largestAcked) s.largestAcked = largest;

    const q = s.sent;
    let anyAckEliciting = false;
    for (let r = 0; r < count; r++) {
      const end = ranges.endAt(r);
      for (let i = q.lowerBound(ranges.startAt(r)); i < q.end && q.pnAt(i) < end; i++) {
        if (typeof q.slotAt(i) === "number") continue;
        const packet = q.take(i, ACKED);
        if (packet.ackEliciting) {
          anyAckEliciting = true;
          if (packet.inFlight) s.ackElicitingInFlight--;
        }
        out.acked.push(packet);
      }
    }
    if (out.acked.length === 0) return out;
    if (space === PacketNumberSpace.Handshake) this.#receivedHandshakeAck = true;

    const newest = out.acked[out.acked.length - 1] as SentPacket<T>;
    if (newest.packetNumber === largest && anyAckEliciting) {
      if (this.#firstRttSampleTime === undefined) this.#firstRttSampleTime = now;
      this.rtt.update(now - newest.timeSent, space === PacketNumberSpace.Initial ? 0 : ackDelay, {
        handshakeConfirmed: this.#handshakeConfirmed,
        maxAckDelay: this.#peerMaxAckDelay,
      });
      out.rttSampled = true;
    }
    if (ecnCe !== undefined && ecnCe > s.ecnCe) {
      s.ecnCe = ecnCe;
      // ProcessECN (Appendix B.7) dates the event by the largest acknowledged packet: `newest` is that packet
      // when this ACK newly acknowledges it. When it was acknowledged before (a reordered packet filled a gap),
      // the CE-marked packet is most likely one of those newly acknowledged here, and the newest of them dates it;
      // ignoring the increase instead would drop the peer's congestion signal.
      this.cc.onCongestionEvent(newest.timeSent, now);
    }

    const persistent = this.#detectLost(s, now, out.lost, true);
    this.#onLost(out.lost, now);
    if (persistent) {
      out.persistentCongestion = true;
      this.cc.onPersistentCongestion(now);
      this.rtt.onPersistentCongestion();
    }
    for (const packet of out.acked) this.cc.onPacketAcked(packet, now, this.rtt);
    q.trim();

    if (this.#peerCompletedAddressValidation()) this.ptoCount = 0;
    this.#setTimer(now);
    return out;
  }

  /** The loss-detection timer fired (Appendix A.9). Harmless when called early: returns `none`. */
  onTimeout(now: number): TimeoutOutcome<T> {
    const out = this.#timeout;
    out.kind = "none";
    out.lost.length = 0;
    out.probeCount = 0;
    if (this.#deadline === undefined || now < this.#deadline) return out;

    const lossSpace = this.#earliestLossSpace();
    if (lossSpace !== undefined) {
      const s = this.#spaces[lossSpace] as SpaceState<T>;
      this.#detectLost(s, now, out.lost, false);
      this.#onLost(out.lost, now);
      s.sent.trim();
      out.kind = "loss";
      out.space = lossSpace;
      this.#setTimer(now);
      return out;
    }
    if (this.#totalAckElicitingInFlight() === 0) {
      out.kind = "anti-deadlock";
      out.space = this.#hasHandshakeKeys ? PacketNumberSpace.Handshake : PacketNumberSpace.Initial;
      out.probeCount = 1;
    } else {
      out.kind = "probe";
      this.#ptoTime(now);
      out.space = this.#ptoSpace;
      out.probeCount = 2;
    }
    this.ptoCount++;
    this.#setTimer(now);
    return out;
  }

  /**
   * Discards a packet number space when its keys are dropped (Appendix
   * A.11): its packets leave bytes in flight without a congestion signal,
   * its timers are cleared and pto_count resets.
   */
  discardSpace(space: PacketNumberSpace, now: number): void {
    const s = this.#space(space);
    if (s.discarded) return;
    s.sent.drain((packet) => this.cc.onPacketDiscarded(packet));
    s.discarded = true;
    s.lossTime = undefined;
    s.lastAckElicitingTime = undefined;
    s.ackElicitingInFlight = 0;
    this.ptoCount = 0;
    this.#setTimer(now);
  }

  #space(space: PacketNumberSpace): SpaceState<T> {
    const s = this.#spaces[space];
    if (s === undefined) throw new RangeError(`unknown packet number space ${String(space)}`);
    return s;
  }

  /**
   * DetectAndRemoveLostPackets (Appendix A.10), plus the persistent
   * congestion test of §7.6.2 over the run of consecutive lost packets when
   * `dueToAck`. Returns true when persistent congestion is established.
   */
  #detectLost(s: SpaceState<T>, now: number, lost: SentPacket<T>[], dueToAck: boolean): boolean {
    s.lossTime = undefined;
    if (s.largestAcked < 0) return false;
    const rtt = this.rtt;
    const lossDelay = Math.max(K_TIME_THRESHOLD * Math.max(rtt.latestRtt, rtt.smoothedRtt), K_GRANULARITY);
    const pcDuration = (rtt.ptoBase() + this.#peerMaxAckDelay) * K_PERSISTENT_CONGESTION_THRESHOLD;
    const firstSample = this.#firstRttSampleTime;
    let pcStart: number | undefined;
    let persistent = false;
    const q = s.sent;
    for (let i = q.head; i < q.end && q.pnAt(i) <= s.largestAcked; i++) {
      const slot = q.slotAt(i);
      if (slot === ACKED) {
        pcStart = undefined; // an acknowledged packet interrupts the run
        continue;
      }
      if (slot === LOST || slot === SKIPPED) continue;
      // The loss time is computed once, as `timeSent + lossDelay`, and both decides the loss and arms the timer:
      // `timeSent <= now - lossDelay` would be the same in exact arithmetic, but in floating point it can be false
      // by one ulp at the very instant `timeSent + lossDelay`, and a timer fired at its deadline would then declare
      // nothing and re-arm at the same instant forever.
      const lossAt = slot.timeSent + lossDelay;
      if (lossAt <= now || s.largestAcked >= slot.packetNumber + K_PACKET_THRESHOLD) {
        q.take(i, LOST);
        if (slot.ackEliciting && slot.inFlight) s.ackElicitingInFlight--;
        lost.push(slot);
        if (dueToAck && slot.ackEliciting && firstSample !== undefined && slot.timeSent > firstSample) {
          if (pcStart === undefined) pcStart = slot.timeSent;
          else if (slot.timeSent - pcStart > pcDuration) persistent = true;
        }
      } else {
        if (s.lossTime === undefined || lossAt < s.lossTime) s.lossTime = lossAt;
        pcStart = undefined; // not lost (yet): it may still be acknowledged
      }
    }
    return persistent;
  }

  /** OnPacketsLost (Appendix B.8), minus persistent congestion which the caller handles. */
  #onLost(lost: readonly SentPacket<T>[], now: number): void {
    let lastLossSent: number | undefined;
    for (const packet of lost) {
      if (!packet.inFlight) continue;
      this.cc.onPacketLost(packet);
      if (lastLossSent === undefined || packet.timeSent > lastLossSent) lastLossSent = packet.timeSent;
    }
    if (lastLossSent !== undefined) this.cc.onCongestionEvent(lastLossSent, now);
  }

  /**
   * Appendix A.8. A discarded Handshake space also counts: keys are dropped
   * only once the handshake is confirmed (RFC 9001 §4.9.2).
   */
  #peerCompletedAddressValidation(): boolean {
    return (
      this.#isServer ||
      this.#receivedHandshakeAck ||
      this.#handshakeConfirmed ||
      (this.#spaces[PacketNumberSpace.Handshake] as SpaceState<T>).discarded
    );
  }

  #totalAckElicitingInFlight(): number {
    let n = 0;
    for (const s of this.#spaces) n += s.ackElicitingInFlight;
    return n;
  }

  /** GetLossTimeAndSpace (Appendix A.8), skipping spaces without a loss time. */
  #earliestLossSpace(): PacketNumberSpace | undefined {
    let best: PacketNumberSpace | undefined;
    let bestTime = Number.POSITIVE_INFINITY;
    for (const space of SPACES) {
      const t = (this.#spaces[space] as SpaceState<T>).lossTime;
      if (t !== undefined && t < bestTime) {
        bestTime = t;
        best = space;
      }
    }
    return best;
  }

  /** GetPtoTimeAndSpace (Appendix A.8): returns the time and leaves the space in `#ptoSpace` (no tuple on the send path). */
  #ptoTime(now: number): number {
    const backoff = 2 ** this.ptoCount;
    let duration = this.rtt.ptoBase() * backoff;
    if (this.#totalAckElicitingInFlight() === 0) {
      this.#ptoSpace = this.#hasHandshakeKeys ? PacketNumberSpace.Handshake : PacketNumberSpace.Initial;
      return now + duration;
    }
    let timeout = Number.POSITIVE_INFINITY;
    this.#ptoSpace = PacketNumberSpace.Initial;
    for (const space of SPACES) {
      const s = this.#spaces[space] as SpaceState<T>;
      if (s.ackElicitingInFlight === 0 || s.lastAckElicitingTime === undefined) continue;
      if (space === PacketNumberSpace.ApplicationData) {
        if (!this.#handshakeConfirmed) return timeout;
        duration += this.#peerMaxAckDelay * backoff;
      }
      const t = s.lastAckElicitingTime + duration;
      if (t < timeout) {
        timeout = t;
        this.#ptoSpace = space;
      }
    }
    return timeout;
  }

  /** SetLossDetectionTimer (Appendix A.8). */
  #setTimer(now: number): void {
    const lossSpace = this.#earliestLossSpace();
    if (lossSpace !== undefined) {
      this.#deadline = (this.#spaces[lossSpace] as SpaceState<T>).lossTime;
      return;
    }
    if (this.#amplificationLimited) {
      this.#deadline = undefined;
      return;
    }
    if (this.#totalAckElicitingInFlight() === 0 && this.#peerCompletedAddressValidation()) {
      this.#deadline = undefined;
      return;
    }
    const timeout = this.#ptoTime(now);
    this.#deadline = Number.isFinite(timeout) ? timeout : undefined;
  }
}

/** True when ascending `[start, end)` ranges contain `pn` (binary search). */
function rangesContain(ranges: AckRanges, pn: number): boolean {
  let lo = 0;
  let hi = ranges.rangeCount - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (pn < ranges.startAt(mid)) hi = mid - 1;
    else if (pn >= ranges.endAt(mid)) lo = mid + 1;
    else return true;
  }
  return false;
}
