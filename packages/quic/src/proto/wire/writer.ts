/**
 * A cursor that encodes into a caller-supplied buffer. Encoders never
 * allocate: the packet builder owns one buffer per datagram and frames are
 * written straight into it. Running out of room is a caller bug (size the
 * frame first with the codec's `...Length` function), so it throws
 * `RangeError`, not a protocol error.
 *
 * @example
 * ```ts
 * import { Writer } from "@zsync/quic/proto";
 * declare const offset: number;
 * declare const data: Uint8Array;
 * declare const socket: { send(bytes: Uint8Array): void };
 * const writer = new Writer(new Uint8Array(1200));
 * writer.varint(0x06).varint(offset).varint(data.length).bytes(data);
 * socket.send(writer.written());
 * ```
 * @module
 */
import { varintLength, writeVarint, writeVarintBigInt, writeVarintWithLength } from "./varint.js";

/** A cursor over `buffer[position, end)` for writing. */
export class Writer {
  buffer: Uint8Array;
  position: number;
  end: number;

  constructor(buffer: Uint8Array, start = 0, end = buffer.length) {
    this.buffer = buffer;
    this.position = start;
    this.end = end;
  }

  /** Points the writer at `buffer[start, end)`. */
  reset(buffer: Uint8Array, start = 0, end = buffer.length): this {
    this.buffer = buffer;
    this.position = start;
    this.end = end;
    return this;
  }

  /** Room left. */
  get remaining(): number {
    return this.end - this.position;
  }

  #need(length: number): void {
    if (this.position + length > this.end)
      throw new RangeError(`writer out of space: need ${length} bytes, ${this.end - this.position} left`);
  }

  u8(value: number): this {
    this.#need(1);
    this.buffer[this.position++] = value;
    return this;
  }

  u16(value: number): this {
    this.#need(2);
    this.buffer[this.position] = value >>> 8;
    this.buffer[this.position + 1] = value & 0xff;
    this.position += 2;
    return this;
  }

  u32(value: number): this {
    this.#need(4);
    const p = this.position;
    this.buffer[p] = value >>> 24;
    this.buffer[p + 1] = (value >>> 16) & 0xff;
    this.buffer[p + 2] = (value >>> 8) & 0xff;
    this.buffer[p + 3] = value & 0xff;
    this.position = p + 4;
    return this;
  }

  varint(value: number): this {
    this.#need(varintLength(value));
    this.position = writeVarint(this.buffer, this.position, value);
    return this;
  }

  varintWithLength(value: number, length: 1 | 2 | 4 | 8): this {
    this.#need(length);
    this.position = writeVarintWithLength(this.buffer, this.position, value, length);
    return this;
  }

  varintBigInt(value: bigint): this {
    this.#need(value < 0x40n ? 1 : value < 0x4000n ? 2 : value < 0x4000_0000n ? 4 : 8);
    this.position = writeVarintBigInt(this.buffer, this.position, value);
    return this;
  }

  bytes(data: Uint8Array): this {
    this.#need(data.length);
    this.buffer.set(data, this.position);
    this.position += data.length;
    return this;
  }

  /** Writes `length` zero bytes (PADDING frames are zero bytes). */
  zeros(length: number): this {
    this.#need(length);
    this.buffer.fill(0, this.position, this.position + length);
    this.position += length;
    return this;
  }

  /** A view of `buffer[start, position)`. */
  written(start = 0): Uint8Array {
    return this.buffer.subarray(start, this.position);
  }
}
