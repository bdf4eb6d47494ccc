/**
 * Bounds-checked reader and growable writer for TLS presentation-language
 * structures (big-endian integers, length-prefixed vectors). Every read past
 * the end or length mismatch throws a decode_error `TlsProtocolError`, so
 * parsers built on it never throw anything else on garbage input.
 *
 * @example
 * ```ts
 * import { ByteReader, ByteWriter } from "./bytes.js";
 * const w = new ByteWriter();
 * w.vector16(() => w.u16(0x0304));
 * const r = new ByteReader(w.finish());
 * r.vector16().u16(); // 0x0304
 * ```
 * @module
 */
import { decodeError } from "../errors.js";

/** Sequential reader over a byte view. */
export class ByteReader {
  readonly bytes: Uint8Array;
  offset: number;
  readonly end: number;

  constructor(bytes: Uint8Array, offset = 0, end = bytes.length) {
    this.bytes = bytes;
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  #need(n: number, what: string): void {
    if (this.end - this.offset < n) throw decodeError(`truncated ${what}: need ${n} bytes, have ${this.end - this.offset}`);
  }

  u8(what = "u8"): number {
    this.#need(1, what);
    return this.bytes[this.offset++] as number;
  }

  u16(what = "u16"): number {
    this.#need(2, what);
    const b = this.bytes;
    const v = ((b[this.offset] as number) << 8) | (b[this.offset + 1] as number);
    this.offset += 2;
    return v;
  }

  u24(what = "u24"): number {
    this.#need(3, what);
    const b = this.bytes;
    const v = ((b[this.offset] as number) << 16) | ((b[this.offset + 1] as number) << 8) | (b[this.offset + 2] as number);
    this.offset += 3;
    return v;
  }

  u32(what = "u32"): number {
    this.#need(4, what);
    const v = this.u16() * 0x10000 + this.u16();
    return v;
  }

  take(n: number, what = "bytes"): Uint8Array {
    this.#need(n, what);
    const v = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /** Opaque vector with a 1-byte length; `min` is the smallest legal length. */
  opaque8(what = "opaque8", min = 0): Uint8Array {
    const n = this.u8(what);
    if (n < min) throw decodeError(`${what} shorter than ${min} bytes`);
    return this.take(n, what);
  }

  opaque16(what = "opaque16", min = 0): Uint8Array {
    const n = this.u16(what);
    if (n < min) throw decodeError(`${what} shorter than ${min} bytes`);
    return this.take(n, what);
  }

  opaque24(what = "opaque24", min = 0): Uint8Array {
    const n = this.u24(what);
    if (n < min) throw decodeError(`${what} shorter than ${min} bytes`);
    return this.take(n, what);
  }

  /** A sub-reader over a 1-byte-length-prefixed vector. */
  vector8(what = "vector8"): ByteReader {
    const n = this.u8(what);
    this.#need(n, what);
    const r = new ByteReader(this.bytes, this.offset, this.offset + n);
    this.offset += n;
    return r;
  }

  vector16(what = "vector16"): ByteReader {
    const n = this.u16(what);
    this.#need(n, what);
    const r = new ByteReader(this.bytes, this.offset, this.offset + n);
    this.offset += n;
    return r;
  }

  vector24(what = "vector24"): ByteReader {
    const n = this.u24(what);
    this.#need(n, what);
    const r = new ByteReader(this.bytes, this.offset, this.offset + n);
    this.offset += n;
    return r;
  }

  /** Reads a list of u16 values from a 2-byte-length vector of even length. */
  u16List(what: string, minItems = 0): number[] {
    const r = this.vector16(what);
    if (r.remaining % 2 !== 0) throw decodeError(`${what} has odd length`);
    const out: number[] = [];
    while (r.remaining > 0) out.push(r.u16(what));
    if (out.length < minItems) throw decodeError(`${what} needs at least ${minItems} entries`);
    return out;
  }

  /** Throws decode_error unless every byte was consumed. */
  done(what: string): void {
    if (this.offset !== this.end) throw decodeError(`${this.end - this.offset} trailing bytes after ${what}`);
  }
}

/** Append-only writer that grows by doubling. */
export class ByteWriter {
  #buf: Uint8Array;
  length = 0;

  constructor(capacity = 256) {
    this.#buf = new Uint8Array(capacity);
  }

  #ensure(n: number): void {
    if (this.length + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
  }

  u8(v: number): this {
    this.#ensure(1);
    this.#buf[this.length++] = v;
    return this;
  }

  u16(v: number): this {
    this.#ensure(2);
    this.#buf[this.length++] = v >>> 8;
    this.#buf[this.length++] = v & 0xff;
    return this;
  }

  u24(v: number): this {
    this.#ensure(3);
    this.#buf[this.length++] = v >>> 16;
    this.#buf[this.length++] = (v >>> 8) & 0xff;
    this.#buf[this.length++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.u16(Math.floor(v / 0x10000) & 0xffff);
    return this.u16(v & 0xffff);
  }

  bytes(data: Uint8Array): this {
    this.#ensure(data.length);
    this.#buf.set(data, this.length);
    this.length += data.length;
    return this;
  }

  #prefixed(lengthBytes: 1 | 2 | 3, max: number, body: () => void): this {
    this.#ensure(lengthBytes);
    const at = this.length;
    this.length += lengthBytes;
    body();
    const n = this.length - at - lengthBytes;
    if (n > max) throw new RangeError(`vector of ${n} bytes exceeds its ${max}-byte limit`);
    if (lengthBytes === 3) this.#buf[at] = n >>> 16;
    if (lengthBytes >= 2) this.#buf[at + lengthBytes - 2] = (n >>> 8) & 0xff;
    this.#buf[at + lengthBytes - 1] = n & 0xff;
    return this;
  }

  vector8(body: () => void): this {
    return this.#prefixed(1, 0xff, body);
  }

  vector16(body: () => void): this {
    return this.#prefixed(2, 0xffff, body);
  }

  vector24(body: () => void): this {
    return this.#prefixed(3, 0xffffff, body);
  }

  opaque8(data: Uint8Array): this {
    return this.vector8(() => this.bytes(data));
  }

  opaque16(data: Uint8Array): this {
    return this.vector16(() => this.bytes(data));
  }

  opaque24(data: Uint8Array): this {
    return this.vector24(() => this.bytes(data));
  }

  /** The written bytes (a copy-free view of the internal buffer). */
  finish(): Uint8Array {
    return this.#buf.subarray(0, this.length);
  }
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
