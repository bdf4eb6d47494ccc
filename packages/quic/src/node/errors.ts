/**
 * Errors of the Node API. Each failure has its own class with a stable
 * `code`, extending the core's {@link QuicError}, so one `instanceof
 * QuicError` catches everything the package throws.
 *
 * Why the close reason is turned into errors here (and not in the core):
 * the core reports a connection's end as data (`CloseReason`), since ending
 * is an outcome; the API must *reject* the waits that can no longer
 * complete (a read, a write, `acceptStream`), and the rejection must carry
 * the QUIC error code so that callers switch on numbers, never on messages.
 *
 * @example
 * ```ts
 * import { QuicApplicationClosedError, type QuicStream, QuicStreamResetError } from "@zsync/quic";
 * declare const stream: QuicStream;
 * const buf = new Uint8Array(4096);
 * try {
 *   await stream.read(buf);
 * } catch (error) {
 *   if (error instanceof QuicStreamResetError) console.log("peer reset with", error.errorCode);
 *   else if (error instanceof QuicApplicationClosedError) console.log("peer closed with", error.errorCode);
 * }
 * ```
 * @module
 */
import { type CloseReason, QuicError, transportErrorName } from "../proto/index.js";

/** The `code` of a {@link QuicConnectionClosedError}: one per way a connection ends. */
export type QuicConnectionClosedCode =
  | "ZSYNC_QUIC_APPLICATION_CLOSED"
  | "ZSYNC_QUIC_TRANSPORT_CLOSED"
  | "ZSYNC_QUIC_IDLE_TIMEOUT"
  | "ZSYNC_QUIC_VERSION_MISMATCH"
  | "ZSYNC_QUIC_STATELESS_RESET";

/**
 * The connection ended; every wait on it rejects with a subclass of this.
 * `reason` is the core's close reason, unchanged.
 */
export class QuicConnectionClosedError<C extends QuicConnectionClosedCode = QuicConnectionClosedCode> extends QuicError<C> {
  static {
    QuicConnectionClosedError.brand("@zsync/quic:QuicConnectionClosedError");
  }

  readonly reason: CloseReason;
  constructor(code: C, reason: CloseReason, message: string) {
    super(code, message);
    this.reason = reason;
  }

  /** The error for a close reason: the subclass matching its `kind`. */
  static from(reason: CloseReason): QuicConnectionClosedError {
    switch (reason.kind) {
      case "application":
        return new QuicApplicationClosedError(reason);
      case "transport":
        return new QuicTransportClosedError(reason);
      case "idle-timeout":
        return new QuicIdleTimeoutError(reason);
      case "version-mismatch":
        return new QuicConnectionClosedError(
          "ZSYNC_QUIC_VERSION_MISMATCH",
          reason,
          `no common QUIC version (peer offers ${reason.versions.join(", ")})`,
        );
      case "stateless-reset":
        return new QuicConnectionClosedError("ZSYNC_QUIC_STATELESS_RESET", reason, "the peer reset the connection statelessly");
    }
  }
}

/** Closed with an application error code (CONNECTION_CLOSE 0x1d, RFC 9000 §19.19): by us or, if `remote`, the peer. */
export class QuicApplicationClosedError extends QuicConnectionClosedError<"ZSYNC_QUIC_APPLICATION_CLOSED"> {
  static {
    QuicApplicationClosedError.brand("@zsync/quic:QuicApplicationClosedError");
  }

  /** The application's error code. */
  readonly errorCode: number;
  /** True when the peer closed. */
  readonly remote: boolean;
  constructor(reason: Extract<CloseReason, { kind: "application" }>) {
    super(
      "ZSYNC_QUIC_APPLICATION_CLOSED",
      reason,
      `${reason.remote ? "peer" : "we"} closed the connection with application error ${reason.errorCode}${reason.reason ? `: ${reason.reason}` : ""}`,
    );
    this.errorCode = reason.errorCode;
    this.remote = reason.remote;
  }
}

/** Closed by a transport error (RFC 9000 §20.1): `errorCode` and the offending `frameType`. */
export class QuicTransportClosedError extends QuicConnectionClosedError<"ZSYNC_QUIC_TRANSPORT_CLOSED"> {
  static {
    QuicTransportClosedError.brand("@zsync/quic:QuicTransportClosedError");
  }

  readonly errorCode: number;
  readonly frameType: number | undefined;
  readonly remote: boolean;
  constructor(reason: Extract<CloseReason, { kind: "transport" }>) {
    super(
      "ZSYNC_QUIC_TRANSPORT_CLOSED",
      reason,
      `${reason.remote ? "peer" : "we"} closed the connection: ${transportErrorName(reason.errorCode)}${reason.reason ? `: ${reason.reason}` : ""}`,
    );
    this.errorCode = reason.errorCode;
    this.frameType = reason.frameType;
    this.remote = reason.remote;
  }
}

/** No packet arrived for the idle timeout (RFC 9000 §10.1); the connection was closed silently. */
export class QuicIdleTimeoutError extends QuicConnectionClosedError<"ZSYNC_QUIC_IDLE_TIMEOUT"> {
  static {
    QuicIdleTimeoutError.brand("@zsync/quic:QuicIdleTimeoutError");
  }

  constructor(reason: Extract<CloseReason, { kind: "idle-timeout" }>) {
    super("ZSYNC_QUIC_IDLE_TIMEOUT", reason, "the connection timed out (no packet for the idle timeout)");
  }
}

/** The peer abandoned its side of the stream with RESET_STREAM (RFC 9000 §19.4); raised by reads. */
export class QuicStreamResetError extends QuicError<"ZSYNC_QUIC_STREAM_RESET"> {
  static {
    QuicStreamResetError.brand("@zsync/quic:QuicStreamResetError");
  }

  readonly streamId: number;
  /** The peer's application error code. */
  readonly errorCode: number;
  constructor(streamId: number, errorCode: number) {
    super("ZSYNC_QUIC_STREAM_RESET", `stream ${streamId} reset by the peer with error ${errorCode}`);
    this.streamId = streamId;
    this.errorCode = errorCode;
  }
}

/** The peer asked us to stop sending with STOP_SENDING (RFC 9000 §19.5); raised by writes. */
export class QuicStreamStoppedError extends QuicError<"ZSYNC_QUIC_STREAM_STOPPED"> {
  static {
    QuicStreamStoppedError.brand("@zsync/quic:QuicStreamStoppedError");
  }

  readonly streamId: number;
  readonly errorCode: number;
  constructor(streamId: number, errorCode: number) {
    super("ZSYNC_QUIC_STREAM_STOPPED", `peer stopped reading stream ${streamId} with error ${errorCode}`);
    this.streamId = streamId;
    this.errorCode = errorCode;
  }
}

/** We ended this side of the stream ourselves (`reset`, `stopSending`, `end`) and then used it. */
export class QuicStreamClosedError extends QuicError<"ZSYNC_QUIC_STREAM_CLOSED"> {
  static {
    QuicStreamClosedError.brand("@zsync/quic:QuicStreamClosedError");
  }

  readonly streamId: number;
  constructor(streamId: number, message: string) {
    super("ZSYNC_QUIC_STREAM_CLOSED", `stream ${streamId}: ${message}`);
    this.streamId = streamId;
  }
}

/** The server or client endpoint was closed: no more connections are accepted or opened. */
export class QuicEndpointClosedError extends QuicError<"ZSYNC_QUIC_ENDPOINT_CLOSED"> {
  static {
    QuicEndpointClosedError.brand("@zsync/quic:QuicEndpointClosedError");
  }

  constructor(message = "QUIC endpoint closed") {
    super("ZSYNC_QUIC_ENDPOINT_CLOSED", message);
  }
}

/** Bytes given to `QuicSession.decode` are not a session `QuicSession.encode` wrote (truncated, corrupt, or another format version). */
export class QuicSessionFormatError extends QuicError<"ZSYNC_QUIC_SESSION_FORMAT"> {
  static {
    QuicSessionFormatError.brand("@zsync/quic:QuicSessionFormatError");
  }

  constructor(message: string) {
    super("ZSYNC_QUIC_SESSION_FORMAT", `not a saved QUIC session: ${message}`);
  }
}
