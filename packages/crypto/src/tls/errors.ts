/**
 * TLS error classes. Every failure that ends a connection carries the alert
 * that was sent (or received) as `alert` / `alertName`, so callers and tests
 * can tell "we refused the certificate" from "the peer refused ours".
 *
 * @example
 * ```ts
 * import { TlsCertificateError, TlsStream } from "@zsync/crypto/tls";
 * try {
 *   await TlsStream.connect({ host: "example.com", port: 443 });
 * } catch (error) {
 *   if (error instanceof TlsCertificateError) console.log(error.reason); // e.g. "hostname-mismatch"
 * }
 * ```
 * @module
 */
import { CancelledError, TimeoutError, ZsyncError } from "@zsync/runtime";
import { AlertDescription, alertName } from "./wire/constants.js";

/** The `code` of a {@link TlsError}: the code of one of its subclasses. */
export type TlsErrorCode =
  | "ZSYNC_TLS_PROTOCOL"
  | "ZSYNC_TLS_NEGOTIATION"
  | "ZSYNC_TLS_BAD_RECORD_MAC"
  | "ZSYNC_TLS_CERTIFICATE"
  | "ZSYNC_TLS_PEER_ALERT"
  | "ZSYNC_TLS_TRUNCATED"
  | "ZSYNC_TLS_CLOSED"
  | "ZSYNC_TLS_LIMIT";

/** Base of every TLS failure; `alert` is the TLS alert description involved. */
export class TlsError<C extends TlsErrorCode = TlsErrorCode> extends ZsyncError<C> {
  static {
    TlsError.brand("@zsync/crypto:TlsError");
  }

  readonly alert: number;
  readonly alertName: string;

  constructor(code: C, alert: number, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.alert = alert;
    this.alertName = alertName(alert);
  }
}

/**
 * The peer broke the protocol (malformed or unexpected message, illegal
 * parameter, bad Finished or signature). We sent `alert` and closed.
 */
export class TlsProtocolError extends TlsError<"ZSYNC_TLS_PROTOCOL"> {
  static {
    TlsProtocolError.brand("@zsync/crypto:TlsProtocolError");
  }

  constructor(alert: number, message: string, options?: { cause?: unknown }) {
    super("ZSYNC_TLS_PROTOCOL", alert, `${alertName(alert)}: ${message}`, options);
  }
}

/** No common protocol version, cipher suite, group, signature scheme or ALPN protocol. */
export class TlsNegotiationError extends TlsError<"ZSYNC_TLS_NEGOTIATION"> {
  static {
    TlsNegotiationError.brand("@zsync/crypto:TlsNegotiationError");
  }

  constructor(alert: number, message: string) {
    super("ZSYNC_TLS_NEGOTIATION", alert, `${alertName(alert)}: ${message}`);
  }
}

/** A record failed authentication (tampered, truncated or wrong key); we sent bad_record_mac. */
export class TlsBadRecordMacError extends TlsError<"ZSYNC_TLS_BAD_RECORD_MAC"> {
  static {
    TlsBadRecordMacError.brand("@zsync/crypto:TlsBadRecordMacError");
  }

  constructor(message = "record failed authentication", options?: { cause?: unknown }) {
    super("ZSYNC_TLS_BAD_RECORD_MAC", AlertDescription.bad_record_mac, message, options);
  }
}

/** Why a peer certificate was refused. */
export type CertificateFailureReason =
  | "no-certificate"
  | "malformed"
  | "unknown-ca"
  | "bad-signature"
  | "not-a-ca"
  | "expired"
  | "not-yet-valid"
  | "hostname-mismatch"
  | "unsupported-key"
  | "unknown-critical-extension"
  | "path-length-exceeded"
  | "path-too-long"
  | "bad-key-usage"
  | "bad-extended-key-usage";

const CERTIFICATE_ALERTS: Record<CertificateFailureReason, number> = {
  "no-certificate": AlertDescription.certificate_required,
  malformed: AlertDescription.bad_certificate,
  "unknown-ca": AlertDescription.unknown_ca,
  "bad-signature": AlertDescription.bad_certificate,
  "not-a-ca": AlertDescription.unknown_ca,
  expired: AlertDescription.certificate_expired,
  "not-yet-valid": AlertDescription.certificate_expired,
  "hostname-mismatch": AlertDescription.bad_certificate,
  "unsupported-key": AlertDescription.unsupported_certificate,
  // We cannot process the certificate as it demands (RFC 9846 §6.2 "unsupported type").
  "unknown-critical-extension": AlertDescription.unsupported_certificate,
  // The path's CA constraints fail, as OpenSSL reports X509_V_ERR_PATH_LENGTH_EXCEEDED / CERT_CHAIN_TOO_LONG.
  "path-length-exceeded": AlertDescription.unknown_ca,
  "path-too-long": AlertDescription.unknown_ca,
  // The certificate is not for this use, as OpenSSL reports X509_V_ERR_INVALID_PURPOSE.
  "bad-key-usage": AlertDescription.unsupported_certificate,
  "bad-extended-key-usage": AlertDescription.unsupported_certificate,
};

/** The peer's certificate chain was refused; `reason` says why, `alert` is what we sent. */
export class TlsCertificateError extends TlsError<"ZSYNC_TLS_CERTIFICATE"> {
  static {
    TlsCertificateError.brand("@zsync/crypto:TlsCertificateError");
  }

  readonly reason: CertificateFailureReason;

  constructor(reason: CertificateFailureReason, message: string, options?: { cause?: unknown }) {
    super("ZSYNC_TLS_CERTIFICATE", CERTIFICATE_ALERTS[reason], `certificate refused (${reason}): ${message}`, options);
    this.reason = reason;
  }
}

/** The peer sent a fatal alert (anything but close_notify/user_canceled). */
export class TlsPeerAlertError extends TlsError<"ZSYNC_TLS_PEER_ALERT"> {
  static {
    TlsPeerAlertError.brand("@zsync/crypto:TlsPeerAlertError");
  }

  constructor(alert: number) {
    super("ZSYNC_TLS_PEER_ALERT", alert, `peer sent fatal alert ${alertName(alert)} (${alert})`);
  }
}

/** The transport ended without close_notify: the data may have been truncated by an attacker. */
export class TlsTruncatedError extends TlsError<"ZSYNC_TLS_TRUNCATED"> {
  static {
    TlsTruncatedError.brand("@zsync/crypto:TlsTruncatedError");
  }

  constructor(message = "connection closed without close_notify; data may be truncated") {
    super("ZSYNC_TLS_TRUNCATED", AlertDescription.close_notify, message);
  }
}

/** The connection is closed (locally or by the peer's close_notify) for the attempted operation. */
export class TlsClosedError extends TlsError<"ZSYNC_TLS_CLOSED"> {
  static {
    TlsClosedError.brand("@zsync/crypto:TlsClosedError");
  }

  constructor(message = "TLS connection is closed") {
    super("ZSYNC_TLS_CLOSED", AlertDescription.close_notify, message);
  }
}

/**
 * A `TlsStream.write` given up because its `signal` aborted or its calling
 * runtime task was cancelled. Still the runtime's `CancelledError` (code
 * `ZSYNC_CANCELLED`, `reason` the signal's or the task's),
 * so code that handles cancellation generically keeps working; it adds
 * `bytesWritten`, because a write's records cannot be taken back once
 * sealed: 0 means nothing of the write was sealed and nothing of it will be
 * sent; otherwise it is the write's whole length, sealed into whole records
 * that still go out in order (a write is sealed all at once). Either way
 * the stream stays usable and the caller may reuse the buffer.
 */
export class TlsWriteCancelledError extends CancelledError {
  static {
    TlsWriteCancelledError.brand("@zsync/crypto:TlsWriteCancelledError");
  }

  /** Bytes of this write sealed before the abort, which still reach the peer: 0 or all of them. */
  readonly bytesWritten: number;

  constructor(reason: unknown, bytesWritten: number) {
    super(
      reason,
      bytesWritten === 0
        ? "TLS write cancelled before any of it was sealed; nothing of it is sent"
        : `TLS write cancelled after its ${bytesWritten} bytes were sealed; they are still sent`,
    );
    this.bytesWritten = bytesWritten;
  }
}

/**
 * A `TlsStream.write` that did not complete within its `timeoutMs`. Still
 * the runtime's `TimeoutError` (code `ZSYNC_TIMEOUT`); `bytesWritten` as in
 * {@link TlsWriteCancelledError}.
 */
export class TlsWriteTimeoutError extends TimeoutError {
  static {
    TlsWriteTimeoutError.brand("@zsync/crypto:TlsWriteTimeoutError");
  }

  /** Bytes of this write sealed before the deadline, which still reach the peer: 0 or all of them. */
  readonly bytesWritten: number;

  constructor(ms: number, bytesWritten: number) {
    super(
      ms,
      bytesWritten === 0
        ? `TLS write timed out after ${ms} ms before any of it was sealed; nothing of it is sent`
        : `TLS write timed out after ${ms} ms; its ${bytesWritten} bytes were sealed and are still sent`,
    );
    this.bytesWritten = bytesWritten;
  }
}

/** A bound we enforce on what a peer may make us buffer or process (defaults in the README's security section). */
export type TlsLimit =
  /** One handshake message longer than MAX_HANDSHAKE_MESSAGE (128 KiB). */
  | "handshake-message-size"
  /** One handshake message cut into more than MAX_HANDSHAKE_FRAGMENTS (1024) records or frames. */
  | "handshake-fragments"
  /** More than MAX_EMPTY_RECORDS (32) empty application_data records in a row. */
  | "empty-records"
  /** More than MAX_CHANGE_CIPHER_SPEC (4) change_cipher_spec records during the handshake. */
  | "change-cipher-spec";

/**
 * The peer went past a resource bound (`limit` says which); we sent `alert`
 * and closed. Separate from `TlsProtocolError` so an operator can tell a
 * peer probing our limits from one that is merely broken.
 */
export class TlsLimitError extends TlsError<"ZSYNC_TLS_LIMIT"> {
  static {
    TlsLimitError.brand("@zsync/crypto:TlsLimitError");
  }

  readonly limit: TlsLimit;

  constructor(limit: TlsLimit, alert: number, message: string) {
    super("ZSYNC_TLS_LIMIT", alert, `${alertName(alert)}: ${message} (limit: ${limit})`);
    this.limit = limit;
  }
}

/** Decoding failure inside the wire codecs; always surfaces as a `TlsProtocolError` with decode_error. */
export function decodeError(message: string): TlsProtocolError {
  return new TlsProtocolError(AlertDescription.decode_error, message);
}
