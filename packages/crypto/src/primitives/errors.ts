/**
 * Error classes of `@zsync/crypto`. Each failure has its own class with a
 * stable `code` (safe to switch on across versions); all extend `ZsyncError`
 * from `@zsync/runtime`, so one `instanceof ZsyncError` catches every zsync
 * failure.
 *
 * @example
 * ```ts
 * import { AsyncCipher, AuthenticationError } from "@zsync/crypto";
 * declare const key: Uint8Array;
 * declare const envelope: Uint8Array;
 * const cipher = new AsyncCipher(key);
 * try {
 *   await cipher.decrypt(envelope);
 * } catch (error) {
 *   if (error instanceof AuthenticationError) console.log(error.code); // "ZSYNC_CRYPTO_AUTH"
 * }
 * ```
 * @module
 */
import { ZsyncError } from "@zsync/runtime";

/**
 * A ciphertext, tag, signature-protected header or associated data did not
 * authenticate: the data was tampered with, truncated, reordered, or the key
 * or AAD is wrong. No plaintext from the failing unit is ever released.
 */
export class AuthenticationError extends ZsyncError<"ZSYNC_CRYPTO_AUTH"> {
  static {
    AuthenticationError.brand("@zsync/crypto:AuthenticationError");
  }

  constructor(message = "authentication failed: ciphertext, tag, key or associated data do not match", options?: { cause?: unknown }) {
    super("ZSYNC_CRYPTO_AUTH", message, options);
  }
}

/**
 * A chunked (streaming) ciphertext ended before its final chunk: every chunk
 * seen authenticated, but the chunk marked "last" never arrived.
 */
export class TruncatedCiphertextError extends ZsyncError<"ZSYNC_CRYPTO_TRUNCATED"> {
  static {
    TruncatedCiphertextError.brand("@zsync/crypto:TruncatedCiphertextError");
  }

  constructor(message = "ciphertext truncated: the final chunk is missing") {
    super("ZSYNC_CRYPTO_TRUNCATED", message);
  }
}

/**
 * An envelope or stream header is malformed: wrong magic, unknown version,
 * algorithm or mode, impossible sizes. Raised before any decryption work.
 */
export class EnvelopeFormatError extends ZsyncError<"ZSYNC_CRYPTO_FORMAT"> {
  static {
    EnvelopeFormatError.brand("@zsync/crypto:EnvelopeFormatError");
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super("ZSYNC_CRYPTO_FORMAT", message, options);
  }
}

/** The chosen provider cannot supply the requested algorithm. */
export class UnsupportedAlgorithmError extends ZsyncError<"ZSYNC_CRYPTO_UNSUPPORTED"> {
  static {
    UnsupportedAlgorithmError.brand("@zsync/crypto:UnsupportedAlgorithmError");
  }

  readonly algorithm: string;

  constructor(algorithm: string, message = `unsupported algorithm: ${algorithm}`) {
    super("ZSYNC_CRYPTO_UNSUPPORTED", message);
    this.algorithm = algorithm;
  }
}

/**
 * A key agreement produced an invalid result: the peer's public key is not a
 * valid point, or (X25519) the shared secret is all zeros, which RFC 7748 §6.1
 * and TLS 1.3 require callers to reject.
 */
export class KeyAgreementError extends ZsyncError<"ZSYNC_CRYPTO_KEY_AGREEMENT"> {
  static {
    KeyAgreementError.brand("@zsync/crypto:KeyAgreementError");
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super("ZSYNC_CRYPTO_KEY_AGREEMENT", message, options);
  }
}

/** A key passed to a signature or key-agreement scheme is not a valid key for it. */
export class InvalidKeyError extends ZsyncError<"ZSYNC_CRYPTO_INVALID_KEY"> {
  static {
    InvalidKeyError.brand("@zsync/crypto:InvalidKeyError");
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super("ZSYNC_CRYPTO_INVALID_KEY", message, options);
  }
}

/** An object was used in a state that forbids the call, e.g. `update()` after `digest()`. */
export class InvalidStateError extends ZsyncError<"ZSYNC_CRYPTO_STATE"> {
  static {
    InvalidStateError.brand("@zsync/crypto:InvalidStateError");
  }

  constructor(message: string) {
    super("ZSYNC_CRYPTO_STATE", message);
  }
}

/** The requested provider cannot run here (e.g. `node` outside Node.js). */
export class ProviderUnavailableError extends ZsyncError<"ZSYNC_CRYPTO_PROVIDER_UNAVAILABLE"> {
  static {
    ProviderUnavailableError.brand("@zsync/crypto:ProviderUnavailableError");
  }

  readonly provider: string;

  constructor(provider: string, message = `crypto provider "${provider}" is not available in this environment`) {
    super("ZSYNC_CRYPTO_PROVIDER_UNAVAILABLE", message);
    this.provider = provider;
  }
}

/**
 * A caller-supplied `output` (e.g. `AsyncCipher`'s `encrypt`/`decrypt` option)
 * is too small for the result; `needed` and `actual` are byte counts. Raised
 * before any work, so nothing was written.
 */
export class OutputSizeError extends ZsyncError<"ZSYNC_CRYPTO_OUTPUT_SIZE"> {
  static {
    OutputSizeError.brand("@zsync/crypto:OutputSizeError");
  }
  readonly needed: number;
  readonly actual: number;
  constructor(needed: number, actual: number, message = `output must be at least ${needed} bytes, got ${actual}`) {
    super("ZSYNC_CRYPTO_OUTPUT_SIZE", message);
    this.needed = needed;
    this.actual = actual;
  }
}

/**
 * A caller-supplied `output` shares bytes with the call's input: the result
 * would overwrite input not yet read. Raised before any work.
 */
export class OutputOverlapError extends ZsyncError<"ZSYNC_CRYPTO_OUTPUT_OVERLAP"> {
  static {
    OutputOverlapError.brand("@zsync/crypto:OutputOverlapError");
  }
  constructor(message = "output overlaps the input") {
    super("ZSYNC_CRYPTO_OUTPUT_OVERLAP", message);
  }
}
