/**
 * One congestion controller per path, behind the single controller loss
 * detection holds (RFC 9000 §9.4). Loss detection keeps one controller for
 * the connection's life; a path change must nevertheless start the new path
 * from initial values (or from the state a returning path had), and
 * "packets sent on the old path MUST NOT contribute to congestion control
 * ... for the new path". This wrapper swaps the controller underneath and
 * keeps the packets sent before the swap apart: their acknowledgments and
 * losses only take their bytes out of flight, they neither grow the new
 * window nor start a recovery period on it.
 *
 * @module
 */
import type { CongestionController, CongestionPacket, CongestionRtt } from "../congestion/controller.js";

/** See the module comment. */
export class PathCongestion implements CongestionController {
  #inner: CongestionController;
  /** Packets sent before this time belong to an earlier path. */
  #epoch = Number.NEGATIVE_INFINITY;
  /** Bytes of earlier paths' packets still in flight. */
  #oldInFlight = 0;

  constructor(inner: CongestionController) {
    this.#inner = inner;
  }

  /** The controller of the current path. */
  get inner(): CongestionController {
    return this.#inner;
  }

  get window(): number {
    return this.#inner.window;
  }

  get bytesInFlight(): number {
    return this.#inner.bytesInFlight + this.#oldInFlight;
  }

  get ssthresh(): number {
    return this.#inner.ssthresh;
  }

  get minimumWindow(): number {
    return this.#inner.minimumWindow;
  }

  get appLimited(): boolean {
    return this.#inner.appLimited;
  }

  set appLimited(value: boolean) {
    this.#inner.appLimited = value;
  }

  /**
   * The connection moved to another path at `now`: `next` (a fresh controller, or the one a returning path had)
   * takes over. Returns the previous path's controller, emptied of its in-flight bytes (they are counted apart
   * until acknowledged or lost), so it can be kept for a return to that path.
   */
  switchTo(now: number, next: CongestionController): CongestionController {
    const previous = this.#inner;
    const inFlight = previous.bytesInFlight;
    this.#oldInFlight += inFlight;
    if (inFlight > 0) previous.onPacketDiscarded({ sentBytes: inFlight, timeSent: now, inFlight: true });
    // A returning controller may still count bytes from its earlier turn: they are among the old bytes now.
    const stale = next.bytesInFlight;
    if (stale > 0) next.onPacketDiscarded({ sentBytes: stale, timeSent: now, inFlight: true });
    this.#inner = next;
    this.#epoch = now;
    return previous;
  }

  onPacketSent(sentBytes: number, now: number): void {
    this.#inner.onPacketSent(sentBytes, now);
  }

  onPacketAcked(packet: CongestionPacket, now: number, rtt: CongestionRtt): void {
    if (packet.timeSent < this.#epoch) this.#dropOld(packet);
    else this.#inner.onPacketAcked(packet, now, rtt);
  }

  onPacketLost(packet: CongestionPacket): void {
    if (packet.timeSent < this.#epoch) this.#dropOld(packet);
    else this.#inner.onPacketLost(packet);
  }

  onCongestionEvent(sentTime: number, now: number): void {
    if (sentTime >= this.#epoch) this.#inner.onCongestionEvent(sentTime, now);
  }

  onPersistentCongestion(now: number): void {
    this.#inner.onPersistentCongestion(now);
  }

  onPacketDiscarded(packet: CongestionPacket): void {
    if (packet.timeSent < this.#epoch) this.#dropOld(packet);
    else this.#inner.onPacketDiscarded(packet);
  }

  setMaxDatagramSize(maxDatagramSize: number): void {
    this.#inner.setMaxDatagramSize(maxDatagramSize);
  }

  #dropOld(packet: CongestionPacket): void {
    if (packet.inFlight) this.#oldInFlight = Math.max(0, this.#oldInFlight - packet.sentBytes);
  }
}
