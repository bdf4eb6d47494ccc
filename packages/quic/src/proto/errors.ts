/**
 * Error classes of the QUIC core. Each failure has its own class with a
 * stable string `code` (safe to switch on across versions), as in the other
 * zsync packages.
 *
 * Why two kinds: RFC 9000 separates *connection errors* (the peer broke the
 * protocol; the connection closes with a transport error code, §11.1) from
 * *invalid packets* (a datagram that cannot be parsed or authenticated is
 * dropped silently, §12.2, §17.2, and never tears a connection down, so
 * that an off-path attacker cannot kill it with garbage). Frame and
 * transport-parameter parsers therefore throw {@link TransportError}, while
 * packet-header parsers throw {@link PacketDecodeError}. A parser fed
 * untrusted bytes throws nothing else.
 *
 * Note: the sans-I/O core may not import `@zsync/runtime` (lint rule), so
 * {@link QuicError} mirrors `ZsyncError`'s shape (`code`, `name`, `cause`)
 * instead of extending it.
 *
 * @example
 * ```ts
 * import { TransportError, TransportErrorCode } from "@zsync/quic/proto";
 * try {
 *   parseFrame(reader, frame);
 * } catch (error) {
 *   if (error instanceof TransportError) closeConnection(error.errorCode, error.frameType, error.reason);
 * }
 * ```
 * @module
 */

/**
 * Transport error codes (RFC 9000 §20.1, plus RFC 9368's
 * VERSION_NEGOTIATION_ERROR). CRYPTO_ERROR is a range: 0x0100 + TLS alert.
 */
export const TransportErrorCode = {
  NO_ERROR: 0x00,
  INTERNAL_ERROR: 0x01,
  CONNECTION_REFUSED: 0x02,
  FLOW_CONTROL_ERROR: 0x03,
  STREAM_LIMIT_ERROR: 0x04,
  STREAM_STATE_ERROR: 0x05,
  FINAL_SIZE_ERROR: 0x06,
  FRAME_ENCODING_ERROR: 0x07,
  TRANSPORT_PARAMETER_ERROR: 0x08,
  CONNECTION_ID_LIMIT_ERROR: 0x09,
  PROTOCOL_VIOLATION: 0x0a,
  INVALID_TOKEN: 0x0b,
  APPLICATION_ERROR: 0x0c,
  CRYPTO_BUFFER_EXCEEDED: 0x0d,
  KEY_UPDATE_ERROR: 0x0e,
  AEAD_LIMIT_REACHED: 0x0f,
  NO_VIABLE_PATH: 0x10,
  VERSION_NEGOTIATION_ERROR: 0x11,
  /** First code of the CRYPTO_ERROR range (0x0100-0x01ff): add the TLS alert. */
  CRYPTO_ERROR: 0x0100,
} as const;

/** One of the named transport error codes, or any value of the CRYPTO_ERROR range. */
export type TransportErrorCode = (typeof TransportErrorCode)[keyof typeof TransportErrorCode] | number;

const CODE_NAMES = new Map<number, string>(Object.entries(TransportErrorCode).map(([name, value]) => [value, name]));

/** A readable name for a transport error code, e.g. `FRAME_ENCODING_ERROR` or `CRYPTO_ERROR(0x28)`. */
export function transportErrorName(code: number): string {
  const name = CODE_NAMES.get(code);
  if (name !== undefined) return name;
  if (code >= 0x0100 && code <= 0x01ff) return `CRYPTO_ERROR(0x${(code - 0x100).toString(16).padStart(2, "0")})`;
  return `0x${code.toString(16)}`;
}

/** Base class of every error the QUIC core throws; shaped like `ZsyncError` (a stable `code`). */
export class QuicError extends Error {
  /** Stable machine-readable identifier, e.g. `ZSYNC_QUIC_TRANSPORT`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * A connection error (RFC 9000 §11.1): the peer sent something the protocol
 * forbids. The connection must close with CONNECTION_CLOSE carrying
 * `errorCode`, and `frameType` when a frame triggered it (§19.19).
 */
export class TransportError extends QuicError {
  /** The RFC 9000 §20.1 transport error code to send in CONNECTION_CLOSE. */
  readonly errorCode: number;
  /** The type of the frame that triggered the error, when known (0 = unknown, as §19.19 allows). */
  readonly frameType: number | undefined;
  /** A short human-readable reason, suitable for the CONNECTION_CLOSE reason phrase. */
  readonly reason: string;

  constructor(errorCode: number, reason: string, frameType?: number, options?: { cause?: unknown }) {
    super(
      "ZSYNC_QUIC_TRANSPORT",
      `${transportErrorName(errorCode)}${frameType === undefined ? "" : ` in frame 0x${frameType.toString(16)}`}: ${reason}`,
      options,
    );
    this.errorCode = errorCode;
    this.frameType = frameType;
    this.reason = reason;
  }
}

/**
 * A packet (or datagram) is malformed and must be discarded without
 * affecting the connection (RFC 9000 §12.2, §17.2): truncated header,
 * connection ID longer than 20 bytes, fixed bit clear, Length beyond the
 * datagram. Raised before any cryptographic work.
 */
export class PacketDecodeError extends QuicError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ZSYNC_QUIC_PACKET", message, options);
  }
}
