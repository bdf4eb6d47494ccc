/**
 * The QPACK decoder (RFC 9204 §2.2): applies the peer encoder's instructions
 * to the dynamic table, decodes field sections, holds the sections that wait
 * for table entries (blocked streams), and writes the decoder-stream
 * instructions it owes. Sans-I/O: bytes in, fields and bytes out.
 *
 * How an HTTP/3 connection drives it:
 * - every chunk of the peer's encoder stream goes to
 *   {@link QpackDecoder.receiveEncoderStream}, in order, in fragments of any
 *   size (1 byte works; a partial instruction is kept, and each instruction is
 *   re-examined only when enough bytes for its next part have arrived, so the
 *   work per byte stays bounded); it returns the blocked sections it unblocked,
 *   in the order they arrived (and per stream in the order of that stream);
 * - every complete encoded field section (a HEADERS frame's payload) goes to
 *   {@link QpackDecoder.decodeFieldSection}, which returns its fields or says it
 *   is blocked; a stream reset, or abandoned before its sections were
 *   processed, goes to {@link QpackDecoder.cancelStream};
 * - after either, {@link QpackDecoder.takeDecoderStreamBytes} gives the bytes
 *   to write on our decoder stream: Section Acknowledgments and Stream
 *   Cancellations in the order they arose, then one Insert Count Increment
 *   for the inserts neither acknowledged (coalesced, §2.2.2.3).
 *
 * Errors: a {@link QpackEncoderStreamError} or {@link QpackDecompressionError}
 * is a connection error (close with its `h3ErrorCode`; the decoder's state is
 * then undefined and it must not be used again). A
 * {@link QpackFieldSectionTooLargeError} concerns one stream only.
 *
 * Limits: the dynamic table never exceeds `maxTableCapacity` (our
 * SETTINGS_QPACK_MAX_TABLE_CAPACITY), no more than `maxBlockedStreams` streams
 * wait (SETTINGS_QPACK_BLOCKED_STREAMS; one more is QPACK_DECOMPRESSION_FAILED,
 * §2.1.2), a partial encoder instruction is at most about 3.75 table
 * capacities (a Huffman-coded string of the longest legal entry), and a field
 * section decodes to at most `maxFieldSectionSize` bytes (RFC 9114 §4.2.2),
 * checked before each string is allocated. A blocked section's encoded bytes
 * are held (copied) until it unblocks: the HTTP/3 layer bounds a HEADERS
 * frame's length, and gives a stream's next section only once the previous
 * one is decoded (a stream's sections are held in order, but their number is
 * not limited here).
 *
 * @example
 * ```ts
 * import { QpackDecoder } from "./decoder.js";
 * const decoder = new QpackDecoder({ maxTableCapacity: 4096, maxBlockedStreams: 16 });
 * declare const encoderStreamChunk: Uint8Array;
 * declare const headersPayload: Uint8Array;
 * for (const section of decoder.receiveEncoderStream(encoderStreamChunk)) {
 *   // section.streamId's fields (or its error), unblocked by these inserts
 * }
 * const result = decoder.decodeFieldSection(0, headersPayload);
 * if (result.status === "decoded") console.log(result.fields);
 * const toSend = decoder.takeDecoderStreamBytes(); // write on our decoder stream
 * ```
 * @module
 */
import { ByteWriter } from "./byte-writer.js";
import { writeInsertCountIncrement, writeSectionAcknowledgment, writeStreamCancellation } from "./decoder-instructions.js";
import { DynamicTable, ENTRY_OVERHEAD, entrySize } from "./dynamic-table.js";
import { EncoderInstruction, parseEncoderInstruction } from "./encoder-instructions.js";
import { QpackDecompressionError, QpackEncoderStreamError, QpackFieldSectionTooLargeError } from "./errors.js";
import type { Field } from "./field.js";
import { decodeFieldLines } from "./field-lines.js";
import { FieldSectionPrefix, readFieldSectionPrefix } from "./field-section-prefix.js";
import { INCOMPLETE } from "./integer.js";
import { staticEntry } from "./static-table.js";

/** Settings and limits of a {@link QpackDecoder}. */
export interface QpackDecoderOptions {
  /** Our SETTINGS_QPACK_MAX_TABLE_CAPACITY: the largest capacity the peer may set (default 4096; 0 disables the dynamic table). */
  readonly maxTableCapacity?: number;
  /** Our SETTINGS_QPACK_BLOCKED_STREAMS: how many streams may wait for inserts at once (default 16). */
  readonly maxBlockedStreams?: number;
  /** The largest decoded field section accepted, RFC 9114 §4.2.2 sizes (default 65536; our SETTINGS_MAX_FIELD_SECTION_SIZE). */
  readonly maxFieldSectionSize?: number;
}

/** The outcome of {@link QpackDecoder.decodeFieldSection}. */
export type DecodeResult = { readonly status: "decoded"; readonly fields: Field[] } | { readonly status: "blocked" };

/** A section that an encoder-stream chunk unblocked: its fields, or the stream-level error it met. */
export type UnblockedSection =
  | { readonly streamId: number; readonly fields: Field[]; readonly error?: undefined }
  | { readonly streamId: number; readonly fields?: undefined; readonly error: QpackFieldSectionTooLargeError };

/** A section waiting for inserts, with its prefix as decoded on arrival (the Required Insert Count's decoding depends on the insert count then). */
interface BlockedSection {
  readonly streamId: number;
  readonly requiredInsertCount: number;
  readonly base: number;
  /** Offset of the first field line in `bytes`. */
  readonly start: number;
  readonly bytes: Uint8Array;
}

function failEncoderStream(reason: string): never {
  throw new QpackEncoderStreamError(reason);
}

function failDecompression(reason: string): never {
  throw new QpackDecompressionError(reason);
}

function checkLimit(name: string, value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0 || value > max) throw new RangeError(`${name}: ${value} is not an integer in [0, ${max}]`);
  return value;
}

/** The decoding half of a QPACK connection: see the module comment for how it is driven. */
export class QpackDecoder {
  readonly #table = new DynamicTable();
  readonly #maxTableCapacity: number;
  readonly #maxEntries: number;
  readonly #maxBlockedStreams: number;
  readonly #maxFieldSectionSize: number;
  /** Inserts the encoder is known to have learned of (through our acknowledgments and increments). */
  #knownReceived = 0;
  readonly #out = new ByteWriter();
  /** Held encoder-stream bytes: the start of an instruction not complete yet. */
  #pending = new Uint8Array(0);
  #pendingLength = 0;
  /** The held bytes must reach this length before parsing them again can progress. */
  #needed = 0;
  readonly #instruction = new EncoderInstruction();
  readonly #prefix = new FieldSectionPrefix();
  /** Blocked sections in arrival order. */
  #blocked: BlockedSection[] = [];
  /** The streams with a blocked section, and how many sections each has waiting. */
  readonly #blockedStreams = new Map<number, number>();

  constructor(options: QpackDecoderOptions = {}) {
    this.#maxTableCapacity = checkLimit("maxTableCapacity", options.maxTableCapacity, 4096, 2 ** 30);
    this.#maxBlockedStreams = checkLimit("maxBlockedStreams", options.maxBlockedStreams, 16, 2 ** 16);
    this.#maxFieldSectionSize = checkLimit("maxFieldSectionSize", options.maxFieldSectionSize, 65536, 2 ** 30);
    this.#maxEntries = Math.floor(this.#maxTableCapacity / ENTRY_OVERHEAD);
  }

  /** Entries inserted so far (the decoder's Insert Count). */
  get insertCount(): number {
    return this.#table.insertCount;
  }

  /** The current dynamic table capacity, as set by the peer's encoder. */
  get tableCapacity(): number {
    return this.#table.capacity;
  }

  /** The bytes the dynamic table's entries take (RFC 9204 §3.2.1 sizes). */
  get tableSize(): number {
    return this.#table.size;
  }

  /** How many streams wait for inserts. */
  get blockedStreamCount(): number {
    return this.#blockedStreams.size;
  }

  /** The entry with absolute index `index`, if it is in the table (for diagnostics and tests). */
  entry(index: number): Field | undefined {
    return this.#table.get(index);
  }

  /**
   * Applies a chunk of the peer's encoder stream; returns the sections its
   * inserts unblocked. Throws {@link QpackEncoderStreamError} on a bad
   * instruction, {@link QpackDecompressionError} on a bad unblocked section.
   */
  receiveEncoderStream(chunk: Uint8Array): UnblockedSection[] {
    const before = this.#table.insertCount;
    let bytes = chunk;
    let end = chunk.length;
    if (this.#pendingLength > 0) {
      this.#hold(chunk, 0, chunk.length);
      if (this.#pendingLength < this.#needed) return [];
      bytes = this.#pending;
      end = this.#pendingLength;
    }
    let offset = 0;
    const instruction = this.#instruction;
    while (offset < end) {
      const maxString = Math.max(0, this.#table.capacity - ENTRY_OVERHEAD);
      const next = parseEncoderInstruction(bytes, offset, end, maxString, instruction, failEncoderStream);
      if (next === INCOMPLETE) {
        this.#needed = instruction.needed - offset;
        break;
      }
      this.#apply(instruction);
      offset = next;
    }
    if (bytes === this.#pending) {
      this.#pending.copyWithin(0, offset, end);
      this.#pendingLength = end - offset;
    } else {
      this.#pendingLength = 0;
      if (offset < end) this.#hold(chunk, offset, end);
    }
    return this.#table.insertCount > before ? this.#unblock() : [];
  }

  /**
   * Decodes one complete encoded field section received on `streamId`, or
   * holds a copy of it when it needs inserts not yet received (or when an
   * earlier section of the stream is still blocked). Throws
   * {@link QpackDecompressionError} (a connection error) or
   * {@link QpackFieldSectionTooLargeError} (this stream only).
   */
  decodeFieldSection(streamId: number, section: Uint8Array): DecodeResult {
    const prefix = this.#prefix;
    const start = readFieldSectionPrefix(section, 0, section.length, this.#maxEntries, this.#table.insertCount, prefix, failDecompression);
    const { requiredInsertCount, base } = prefix;
    const waiting = this.#blockedStreams.get(streamId);
    if (requiredInsertCount > this.#table.insertCount || waiting !== undefined) {
      if (waiting === undefined && this.#blockedStreams.size >= this.#maxBlockedStreams) {
        failDecompression(`more than ${this.#maxBlockedStreams} blocked streams`);
      }
      this.#blockedStreams.set(streamId, (waiting ?? 0) + 1);
      this.#blocked.push({ streamId, requiredInsertCount, base, start, bytes: section.slice() });
      return { status: "blocked" };
    }
    return { status: "decoded", fields: this.#decode(streamId, section, start, requiredInsertCount, base) };
  }

  /**
   * The stream was reset or its reading abandoned (§2.2.2.2): drops its
   * blocked sections and queues a Stream Cancellation, unless our table
   * capacity is 0 (the encoder then has no references to release, and the
   * instruction may be omitted).
   */
  cancelStream(streamId: number): void {
    if (this.#blockedStreams.delete(streamId)) this.#blocked = this.#blocked.filter((s) => s.streamId !== streamId);
    if (this.#maxTableCapacity > 0) writeStreamCancellation(this.#out, streamId);
  }

  /**
   * The decoder-stream bytes owed so far (empty when none): acknowledgments
   * and cancellations, then an Insert Count Increment for the inserts they do
   * not cover.
   */
  takeDecoderStreamBytes(): Uint8Array {
    const inserts = this.#table.insertCount;
    if (inserts > this.#knownReceived) {
      writeInsertCountIncrement(this.#out, inserts - this.#knownReceived);
      this.#knownReceived = inserts;
    }
    return this.#out.take();
  }

  #hold(bytes: Uint8Array, start: number, end: number): void {
    const need = this.#pendingLength + (end - start);
    if (need > this.#pending.length) {
      const grown = new Uint8Array(Math.max(need, this.#pending.length * 2, 64));
      grown.set(this.#pending.subarray(0, this.#pendingLength));
      this.#pending = grown;
    }
    this.#pending.set(bytes.subarray(start, end), this.#pendingLength);
    this.#pendingLength = need;
  }

  #apply(instruction: EncoderInstruction): void {
    const table = this.#table;
    switch (instruction.kind) {
      case "set-capacity":
        if (instruction.value > this.#maxTableCapacity) {
          failEncoderStream(`capacity ${instruction.value} exceeds SETTINGS_QPACK_MAX_TABLE_CAPACITY ${this.#maxTableCapacity}`);
        }
        table.setCapacity(instruction.value);
        return;
      case "insert-static-name": {
        const entry = staticEntry(instruction.value);
        if (entry === undefined) failEncoderStream(`static index ${instruction.value} out of range`);
        this.#insert(entry[0], instruction.fieldValue);
        return;
      }
      case "insert-dynamic-name":
        this.#insert(this.#relative(instruction.value).name, instruction.fieldValue);
        return;
      case "insert-literal-name":
        this.#insert(instruction.name, instruction.fieldValue);
        return;
      case "duplicate": {
        const entry = this.#relative(instruction.value);
        this.#insert(entry.name, entry.value);
        return;
      }
    }
  }

  #relative(relative: number): Field {
    const index = this.#table.encoderRelative(relative);
    const entry = this.#table.get(index);
    if (entry === undefined) failEncoderStream(`relative index ${relative} names no entry in the table (evicted or never inserted)`);
    return entry;
  }

  #insert(name: string, value: string): void {
    const size = entrySize(name, value);
    if (size > this.#table.capacity) failEncoderStream(`entry of ${size} bytes exceeds the table capacity ${this.#table.capacity}`);
    this.#table.insert(name, value);
  }

  #decode(streamId: number, section: Uint8Array, start: number, required: number, base: number): Field[] {
    const tooLarge = (): never => {
      // Every entry the section needs is here: acknowledging it releases the encoder's references (§2.2.2.1).
      this.#acknowledge(streamId, required);
      throw new QpackFieldSectionTooLargeError(streamId, this.#maxFieldSectionSize);
    };
    const fields = decodeFieldLines(
      section,
      start,
      section.length,
      this.#table,
      required,
      base,
      this.#maxFieldSectionSize,
      failDecompression,
      tooLarge,
    );
    this.#acknowledge(streamId, required);
    return fields;
  }

  #acknowledge(streamId: number, requiredInsertCount: number): void {
    if (requiredInsertCount === 0) return;
    writeSectionAcknowledgment(this.#out, streamId);
    if (requiredInsertCount > this.#knownReceived) this.#knownReceived = requiredInsertCount;
  }

  #unblock(): UnblockedSection[] {
    const inserts = this.#table.insertCount;
    const done: UnblockedSection[] = [];
    const stillWaiting = new Set<number>();
    const kept: BlockedSection[] = [];
    for (const section of this.#blocked) {
      if (stillWaiting.has(section.streamId) || section.requiredInsertCount > inserts) {
        stillWaiting.add(section.streamId);
        kept.push(section);
        continue;
      }
      const left = this.#blockedStreams.get(section.streamId)! - 1;
      if (left === 0) this.#blockedStreams.delete(section.streamId);
      else this.#blockedStreams.set(section.streamId, left);
      try {
        done.push({
          streamId: section.streamId,
          fields: this.#decode(section.streamId, section.bytes, section.start, section.requiredInsertCount, section.base),
        });
      } catch (error) {
        if (!(error instanceof QpackFieldSectionTooLargeError)) throw error;
        done.push({ streamId: section.streamId, error });
      }
    }
    this.#blocked = kept;
    return done;
  }
}
