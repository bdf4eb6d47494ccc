/**
 * Streaming encryption and decryption with the chunked construction: memory
 * stays bounded by one chunk plus one input piece however long the stream.
 * Input may be a web `ReadableStream`, a Node `Readable`, or any async
 * iterable of `Uint8Array`; the output has the same shape (web in → web out,
 * Node in → Node out, iterable in → async iterable out).
 *
 * Decryption releases each chunk only after it authenticates, so a consumer
 * may see early chunks of a stream that later fails (truncated, tampered):
 * treat the output as valid only once the stream ends without error.
 *
 * @example
 * ```ts
 * import { type AsyncCipher, encryptStream } from "@zsync/crypto";
 * import { createReadStream, createWriteStream } from "node:fs";
 * import { pipeline } from "node:stream/promises";
 * declare const cipher: AsyncCipher;
 * await pipeline(encryptStream(cipher, createReadStream("in.bin")), createWriteStream("in.bin.zc"));
 * ```
 * @module
 */
import type { Readable } from "node:stream";
import { CancelledError } from "@zsync/runtime";
import { assertOptionalBytes } from "../primitives/assert-input.js";
import { AuthenticationError, EnvelopeFormatError, TruncatedCiphertextError } from "../primitives/errors.js";
import type { AsyncCipher, CipherCallOptions } from "./async-cipher.js";
import { ChunkFailure, deriveChunkKeys, MAX_CHUNKS, openChunkRange, sealChunkRange } from "./chunked-aead.js";
import {
  CHUNKED_HEADER_LENGTH,
  encodeChunkedHeader,
  envelopeHeaderLength,
  MAX_CHUNK_LOG2,
  parseEnvelopeHeader,
  SALT_LENGTH,
} from "./envelope.js";

const TAG = 16;
const EMPTY: Uint8Array = new Uint8Array(0);
/** Largest single-shot envelope `decryptStream` will buffer (a chunked header caps chunks at the same size). */
const MAX_SINGLE_SHOT = 2 ** MAX_CHUNK_LOG2 + 64;

/** Sources the stream functions accept. */
export type ByteSource = ReadableStream<Uint8Array> | Readable | AsyncIterable<Uint8Array>;

function isWebStream(source: unknown): source is ReadableStream<Uint8Array> {
  return typeof (source as ReadableStream | null)?.getReader === "function";
}

function isNodeReadable(source: unknown): source is Readable {
  return typeof (source as Readable | null)?.pipe === "function" && typeof (source as Readable | null)?.on === "function";
}

async function* iterate(source: ByteSource, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array> {
  if (isWebStream(source)) {
    const reader = source.getReader();
    try {
      for (;;) {
        if (signal?.aborted) throw new CancelledError(signal.reason);
        const { done, value } = await reader.read();
        if (done) return;
        yield checkPiece(value);
      }
    } finally {
      reader.releaseLock();
    }
  }
  if (typeof (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] !== "function") {
    throw new TypeError("source must be a ReadableStream, a Node Readable or an async iterable of Uint8Array");
  }
  for await (const piece of source as AsyncIterable<unknown>) {
    if (signal?.aborted) throw new CancelledError(signal.reason);
    yield checkPiece(piece);
  }
}

function checkPiece(piece: unknown): Uint8Array {
  if (!(piece instanceof Uint8Array))
    throw new TypeError(`stream chunks must be Uint8Array, got ${piece === null ? "null" : typeof piece}`);
  return piece;
}

/** Wraps an async generator in the caller's stream flavour. */
function output(
  source: ByteSource,
  generator: AsyncGenerator<Uint8Array>,
): ReadableStream<Uint8Array> | Readable | AsyncIterable<Uint8Array> {
  if (isWebStream(source)) {
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          const { done, value } = await generator.next();
          if (done) controller.close();
          else controller.enqueue(value);
        },
        async cancel() {
          await generator.return(undefined);
        },
      },
      { highWaterMark: 0 },
    );
  }
  if (isNodeReadable(source)) {
    const stream = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.(
      "node:stream",
    ) as typeof import("node:stream") | undefined;
    if (stream === undefined) throw new TypeError("a Node Readable source needs node:stream");
    return stream.Readable.from(generator, { objectMode: false, highWaterMark: 1 });
  }
  return generator;
}

/** Encrypts a stream; the output is one chunked envelope. */
export function encryptStream(
  cipher: AsyncCipher,
  source: ReadableStream<Uint8Array>,
  options?: CipherCallOptions,
): ReadableStream<Uint8Array>;
export function encryptStream(cipher: AsyncCipher, source: Readable, options?: CipherCallOptions): Readable;
export function encryptStream(
  cipher: AsyncCipher,
  source: AsyncIterable<Uint8Array>,
  options?: CipherCallOptions,
): AsyncIterable<Uint8Array>;
export function encryptStream(
  cipher: AsyncCipher,
  source: ByteSource,
  options: CipherCallOptions = {},
): ReadableStream<Uint8Array> | Readable | AsyncIterable<Uint8Array> {
  assertOptionalBytes(options.aad, "options.aad");
  return output(source, sealGenerator(cipher, source, options));
}

async function* sealGenerator(cipher: AsyncCipher, source: ByteSource, options: CipherCallOptions): AsyncGenerator<Uint8Array> {
  const { algorithm, provider, chunkSize } = cipher;
  const header = encodeChunkedHeader(algorithm, chunkSize, provider.randomBytes(SALT_LENGTH));
  const keys = deriveChunkKeys(provider, algorithm, cipher.keyFor(algorithm), header, options.aad ?? EMPTY);
  try {
    yield header;
    // One chunk of plaintext is held back until we know whether more follows: only then is its "last" flag known.
    const pending = new Uint8Array(chunkSize);
    let filled = 0;
    let index = 0;
    for await (const piece of iterate(source, options.signal)) {
      let at = 0;
      while (at < piece.length) {
        if (filled === chunkSize) {
          if (index >= MAX_CHUNKS) throw new RangeError("stream too long for one envelope (2^32 chunks)");
          yield sealChunkRange(keys.aead, keys.prefix, pending, chunkSize, index++, false);
          filled = 0;
        }
        const take = Math.min(chunkSize - filled, piece.length - at);
        pending.set(piece.subarray(at, at + take), filled);
        filled += take;
        at += take;
      }
    }
    yield sealChunkRange(keys.aead, keys.prefix, pending.subarray(0, filled), chunkSize, index, true);
    pending.fill(0);
  } finally {
    keys.subkey.fill(0);
  }
}

/** Decrypts a stream produced by {@link encryptStream} (or an `AsyncCipher.encrypt` envelope). */
export function decryptStream(
  cipher: AsyncCipher,
  source: ReadableStream<Uint8Array>,
  options?: CipherCallOptions,
): ReadableStream<Uint8Array>;
export function decryptStream(cipher: AsyncCipher, source: Readable, options?: CipherCallOptions): Readable;
export function decryptStream(
  cipher: AsyncCipher,
  source: AsyncIterable<Uint8Array>,
  options?: CipherCallOptions,
): AsyncIterable<Uint8Array>;
export function decryptStream(
  cipher: AsyncCipher,
  source: ByteSource,
  options: CipherCallOptions = {},
): ReadableStream<Uint8Array> | Readable | AsyncIterable<Uint8Array> {
  assertOptionalBytes(options.aad, "options.aad");
  return output(source, openGenerator(cipher, source, options));
}

async function* openGenerator(cipher: AsyncCipher, source: ByteSource, options: CipherCallOptions): AsyncGenerator<Uint8Array> {
  const pieces = iterate(source, options.signal);
  // Header first: read exactly as many bytes as the header says it needs.
  let buffered: Uint8Array = EMPTY;
  let needed = 5;
  let headerLength = -1;
  let rest: Uint8Array = EMPTY;
  for (;;) {
    while (buffered.length < needed) {
      const { done, value } = await pieces.next();
      if (done) throw new EnvelopeFormatError(`stream ended inside the envelope header (${buffered.length} bytes)`);
      buffered = append(buffered, value);
    }
    if (headerLength < 0) {
      headerLength = envelopeHeaderLength(buffered);
      needed = headerLength;
      continue;
    }
    break;
  }
  const header = parseEnvelopeHeader(buffered.subarray(0, headerLength));
  rest = buffered.subarray(headerLength);
  const key = cipher.keyFor(header.algorithm);
  const aad = options.aad ?? EMPTY;

  if (header.mode === "single") {
    let body = rest;
    for (;;) {
      const { done, value } = await pieces.next();
      if (done) break;
      body = append(body, value);
      if (body.length > MAX_SINGLE_SHOT)
        throw new EnvelopeFormatError(`single-shot envelope larger than ${MAX_SINGLE_SHOT} bytes; streams use chunked envelopes`);
    }
    if (body.length < TAG)
      throw new TruncatedCiphertextError(`ciphertext truncated: ${body.length} bytes after the header, the tag alone is ${TAG}`);
    const aadFull = new Uint8Array(headerLength + aad.length);
    aadFull.set(buffered.subarray(0, headerLength));
    aadFull.set(aad, headerLength);
    yield cipher.provider.aead(header.algorithm, key).open(header.nonce, body, aadFull);
    return;
  }

  const keys = deriveChunkKeys(cipher.provider, header.algorithm, key, buffered.subarray(0, CHUNKED_HEADER_LENGTH), aad);
  const sealedChunk = header.chunkSize + TAG;
  const pending = new Uint8Array(sealedChunk);
  let filled = 0;
  let index = 0;
  try {
    const open = (length: number, final: boolean): Uint8Array => {
      try {
        return openChunkRange(keys.aead, keys.prefix, pending.subarray(0, length), header.chunkSize, index++, final);
      } catch (error) {
        if (error instanceof ChunkFailure && error.truncated) throw new TruncatedCiphertextError();
        if (error instanceof ChunkFailure) throw new AuthenticationError(`chunk ${error.index} failed authentication`);
        throw error;
      }
    };
    let piece: Uint8Array | undefined = rest;
    while (piece !== undefined) {
      let at = 0;
      while (at < piece.length) {
        if (filled === sealedChunk) {
          if (index >= MAX_CHUNKS) throw new AuthenticationError("stream has more chunks than the counter allows");
          yield open(sealedChunk, false);
          filled = 0;
        }
        const take = Math.min(sealedChunk - filled, piece.length - at);
        pending.set(piece.subarray(at, at + take), filled);
        filled += take;
        at += take;
      }
      const next = await pieces.next();
      piece = next.done ? undefined : next.value;
    }
    if (filled < TAG) throw new TruncatedCiphertextError(index === 0 ? "ciphertext truncated: no chunks after the header" : undefined);
    yield open(filled, true);
  } finally {
    keys.subkey.fill(0);
  }
}

function append(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
