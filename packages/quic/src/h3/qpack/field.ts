/**
 * A field line as QPACK takes and gives it.
 *
 * Names and values are byte strings: one character per octet, code points
 * 0-255 (what `Buffer.toString("latin1")` gives), because HTTP field values
 * are octets and QPACK sizes entries in bytes (RFC 9204 §3.2.1). The encoder
 * refuses a character above 0xff with a TypeError rather than guess an
 * encoding. QPACK does not check HTTP's rules for names and values (lowercase
 * names, no CR/LF): that is the HTTP/3 layer's job (RFC 9114 §4.2).
 *
 * @example
 * ```ts
 * import type { Field } from "./field.js";
 * const fields: Field[] = [
 *   { name: ":method", value: "GET" },
 *   { name: "authorization", value: "Bearer x", sensitive: true },
 * ];
 * ```
 * @module
 */

/** One field line. */
export interface Field {
  readonly name: string;
  readonly value: string;
  /**
   * Never indexed (RFC 9204 §4.5.4 'N' bit, §7.1.3): the encoder always sends
   * it as a literal, never inserts it into the dynamic table, and an
   * intermediary re-encoding it must do the same. The decoder sets it on
   * field lines that arrived with N=1.
   */
  readonly sensitive?: boolean;
}

/** The size a field line counts for in a field section (RFC 9114 §4.2.2, the entry size of RFC 9204 §3.2.1). */
export function fieldSize(name: string, value: string): number {
  return name.length + value.length + 32;
}
