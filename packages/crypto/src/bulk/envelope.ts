/**
 * The self-describing `AsyncCipher` envelope header. Every ciphertext starts
 * with it, so a reader knows the format version, AEAD algorithm and layout
 * without out-of-band agreement, and the header is authenticated (it is AAD
 * in single-shot mode, HKDF input in chunked mode), so it cannot be swapped.
 *
 * ```text
 * offset  size  field
 * 0       2     magic "ZC" (0x5a 0x43)
 * 2       1     version (1)
 * 3       1     algorithm: 1 aes-128-gcm, 2 aes-256-gcm, 3 chacha20-poly1305, 4 xchacha20-poly1305
 * 4       1     mode: 0 single-shot, 1 chunked
 * single-shot:  5, nonceLength: nonce; then ciphertext || tag
 * chunked:      5, 1: log2(chunkSize) in 10..24; 6, 32: salt; then chunks
 * ```
 *
 * @example
 * ```ts
 * import { parseEnvelopeHeader } from "@zsync/crypto";
 * declare const envelope: Uint8Array;
 * const header = parseEnvelopeHeader(envelope); // throws EnvelopeFormatError on garbage
 * header.algorithm; // "xchacha20-poly1305"
 * ```
 * @module
 */
import { assertBytes } from "../primitives/assert-input.js";
import { EnvelopeFormatError } from "../primitives/errors.js";
import type { AeadAlgorithm } from "../primitives/provider.js";
import { AEAD_PARAMS } from "../primitives/provider.js";

export const ENVELOPE_VERSION = 1;
const MAGIC0 = 0x5a;
const MAGIC1 = 0x43;
/** Smallest and largest chunk sizes as log2 (1 KiB .. 16 MiB). */
export const MIN_CHUNK_LOG2 = 10;
export const MAX_CHUNK_LOG2 = 24;
export const SALT_LENGTH = 32;
export const CHUNKED_HEADER_LENGTH = 6 + SALT_LENGTH;

const ALGORITHM_IDS: Readonly<Record<AeadAlgorithm, number>> = {
  "aes-128-gcm": 1,
  "aes-256-gcm": 2,
  "chacha20-poly1305": 3,
  "xchacha20-poly1305": 4,
};
const ALGORITHMS_BY_ID: readonly (AeadAlgorithm | undefined)[] = [
  undefined,
  "aes-128-gcm",
  "aes-256-gcm",
  "chacha20-poly1305",
  "xchacha20-poly1305",
];

/** A parsed header. `headerLength` is where the payload starts. */
export type EnvelopeHeader =
  | { readonly mode: "single"; readonly algorithm: AeadAlgorithm; readonly nonce: Uint8Array; readonly headerLength: number }
  | {
      readonly mode: "chunked";
      readonly algorithm: AeadAlgorithm;
      readonly chunkSize: number;
      readonly salt: Uint8Array;
      readonly headerLength: number;
    };

/** Encodes a single-shot header. */
export function encodeSingleHeader(algorithm: AeadAlgorithm, nonce: Uint8Array): Uint8Array {
  const header = new Uint8Array(5 + nonce.length);
  header.set([MAGIC0, MAGIC1, ENVELOPE_VERSION, ALGORITHM_IDS[algorithm], 0]);
  header.set(nonce, 5);
  return header;
}

/** Encodes a chunked (streaming) header. */
export function encodeChunkedHeader(algorithm: AeadAlgorithm, chunkSize: number, salt: Uint8Array): Uint8Array {
  const header = new Uint8Array(CHUNKED_HEADER_LENGTH);
  header.set([MAGIC0, MAGIC1, ENVELOPE_VERSION, ALGORITHM_IDS[algorithm], 1, Math.log2(chunkSize)]);
  header.set(salt, 6);
  return header;
}

/**
 * Bytes needed before {@link parseEnvelopeHeader} can succeed, given the
 * first bytes seen (at least 5); lets stream readers wait for exactly enough.
 */
export function envelopeHeaderLength(prefix: Uint8Array): number {
  const algorithm = checkPrefix(prefix);
  return prefix[4] === 0 ? 5 + AEAD_PARAMS[algorithm].nonceLength : CHUNKED_HEADER_LENGTH;
}

function checkPrefix(bytes: Uint8Array): AeadAlgorithm {
  if (bytes.length < 5) throw new EnvelopeFormatError(`envelope too short: ${bytes.length} bytes, the header alone is at least 5`);
  if (bytes[0] !== MAGIC0 || bytes[1] !== MAGIC1) throw new EnvelopeFormatError("not a zsync envelope: bad magic bytes");
  if (bytes[2] !== ENVELOPE_VERSION)
    throw new EnvelopeFormatError(`unsupported envelope version ${bytes[2]} (this library reads version ${ENVELOPE_VERSION})`);
  const algorithm = ALGORITHMS_BY_ID[bytes[3] as number];
  if (algorithm === undefined) throw new EnvelopeFormatError(`unknown envelope algorithm id ${bytes[3]}`);
  if (bytes[4] !== 0 && bytes[4] !== 1) throw new EnvelopeFormatError(`unknown envelope mode ${bytes[4]}`);
  return algorithm;
}

/** Parses and validates the header at the start of `bytes`. Throws `EnvelopeFormatError`, never anything else, for bad bytes. */
export function parseEnvelopeHeader(bytes: Uint8Array): EnvelopeHeader {
  assertBytes(bytes, "envelope");
  const algorithm = checkPrefix(bytes);
  if (bytes[4] === 0) {
    const nonceLength = AEAD_PARAMS[algorithm].nonceLength;
    const headerLength = 5 + nonceLength;
    if (bytes.length < headerLength)
      throw new EnvelopeFormatError(`envelope truncated inside its header (${bytes.length} of ${headerLength} bytes)`);
    return { mode: "single", algorithm, nonce: bytes.subarray(5, headerLength), headerLength };
  }
  if (bytes.length < CHUNKED_HEADER_LENGTH)
    throw new EnvelopeFormatError(`envelope truncated inside its header (${bytes.length} of ${CHUNKED_HEADER_LENGTH} bytes)`);
  const log2 = bytes[5] as number;
  if (log2 < MIN_CHUNK_LOG2 || log2 > MAX_CHUNK_LOG2)
    throw new EnvelopeFormatError(`chunk size 2^${log2} outside the allowed 2^${MIN_CHUNK_LOG2}..2^${MAX_CHUNK_LOG2}`);
  return {
    mode: "chunked",
    algorithm,
    chunkSize: 2 ** log2,
    salt: bytes.subarray(6, CHUNKED_HEADER_LENGTH),
    headerLength: CHUNKED_HEADER_LENGTH,
  };
}
