/**
 * `AsyncHasher`: hashing that never monopolises the event loop. Incremental
 * `update`/`digest` for data that arrives in pieces; `hashLargeData` for one
 * big buffer, processed in chunks with a cooperative `yieldNow()` between
 * them (zsync's seed design); `hashFile` and `hashStream` for data that does
 * not fit in memory.
 *
 * @example
 * ```ts
 * import { AsyncHasher } from "@zsync/crypto";
 * const digest = await new AsyncHasher("blake3").hashFile("/var/log/big.log");
 * ```
 * @module
 */
import { CancelledError, yieldNow } from "@zsync/runtime";
import { assertBytes, assertInteger } from "../primitives/assert-input.js";
import type { CryptoProvider, HashAlgorithm, Hasher, HashOptions, ProviderName } from "../primitives/provider.js";
import { resolveProvider } from "../primitives/providers/select.js";
import { CancelWatch } from "./cancel-watch.js";
import type { ByteSource } from "./cipher-streams.js";

/** Options for an `AsyncHasher`. */
export interface AsyncHasherOptions extends HashOptions {
  readonly provider?: CryptoProvider | ProviderName;
  /** Bytes hashed between yields in `hashLargeData` (default 256 KiB). */
  readonly chunkSize?: number;
}

/** Per-call options. */
export interface HashCallOptions {
  /** Cancels the call (rejects with `CancelledError`); cancelling the calling runtime task does the same. */
  readonly signal?: AbortSignal;
}

/** Incremental and cooperative hashing. */
export class AsyncHasher {
  readonly algorithm: HashAlgorithm;
  readonly provider: CryptoProvider;
  readonly chunkSize: number;
  readonly #options: HashOptions;
  #state: Hasher;

  constructor(algorithm: HashAlgorithm = "sha256", options: AsyncHasherOptions = {}) {
    this.provider = resolveProvider(options.provider);
    this.#options = options.outputLength === undefined ? {} : { outputLength: options.outputLength };
    this.#state = this.provider.createHash(algorithm, this.#options);
    this.algorithm = algorithm;
    const chunkSize = options.chunkSize ?? 256 * 1024;
    assertInteger(chunkSize, "options.chunkSize", 1, 2 ** 30);
    this.chunkSize = chunkSize;
  }

  /** Digest length in bytes. */
  get outputLength(): number {
    return this.#state.outputLength;
  }

  /** Absorbs `data` into the running hash. */
  update(data: Uint8Array): this {
    this.#state.update(data);
    return this;
  }

  /** Returns the digest of everything absorbed and resets for reuse. */
  digest(): Uint8Array {
    const digest = this.#state.digest();
    this.#state = this.provider.createHash(this.algorithm, this.#options);
    return digest;
  }

  /**
   * Hashes `data` in `chunkSize` pieces, yielding between them, independent
   * of the incremental state. Rejects with `CancelledError` if `signal` aborts.
   */
  async hashLargeData(data: Uint8Array, options: HashCallOptions = {}): Promise<Uint8Array> {
    assertBytes(data, "data");
    using watch = CancelWatch.start(options.signal);
    const state = this.provider.createHash(this.algorithm, this.#options);
    for (let offset = 0; offset < data.length; offset += this.chunkSize) {
      watch.throwIfCancelled();
      state.update(data.subarray(offset, Math.min(data.length, offset + this.chunkSize)));
      if (offset + this.chunkSize < data.length) await yieldNow();
    }
    return state.digest();
  }

  /** Hashes every byte of a web or Node stream or async iterable. */
  async hashStream(source: ByteSource, options: HashCallOptions = {}): Promise<Uint8Array> {
    using watch = CancelWatch.start(options.signal);
    const state = this.provider.createHash(this.algorithm, this.#options);
    const iterable: AsyncIterable<unknown> =
      typeof (source as ReadableStream).getReader === "function" &&
      typeof (source as AsyncIterable<unknown>)[Symbol.asyncIterator] !== "function"
        ? webIterable(source as ReadableStream<Uint8Array>)
        : (source as AsyncIterable<unknown>);
    for await (const piece of iterable) {
      watch.throwIfCancelled();
      if (!(piece instanceof Uint8Array)) throw new TypeError("stream chunks must be Uint8Array");
      state.update(piece);
    }
    return state.digest();
  }

  /** Hashes a file by streaming it (Node only). */
  async hashFile(path: string | URL, options: HashCallOptions = {}): Promise<Uint8Array> {
    if (typeof path !== "string" && !(path instanceof URL)) throw new TypeError("path must be a string or URL");
    const fs = await import("node:fs");
    const stream = fs.createReadStream(path, {
      highWaterMark: this.chunkSize,
      ...(options.signal !== undefined && { signal: options.signal }),
    });
    try {
      return await this.hashStream(stream, options);
    } catch (error) {
      if (options.signal?.aborted) throw new CancelledError(options.signal.reason);
      throw error;
    } finally {
      stream.destroy();
    }
  }
}

async function* webIterable(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}
