/**
 * A strict DER reader for the few X.509 structures path validation needs
 * (names, validity, extensions). node:crypto's `X509Certificate` parses and
 * verifies certificates but does not expose extensions with their critical
 * flag, pathLenConstraint or the keyUsage bits, so this reads them from the
 * DER itself. Strict: definite minimal lengths, low tag numbers, no bytes
 * past an element; anything else is a `malformed` certificate.
 *
 * @example
 * ```ts
 * import { DerReader } from "./der.js";
 * declare const der: Uint8Array;
 * const certificate = new DerReader(der).element(0x30); // the Certificate SEQUENCE
 * const tbs = new DerReader(der, certificate.contentStart, certificate.end).element(0x30);
 * ```
 * @module
 */
import { TlsCertificateError } from "../../errors.js";

/** One TLV: `start` is its first (tag) byte, `contentStart..end` its content. */
export interface DerElement {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

export const TAG_BOOLEAN = 0x01;
export const TAG_INTEGER = 0x02;
export const TAG_BIT_STRING = 0x03;
export const TAG_OCTET_STRING = 0x04;
export const TAG_OID = 0x06;
export const TAG_SEQUENCE = 0x30;

function malformed(message: string): TlsCertificateError {
  return new TlsCertificateError("malformed", message);
}

/** Reads consecutive elements of `bytes[start..end]`. */
export class DerReader {
  readonly bytes: Uint8Array;
  #at: number;
  readonly #end: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.#at = start;
    this.#end = end;
  }

  /** The reader over the content of `element`. */
  static inside(bytes: Uint8Array, element: DerElement): DerReader {
    return new DerReader(bytes, element.contentStart, element.end);
  }

  get done(): boolean {
    return this.#at >= this.#end;
  }

  /** The tag of the next element, or undefined at the end. */
  peekTag(): number | undefined {
    return this.done ? undefined : this.bytes[this.#at];
  }

  /** The next element; with `tag`, it must have that tag. */
  element(tag?: number): DerElement {
    const bytes = this.bytes;
    const start = this.#at;
    if (start + 2 > this.#end) throw malformed("DER element truncated");
    const actual = bytes[start] as number;
    if ((actual & 0x1f) === 0x1f) throw malformed("DER high tag numbers are not used in certificates");
    if (tag !== undefined && actual !== tag)
      throw malformed(`expected DER tag 0x${tag.toString(16)}, got 0x${actual.toString(16)} at offset ${start}`);
    let length = bytes[start + 1] as number;
    let contentStart = start + 2;
    if (length & 0x80) {
      const count = length & 0x7f;
      if (count === 0 || count > 4) throw malformed("DER indefinite or oversized length");
      if (contentStart + count > this.#end) throw malformed("DER length truncated");
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + (bytes[contentStart + i] as number);
      if (length < 0x80 || (bytes[contentStart] as number) === 0) throw malformed("DER length not minimally encoded");
      contentStart += count;
    }
    const end = contentStart + length;
    if (end > this.#end) throw malformed("DER element runs past its container");
    this.#at = end;
    return { tag: actual, start, contentStart, end };
  }

  /** The next element if it has `tag`, else undefined (for OPTIONAL and DEFAULT fields). */
  optional(tag: number): DerElement | undefined {
    return this.peekTag() === tag ? this.element(tag) : undefined;
  }

  /** Fails unless every byte was read. */
  finish(what: string): void {
    if (!this.done) throw malformed(`unexpected bytes after ${what}`);
  }
}

/** A DER BOOLEAN's value (strict: 0x00 or 0xff). */
export function readBoolean(bytes: Uint8Array, element: DerElement): boolean {
  const value = bytes[element.contentStart];
  if (element.end - element.contentStart !== 1 || (value !== 0 && value !== 0xff)) throw malformed("DER BOOLEAN must be 00 or ff");
  return value === 0xff;
}

/** A non-negative DER INTEGER; values past 2^31 saturate to Infinity (only counts are read this way). */
export function readCount(bytes: Uint8Array, element: DerElement): number {
  const length = element.end - element.contentStart;
  const first = bytes[element.contentStart] as number;
  if (length === 0) throw malformed("empty DER INTEGER");
  if (first & 0x80) throw malformed("negative DER INTEGER where a count was expected");
  if (length > 1 && first === 0 && ((bytes[element.contentStart + 1] as number) & 0x80) === 0)
    throw malformed("DER INTEGER not minimally encoded");
  let value = 0;
  for (let i = element.contentStart; i < element.end; i++) value = value * 256 + (bytes[i] as number);
  return value > 0x7fffffff ? Number.POSITIVE_INFINITY : value;
}

/** An OBJECT IDENTIFIER in dotted form. */
export function readOid(bytes: Uint8Array, element: DerElement): string {
  if (element.end === element.contentStart) throw malformed("empty OBJECT IDENTIFIER");
  const arcs: number[] = [];
  let value = 0;
  let fresh = true;
  for (let i = element.contentStart; i < element.end; i++) {
    const byte = bytes[i] as number;
    if (fresh && byte === 0x80) throw malformed("OBJECT IDENTIFIER arc not minimally encoded");
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER) throw malformed("OBJECT IDENTIFIER arc too large");
    fresh = (byte & 0x80) === 0;
    if (fresh) {
      arcs.push(value);
      value = 0;
    }
  }
  if (!fresh) throw malformed("OBJECT IDENTIFIER truncated");
  const first = arcs[0] as number;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join(".");
}

/**
 * The named bits of a BIT STRING as a mask (bit 0 = the first, most significant bit),
 * for KeyUsage's nine named bits.
 */
export function readNamedBits(bytes: Uint8Array, element: DerElement): number {
  const length = element.end - element.contentStart;
  if (length === 0) throw malformed("empty BIT STRING");
  const unused = bytes[element.contentStart] as number;
  if (unused > 7 || (length === 1 && unused !== 0)) throw malformed("BIT STRING with a bad unused-bits count");
  let mask = 0;
  for (let i = 1; i < length && i <= 2; i++) {
    const byte = bytes[element.contentStart + i] as number;
    for (let bit = 0; bit < 8; bit++) if (byte & (0x80 >> bit)) mask |= 1 << ((i - 1) * 8 + bit);
  }
  return mask;
}
