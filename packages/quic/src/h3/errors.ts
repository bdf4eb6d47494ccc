/**
 * Error classes of HTTP/3 (RFC 9114 §8). Each failure has its own class with
 * a stable string `code`, the RFC 9114 §8.1 error code it closes with
 * (`h3ErrorCode`) and its scope: a *connection error* closes the whole QUIC
 * connection with CONNECTION_CLOSE (§8), a *stream error* resets one request
 * stream and leaves the others alone (§4.1.2 malformed messages).
 *
 * Like `QpackError` (h3/qpack/errors.ts) these are not `QuicError`s:
 * `QuicErrorCode` is a closed, published union owned by the transport. They
 * have its shape (`code`, `reason`, `cause`) and the same branding
 * (proto/error-brand.ts), so `instanceof` holds across installed copies.
 *
 * @example
 * ```ts
 * import { Http3Error } from "@zsync/quic/h3";
 * declare const error: unknown;
 * if (error instanceof Http3Error && error.scope === "connection") console.log(error.h3ErrorCode.toString(16), error.reason);
 * ```
 * @module
 */
import { declareBrand, hasBrand } from "../proto/error-brand.js";

/** The HTTP/3 error codes (RFC 9114 §8.1). */
export const Http3ErrorCode = {
  H3_NO_ERROR: 0x0100,
  H3_GENERAL_PROTOCOL_ERROR: 0x0101,
  H3_INTERNAL_ERROR: 0x0102,
  H3_STREAM_CREATION_ERROR: 0x0103,
  H3_CLOSED_CRITICAL_STREAM: 0x0104,
  H3_FRAME_UNEXPECTED: 0x0105,
  H3_FRAME_ERROR: 0x0106,
  H3_EXCESSIVE_LOAD: 0x0107,
  H3_ID_ERROR: 0x0108,
  H3_SETTINGS_ERROR: 0x0109,
  H3_MISSING_SETTINGS: 0x010a,
  H3_REQUEST_REJECTED: 0x010b,
  H3_REQUEST_CANCELLED: 0x010c,
  H3_REQUEST_INCOMPLETE: 0x010d,
  H3_MESSAGE_ERROR: 0x010e,
  H3_CONNECT_ERROR: 0x010f,
  H3_VERSION_FALLBACK: 0x0110,
} as const;

const CODE_NAMES = new Map<number, string>(Object.entries(Http3ErrorCode).map(([name, value]) => [value, name]));

/** A readable name for an HTTP/3 (or QPACK) error code, e.g. `H3_FRAME_ERROR`; grease and unknown codes in hex. */
export function http3ErrorName(code: number): string {
  if (code === 0x200) return "QPACK_DECOMPRESSION_FAILED";
  if (code === 0x201) return "QPACK_ENCODER_STREAM_ERROR";
  if (code === 0x202) return "QPACK_DECODER_STREAM_ERROR";
  return CODE_NAMES.get(code) ?? `0x${code.toString(16)}`;
}

/** Every `code` an {@link Http3Error} carries. */
export type Http3ErrorKind =
  | "ZSYNC_QUIC_H3_FRAME"
  | "ZSYNC_QUIC_H3_FRAME_UNEXPECTED"
  | "ZSYNC_QUIC_H3_SETTINGS"
  | "ZSYNC_QUIC_H3_MISSING_SETTINGS"
  | "ZSYNC_QUIC_H3_CLOSED_CRITICAL_STREAM"
  | "ZSYNC_QUIC_H3_STREAM_CREATION"
  | "ZSYNC_QUIC_H3_ID"
  | "ZSYNC_QUIC_H3_EXCESSIVE_LOAD"
  | "ZSYNC_QUIC_H3_MESSAGE"
  | "ZSYNC_QUIC_H3_REQUEST_INCOMPLETE"
  | "ZSYNC_QUIC_H3_QPACK"
  | "ZSYNC_QUIC_H3_CONNECTION_CLOSED"
  | "ZSYNC_QUIC_H3_REQUEST_RESET"
  | "ZSYNC_QUIC_H3_REQUEST_REJECTED"
  | "ZSYNC_QUIC_H3_CLOSED";

/** Per-copy key under which a class keeps its brand symbol (never shared, never on instances). */
const kBrand: unique symbol = Symbol("zsync.quic.http3ErrorBrand");

/** Base class of every HTTP/3 error (see the module comment). */
export class Http3Error<C extends Http3ErrorKind = Http3ErrorKind> extends Error {
  static {
    Http3Error.brand("@zsync/quic:Http3Error");
  }

  /** Stable machine-readable identifier. */
  readonly code: C;
  /** The RFC 9114 §8.1 (or RFC 9204 §6) error code sent, or received, in CONNECTION_CLOSE or RESET_STREAM. */
  readonly h3ErrorCode: number;
  /** `connection`: the whole connection closes; `stream`: only the request stream is reset. */
  readonly scope: "connection" | "stream";
  /** What was wrong, without the class prefix (fit for a CONNECTION_CLOSE reason phrase). */
  readonly reason: string;

  constructor(code: C, h3ErrorCode: number, scope: "connection" | "stream", reason: string, options?: { cause?: unknown }) {
    super(`${http3ErrorName(h3ErrorCode)}: ${reason}`, options);
    this.code = code;
    this.h3ErrorCode = h3ErrorCode;
    this.scope = scope;
    this.reason = reason;
    this.name = new.target.name;
  }

  /** Declares this class's brand (`"@zsync/quic:ClassName"`); call once from its `static {}` block. */
  protected static brand(key: string): void {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass being branded, not the base
    declareBrand(this, kBrand, key);
  }

  /** `instanceof` by brand, so it holds across installed copies of the package. */
  static override [Symbol.hasInstance](instance: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of instanceof, which may be any subclass
    return hasBrand(this, kBrand, instance);
  }
}

/** H3_FRAME_ERROR (connection): a frame whose layout is wrong: payload not matching its length, truncated by the stream's end (§7.1). */
export class Http3FrameError extends Http3Error<"ZSYNC_QUIC_H3_FRAME"> {
  static {
    Http3FrameError.brand("@zsync/quic:Http3FrameError");
  }
  constructor(reason: string) {
    super("ZSYNC_QUIC_H3_FRAME", Http3ErrorCode.H3_FRAME_ERROR, "connection", reason);
  }
}

/** H3_FRAME_UNEXPECTED (connection): a frame not allowed on its stream or in its state: DATA before HEADERS, a second SETTINGS, an HTTP/2 frame type (§7.2.8). */
export class Http3FrameUnexpectedError extends Http3Error<"ZSYNC_QUIC_H3_FRAME_UNEXPECTED"> {
  static {
    Http3FrameUnexpectedError.brand("@zsync/quic:Http3FrameUnexpectedError");
  }
  constructor(reason: string) {
    super("ZSYNC_QUIC_H3_FRAME_UNEXPECTED", Http3ErrorCode.H3_FRAME_UNEXPECTED, "connection", reason);
  }
}

/** H3_SETTINGS_ERROR (connection): a duplicate setting, an HTTP/2-only setting, a value out of range (§7.2.4). */
export class Http3SettingsError extends Http3Error<"ZSYNC_QUIC_H3_SETTINGS"> {
  static {
    Http3SettingsError.brand("@zsync/quic:Http3SettingsError");
  }
  constructor(reason: string) {
    super("ZSYNC_QUIC_H3_SETTINGS", Http3ErrorCode.H3_SETTINGS_ERROR, "connection", reason);
  }
}

/** H3_MISSING_SETTINGS (connection): the peer's control stream did not start with SETTINGS (§6.2.1). */
export class Http3MissingSettingsError extends Http3Error<"ZSYNC_QUIC_H3_MISSING_SETTINGS"> {
  static {
    Http3MissingSettingsError.brand("@zsync/quic:Http3MissingSettingsError");
  }
  constructor(reason: string) {
    super("ZSYNC_QUIC_H3_MISSING_SETTINGS", Http3ErrorCode.H3_MISSING_SETTINGS, "connection", reason);
  }
}

/** H3_CLOSED_CRITICAL_STREAM (connection): the peer ended or reset its control or a QPACK stream (§6.2.1, RFC 9204 §4.2). */
export class Http3ClosedCriticalStreamError extends Http3Error<"ZSYNC_QUIC_H3_CLOSED_CRITICAL_STREAM"> {
  static {
    Http3ClosedCriticalStreamError.brand("@zsync/quic:Http3ClosedCriticalStreamError");
  }
  constructor(reason: string) {
    super("ZSYNC_QUIC_H3_CLOSED_CRITICAL_STREAM", Http3ErrorCode.H3_CLOSED_CRITICAL_STREAM, "connection", reason);
  }
}

/** H3_STREAM_CREATION_ERROR (connection): a second control or QPACK stream, a push stream sent to a server, a server-initiated bidirectional stream (§6). */
export class Http3StreamCreationError extends Http3Error<"ZSYNC_QUIC_H3_STREAM_CREATION"> {
  static {
    Http3StreamCreationError.brand("@zsync/quic:Http3StreamCreationError");
  }
  constructor(reason: string) {
    super("ZSYNC_QUIC_H3_STREAM_CREATION", Http3ErrorCode.H3_STREAM_CREATION_ERROR, "connection", reason);
  }
}

/** H3_ID_ERROR (connection): a GOAWAY id that grew or names the wrong stream type, a push id we never allowed (§5.2, §4.6). */
export class Http3IdError extends Http3Error<"ZSYNC_QUIC_H3_ID"> {
  static {
    Http3IdError.brand("@zsync/quic:Http3IdError");
  }
  constructor(reason: string) {
    super("ZSYNC_QUIC_H3_ID", Http3ErrorCode.H3_ID_ERROR, "connection", reason);
  }
}

/** H3_EXCESSIVE_LOAD: a frame larger than we hold for its type (connection, on a control stream), or a request stream over its buffering bound (stream). */
export class Http3ExcessiveLoadError extends Http3Error<"ZSYNC_QUIC_H3_EXCESSIVE_LOAD"> {
  static {
    Http3ExcessiveLoadError.brand("@zsync/quic:Http3ExcessiveLoadError");
  }
  constructor(scope: "connection" | "stream", reason: string) {
    super("ZSYNC_QUIC_H3_EXCESSIVE_LOAD", Http3ErrorCode.H3_EXCESSIVE_LOAD, scope, reason);
  }
}

/**
 * H3_MESSAGE_ERROR (stream): a malformed request or response (§4.1.2): bad or
 * missing pseudo-headers, uppercase or invalid field names, connection-specific
 * fields, a content-length the DATA frames do not add up to, a field section
 * over SETTINGS_MAX_FIELD_SECTION_SIZE. Only its stream is reset.
 */
export class Http3MessageError extends Http3Error<"ZSYNC_QUIC_H3_MESSAGE"> {
  static {
    Http3MessageError.brand("@zsync/quic:Http3MessageError");
  }
  /** The request stream, when known. */
  readonly streamId: number | undefined;
  constructor(reason: string, streamId?: number) {
    super("ZSYNC_QUIC_H3_MESSAGE", Http3ErrorCode.H3_MESSAGE_ERROR, "stream", reason);
    this.streamId = streamId;
  }
}

/** H3_REQUEST_INCOMPLETE (stream): a request stream ended before a complete request (§4.1.2). */
export class Http3RequestIncompleteError extends Http3Error<"ZSYNC_QUIC_H3_REQUEST_INCOMPLETE"> {
  static {
    Http3RequestIncompleteError.brand("@zsync/quic:Http3RequestIncompleteError");
  }
  constructor(reason: string) {
    super("ZSYNC_QUIC_H3_REQUEST_INCOMPLETE", Http3ErrorCode.H3_REQUEST_INCOMPLETE, "stream", reason);
  }
}

/** A QPACK failure (RFC 9204 §6) surfaced by the HTTP/3 layer: `h3ErrorCode` is 0x200-0x202 (connection); `cause` is the `QpackError`. */
export class Http3QpackError extends Http3Error<"ZSYNC_QUIC_H3_QPACK"> {
  static {
    Http3QpackError.brand("@zsync/quic:Http3QpackError");
  }
  constructor(h3ErrorCode: number, reason: string, options?: { cause?: unknown }) {
    super("ZSYNC_QUIC_H3_QPACK", h3ErrorCode, "connection", reason, options);
  }
}

/** The connection closed (by either side, or the transport) while a request was in flight; `h3ErrorCode` is the close code when it was an application close. */
export class Http3ConnectionClosedError extends Http3Error<"ZSYNC_QUIC_H3_CONNECTION_CLOSED"> {
  static {
    Http3ConnectionClosedError.brand("@zsync/quic:Http3ConnectionClosedError");
  }
  constructor(h3ErrorCode: number, reason: string, options?: { cause?: unknown }) {
    super("ZSYNC_QUIC_H3_CONNECTION_CLOSED", h3ErrorCode, "connection", reason, options);
  }
}

/** The peer reset a request stream (RESET_STREAM or STOP_SENDING) with `h3ErrorCode`, e.g. H3_REQUEST_CANCELLED. */
export class Http3RequestResetError extends Http3Error<"ZSYNC_QUIC_H3_REQUEST_RESET"> {
  static {
    Http3RequestResetError.brand("@zsync/quic:Http3RequestResetError");
  }
  constructor(h3ErrorCode: number, reason: string) {
    super("ZSYNC_QUIC_H3_REQUEST_RESET", h3ErrorCode, "stream", reason);
  }
}

/**
 * The server did not process the request (§4.1.1: H3_REQUEST_REJECTED, or
 * the request's stream was at or above a GOAWAY id, §5.2): safe to retry, on
 * another connection.
 */
export class Http3RequestRejectedError extends Http3Error<"ZSYNC_QUIC_H3_REQUEST_REJECTED"> {
  static {
    Http3RequestRejectedError.brand("@zsync/quic:Http3RequestRejectedError");
  }
  constructor(reason: string) {
    super("ZSYNC_QUIC_H3_REQUEST_REJECTED", Http3ErrorCode.H3_REQUEST_REJECTED, "stream", reason);
  }
}

/** Our own side is closed or closing (`close()` called, GOAWAY received for new requests): no new request is sent. */
export class Http3ClosedError extends Http3Error<"ZSYNC_QUIC_H3_CLOSED"> {
  static {
    Http3ClosedError.brand("@zsync/quic:Http3ClosedError");
  }
  constructor(reason: string) {
    super("ZSYNC_QUIC_H3_CLOSED", Http3ErrorCode.H3_NO_ERROR, "connection", reason);
  }
}
