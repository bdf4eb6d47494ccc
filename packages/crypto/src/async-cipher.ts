/**
 * `AsyncCipher`: authenticated encryption of whole messages and streams with
 * a self-describing envelope (see `envelope.ts`). Random nonces default to
 * XChaCha20-Poly1305, whose 192-bit nonces make collisions a non-issue.
 *
 * - Inputs up to one chunk (64 KiB by default) use a single AEAD call.
 * - Larger inputs use the chunked construction (`chunked-aead.ts`); with a
 *   `ThreadPoolIo` (`io` option) inputs of at least `parallelThreshold` bytes
 *   are split across its workers, otherwise they run inline, yielding to the
 *   event loop between chunks.
 * - Decryption rejects with `AuthenticationError` (or
 *   `TruncatedCiphertextError`, `EnvelopeFormatError`) and releases no
 *   plaintext: partial output is zeroed before the rejection.
 * - Cancellation: `signal` aborts queued worker jobs and stops inline work;
 *   the promise rejects with `CancelledError` and partial output is zeroed.
 *
 * @example
 * ```ts
 * import { AsyncCipher } from "@zsync/crypto";
 * const cipher = new AsyncCipher(AsyncCipher.generateKey());
 * const envelope = await cipher.encrypt(new TextEncoder().encode("hello"), { aad: new TextEncoder().encode("user:42") });
 * const plaintext = await cipher.decrypt(envelope, { aad: new TextEncoder().encode("user:42") });
 * ```
 * @module
 */
import type { Future, Io, WorkerTask } from "@zsync/runtime";
import { CancelledError, workerTask, yieldNow } from "@zsync/runtime";
import { assertBytes, assertInteger, assertOptionalBytes } from "./assert-input.js";
import type { ChunkJob, OpenResult } from "./chunk-tasks.js";
import { ChunkFailure, deriveChunkKeys, MAX_CHUNKS, openChunkRange, sealChunkRange, sealedLength } from "./chunked-aead.js";
import { allocateForOverwrite, copyBytes } from "./copy-bytes.js";
import {
  CHUNKED_HEADER_LENGTH,
  encodeChunkedHeader,
  encodeSingleHeader,
  MAX_CHUNK_LOG2,
  MIN_CHUNK_LOG2,
  parseEnvelopeHeader,
  SALT_LENGTH,
} from "./envelope.js";
import { AuthenticationError, EnvelopeFormatError, TruncatedCiphertextError } from "./errors.js";
import type { AeadAlgorithm, CryptoProvider, ProviderName } from "./provider.js";
import { AEAD_PARAMS } from "./provider.js";
import { checkAeadAlgorithm } from "./providers/noble.js";
import { resolveProvider } from "./providers/select.js";

const TAG = 16;
const EMPTY = new Uint8Array(0);

/** Options fixed for the life of an `AsyncCipher`. */
export interface AsyncCipherOptions {
  /** AEAD for new envelopes (default `xchacha20-poly1305`). The key length must match. Decryption follows the envelope. */
  readonly algorithm?: AeadAlgorithm;
  /** Provider object or name (default: `node` where available, else `noble`). */
  readonly provider?: CryptoProvider | ProviderName;
  /** Chunk size for the chunked construction: a power of two from 1 KiB to 16 MiB (default 64 KiB). */
  readonly chunkSize?: number;
  /** An `Io` to run large inputs on; only a `ThreadPoolIo` (kind `"thread-pool"`) changes anything. */
  readonly io?: Io;
  /** Inputs at least this large go to the pool (default 4 MiB). */
  readonly parallelThreshold?: number;
  /** Bytes per worker job (default 4 MiB, rounded to whole chunks). */
  readonly jobSize?: number;
  /** Module URL of the worker tasks (default: `chunk-tasks.js` beside this module). */
  readonly taskModule?: string | URL;
}

/** Per-call options. */
export interface CipherCallOptions {
  /** Associated data: authenticated, not encrypted; must be identical for decryption. */
  readonly aad?: Uint8Array;
  /** Cancels the operation (rejects with `CancelledError`). */
  readonly signal?: AbortSignal;
}

/** The slice of `ThreadPoolIo` we use: `run` with transfer lists and cancellation. */
interface PoolLike extends Io {
  run<A extends readonly unknown[], T>(
    task: WorkerTask<A, T>,
    args: A,
    options?: { signal?: AbortSignal; transfer?: readonly ArrayBuffer[] },
  ): Future<Awaited<T>>;
}

function isPool(io: Io | undefined): io is PoolLike {
  return io !== undefined && io.kind === "thread-pool" && typeof (io as Partial<PoolLike>).run === "function";
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError(signal.reason);
}

/** Authenticated encryption of messages and streams on the zsync runtime. */
export class AsyncCipher {
  readonly algorithm: AeadAlgorithm;
  readonly provider: CryptoProvider;
  readonly chunkSize: number;
  readonly #key: Uint8Array;
  readonly #io: PoolLike | undefined;
  readonly #parallelThreshold: number;
  readonly #jobChunks: number;
  readonly #taskModule: string;

  /** A fresh random 32-byte key (16 bytes for `aes-128-gcm`). */
  static generateKey(algorithm: AeadAlgorithm = "xchacha20-poly1305", provider?: CryptoProvider | ProviderName): Uint8Array {
    return resolveProvider(provider).randomBytes(AEAD_PARAMS[checkAeadAlgorithm(algorithm)].keyLength);
  }

  constructor(key: Uint8Array, options: AsyncCipherOptions = {}) {
    if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
    this.algorithm = checkAeadAlgorithm(options.algorithm ?? "xchacha20-poly1305");
    assertBytes(key, "key", AEAD_PARAMS[this.algorithm].keyLength);
    this.provider = resolveProvider(options.provider);
    const chunkSize = options.chunkSize ?? 65536;
    assertInteger(chunkSize, "options.chunkSize", 2 ** MIN_CHUNK_LOG2, 2 ** MAX_CHUNK_LOG2);
    if ((chunkSize & (chunkSize - 1)) !== 0) throw new RangeError(`options.chunkSize must be a power of two, got ${chunkSize}`);
    this.chunkSize = chunkSize;
    this.#key = copyBytes(key);
    this.#io = isPool(options.io) ? options.io : undefined;
    const threshold = options.parallelThreshold ?? 4 * 1024 * 1024;
    assertInteger(threshold, "options.parallelThreshold", 0, Number.MAX_SAFE_INTEGER);
    this.#parallelThreshold = threshold;
    const jobSize = options.jobSize ?? 4 * 1024 * 1024;
    assertInteger(jobSize, "options.jobSize", 1, Number.MAX_SAFE_INTEGER);
    this.#jobChunks = Math.max(1, Math.round(jobSize / chunkSize));
    const module = options.taskModule ?? new URL("./chunk-tasks.js", import.meta.url);
    this.#taskModule = typeof module === "string" ? module : module.href;
  }

  /** Encrypts `plaintext` into a self-describing envelope. */
  async encrypt(plaintext: Uint8Array, options: CipherCallOptions = {}): Promise<Uint8Array> {
    assertBytes(plaintext, "plaintext");
    const aad = options.aad ?? EMPTY;
    assertOptionalBytes(options.aad, "options.aad");
    throwIfAborted(options.signal);
    if (plaintext.length <= this.chunkSize) return this.#encryptSingle(plaintext, aad);
    if (Math.ceil(plaintext.length / this.chunkSize) > MAX_CHUNKS)
      throw new RangeError("plaintext too large for one envelope (2^32 chunks)");
    const header = encodeChunkedHeader(this.algorithm, this.chunkSize, this.provider.randomBytes(SALT_LENGTH));
    const keys = deriveChunkKeys(this.provider, this.algorithm, this.#key, header, aad);
    const out = allocateForOverwrite(header.length + sealedLength(plaintext.length, this.chunkSize));
    out.set(header);
    const body = out.subarray(header.length);
    try {
      if (this.#io !== undefined && plaintext.length >= this.#parallelThreshold) {
        await this.#parallel("seal", this.#io, keys.subkey, keys.prefix, plaintext, body, options.signal);
      } else {
        await this.#inline(
          (first, final, input, output) => sealChunkRange(keys.aead, keys.prefix, input, this.chunkSize, first, final, output),
          plaintext,
          body,
          "seal",
          options.signal,
        );
      }
    } finally {
      keys.subkey.fill(0);
    }
    return out;
  }

  /** Verifies and decrypts an envelope from {@link encrypt} or {@link encryptStream}. */
  async decrypt(envelope: Uint8Array, options: CipherCallOptions = {}): Promise<Uint8Array> {
    assertBytes(envelope, "envelope");
    const aad = options.aad ?? EMPTY;
    assertOptionalBytes(options.aad, "options.aad");
    throwIfAborted(options.signal);
    const header = parseEnvelopeHeader(envelope);
    this.#checkKeyFits(header.algorithm);
    if (header.mode === "single") {
      const sealed = envelope.subarray(header.headerLength);
      if (sealed.length < TAG)
        throw new EnvelopeFormatError(`envelope truncated: ${sealed.length} bytes after the header, the tag alone is ${TAG}`);
      const headerBytes = envelope.subarray(0, header.headerLength);
      return this.provider.aead(header.algorithm, this.#key).open(header.nonce, sealed, concat(headerBytes, aad));
    }
    const body = envelope.subarray(header.headerLength);
    const sealedChunk = header.chunkSize + TAG;
    const chunks = Math.ceil(body.length / sealedChunk);
    if (chunks === 0) throw new TruncatedCiphertextError("ciphertext truncated: no chunks after the header");
    const lastLength = body.length - (chunks - 1) * sealedChunk;
    if (lastLength < TAG)
      throw new TruncatedCiphertextError(`ciphertext truncated: final chunk is ${lastLength} bytes, shorter than its tag`);
    const keys = deriveChunkKeys(this.provider, header.algorithm, this.#key, envelope.subarray(0, CHUNKED_HEADER_LENGTH), aad);
    const out = allocateForOverwrite(body.length - chunks * TAG);
    try {
      if (this.#io !== undefined && body.length >= this.#parallelThreshold) {
        await this.#parallel("open", this.#io, keys.subkey, keys.prefix, body, out, options.signal, header.algorithm, header.chunkSize);
      } else {
        await this.#inline(
          (first, final, input, output) => openChunkRange(keys.aead, keys.prefix, input, header.chunkSize, first, final, output),
          body,
          out,
          "open",
          options.signal,
          header.chunkSize,
        );
      }
    } catch (error) {
      out.fill(0);
      throw translateFailure(error);
    } finally {
      keys.subkey.fill(0);
    }
    return out;
  }

  /** The key, for the stream helpers in this package. @internal */
  keyFor(algorithm: AeadAlgorithm): Uint8Array {
    this.#checkKeyFits(algorithm);
    return this.#key;
  }

  #checkKeyFits(algorithm: AeadAlgorithm): void {
    if (AEAD_PARAMS[algorithm].keyLength !== this.#key.length) {
      throw new AuthenticationError(
        `envelope uses ${algorithm}, which needs a ${AEAD_PARAMS[algorithm].keyLength}-byte key; this cipher's key is ${this.#key.length} bytes`,
      );
    }
  }

  #encryptSingle(plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    const params = AEAD_PARAMS[this.algorithm];
    const header = encodeSingleHeader(this.algorithm, this.provider.randomBytes(params.nonceLength));
    const out = new Uint8Array(header.length + plaintext.length + TAG);
    out.set(header);
    this.provider.aead(this.algorithm, this.#key).seal(header.subarray(5), plaintext, concat(header, aad), out.subarray(header.length));
    return out;
  }

  /** Processes chunk groups on this thread, yielding between groups so timers and I/O keep running. */
  async #inline(
    work: (firstIndex: number, final: boolean, input: Uint8Array, output: Uint8Array) => void,
    input: Uint8Array,
    output: Uint8Array,
    direction: "seal" | "open",
    signal: AbortSignal | undefined,
    chunkSize = this.chunkSize,
  ): Promise<void> {
    const inChunk = direction === "seal" ? chunkSize : chunkSize + TAG;
    const outChunk = direction === "seal" ? chunkSize + TAG : chunkSize;
    // ~1 ms of work per group on a fast provider keeps the loop responsive without paying a yield per chunk.
    const group = Math.max(1, Math.floor((1024 * 1024) / chunkSize));
    const chunks = Math.max(1, Math.ceil(input.length / inChunk));
    for (let first = 0; first < chunks; first += group) {
      const count = Math.min(group, chunks - first);
      const final = first + count === chunks;
      const inEnd = final ? input.length : (first + count) * inChunk;
      const outEnd = final ? output.length : (first + count) * outChunk;
      work(first, final, input.subarray(first * inChunk, inEnd), output.subarray(first * outChunk, outEnd));
      if (!final) {
        await yieldNow();
        throwIfAborted(signal);
      }
    }
  }

  /**
   * Splits the chunks into jobs and keeps a bounded window of them in flight
   * on the pool: each submission copies (then transfers) one job's input and
   * each completion copies one job's output, so the event loop only ever does
   * one job-sized memcpy at a time and memory stays bounded by the window.
   */
  async #parallel(
    direction: "seal" | "open",
    pool: PoolLike,
    subkey: Uint8Array,
    prefix: Uint8Array,
    input: Uint8Array,
    output: Uint8Array,
    signal: AbortSignal | undefined,
    algorithm = this.algorithm,
    chunkSize = this.chunkSize,
  ): Promise<void> {
    const inChunk = direction === "seal" ? chunkSize : chunkSize + TAG;
    const outChunk = direction === "seal" ? chunkSize + TAG : chunkSize;
    const chunks = Math.max(1, Math.ceil(input.length / inChunk));
    const jobs = Math.ceil(chunks / this.#jobChunks);
    const window = 4;
    const task = workerTask<[ChunkJob], Uint8Array | OpenResult>(this.#taskModule, direction === "seal" ? "sealChunks" : "openChunks");
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const inFlight = new Set<Future<Uint8Array | OpenResult>>();
    let next = 0;
    let failure: unknown;
    const submit = (job: number): Promise<void> => {
      const first = job * this.#jobChunks;
      const count = Math.min(this.#jobChunks, chunks - first);
      const final = first + count === chunks;
      const data = copyBytes(input, first * inChunk, final ? input.length : (first + count) * inChunk);
      const args: ChunkJob = { provider: this.provider.name, algorithm, subkey, prefix, chunkSize, firstIndex: first, final, data };
      const future = pool.run(task, [args] as const, { signal: controller.signal, transfer: [data.buffer as ArrayBuffer] });
      inFlight.add(future);
      return Promise.resolve(future).then(
        (result) => {
          inFlight.delete(future);
          const bytes = result instanceof Uint8Array ? result : result.ok ? result.data : undefined;
          if (bytes === undefined) {
            const failed = result as Extract<OpenResult, { ok: false }>;
            throw new ChunkFailure(failed.index, failed.truncated);
          }
          output.set(bytes, first * outChunk);
          bytes.fill(0);
        },
        (error: unknown) => {
          inFlight.delete(future);
          throw error;
        },
      );
    };
    try {
      const running = new Set<Promise<void>>();
      while (next < jobs || running.size > 0) {
        while (failure === undefined && next < jobs && running.size < window) {
          const p: Promise<void> = submit(next++).then(
            () => void running.delete(p),
            (error: unknown) => {
              running.delete(p);
              failure ??= error;
              controller.abort(error);
            },
          );
          running.add(p);
        }
        if (running.size === 0) break;
        await Promise.race(running);
      }
      throwIfAborted(signal);
      if (failure !== undefined) throw failure;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      for (const future of inFlight) future.cancel();
    }
  }
}

function translateFailure(error: unknown): unknown {
  if (error instanceof ChunkFailure && error.truncated) return new TruncatedCiphertextError();
  if (error instanceof ChunkFailure) return new AuthenticationError(`chunk ${error.index} failed authentication`);
  return error;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
