/**
 * Unreliable datagrams (RFC 9221): DATAGRAM frames carry application
 * messages inside 1-RTT packets with QUIC's encryption and congestion
 * control but without retransmission or ordering (games, media, tunnelled
 * IP). This module holds the rules so the connection only calls it:
 *
 * - Negotiation (§3): each side advertises max_datagram_frame_size (the
 *   largest DATAGRAM frame it takes, type and length included; 0 or absent:
 *   none). Receiving one we did not allow, or one larger than we allowed,
 *   is a PROTOCOL_VIOLATION.
 * - Sending (§5): a bounded queue of application datagrams; a datagram is
 *   written into the next 1-RTT packet it fits in, counts against the
 *   congestion window (its packet is ack-eliciting, §5.2) and is never
 *   retransmitted: the record of a sent packet does not mention it.
 *
 * @module
 */
import { QuicError, TransportError, TransportErrorCode } from "../errors.js";
import { FrameType } from "../wire/frame.js";
import type { Writer } from "../wire/writer.js";

/** Application datagrams queued at most: beyond, `send` refuses (the application drops or waits; §5 leaves it to it). */
export const MAX_QUEUED_DATAGRAMS = 64;

/** The application's datagram cannot be sent: DATAGRAM not negotiated, or larger than the peer or a packet allows. */
export class DatagramError extends QuicError<"ZSYNC_QUIC_DATAGRAM"> {
  static {
    DatagramError.brand("@zsync/quic:DatagramError");
  }

  constructor(message: string) {
    super("ZSYNC_QUIC_DATAGRAM", message);
  }
}

/** Type byte plus a 2-byte length varint: the overhead of a DATAGRAM frame we write (payloads stay below 16 KiB). */
const FRAME_OVERHEAD = 3;

/** One connection's DATAGRAM state; see the module comment. */
export class Datagrams {
  readonly #localMax: number;
  readonly #queue: Uint8Array[] = [];
  #peerMax = 0;

  /** `localMax`: our max_datagram_frame_size (0: we take none). */
  constructor(localMax: number) {
    this.#localMax = localMax;
  }

  /** The peer's transport parameters arrived: its max_datagram_frame_size (undefined or 0: it takes none). */
  setPeerMax(value: number | undefined): void {
    this.#peerMax = value ?? 0;
  }

  /** Largest payload `send` accepts given the peer's limit and `packetRoom` (1-RTT payload bytes of a packet); 0 when off. */
  maxPayload(packetRoom: number): number {
    if (this.#peerMax === 0) return 0;
    return Math.max(0, Math.min(this.#peerMax, packetRoom, 0x3fff) - FRAME_OVERHEAD);
  }

  /**
   * Queues a copy of `data`. Returns false when the queue is full; throws
   * {@link DatagramError} when it could never be sent (not negotiated, or
   * above {@link maxPayload}).
   */
  send(data: Uint8Array, packetRoom: number): boolean {
    const max = this.maxPayload(packetRoom);
    if (this.#peerMax === 0) throw new DatagramError("the peer does not accept DATAGRAM frames (RFC 9221 §3)");
    if (data.length > max) throw new DatagramError(`datagram of ${data.length} bytes exceeds the ${max} bytes allowed`);
    if (this.#queue.length >= MAX_QUEUED_DATAGRAMS) return false;
    this.#queue.push(data.slice());
    return true;
  }

  /** True when a datagram waits. */
  get wantsToSend(): boolean {
    return this.#queue.length > 0;
  }

  /** Writes queued datagrams that fit, oldest first; returns whether any was written (the packet is then ack-eliciting). */
  fill(w: Writer): boolean {
    let wrote = false;
    while (this.#queue.length > 0) {
      const data = this.#queue[0] as Uint8Array;
      if (w.remaining < FRAME_OVERHEAD + data.length) break; // waits for the next packet (it fits an empty one)
      w.u8(FrameType.DATAGRAM_WITH_LENGTH).varint(data.length).bytes(data);
      this.#queue.shift();
      wrote = true;
    }
    return wrote;
  }

  /**
   * A DATAGRAM frame of `frameSize` bytes (type and length included) arrived.
   * Throws PROTOCOL_VIOLATION when we did not allow it (§3).
   */
  onReceived(frameSize: number, frameType: number): void {
    if (this.#localMax === 0)
      throw new TransportError(TransportErrorCode.PROTOCOL_VIOLATION, "DATAGRAM frame without max_datagram_frame_size", frameType);
    if (frameSize > this.#localMax)
      throw new TransportError(
        TransportErrorCode.PROTOCOL_VIOLATION,
        `DATAGRAM frame of ${frameSize} bytes exceeds our max_datagram_frame_size ${this.#localMax}`,
        frameType,
      );
  }
}
