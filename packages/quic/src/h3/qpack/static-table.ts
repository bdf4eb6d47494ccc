/**
 * Lookups in the QPACK static table (RFC 9204 §3.1, Appendix A): by index for
 * the decoder, by field line and by name for the encoder. The maps are built
 * once when the module loads; the first index wins where a name repeats, the
 * smallest index being the shortest to encode.
 *
 * @example
 * ```ts
 * import { staticEntry, staticIndexOf, staticNameIndexOf } from "./static-table.js";
 * staticEntry(17); // [":method", "GET"]
 * staticIndexOf(":method", "GET"); // 17
 * staticNameIndexOf("content-type"); // 44
 * ```
 * @module
 */
import { STATIC_TABLE_ENTRIES } from "./static-table-data.js";

/** Number of static entries (indices 0 to 98). */
export const STATIC_TABLE_SIZE = STATIC_TABLE_ENTRIES.length;

const byField = new Map<string, number>();
const byName = new Map<string, number>();
for (let i = 0; i < STATIC_TABLE_ENTRIES.length; i++) {
  const [name, value] = STATIC_TABLE_ENTRIES[i]!;
  const key = fieldKey(name, value);
  if (!byField.has(key)) byField.set(key, i);
  if (!byName.has(name)) byName.set(name, i);
}

/** A map key for a name and value: names never contain NUL in HTTP, and the length prefix makes it unambiguous anyway. */
function fieldKey(name: string, value: string): string {
  return `${name.length}:${name}\0${value}`;
}

/** `[name, value]` at static index `index`, or undefined when there is none (the caller's error). */
export function staticEntry(index: number): readonly [name: string, value: string] | undefined {
  return STATIC_TABLE_ENTRIES[index];
}

/** The static index of exactly this field line, or -1. */
export function staticIndexOf(name: string, value: string): number {
  return byField.get(fieldKey(name, value)) ?? -1;
}

/** The smallest static index with this name, or -1. */
export function staticNameIndexOf(name: string): number {
  return byName.get(name) ?? -1;
}
