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
 * instead of extending it, and brands its classes the way `ZsyncError` does
 * (see {@link QuicError}) so that `instanceof` holds across installed copies
 * of `@zsync/quic`.
 *
 * @example
 * ```ts
 * import { readFrame, Reader, TransportError } from "@zsync/quic/proto";
 * declare const payload: Uint8Array; // a decrypted packet payload
 * declare function closeConnection(errorCode: number, frameType: number | undefined, reason: string): void;
 * const reader = new Reader("frame", payload);
 * try {
 *   while (reader.remaining > 0) readFrame(reader, "1rtt");
 * } catch (error) {
 *   if (error instanceof TransportError) closeConnection(error.errorCode, error.frameType, error.reason);
 * }
 * ```
 * @module
 */

import { declareBrand, hasBrand } from "./error-brand.js";

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

/**
 * The `code` of a {@link QuicError}: every code `@zsync/quic` throws, core
 * (`proto/`) and Node API (`node/`) alike, so that a `switch` over
 * `error.code` of any `QuicError` is checked for exhaustiveness.
 */
export type QuicErrorCode =
  // the core
  | "ZSYNC_QUIC_TRANSPORT"
  | "ZSYNC_QUIC_PACKET"
  | "ZSYNC_QUIC_CONFIG"
  | "ZSYNC_QUIC_STREAM_STATE"
  | "ZSYNC_QUIC_DATAGRAM"
  | "ZSYNC_QUIC_MIGRATION"
  // the Node API (node/errors.ts)
  | "ZSYNC_QUIC_APPLICATION_CLOSED"
  | "ZSYNC_QUIC_TRANSPORT_CLOSED"
  | "ZSYNC_QUIC_IDLE_TIMEOUT"
  | "ZSYNC_QUIC_VERSION_MISMATCH"
  | "ZSYNC_QUIC_STATELESS_RESET"
  | "ZSYNC_QUIC_STREAM_RESET"
  | "ZSYNC_QUIC_STREAM_STOPPED"
  | "ZSYNC_QUIC_STREAM_CLOSED"
  | "ZSYNC_QUIC_ENDPOINT_CLOSED"
  | "ZSYNC_QUIC_SESSION_FORMAT";

/** Per-copy key under which a class keeps its brand symbol (never shared, never on instances). */
const kBrand: unique symbol = Symbol("zsync.quic.errorBrand");

/**
 * Base class of every error the QUIC core and Node API throw; shaped like
 * `ZsyncError` (a stable `code`, a literal type in every subclass).
 *
 * **Branding, without the runtime.** Two installed copies of `@zsync/quic`
 * (a dependency resolved its own) would otherwise each have their own
 * `QuicError` classes, and an error from one copy would fail `instanceof`
 * against the other's. `ZsyncError` solves this with brands, but the core
 * may not import `@zsync/runtime`, so this class repeats the same small
 * scheme locally (`error-brand.ts`) rather than staying plain: each class calls
 * `X.brand("@zsync/quic:X")` once from its `static {}` block, which puts the
 * registered symbol `Symbol.for(key)` on its prototype, and
 * `static [Symbol.hasInstance]` (inherited by every subclass) answers
 * `instanceof` by that brand. The keys are the same form as the runtime's,
 * but a `QuicError` is not a `ZsyncError`: `instanceof ZsyncError` is false,
 * `code` (all `ZSYNC_QUIC_*`) is what to match across packages.
 */
export class QuicError<C extends QuicErrorCode = QuicErrorCode> extends Error {
  static {
    QuicError.brand("@zsync/quic:QuicError");
  }

  /** Stable machine-readable identifier, e.g. `ZSYNC_QUIC_TRANSPORT`. */
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /**
   * Declares this class's brand: `key` (`"@zsync/quic:ClassName"`) names it
   * across every installed copy of the package. Call it once, from the
   * class's `static {}` block.
   */
  protected static brand(key: string): void {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass being branded, not the base
    declareBrand(this, kBrand, key);
  }

  /** `instanceof` by brand (see the class comment); by prototype for unbranded subclasses. */
  static override [Symbol.hasInstance](instance: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of instanceof, which may be any subclass
    return hasBrand(this, kBrand, instance);
  }
}

/**
 * A connection error (RFC 9000 §11.1): the peer sent something the protocol
 * forbids. The connection must close with CONNECTION_CLOSE carrying
 * `errorCode`, and `frameType` when a frame triggered it (§19.19).
 */
export class TransportError extends QuicError<"ZSYNC_QUIC_TRANSPORT"> {
  static {
    TransportError.brand("@zsync/quic:TransportError");
  }

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
export class PacketDecodeError extends QuicError<"ZSYNC_QUIC_PACKET"> {
  static {
    PacketDecodeError.brand("@zsync/quic:PacketDecodeError");
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super("ZSYNC_QUIC_PACKET", message, options);
  }
}
