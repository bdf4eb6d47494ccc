/**
 * Stream count limits, RFC 9000 §4.6: how many streams of each direction
 * we may open (the peer's MAX_STREAMS) and the peer may open (ours), the
 * implicit opening of lower-numbered streams (§3.2), STREAMS_BLOCKED
 * triggers (§19.14) and the 2^60 ceiling (§19.11).
 *
 * One instance per connection, for both directions and both roles.
 *
 * @example
 * ```ts
 * import { StreamLimits } from "@zsync/quic/proto";
 * const limits = new StreamLimits("client", { localBidi: 100, localUni: 3, peerBidi: 0, peerUni: 0 });
 * limits.openLocal("bidi"); // undefined: the peer allows none yet
 * limits.streamsBlocked("bidi"); // 0: send STREAMS_BLOCKED(0)
 * limits.onMaxStreams("bidi", 10); // true
 * limits.openLocal("bidi"); // 0
 * ```
 * @module
 */
import { TransportError, TransportErrorCode } from "../errors.js";
import type { StreamDirection } from "../events.js";
import { MAX_STREAM_COUNT, makeStreamId, type StreamInitiator, streamDirection, streamIndex, streamInitiator } from "./stream-id.js";

/** Initial limits, from the transport parameters (RFC 9000 §18.2). */
export interface StreamLimitsOptions {
  /** initial_max_streams_bidi we advertise: bidi streams the peer may open. */
  readonly localBidi: number;
  /** initial_max_streams_uni we advertise. */
  readonly localUni: number;
  /** The peer's initial_max_streams_bidi: bidi streams we may open. */
  readonly peerBidi: number;
  /** The peer's initial_max_streams_uni. */
  readonly peerUni: number;
}

/** Streams newly opened by the peer: indices `[from, to)` of one direction. */
export interface OpenedRange {
  from: number;
  to: number;
}

interface Direction {
  /** Streams we may open (peer's MAX_STREAMS). */
  sendLimit: number;
  /** Next index we open. */
  nextLocal: number;
  /** STREAMS_BLOCKED already sent for this limit (-1: none). */
  blockedSentAt: number;
  /** Streams the peer may open (our advertised MAX_STREAMS). */
  recvLimit: number;
  /** Window: how many peer streams may be open at once. */
  readonly recvWindow: number;
  /** Next index the peer has not opened yet. */
  nextRemote: number;
  /** Peer streams fully closed. */
  closedRemote: number;
}

const MAX_STREAMS_BIDI = 0x12;
const STREAM_FRAME = 0x08;

/** Stream limits of one connection; see the module comment. */
export class StreamLimits {
  readonly #local: StreamInitiator;
  readonly #dirs: Record<StreamDirection, Direction>;
  readonly #opened: OpenedRange = { from: 0, to: 0 };

  constructor(local: StreamInitiator, options: StreamLimitsOptions) {
    this.#local = local;
    for (const [name, v] of Object.entries(options)) {
      if (!Number.isSafeInteger(v) || v < 0 || v > MAX_STREAM_COUNT)
        throw new RangeError(`${name} must be an integer in [0, 2^60], got ${v}`);
    }
    const dir = (recv: number, send: number): Direction => ({
      sendLimit: send,
      nextLocal: 0,
      blockedSentAt: -1,
      recvLimit: recv,
      recvWindow: recv,
      nextRemote: 0,
      closedRemote: 0,
    });
    this.#dirs = { bidi: dir(options.localBidi, options.peerBidi), uni: dir(options.localUni, options.peerUni) };
  }

  /** Opens our next stream of `direction`; undefined when the peer's limit is reached (then send STREAMS_BLOCKED). */
  openLocal(direction: StreamDirection): number | undefined {
    const d = this.#dirs[direction];
    if (d.nextLocal >= d.sendLimit) return undefined;
    return makeStreamId(d.nextLocal++, this.#local, direction);
  }

  /** Streams of `direction` we may still open. */
  availableLocal(direction: StreamDirection): number {
    const d = this.#dirs[direction];
    return d.sendLimit - d.nextLocal;
  }

  /**
   * MAX_STREAMS from the peer (RFC 9000 §19.11). Values above 2^60 are a
   * FRAME_ENCODING_ERROR; smaller-than-current values are ignored. Returns
   * true when the limit rose.
   */
  onMaxStreams(direction: StreamDirection, limit: number): boolean {
    if (limit > MAX_STREAM_COUNT) {
      throw new TransportError(
        TransportErrorCode.FRAME_ENCODING_ERROR,
        `MAX_STREAMS ${limit} above 2^60`,
        direction === "bidi" ? MAX_STREAMS_BIDI : MAX_STREAMS_BIDI + 1,
      );
    }
    const d = this.#dirs[direction];
    if (limit <= d.sendLimit) return false;
    d.sendLimit = limit;
    return true;
  }

  /**
   * The limit to put in a STREAMS_BLOCKED frame when we want a stream of
   * `direction` but cannot open one, once per limit value; undefined when
   * not blocked or already reported (RFC 9000 §4.6, §19.14).
   */
  streamsBlocked(direction: StreamDirection): number | undefined {
    const d = this.#dirs[direction];
    if (d.nextLocal < d.sendLimit || d.blockedSentAt === d.sendLimit) return undefined;
    d.blockedSentAt = d.sendLimit;
    return d.sendLimit;
  }

  /**
   * Our STREAMS_BLOCKED carrying `limit` was lost. It is due again (the next
   * {@link streamsBlocked} returns it) only while we are still blocked at
   * that same limit; after a MAX_STREAMS it has nothing left to say
   * (RFC 9000 §13.3).
   */
  onStreamsBlockedLost(direction: StreamDirection, limit: number): void {
    const d = this.#dirs[direction];
    if (d.blockedSentAt === limit && d.sendLimit === limit && d.nextLocal >= d.sendLimit) d.blockedSentAt = -1;
  }

  /**
   * A frame referenced stream `id` (RFC 9000 §3.2, §4.6, §19.8). For a peer
   * stream, opens it and every lower-numbered stream of its type, returning
   * the newly opened index range (reused object; empty when none). For one
   * of ours, checks that we opened it.
   *
   * @throws TransportError STREAM_LIMIT_ERROR beyond our limit; STREAM_STATE_ERROR for a local stream not yet opened.
   */
  onStreamReferenced(id: number, frameType = STREAM_FRAME): OpenedRange {
    const direction = streamDirection(id);
    const d = this.#dirs[direction];
    const index = streamIndex(id);
    const opened = this.#opened;
    opened.from = opened.to = d.nextRemote;
    if (streamInitiator(id) === this.#local) {
      if (index >= d.nextLocal)
        throw new TransportError(TransportErrorCode.STREAM_STATE_ERROR, `stream ${id} was not opened yet`, frameType);
      return opened;
    }
    if (index >= d.recvLimit) {
      throw new TransportError(
        TransportErrorCode.STREAM_LIMIT_ERROR,
        `stream ${id} beyond the limit of ${d.recvLimit} ${direction} streams`,
        frameType,
      );
    }
    if (index >= d.nextRemote) {
      opened.from = d.nextRemote;
      opened.to = index + 1;
      d.nextRemote = index + 1;
    }
    return opened;
  }

  /** A peer-opened stream is fully closed: its slot can be given back with MAX_STREAMS. */
  onRemoteStreamClosed(direction: StreamDirection): void {
    const d = this.#dirs[direction];
    if (d.closedRemote < d.nextRemote) d.closedRemote++;
  }

  /**
   * The MAX_STREAMS value to advertise when it would grant at least half a
   * window of new streams, else undefined; marks it advertised. Keeps
   * `window` peer streams open at most at any time.
   */
  maxStreamsUpdate(direction: StreamDirection): number | undefined {
    const d = this.#dirs[direction];
    const next = Math.min(d.closedRemote + d.recvWindow, MAX_STREAM_COUNT);
    if (next - d.recvLimit < Math.max(1, Math.floor(d.recvWindow / 2))) return undefined;
    d.recvLimit = next;
    return next;
  }

  /** Our current advertised limit for peer streams of `direction`. */
  remoteLimit(direction: StreamDirection): number {
    return this.#dirs[direction].recvLimit;
  }

  /**
   * STREAMS_BLOCKED from the peer: only validated (2^60 ceiling, §19.14);
   * the credit policy does not depend on it.
   */
  onStreamsBlocked(direction: StreamDirection, limit: number): void {
    if (limit > MAX_STREAM_COUNT) {
      throw new TransportError(
        TransportErrorCode.FRAME_ENCODING_ERROR,
        `STREAMS_BLOCKED ${limit} above 2^60`,
        direction === "bidi" ? 0x16 : 0x17,
      );
    }
  }
}
