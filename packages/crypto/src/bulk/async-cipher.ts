/**
 * `AsyncCipher`: authenticated encryption of whole messages and streams with
 * a self-describing envelope (see `envelope.ts`). Random nonces default to
 * XChaCha20-Poly1305, whose 192-bit nonces make collisions a non-issue.
 *
 * - Inputs up to one chunk (64 KiB by default) use a single AEAD call.
 * - Larger inputs use the chunked construction (`chunked-aead.ts`). With a
 *   `ThreadPoolIo` (`io` option), inputs of at least `parallelThreshold`
 *   bytes run on worker lanes (`chunk-lanes.ts`) that read shared input and
 *   write each chunk straight to its final offset in a `SharedArrayBuffer`,
 *   which is what the call returns; the event loop only copies input into
 *   reusable staging slots (nothing, if the input is already shared).
 *   Otherwise they run inline, yielding to the event loop between ~1 MiB groups.
 * - Decryption rejects with `AuthenticationError` (or
 *   `TruncatedCiphertextError`, `EnvelopeFormatError`) and releases no
 *   plaintext: partial output is zeroed before the rejection.
 * - Cancellation: the `signal` option or cancelling the runtime task that
 *   made the call stops inline work at the next group and worker lanes at
 *   their next group; the promise rejects with `CancelledError` once the
 *   lanes have stopped, after partial plaintext is zeroed.
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
import type { Io, WorkerTask } from "@zsync/runtime";
import { CancelledError, throwIfCancelled, workerTask, yieldNow } from "@zsync/runtime";
import { assertBytes, assertInteger, assertOptionalBytes } from "../primitives/assert-input.js";
import { allocateForOverwrite, copyBytes } from "../primitives/copy-bytes.js";
import {
  AuthenticationError,
  EnvelopeFormatError,
  OutputOverlapError,
  OutputSizeError,
  TruncatedCiphertextError,
} from "../primitives/errors.js";
import type { AeadAlgorithm, CryptoProvider, ProviderName } from "../primitives/provider.js";
import { AEAD_PARAMS } from "../primitives/provider.js";
import { checkAeadAlgorithm } from "../primitives/providers/noble.js";
import { resolveProvider } from "../primitives/providers/select.js";
import { CancelWatch } from "./cancel-watch.js";
import { type LanePool, runChunkLanes } from "./chunk-lanes.js";
import { ChunkFailure, deriveChunkKeys, MAX_CHUNKS, openChunkRange, sealChunkRange, sealedLength } from "./chunked-aead.js";
import {
  CHUNKED_HEADER_LENGTH,
  type EnvelopeHeader,
  encodeChunkedHeader,
  encodeSingleHeader,
  MAX_CHUNK_LOG2,
  MIN_CHUNK_LOG2,
  parseEnvelopeHeader,
  SALT_LENGTH,
} from "./envelope.js";
import type { ChunkLane } from "./lane-protocol.js";
import { StagingArea } from "./staging-area.js";

const TAG = 16;
const EMPTY = new Uint8Array(0);
const MiB = 1024 * 1024;
/**
 * Staging slots per lane: how many jobs the event loop may copy ahead of the workers. Lanes go through
 * a 1 MiB job in about 0.4-0.8 ms, so 3 slots each (the old value) buffered 1-2 ms: any event-loop
 * wake-up later than that (two busy workers on two cores make that common) left lanes waiting on the
 * loop, 40-160 ms of a 256 MiB call's 250-370 ms. 8 each buffers several milliseconds.
 */
const SLOTS_PER_LANE = 8;

/** Options fixed for the life of an `AsyncCipher`. */
export interface AsyncCipherOptions {
  /** AEAD for new envelopes (default `xchacha20-poly1305`). The key length must match. Decryption follows the envelope. */
  readonly algorithm?: AeadAlgorithm;
  /** Provider object or name (default: `node` where available, else `noble`). */
  readonly provider?: CryptoProvider | ProviderName;
  /** Chunk size for the chunked construction: a power of two from 1 KiB to 16 MiB (default 64 KiB). */
  readonly chunkSize?: number;
  /**
   * An `Io` to run large inputs on; only a `ThreadPoolIo` (kind `"thread-pool"`) changes anything. Give it
   * `workerNiceness` (e.g. 10): the lanes keep every core busy, and lowered workers let a waking event loop
   * in first (README, "AsyncCipher on 2 workers").
   */
  readonly io?: Io;
  /** Inputs at least this large go to the pool (default 4 MiB). */
  readonly parallelThreshold?: number;
  /** Bytes per job a worker claims at a time (default 1 MiB, rounded to whole chunks). */
  readonly jobSize?: number;
  /** Pool workers one call keeps busy (default: the number of CPU cores, `os.availableParallelism()`). */
  readonly workers?: number;
  /** Module URL of the worker tasks (default: `chunk-tasks.js` beside this module). */
  readonly taskModule?: string | URL;
}

/** Per-call options. */
export interface CipherCallOptions {
  /** Associated data: authenticated, not encrypted; must be identical for decryption. */
  readonly aad?: Uint8Array;
  /**
   * Cancels the operation (rejects with `CancelledError`). Cancelling the
   * runtime task that called `encrypt`/`decrypt` has the same effect.
   */
  readonly signal?: AbortSignal;
  /**
   * Where to write the result instead of fresh memory: at least
   * {@link AsyncCipher.encryptedLength} / {@link AsyncCipher.decryptedLength}
   * bytes (`OutputSizeError` otherwise), sharing no bytes with the input
   * (`OutputOverlapError`). The call returns the view of its first bytes
   * that holds the result. Reusing one output across calls skips the page
   * faults of touching fresh memory, a large part of a big call's cost.
   * Calls that run on the pool write it from the workers when it is backed
   * by a `SharedArrayBuffer`; an unshared output makes such a call run
   * inline. `decrypt` zeroes whatever it wrote before it rejects (failure
   * or cancellation), so unauthenticated plaintext is never left behind;
   * after a rejected `encrypt` the contents are unspecified (ciphertext
   * only). Read the output only once the promise resolves.
   */
  readonly output?: Uint8Array;
}

/** The slice of `ThreadPoolIo` we use. */
function isPool(io: Io | undefined): io is LanePool {
  return io !== undefined && io.kind === "thread-pool" && typeof (io as Partial<LanePool>).run === "function";
}

/** Rejects an already-cancelled call without subscribing to anything (the small-input path). */
function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw CancelledError.from(signal.reason);
  throwIfCancelled();
}

function defaultWorkers(): number {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const os = proc?.getBuiltinModule?.("node:os") as { availableParallelism?: () => number } | undefined;
  return Math.max(1, os?.availableParallelism?.() ?? 2);
}

/**
 * Shared output, allocated by a pool worker (`allocateShared` in
 * chunk-tasks.ts: the mapping may wait behind an unmapping, which must not
 * stall the event loop), whose byte `alignedAt` falls on an 8-byte boundary.
 * Copies into shared memory are word-wise only when source and destination
 * share their alignment (V8 copies byte by byte otherwise, several times
 * slower), and the workers' sources are 8-aligned buffers.
 */
async function sharedBytes(
  pool: LanePool,
  task: WorkerTask<[number], SharedArrayBuffer>,
  length: number,
  alignedAt = 0,
): Promise<Uint8Array<SharedArrayBuffer>> {
  const pad = (8 - (alignedAt % 8)) % 8;
  return new Uint8Array(await pool.run(task, [length + pad]), pad, length);
}

/**
 * Ties an unshared, never-touched `ArrayBuffer` of the same size to each
 * pooled result. V8 counts shared memory towards no isolate's external memory,
 * so a caller dropping 256 MiB results would not make this thread collect
 * them any sooner than its unrelated allocations do (measured: +256 MiB
 * resident per call, indefinitely). An unshared buffer is counted; its pages
 * are never written, so it costs address space, not memory, and both die
 * with the result.
 *
 * It is allocated when the lanes are done, not with the output: at the start
 * of a call, counting 256 MiB more could start a collection on the loop, and
 * mapping it waited for the process's memory-map lock behind the unmapping of
 * an earlier result (20-50 ms for 256 MiB, on a V8 helper thread); measured:
 * the loop held 1.7-21 ms in 4 of 5 calls.
 */
const collectorWeight = new WeakMap<SharedArrayBuffer, ArrayBuffer>();
function reportToCollector(buffer: SharedArrayBuffer): void {
  try {
    collectorWeight.set(buffer, new ArrayBuffer(buffer.byteLength));
  } catch {
    // Address space or commit limit reached: the result is still valid, only collected later.
  }
}

/** The first `needed` bytes of a caller's `output`, checked against `input`; undefined when none was given. */
function callerOutput(output: Uint8Array | undefined, needed: number, input: Uint8Array): Uint8Array | undefined {
  if (output === undefined) return undefined;
  assertBytes(output, "options.output");
  if (output.length < needed)
    throw new OutputSizeError(needed, output.length, `options.output must be at least ${needed} bytes, got ${output.length}`);
  const view = output.length === needed ? output : output.subarray(0, needed);
  if (overlaps(view, input)) throw new OutputOverlapError("options.output overlaps the input");
  return view;
}

/**
 * Whether two views share bytes. Views of one buffer compare by offsets; two
 * distinct `SharedArrayBuffer` objects over the same memory (one posted here
 * twice) cannot be told apart and count as distinct.
 */
function overlaps(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length === 0 || b.length === 0 || a.buffer !== b.buffer) return false;
  return a.byteOffset < b.byteOffset + b.length && b.byteOffset < a.byteOffset + a.length;
}

function isSharedView(bytes: Uint8Array): boolean {
  return typeof SharedArrayBuffer === "function" && bytes.buffer instanceof SharedArrayBuffer;
}

/** Authenticated encryption of messages and streams on the zsync runtime. */
export class AsyncCipher {
  readonly algorithm: AeadAlgorithm;
  readonly provider: CryptoProvider;
  readonly chunkSize: number;
  readonly #key: Uint8Array;
  readonly #io: LanePool | undefined;
  readonly #parallelThreshold: number;
  readonly #jobSize: number;
  readonly #workers: number;
  readonly #task: WorkerTask<[ChunkLane], number>;
  readonly #allocate: WorkerTask<[number], SharedArrayBuffer>;
  readonly #staging = new StagingArea();

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
    const threshold = options.parallelThreshold ?? 4 * MiB;
    assertInteger(threshold, "options.parallelThreshold", 0, Number.MAX_SAFE_INTEGER);
    this.#parallelThreshold = threshold;
    const jobSize = options.jobSize ?? MiB;
    assertInteger(jobSize, "options.jobSize", 1, Number.MAX_SAFE_INTEGER);
    this.#jobSize = jobSize;
    const workers = options.workers ?? defaultWorkers();
    assertInteger(workers, "options.workers", 1, 1024);
    this.#workers = workers;
    const module = options.taskModule ?? new URL("./chunk-tasks.js", import.meta.url);
    const href = typeof module === "string" ? module : module.href;
    this.#task = workerTask<[ChunkLane], number>(href, "runChunkLane");
    this.#allocate = workerTask<[number], SharedArrayBuffer>(href, "allocateShared");
  }

  /**
   * Encrypts `plaintext` into a self-describing envelope. With a pool and an
   * input of at least `parallelThreshold` bytes, the result is a view over a
   * `SharedArrayBuffer` (see the README, "Pooled results").
   */
  async encrypt(plaintext: Uint8Array, options: CipherCallOptions = {}): Promise<Uint8Array> {
    assertBytes(plaintext, "plaintext");
    const aad = options.aad ?? EMPTY;
    assertOptionalBytes(options.aad, "options.aad");
    const given = callerOutput(options.output, this.encryptedLength(plaintext.length), plaintext);
    if (plaintext.length <= this.chunkSize) {
      throwIfAborted(options.signal);
      return this.#encryptSingle(plaintext, aad, given);
    }
    using watch = CancelWatch.start(options.signal);
    const length = CHUNKED_HEADER_LENGTH + sealedLength(plaintext.length, this.chunkSize);
    const pool = plaintext.length >= this.#parallelThreshold && (given === undefined || isSharedView(given)) ? this.#io : undefined;
    const out =
      given ?? (pool === undefined ? allocateForOverwrite(length) : await sharedBytes(pool, this.#allocate, length, CHUNKED_HEADER_LENGTH));
    // Keys only once nothing but the work itself can fail, so the subkey is always zeroed below.
    watch.throwIfCancelled();
    const header = encodeChunkedHeader(this.algorithm, this.chunkSize, this.provider.randomBytes(SALT_LENGTH));
    const keys = deriveChunkKeys(this.provider, this.algorithm, this.#key, header, aad);
    out.set(header);
    const body = out.subarray(header.length);
    try {
      if (pool !== undefined) {
        await runChunkLanes({
          ...this.#lanePlan(pool, "seal", this.algorithm, this.chunkSize, watch),
          subkey: keys.subkey,
          prefix: keys.prefix,
          input: plaintext,
          output: body,
        });
      } else {
        await this.#inline(
          (first, final, input, output) => sealChunkRange(keys.aead, keys.prefix, input, this.chunkSize, first, final, output),
          plaintext,
          body,
          "seal",
          watch,
        );
      }
    } finally {
      keys.subkey.fill(0);
      if (given === undefined && pool !== undefined) reportToCollector(out.buffer as SharedArrayBuffer);
    }
    return out;
  }

  /**
   * Verifies and decrypts an envelope from {@link encrypt} or {@link encryptStream}.
   * Pooled results are `SharedArrayBuffer` views, as for `encrypt`.
   */
  async decrypt(envelope: Uint8Array, options: CipherCallOptions = {}): Promise<Uint8Array> {
    assertBytes(envelope, "envelope");
    const aad = options.aad ?? EMPTY;
    assertOptionalBytes(options.aad, "options.aad");
    const header = parseEnvelopeHeader(envelope);
    this.#checkKeyFits(header.algorithm);
    const length = plaintextLength(envelope, header);
    const given = callerOutput(options.output, length, envelope);
    if (header.mode === "single") {
      throwIfAborted(options.signal);
      const sealed = envelope.subarray(header.headerLength);
      const headerBytes = envelope.subarray(0, header.headerLength);
      // The AEAD writes `given` only once the tag has verified.
      return this.provider.aead(header.algorithm, this.#key).open(header.nonce, sealed, concat(headerBytes, aad), given);
    }
    const body = envelope.subarray(header.headerLength);
    using watch = CancelWatch.start(options.signal);
    const pool = body.length >= this.#parallelThreshold && (given === undefined || isSharedView(given)) ? this.#io : undefined;
    const out = given ?? (pool === undefined ? allocateForOverwrite(length) : await sharedBytes(pool, this.#allocate, length));
    watch.throwIfCancelled();
    const keys = deriveChunkKeys(this.provider, header.algorithm, this.#key, envelope.subarray(0, CHUNKED_HEADER_LENGTH), aad);
    try {
      if (pool !== undefined) {
        // The lanes zero whatever they may have written before this rejects.
        await runChunkLanes({
          ...this.#lanePlan(pool, "open", header.algorithm, header.chunkSize, watch),
          subkey: keys.subkey,
          prefix: keys.prefix,
          input: body,
          output: out,
        });
      } else {
        try {
          await this.#inline(
            (first, final, input, output) => openChunkRange(keys.aead, keys.prefix, input, header.chunkSize, first, final, output),
            body,
            out,
            "open",
            watch,
            header.chunkSize,
          );
        } catch (error) {
          out.fill(0);
          throw error;
        }
      }
    } catch (error) {
      throw translateFailure(error);
    } finally {
      keys.subkey.fill(0);
      if (given === undefined && pool !== undefined) reportToCollector(out.buffer as SharedArrayBuffer);
    }
    return out;
  }

  /** Bytes `encrypt` returns for a `plaintextLength`-byte input (the size an `output` needs). */
  encryptedLength(plaintextLength: number): number {
    assertInteger(plaintextLength, "plaintextLength", 0, Number.MAX_SAFE_INTEGER);
    if (plaintextLength <= this.chunkSize) return 5 + AEAD_PARAMS[this.algorithm].nonceLength + plaintextLength + TAG;
    if (Math.ceil(plaintextLength / this.chunkSize) > MAX_CHUNKS)
      throw new RangeError("plaintext too large for one envelope (2^32 chunks)");
    return CHUNKED_HEADER_LENGTH + sealedLength(plaintextLength, this.chunkSize);
  }

  /**
   * Bytes `decrypt` returns for `envelope` if it authenticates (the size an
   * `output` needs). Reads only the header and length; throws what `decrypt`
   * would for a malformed or truncated envelope.
   */
  decryptedLength(envelope: Uint8Array): number {
    assertBytes(envelope, "envelope");
    return plaintextLength(envelope, parseEnvelopeHeader(envelope));
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

  #lanePlan(pool: LanePool, direction: "seal" | "open", algorithm: AeadAlgorithm, chunkSize: number, watch: CancelWatch) {
    return {
      pool,
      task: this.#task,
      lanes: this.#workers,
      slotsPerLane: SLOTS_PER_LANE,
      direction,
      provider: this.provider.name,
      algorithm,
      chunkSize,
      jobChunks: Math.max(1, Math.round(this.#jobSize / chunkSize)),
      staging: this.#staging,
      watch,
    } as const;
  }

  #encryptSingle(plaintext: Uint8Array, aad: Uint8Array, given: Uint8Array | undefined): Uint8Array {
    const params = AEAD_PARAMS[this.algorithm];
    const header = encodeSingleHeader(this.algorithm, this.provider.randomBytes(params.nonceLength));
    const out = given ?? new Uint8Array(header.length + plaintext.length + TAG);
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
    watch: CancelWatch,
    chunkSize = this.chunkSize,
  ): Promise<void> {
    const inChunk = direction === "seal" ? chunkSize : chunkSize + TAG;
    const outChunk = direction === "seal" ? chunkSize + TAG : chunkSize;
    // ~1 ms of work per group on a fast provider keeps the loop responsive without paying a yield per chunk.
    const group = Math.max(1, Math.floor(MiB / chunkSize));
    const chunks = Math.max(1, Math.ceil(input.length / inChunk));
    for (let first = 0; first < chunks; first += group) {
      const count = Math.min(group, chunks - first);
      const final = first + count === chunks;
      const inEnd = final ? input.length : (first + count) * inChunk;
      const outEnd = final ? output.length : (first + count) * outChunk;
      work(first, final, input.subarray(first * inChunk, inEnd), output.subarray(first * outChunk, outEnd));
      if (!final) {
        await yieldNow();
        watch.throwIfCancelled();
      }
    }
  }
}

/** Plaintext length of a parsed envelope; rejects lengths no valid envelope has, as `decrypt` does. */
function plaintextLength(envelope: Uint8Array, header: EnvelopeHeader): number {
  const body = envelope.length - header.headerLength;
  if (header.mode === "single") {
    if (body < TAG) throw new EnvelopeFormatError(`envelope truncated: ${body} bytes after the header, the tag alone is ${TAG}`);
    return body - TAG;
  }
  const sealedChunk = header.chunkSize + TAG;
  const chunks = Math.ceil(body / sealedChunk);
  if (chunks === 0) throw new TruncatedCiphertextError("ciphertext truncated: no chunks after the header");
  const lastLength = body - (chunks - 1) * sealedChunk;
  if (lastLength < TAG)
    throw new TruncatedCiphertextError(`ciphertext truncated: final chunk is ${lastLength} bytes, shorter than its tag`);
  return body - chunks * TAG;
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
