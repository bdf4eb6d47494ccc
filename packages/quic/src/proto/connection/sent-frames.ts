/**
 * What one sent packet carried that matters after it is acknowledged or
 * lost (RFC 9000 §13.3): loss detection hands this record back, and the
 * connection retires the frames (ACKed) or queues their *current* content
 * again (lost). Retransmission is by information, never by packet: a lost
 * MAX_DATA is resent with the latest limit, a lost STREAM range only for
 * the bytes still unacknowledged.
 *
 * @module
 */

/** A STREAM frame's range. */
export interface SentStreamRange {
  readonly id: number;
  readonly offset: number;
  readonly length: number;
  readonly fin: boolean;
}

/** See the module comment. Fields are unset when the packet did not carry that frame. */
export class SentFrames {
  /** CRYPTO frame range (at most one per packet). */
  cryptoOffset = -1;
  cryptoLength = 0;
  /** Largest packet number our ACK frame in this packet acknowledged, -1 when none. */
  ackLargest = -1;
  handshakeDone = false;
  /** The NEW_TOKEN token this packet carried (resent when lost, §13.3). */
  newToken: Uint8Array | undefined = undefined;
  /** Sequence numbers of our NEW_CONNECTION_ID frames in this packet (resent while still active, §13.3). */
  newConnectionIds: number[] | undefined;
  /** Sequence numbers of our RETIRE_CONNECTION_ID frames in this packet (always resent, §13.3). */
  retireConnectionIds: number[] | undefined;
  maxData = false;
  maxStreamsBidi = false;
  maxStreamsUni = false;
  /** Streams whose MAX_STREAM_DATA we sent. */
  maxStreamData: number[] | undefined;
  /** Streams whose RESET_STREAM we sent. */
  resetStream: number[] | undefined;
  /** Streams whose STOP_SENDING we sent. */
  stopSending: number[] | undefined;
  streams: SentStreamRange[] | undefined;
  /** The limit our DATA_BLOCKED carried, -1 when none (resent if still blocked at it, RFC 9000 §13.3). */
  dataBlocked = -1;
  /** Our STREAMS_BLOCKED limits, -1 when none. */
  streamsBlockedBidi = -1;
  streamsBlockedUni = -1;
  /** Our STREAM_DATA_BLOCKED frames: stream ID and limit. */
  streamDataBlocked: SentStreamLimit[] | undefined;
}

/** A STREAM_DATA_BLOCKED frame's content. */
export interface SentStreamLimit {
  readonly id: number;
  readonly limit: number;
}
