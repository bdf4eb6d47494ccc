/**
 * The QPACK encoder (RFC 9204 §2.1) with a policy: static table first, the
 * dynamic table within the peer's limits, literals otherwise. Sans-I/O: it
 * returns encoded field sections and accumulates encoder-stream bytes; the
 * peer's decoder-stream bytes come back in.
 *
 * How an HTTP/3 connection drives it:
 * - {@link QpackEncoder.applyPeerSettings} once the peer's SETTINGS arrive
 *   (SETTINGS_QPACK_MAX_TABLE_CAPACITY and SETTINGS_QPACK_BLOCKED_STREAMS);
 *   until then the dynamic table is not used (§3.2.3);
 * - {@link QpackEncoder.encodeFieldSection} per header or trailer section,
 *   then {@link QpackEncoder.takeEncoderStreamBytes}, written on our encoder
 *   stream (before the section, ideally, so the peer need not block);
 * - every chunk of the peer's decoder stream to
 *   {@link QpackEncoder.receiveDecoderStream}, in order, any fragment size.
 *
 * The policy, per field line:
 * 1. an exact static match is indexed (unless the line is sensitive);
 * 2. a sensitive line (its `sensitive` flag, or `authorization`,
 *    `proxy-authorization`, or a `cookie` under 20 bytes, RFC 7541 §7.1.3) is
 *    a never-indexed literal, and never inserted;
 * 3. an exact dynamic match is referenced, unless it is draining (see below),
 *    in which case it is duplicated when there is room;
 * 4. otherwise the line is inserted, when it is worth it (not over a quarter
 *    of the table unless under 64 bytes, not a name whose values rarely repeat: `content-length`,
 *    `date`, `etag`, `last-modified`, `if-modified-since`, `if-none-match`,
 *    `age`) and room can be made by evicting only evictable entries;
 * 5. what is not referenced goes as a literal, naming a static or dynamic
 *    entry when one has the name.
 * A dynamic reference to an entry the decoder has not acknowledged may block
 * the stream, so it is made only while fewer than SETTINGS_QPACK_BLOCKED_STREAMS
 * streams could be blocked (or on a stream that already could be); otherwise
 * the entry is inserted for later sections and this one uses a literal.
 *
 * Eviction safety (§2.1.1): an entry is evicted only once its insertion is
 * acknowledged and no unacknowledged section references it. Entries in the
 * oldest quarter of the capacity that would have to go to keep a quarter of
 * the table free are "draining" (§2.1.1.1): no new reference is made to them,
 * so they become evictable. Inserting never waits: when room cannot be made,
 * the line is sent as a literal.
 *
 * Errors: {@link QpackDecoderStreamError} (a connection error) for a bad
 * decoder-stream instruction; `TypeError`/`RangeError` for bad arguments.
 *
 * @example
 * ```ts
 * import { QpackEncoder } from "./encoder.js";
 * const encoder = new QpackEncoder({ maxTableCapacity: 4096 });
 * encoder.applyPeerSettings({ maxTableCapacity: 4096, blockedStreams: 16 });
 * const section = encoder.encodeFieldSection(0, [
 *   { name: ":method", value: "GET" },
 *   { name: "user-agent", value: "zsync" },
 * ]);
 * const encoderStream = encoder.takeEncoderStreamBytes(); // send first, then `section` in a HEADERS frame
 * declare const decoderStreamChunk: Uint8Array;
 * encoder.receiveDecoderStream(decoderStreamChunk);
 * ```
 * @module
 */
import { ByteWriter } from "./byte-writer.js";
import { DecoderInstruction, parseDecoderInstruction } from "./decoder-instructions.js";
import { DynamicTable, ENTRY_OVERHEAD, entrySize } from "./dynamic-table.js";
import { writeDuplicate, writeInsertWithLiteralName, writeInsertWithNameReference, writeSetCapacity } from "./encoder-instructions.js";
import { QpackDecoderStreamError } from "./errors.js";
import type { Field } from "./field.js";
import {
  writeIndexedDynamic,
  writeIndexedPostBase,
  writeIndexedStatic,
  writeLiteralDynamicName,
  writeLiteralName,
  writeLiteralPostBaseName,
  writeLiteralStaticName,
} from "./field-lines.js";
import { writeFieldSectionPrefix } from "./field-section-prefix.js";
import { INCOMPLETE } from "./integer.js";
import { staticIndexOf, staticNameIndexOf } from "./static-table.js";

/** Options of a {@link QpackEncoder}. */
export interface QpackEncoderOptions {
  /** The largest dynamic table this encoder will use, whatever the peer allows (default 4096; 0: static table and literals only). */
  readonly maxTableCapacity?: number;
  /** Huffman-code strings when that is shorter (default true). */
  readonly huffman?: boolean;
  /**
   * The most encoder-stream bytes left unsent (written, not yet taken by the
   * transport, see {@link QpackEncoder.setEncoderStreamBacklog}) before the
   * encoder stops inserting and sends literals instead (default 16384;
   * RFC 9204 §2.1.3: inserting while the encoder stream is blocked by flow
   * control would only stall the streams that reference the inserts).
   */
  readonly maxEncoderStreamBacklog?: number;
}

/** The peer decoder's QPACK settings (RFC 9204 §5). */
export interface QpackPeerSettings {
  /** SETTINGS_QPACK_MAX_TABLE_CAPACITY (0 when absent). */
  readonly maxTableCapacity: number;
  /** SETTINGS_QPACK_BLOCKED_STREAMS (0 when absent). */
  readonly blockedStreams: number;
}

/** An entry this small is worth inserting even when it is over a quarter of the table. */
const SMALL_ENTRY = 64;

/** Names whose values rarely repeat: inserting them would only churn the table. */
const NOT_INSERTED = new Set(["content-length", "date", "etag", "last-modified", "if-modified-since", "if-none-match", "age"]);

/** An encoded section with dynamic references, until acknowledged or cancelled. */
interface OutstandingSection {
  readonly requiredInsertCount: number;
  /** Each absolute index it references, once. */
  readonly references: readonly number[];
}

function failDecoderStream(reason: string): never {
  throw new QpackDecoderStreamError(reason);
}

function fieldKey(name: string, value: string): string {
  return `${name.length}:${name}\0${value}`;
}

function isByteString(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
}

/** Sensitive by default (RFC 7541 §7.1.3): credentials, and cookies short enough to guess. */
function defaultSensitive(name: string, value: string): boolean {
  return name === "authorization" || name === "proxy-authorization" || (name === "cookie" && value.length < 20);
}

/** The encoding half of a QPACK connection: see the module comment. */
export class QpackEncoder {
  readonly #table = new DynamicTable();
  readonly #maxTableCapacity: number;
  readonly #huffman: boolean;
  #settingsApplied = false;
  /** floor(peer's SETTINGS_QPACK_MAX_TABLE_CAPACITY / 32): the Required Insert Count modulus base. */
  #maxEntries = 0;
  #peerBlockedStreams = 0;
  #knownReceived = 0;
  readonly #encoderStream = new ByteWriter();
  readonly #lines = new ByteWriter();
  /** Newest absolute index of each field line and of each name in the table. */
  readonly #byField = new Map<string, number>();
  readonly #byName = new Map<string, number>();
  /** Per absolute index: how many unacknowledged sections reference it. */
  readonly #references = new Map<number, number>();
  /** Per stream: its unacknowledged sections with dynamic references, oldest first. */
  readonly #outstanding = new Map<number, OutstandingSection[]>();
  /** Held decoder-stream bytes: an instruction not complete yet (at most 10 bytes). */
  #pending = new Uint8Array(0);
  readonly #instruction = new DecoderInstruction();
  readonly #maxBacklog: number;
  #backlog = 0;

  constructor(options: QpackEncoderOptions = {}) {
    const maxBacklog = options.maxEncoderStreamBacklog ?? 16384;
    if (!Number.isSafeInteger(maxBacklog) || maxBacklog < 0)
      throw new RangeError(`maxEncoderStreamBacklog: ${maxBacklog} is not a byte count`);
    this.#maxBacklog = maxBacklog;
    const max = options.maxTableCapacity ?? 4096;
    if (!Number.isSafeInteger(max) || max < 0 || max > 2 ** 30)
      throw new RangeError(`maxTableCapacity: ${max} is not an integer in [0, 2^30]`);
    this.#maxTableCapacity = max;
    this.#huffman = options.huffman ?? true;
    this.#table.onEvict = (index, entry) => {
      const key = fieldKey(entry.name, entry.value);
      if (this.#byField.get(key) === index) this.#byField.delete(key);
      if (this.#byName.get(entry.name) === index) this.#byName.delete(entry.name);
    };
  }

  /** The dynamic table capacity in use (after the peer's settings). */
  get tableCapacity(): number {
    return this.#table.capacity;
  }

  /** Entries inserted so far. */
  get insertCount(): number {
    return this.#table.insertCount;
  }

  /** Inserts the decoder has acknowledged (§2.1.4). */
  get knownReceivedCount(): number {
    return this.#knownReceived;
  }

  /** Streams with a section that could be blocked at the decoder now (never above the peer's limit). */
  get blockingStreamCount(): number {
    let n = 0;
    for (const sections of this.#outstanding.values()) if (this.#isBlocking(sections)) n++;
    return n;
  }

  /**
   * Takes the peer's QPACK settings (once per connection): sets the table
   * capacity to the smaller of ours and the peer's maximum, announcing it on
   * the encoder stream when it is not 0.
   */
  applyPeerSettings(settings: QpackPeerSettings): void {
    if (this.#settingsApplied) throw new TypeError("settings: the peer's settings were already applied");
    const { maxTableCapacity, blockedStreams } = settings;
    if (!Number.isSafeInteger(maxTableCapacity) || maxTableCapacity < 0)
      throw new RangeError(`settings.maxTableCapacity: ${maxTableCapacity}`);
    if (!Number.isSafeInteger(blockedStreams) || blockedStreams < 0) throw new RangeError(`settings.blockedStreams: ${blockedStreams}`);
    this.#settingsApplied = true;
    this.#maxEntries = Math.floor(maxTableCapacity / ENTRY_OVERHEAD);
    this.#peerBlockedStreams = blockedStreams;
    const capacity = Math.min(this.#maxTableCapacity, maxTableCapacity);
    if (capacity > 0) {
      writeSetCapacity(this.#encoderStream, capacity);
      this.#table.setCapacity(capacity);
    }
  }

  /**
   * Tells the encoder how many encoder-stream bytes it produced that the
   * transport has not accepted yet (waiting for flow-control credit, §2.1.3).
   * While that plus what is not taken yet exceeds `maxEncoderStreamBacklog`,
   * no entry is inserted or duplicated; sections use what the table holds,
   * and literals.
   */
  setEncoderStreamBacklog(bytes: number): void {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`bytes: ${bytes} is not a byte count`);
    this.#backlog = bytes;
  }

  /** The encoder-stream bytes written so far (empty when none). */
  takeEncoderStreamBytes(): Uint8Array {
    return this.#encoderStream.take();
  }

  /**
   * Encodes one field section for `streamId` and returns it (the payload of
   * a HEADERS frame). Inserts it makes are in {@link takeEncoderStreamBytes}.
   */
  encodeFieldSection(streamId: number, fields: readonly Field[]): Uint8Array {
    if (!Number.isSafeInteger(streamId) || streamId < 0) throw new RangeError(`streamId: ${streamId} is not a stream ID`);
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (typeof f.name !== "string" || !isByteString(f.name))
        throw new TypeError(`fields[${i}].name: not a byte string (code points 0-255)`);
      if (typeof f.value !== "string" || !isByteString(f.value))
        throw new TypeError(`fields[${i}].value: not a byte string (code points 0-255)`);
    }
    const table = this.#table;
    const lines = this.#lines;
    const base = table.insertCount;
    const sections = this.#outstanding.get(streamId);
    // May this section reference unacknowledged entries (§2.1.2)?
    const mayBlock = (sections !== undefined && this.#isBlocking(sections)) || this.blockingStreamCount < this.#peerBlockedStreams;
    const referenced = new Set<number>();
    let required = 0;
    const use = (index: number): void => {
      if (!referenced.has(index)) {
        referenced.add(index);
        this.#references.set(index, (this.#references.get(index) ?? 0) + 1);
      }
      if (index + 1 > required) required = index + 1;
    };
    const referenceable = (index: number): boolean => index >= this.#drainingIndex() && (index < this.#knownReceived || mayBlock);

    for (const { name, value, sensitive } of fields) {
      const neverIndexed = sensitive === true || defaultSensitive(name, value);
      if (!neverIndexed) {
        const exact = staticIndexOf(name, value);
        if (exact >= 0) {
          writeIndexedStatic(lines, exact);
          continue;
        }
        let index = this.#byField.get(fieldKey(name, value));
        if (index !== undefined && index < this.#drainingIndex()) index = this.#duplicate(index);
        else if (index === undefined && this.#worthInserting(name, value)) index = this.#insert(name, value);
        if (index !== undefined && referenceable(index)) {
          use(index);
          if (index < base) writeIndexedDynamic(lines, base - 1 - index);
          else writeIndexedPostBase(lines, index - base);
          continue;
        }
      }
      const staticName = staticNameIndexOf(name);
      if (staticName >= 0) {
        writeLiteralStaticName(lines, staticName, value, neverIndexed, this.#huffman);
        continue;
      }
      const nameIndex = this.#byName.get(name);
      if (nameIndex !== undefined && referenceable(nameIndex)) {
        use(nameIndex);
        if (nameIndex < base) writeLiteralDynamicName(lines, base - 1 - nameIndex, value, neverIndexed, this.#huffman);
        else writeLiteralPostBaseName(lines, nameIndex - base, value, neverIndexed, this.#huffman);
        continue;
      }
      writeLiteralName(lines, name, value, neverIndexed, this.#huffman);
    }

    if (required > 0) {
      const section: OutstandingSection = { requiredInsertCount: required, references: [...referenced] };
      if (sections === undefined) this.#outstanding.set(streamId, [section]);
      else sections.push(section);
    }
    const out = new ByteWriter(lines.length + 8);
    writeFieldSectionPrefix(out, required, base, this.#maxEntries);
    out.bytes(lines.view());
    lines.take();
    return out.take();
  }

  /** Applies a chunk of the peer's decoder stream; throws {@link QpackDecoderStreamError} on a bad instruction. */
  receiveDecoderStream(chunk: Uint8Array): void {
    let bytes = chunk;
    if (this.#pending.length > 0) {
      bytes = new Uint8Array(this.#pending.length + chunk.length);
      bytes.set(this.#pending);
      bytes.set(chunk, this.#pending.length);
    }
    let offset = 0;
    while (offset < bytes.length) {
      const next = parseDecoderInstruction(bytes, offset, bytes.length, this.#instruction, failDecoderStream);
      if (next === INCOMPLETE) break;
      this.#apply(this.#instruction);
      offset = next;
    }
    this.#pending = bytes.slice(offset);
  }

  #apply(instruction: DecoderInstruction): void {
    const { value } = instruction;
    switch (instruction.kind) {
      case "section-ack": {
        const sections = this.#outstanding.get(value);
        const section = sections?.shift();
        if (section === undefined) failDecoderStream(`Section Acknowledgment for stream ${value}, which has no unacknowledged section`);
        if (sections!.length === 0) this.#outstanding.delete(value);
        if (section.requiredInsertCount > this.#knownReceived) this.#knownReceived = section.requiredInsertCount;
        this.#release(section);
        return;
      }
      case "stream-cancel": {
        const sections = this.#outstanding.get(value);
        if (sections === undefined) return;
        this.#outstanding.delete(value);
        for (const section of sections) this.#release(section);
        return;
      }
      case "insert-count-increment":
        if (value === 0) failDecoderStream("Insert Count Increment of 0");
        if (this.#knownReceived + value > this.#table.insertCount) {
          failDecoderStream(`Insert Count Increment to ${this.#knownReceived + value}, beyond the ${this.#table.insertCount} inserts sent`);
        }
        this.#knownReceived += value;
        return;
    }
  }

  #release(section: OutstandingSection): void {
    for (const index of section.references) {
      const left = this.#references.get(index)! - 1;
      if (left === 0) this.#references.delete(index);
      else this.#references.set(index, left);
    }
  }

  #isBlocking(sections: readonly OutstandingSection[]): boolean {
    for (const s of sections) if (s.requiredInsertCount > this.#knownReceived) return true;
    return false;
  }

  /**
   * Entries below this absolute index are draining: kept free of new
   * references so they can be evicted. The newest entry never drains: in a
   * table with room for one or two entries it would otherwise be duplicated
   * forever and never referenced.
   */
  #drainingIndex(): number {
    const table = this.#table;
    const reserve = Math.floor(table.capacity / 4);
    let toFree = table.size + reserve - table.capacity;
    let index = table.firstIndex;
    while (toFree > 0 && index < table.insertCount) {
      const e = table.get(index)!;
      toFree -= entrySize(e.name, e.value);
      index++;
    }
    return Math.min(index, table.insertCount - 1);
  }

  /**
   * A quarter of the table at most, so one large line cannot flush it; but at
   * least 64 bytes, so a small table (a peer short of memory) still serves short
   * repeated lines.
   */
  #worthInserting(name: string, value: string): boolean {
    const size = entrySize(name, value);
    return size <= Math.max(this.#table.capacity / 4, SMALL_ENTRY) && !NOT_INSERTED.has(name);
  }

  /** Whether an entry of `size` bytes can be inserted by evicting only evictable entries (§2.1.1). */
  #canInsert(size: number): boolean {
    // §2.1.3: not while the encoder stream is backed up (`size` is about the instruction's length).
    if (this.#backlog + this.#encoderStream.length + size > this.#maxBacklog) return false;
    const table = this.#table;
    const n = table.evictionsFor(size);
    if (n < 0) return false;
    for (let index = table.firstIndex, end = table.firstIndex + n; index < end; index++) {
      if (index >= this.#knownReceived || this.#references.has(index)) return false;
    }
    return true;
  }

  /** Inserts a field line, naming a static or dynamic entry when one has the name; its absolute index, or undefined when there is no room. */
  #insert(name: string, value: string): number | undefined {
    if (!this.#canInsert(entrySize(name, value))) return undefined;
    const staticName = staticNameIndexOf(name);
    const dynamicName = this.#byName.get(name);
    if (staticName >= 0) writeInsertWithNameReference(this.#encoderStream, true, staticName, value, this.#huffman);
    else if (dynamicName !== undefined) {
      writeInsertWithNameReference(this.#encoderStream, false, this.#table.insertCount - 1 - dynamicName, value, this.#huffman);
    } else writeInsertWithLiteralName(this.#encoderStream, name, value, this.#huffman);
    return this.#record(name, value);
  }

  /** Re-inserts a draining entry (§4.3.4) so it can be referenced again; undefined when there is no room. */
  #duplicate(index: number): number | undefined {
    const entry = this.#table.get(index)!;
    if (!this.#canInsert(entrySize(entry.name, entry.value))) return undefined;
    writeDuplicate(this.#encoderStream, this.#table.insertCount - 1 - index);
    return this.#record(entry.name, entry.value);
  }

  #record(name: string, value: string): number {
    const index = this.#table.insert(name, value);
    this.#byField.set(fieldKey(name, value), index);
    this.#byName.set(name, index);
    return index;
  }
}
