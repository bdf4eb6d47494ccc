/**
 * Error classes of QPACK (RFC 9204 §6). Each failure has its own class with a
 * stable string `code` and the HTTP/3 error code (`h3ErrorCode`, RFC 9204 §6 /
 * RFC 9114 §8.1) the connection or stream closes with, so the coming HTTP/3
 * layer maps an error to CONNECTION_CLOSE or RESET_STREAM without parsing
 * messages.
 *
 * Why not subclasses of `QuicError`: QPACK is internal groundwork, and
 * `QuicError`'s `code` is the closed, published union `QuicErrorCode`, which
 * these codes would have to join (a public API change). When HTTP/3 is
 * published, these codes move into that union and the classes under
 * `QuicError`. Until then {@link QpackError} has `QuicError`'s shape and
 * the same branding (`proto/error-brand.ts`), so `instanceof` already holds
 * across installed copies.
 *
 * @example
 * ```ts
 * import { QpackError } from "./errors.js";
 * declare function closeConnection(h3ErrorCode: number, reason: string): void;
 * try {
 *   // decoder.receiveEncoderStream(bytes)
 * } catch (error) {
 *   if (error instanceof QpackError) closeConnection(error.h3ErrorCode, error.reason);
 * }
 * ```
 * @module
 */

import { declareBrand, hasBrand } from "../../proto/error-brand.js";

/** The QPACK error codes of HTTP/3 (RFC 9204 §6), plus the one RFC 9114 stream error QPACK raises. */
export const QpackH3ErrorCode = {
  /** RFC 9114 §8.1: a malformed or oversized message; here a field section over the decoder's limit. */
  H3_MESSAGE_ERROR: 0x010e,
  QPACK_DECOMPRESSION_FAILED: 0x0200,
  QPACK_ENCODER_STREAM_ERROR: 0x0201,
  QPACK_DECODER_STREAM_ERROR: 0x0202,
} as const;

/** Every `code` a {@link QpackError} carries. */
export type QpackErrorCode =
  | "ZSYNC_QUIC_QPACK_DECOMPRESSION_FAILED"
  | "ZSYNC_QUIC_QPACK_ENCODER_STREAM"
  | "ZSYNC_QUIC_QPACK_DECODER_STREAM"
  | "ZSYNC_QUIC_QPACK_FIELD_SECTION_TOO_LARGE";

/** Per-copy key under which a class keeps its brand symbol (never shared, never on instances). */
const kBrand: unique symbol = Symbol("zsync.quic.qpackErrorBrand");

/**
 * Base class of every QPACK error: a stable `code`, the HTTP/3 error code to
 * close with, and a short `reason` fit for a CONNECTION_CLOSE reason phrase.
 * Branded like `QuicError` (see the module comment).
 */
export class QpackError<C extends QpackErrorCode = QpackErrorCode> extends Error {
  static {
    QpackError.brand("@zsync/quic:QpackError");
  }

  /** Stable machine-readable identifier. */
  readonly code: C;
  /** The HTTP/3 error code to close the connection (or reset the stream) with. */
  readonly h3ErrorCode: number;
  /** What was wrong, without the class prefix. */
  readonly reason: string;

  constructor(code: C, h3ErrorCode: number, reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.code = code;
    this.h3ErrorCode = h3ErrorCode;
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

/**
 * QPACK_DECOMPRESSION_FAILED (a connection error): an encoded field section
 * cannot be interpreted: a truncated or oversized integer, a bad string or
 * Huffman code, a reference to an evicted, future or unknown entry, a Required
 * Insert Count out of range, or more blocked streams than promised.
 */
export class QpackDecompressionError extends QpackError<"ZSYNC_QUIC_QPACK_DECOMPRESSION_FAILED"> {
  static {
    QpackDecompressionError.brand("@zsync/quic:QpackDecompressionError");
  }

  constructor(reason: string, options?: { cause?: unknown }) {
    super("ZSYNC_QUIC_QPACK_DECOMPRESSION_FAILED", QpackH3ErrorCode.QPACK_DECOMPRESSION_FAILED, reason, options);
  }
}

/**
 * QPACK_ENCODER_STREAM_ERROR (a connection error): the decoder cannot
 * interpret an instruction on the peer's encoder stream: a capacity above the
 * limit, an entry larger than the capacity, a reference to an evicted entry,
 * a bad integer or string.
 */
export class QpackEncoderStreamError extends QpackError<"ZSYNC_QUIC_QPACK_ENCODER_STREAM"> {
  static {
    QpackEncoderStreamError.brand("@zsync/quic:QpackEncoderStreamError");
  }

  constructor(reason: string, options?: { cause?: unknown }) {
    super("ZSYNC_QUIC_QPACK_ENCODER_STREAM", QpackH3ErrorCode.QPACK_ENCODER_STREAM_ERROR, reason, options);
  }
}

/**
 * QPACK_DECODER_STREAM_ERROR (a connection error): the encoder cannot
 * interpret an instruction on the peer's decoder stream: an acknowledgment of
 * a section never sent (or already acknowledged), an Insert Count Increment
 * of zero or past what was sent, a bad integer.
 */
export class QpackDecoderStreamError extends QpackError<"ZSYNC_QUIC_QPACK_DECODER_STREAM"> {
  static {
    QpackDecoderStreamError.brand("@zsync/quic:QpackDecoderStreamError");
  }

  constructor(reason: string, options?: { cause?: unknown }) {
    super("ZSYNC_QUIC_QPACK_DECODER_STREAM", QpackH3ErrorCode.QPACK_DECODER_STREAM_ERROR, reason, options);
  }
}

/**
 * A field section decodes to more than the decoder's `maxFieldSectionSize`
 * (RFC 9114 §4.2.2: the sum of name length + value length + 32 per field).
 * A stream error, not a connection error: the decoder stopped reading the
 * section before allocating past the limit, and has queued its Section
 * Acknowledgment when it had dynamic references (every entry it needs is
 * present, and the acknowledgment releases the encoder's references to
 * them); the HTTP/3 layer answers 431 (server) or resets the stream with
 * `h3ErrorCode` (H3_MESSAGE_ERROR).
 */
export class QpackFieldSectionTooLargeError extends QpackError<"ZSYNC_QUIC_QPACK_FIELD_SECTION_TOO_LARGE"> {
  static {
    QpackFieldSectionTooLargeError.brand("@zsync/quic:QpackFieldSectionTooLargeError");
  }

  /** The stream whose section was refused. */
  readonly streamId: number;
  /** The configured limit in bytes. */
  readonly limit: number;

  constructor(streamId: number, limit: number) {
    super(
      "ZSYNC_QUIC_QPACK_FIELD_SECTION_TOO_LARGE",
      QpackH3ErrorCode.H3_MESSAGE_ERROR,
      `field section on stream ${streamId} exceeds ${limit} bytes`,
    );
    this.streamId = streamId;
    this.limit = limit;
  }
}

/** Throws the context's error class: how the shared wire decoders report a failure without knowing the stream they parse. */
export type Fail = (reason: string) => never;
