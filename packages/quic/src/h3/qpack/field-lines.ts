/**
 * Field line representations (RFC 9204 §4.5.2-4.5.6): writers for each of
 * the seven forms and the decoder of a field section's lines.
 *
 * The decoder enforces, per line: static indices within the table (§3.1),
 * dynamic references below the Required Insert Count and not evicted (§2.2.3),
 * the section's size limit (RFC 9114 §4.2.2) before a literal is decoded (its
 * declared length is checked, so an oversized string is never allocated), and
 * that the largest dynamic reference is exactly Required Insert Count - 1
 * (§2.1.2; a larger declared count MAY be refused, §2.2.1, and is). Work is
 * linear in the section's bytes; the output is bounded by the size limit
 * (each line counts at least 32 bytes).
 *
 * @example
 * ```ts
 * import { ByteWriter } from "./byte-writer.js";
 * import { DynamicTable } from "./dynamic-table.js";
 * import { decodeFieldLines, writeIndexedStatic, writeLiteralStaticName } from "./field-lines.js";
 * const out = new ByteWriter();
 * writeIndexedStatic(out, 17); // d1: :method GET
 * writeLiteralStaticName(out, 1, "/index.html", false, false); // 510b 2f69 6e64 6578 2e68 746d 6c (RFC 9204 B.1)
 * const fail = (reason: string): never => { throw new Error(reason); };
 * decodeFieldLines(out.view(), 0, out.length, new DynamicTable(), 0, 0, 16384, fail, () => fail("too large"));
 * // [{ name: ":method", value: "GET" }, { name: ":path", value: "/index.html" }]
 * ```
 * @module
 */
import type { ByteWriter } from "./byte-writer.js";
import type { DynamicTable } from "./dynamic-table.js";
import type { Fail } from "./errors.js";
import { type Field, fieldSize } from "./field.js";
import { decodeInteger, encodeInteger, INCOMPLETE, INTEGER_OVERFLOW, IntegerResult } from "./integer.js";
import { staticEntry } from "./static-table.js";
import { decodeStringLiteral, encodeStringLiteral, StringResult } from "./string-literal.js";

/** Indexed Field Line, static (§4.5.2): '11' and a 6-bit prefix index. */
export function writeIndexedStatic(out: ByteWriter, index: number): void {
  encodeInteger(out, 0xc0, 6, index);
}

/** Indexed Field Line, dynamic (§4.5.2): '10' and a 6-bit prefix index relative to Base. */
export function writeIndexedDynamic(out: ByteWriter, relativeIndex: number): void {
  encodeInteger(out, 0x80, 6, relativeIndex);
}

/** Indexed Field Line with Post-Base Index (§4.5.3): '0001' and a 4-bit prefix index. */
export function writeIndexedPostBase(out: ByteWriter, postBaseIndex: number): void {
  encodeInteger(out, 0x10, 4, postBaseIndex);
}

/** Literal Field Line with a static Name Reference (§4.5.4): '01', N, T=1, a 4-bit prefix index, the value. */
export function writeLiteralStaticName(out: ByteWriter, index: number, value: string, neverIndexed: boolean, huffman = true): void {
  encodeInteger(out, 0x50 | (neverIndexed ? 0x20 : 0), 4, index);
  encodeStringLiteral(out, 0, 8, value, huffman);
}

/** Literal Field Line with a dynamic Name Reference (§4.5.4): '01', N, T=0, a 4-bit prefix index relative to Base, the value. */
export function writeLiteralDynamicName(
  out: ByteWriter,
  relativeIndex: number,
  value: string,
  neverIndexed: boolean,
  huffman = true,
): void {
  encodeInteger(out, 0x40 | (neverIndexed ? 0x20 : 0), 4, relativeIndex);
  encodeStringLiteral(out, 0, 8, value, huffman);
}

/** Literal Field Line with Post-Base Name Reference (§4.5.5): '0000', N, a 3-bit prefix index, the value. */
export function writeLiteralPostBaseName(
  out: ByteWriter,
  postBaseIndex: number,
  value: string,
  neverIndexed: boolean,
  huffman = true,
): void {
  encodeInteger(out, neverIndexed ? 0x08 : 0, 3, postBaseIndex);
  encodeStringLiteral(out, 0, 8, value, huffman);
}

/** Literal Field Line with Literal Name (§4.5.6): '001', N, the name as a 4-bit prefix string, the value. */
export function writeLiteralName(out: ByteWriter, name: string, value: string, neverIndexed: boolean, huffman = true): void {
  encodeStringLiteral(out, 0x20 | (neverIndexed ? 0x10 : 0), 4, name, huffman);
  encodeStringLiteral(out, 0, 8, value, huffman);
}

const integer = new IntegerResult();
const str = new StringResult();

/**
 * Decodes the field lines of a section in `bytes[offset, end)` against
 * `table`, with the prefix's Required Insert Count and Base. `fail` throws
 * the decompression error; `tooLarge` throws when the decoded size would
 * pass `maxSize`.
 */
export function decodeFieldLines(
  bytes: Uint8Array,
  offset: number,
  end: number,
  table: DynamicTable,
  requiredInsertCount: number,
  base: number,
  maxSize: number,
  fail: Fail,
  tooLarge: () => never,
): Field[] {
  const fields: Field[] = [];
  let size = 0;
  let largestReference = -1;
  /** The entry at absolute `index`, checked against the section's Required Insert Count and the table. */
  const dynamic = (index: number): { name: string; value: string } => {
    if (index < 0 || index >= requiredInsertCount)
      fail(`reference to dynamic entry ${index} outside Required Insert Count ${requiredInsertCount}`);
    const entry = table.get(index);
    if (entry === undefined) fail(`reference to evicted dynamic entry ${index}`);
    if (index > largestReference) largestReference = index;
    return entry;
  };
  const readInt = (at: number, prefix: number): number => {
    const next = decodeInteger(bytes, at, end, prefix, integer);
    if (next === INTEGER_OVERFLOW) fail("integer exceeds 2^62 - 1");
    if (next === INCOMPLETE) fail("field line truncated");
    return next;
  };
  /** Reads a string of at most what is left of the size budget after `used` more bytes. */
  const readStr = (at: number, prefix: number, used: number): number => {
    const room = maxSize - size - 32 - used;
    if (room < 0) tooLarge();
    const next = decodeStringLiteral(bytes, at, end, prefix, room, str, fail, tooLarge);
    if (next === INCOMPLETE) fail("field line truncated");
    return next;
  };
  const push = (name: string, value: string, sensitive: boolean): void => {
    size += fieldSize(name, value);
    if (size > maxSize) tooLarge();
    fields.push(sensitive ? { name, value, sensitive } : { name, value });
  };

  while (offset < end) {
    const b = bytes[offset]!;
    if ((b & 0x80) !== 0) {
      // Indexed Field Line: 1 T index(6+)
      offset = readInt(offset, 6);
      const index = integer.value;
      if ((b & 0x40) !== 0) {
        const entry = staticEntry(index);
        if (entry === undefined) fail(`static index ${index} out of range`);
        push(entry[0], entry[1], false);
      } else {
        const entry = dynamic(table.fieldRelative(index, base));
        push(entry.name, entry.value, false);
      }
    } else if ((b & 0x40) !== 0) {
      // Literal Field Line with Name Reference: 01 N T index(4+) value
      offset = readInt(offset, 4);
      const index = integer.value;
      let name: string;
      if ((b & 0x10) !== 0) {
        const entry = staticEntry(index);
        if (entry === undefined) fail(`static index ${index} out of range`);
        name = entry[0];
      } else {
        name = dynamic(table.fieldRelative(index, base)).name;
      }
      offset = readStr(offset, 8, name.length);
      push(name, str.value, (b & 0x20) !== 0);
    } else if ((b & 0x20) !== 0) {
      // Literal Field Line with Literal Name: 001 N name(H, 3+) value
      offset = readStr(offset, 4, 0);
      const name = str.value;
      offset = readStr(offset, 8, name.length);
      push(name, str.value, (b & 0x10) !== 0);
    } else if ((b & 0x10) !== 0) {
      // Indexed Field Line with Post-Base Index: 0001 index(4+)
      offset = readInt(offset, 4);
      const entry = dynamic(base + integer.value);
      push(entry.name, entry.value, false);
    } else {
      // Literal Field Line with Post-Base Name Reference: 0000 N index(3+) value
      offset = readInt(offset, 3);
      const name = dynamic(base + integer.value).name;
      offset = readStr(offset, 8, name.length);
      push(name, str.value, (b & 0x08) !== 0);
    }
  }
  if (requiredInsertCount > 0 && largestReference + 1 !== requiredInsertCount) {
    fail(`Required Insert Count ${requiredInsertCount} but the largest reference is ${largestReference}`);
  }
  return fields;
}
