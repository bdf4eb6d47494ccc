/**
 * The chunked AEAD construction behind `AsyncCipher`'s large and streaming
 * inputs (the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár,
 * "Online Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance").
 *
 * - A fresh 32-byte salt per message; HKDF-SHA256(key, salt, info = label ||
 *   header || aad) yields a per-message subkey and nonce prefix, so nonces
 *   never repeat across messages even with 12-byte nonces.
 * - Chunk i is sealed with nonce = prefix || uint32_be(i) || last, where
 *   `last` is 1 only on the final chunk.
 * - Reordering or swapping chunks changes i (tag fails); cutting the stream at
 *   a chunk boundary leaves a final chunk sealed with last = 0 (detected);
 *   appending after the last chunk fails for the same reason.
 *
 * Chunks are independent given (subkey, prefix, i, last), which is what lets
 * large inputs be split across worker threads.
 *
 * @example
 * ```ts
 * import { getProvider } from "@zsync/crypto";
 * import { deriveChunkKeys, sealChunkRange } from "./chunked-aead.js";
 * declare const key: Uint8Array;
 * declare const header: Uint8Array;
 * declare const aad: Uint8Array;
 * declare const plaintext: Uint8Array;
 * const provider = getProvider();
 * const keys = deriveChunkKeys(provider, "xchacha20-poly1305", key, header, aad);
 * const sealed = sealChunkRange(keys.aead, keys.prefix, plaintext, 65536, 0, true);
 * ```
 * @module
 */
import { AuthenticationError } from "../primitives/errors.js";
import type { AeadAlgorithm, AeadKey, CryptoProvider } from "../primitives/provider.js";
import { AEAD_PARAMS } from "../primitives/provider.js";

const LABEL = new TextEncoder().encode("zsync-crypto v1 chunked AEAD");
const TAG = 16;
/** Highest chunk index: the counter is 32 bits. */
export const MAX_CHUNKS = 0xffffffff;

/** Subkey material for one message. */
export interface ChunkKeys {
  readonly aead: AeadKey;
  readonly subkey: Uint8Array;
  readonly prefix: Uint8Array;
}

/** Derives the per-message subkey and nonce prefix. */
export function deriveChunkKeys(
  provider: CryptoProvider,
  algorithm: AeadAlgorithm,
  key: Uint8Array,
  header: Uint8Array,
  aad: Uint8Array,
): ChunkKeys {
  const { keyLength, nonceLength } = AEAD_PARAMS[algorithm];
  const info = new Uint8Array(LABEL.length + header.length + aad.length);
  info.set(LABEL);
  info.set(header, LABEL.length);
  info.set(aad, LABEL.length + header.length);
  const salt = header.subarray(header.length - 32);
  const okm = provider.hkdfExpand("sha256", provider.hkdfExtract("sha256", salt, key), info, keyLength + nonceLength - 5);
  const subkey = okm.slice(0, keyLength);
  const prefix = okm.slice(keyLength);
  okm.fill(0);
  return { aead: provider.aead(algorithm, subkey), subkey, prefix };
}

/** Writes the nonce of chunk `index` into `nonce` (prefix || u32be index || last). */
export function chunkNonce(prefix: Uint8Array, index: number, last: boolean, nonce: Uint8Array): Uint8Array {
  nonce.set(prefix);
  const at = prefix.length;
  nonce[at] = index >>> 24;
  nonce[at + 1] = (index >>> 16) & 0xff;
  nonce[at + 2] = (index >>> 8) & 0xff;
  nonce[at + 3] = index & 0xff;
  nonce[at + 4] = last ? 1 : 0;
  return nonce;
}

/** Sealed size of `plaintextLength` bytes in chunks of `chunkSize` (at least one chunk). */
export function sealedLength(plaintextLength: number, chunkSize: number): number {
  const chunks = Math.max(1, Math.ceil(plaintextLength / chunkSize));
  return plaintextLength + chunks * TAG;
}

/**
 * Seals `plaintext` as consecutive chunks starting at `firstIndex`. When
 * `final`, the range's last chunk carries the last flag (an empty range then
 * produces one empty final chunk). Writes into `output` if given.
 */
export function sealChunkRange(
  aead: AeadKey,
  prefix: Uint8Array,
  plaintext: Uint8Array,
  chunkSize: number,
  firstIndex: number,
  final: boolean,
  output?: Uint8Array,
): Uint8Array {
  const out = output ?? new Uint8Array(sealedLength(plaintext.length, chunkSize));
  const nonce = new Uint8Array(prefix.length + 5);
  const chunks = Math.max(1, Math.ceil(plaintext.length / chunkSize));
  for (let i = 0, inAt = 0, outAt = 0; i < chunks; i++) {
    const end = Math.min(plaintext.length, inAt + chunkSize);
    const last = final && i === chunks - 1;
    const sealed = out.subarray(outAt, outAt + (end - inAt) + TAG);
    aead.seal(chunkNonce(prefix, firstIndex + i, last, nonce), plaintext.subarray(inAt, end), undefined, sealed);
    inAt = end;
    outAt += sealed.length;
  }
  return out;
}

/** Thrown inside {@link openChunkRange}: which chunk failed, and whether it authenticated as non-final. */
export class ChunkFailure extends AuthenticationError {
  static {
    ChunkFailure.brand("@zsync/crypto:ChunkFailure");
  }

  readonly index: number;
  readonly truncated: boolean;

  constructor(index: number, truncated: boolean) {
    super(truncated ? `chunk ${index} is not the final chunk: ciphertext truncated` : `chunk ${index} failed authentication`);
    this.index = index;
    this.truncated = truncated;
  }
}

/**
 * Opens consecutive sealed chunks starting at `firstIndex`; every chunk is
 * `chunkSize + 16` bytes except a `final` range's last. Throws
 * {@link ChunkFailure} (after zeroing what it wrote) on the first bad chunk.
 */
export function openChunkRange(
  aead: AeadKey,
  prefix: Uint8Array,
  sealed: Uint8Array,
  chunkSize: number,
  firstIndex: number,
  final: boolean,
  output?: Uint8Array,
): Uint8Array {
  const sealedChunk = chunkSize + TAG;
  const chunks = Math.max(1, Math.ceil(sealed.length / sealedChunk));
  const out = output ?? new Uint8Array(sealed.length - chunks * TAG);
  const nonce = new Uint8Array(prefix.length + 5);
  for (let i = 0, inAt = 0, outAt = 0; i < chunks; i++) {
    const end = Math.min(sealed.length, inAt + sealedChunk);
    const last = final && i === chunks - 1;
    const piece = sealed.subarray(inAt, end);
    if (piece.length < TAG || (!last && piece.length !== sealedChunk)) {
      out.fill(0);
      throw new ChunkFailure(firstIndex + i, false);
    }
    try {
      aead.open(chunkNonce(prefix, firstIndex + i, last, nonce), piece, undefined, out.subarray(outAt, outAt + piece.length - TAG));
    } catch (error) {
      out.fill(0);
      if (!(error instanceof AuthenticationError)) throw error;
      // Diagnose, without releasing anything: a final chunk that opens as non-final means the real end was cut off.
      let truncated = false;
      if (last) {
        try {
          aead.open(chunkNonce(prefix, firstIndex + i, false, nonce), piece).fill(0);
          truncated = true;
        } catch {
          truncated = false;
        }
      }
      throw new ChunkFailure(firstIndex + i, truncated);
    }
    inAt = end;
    outAt += piece.length - TAG;
  }
  return out;
}
