/**
 * A bounds-checked cursor over untrusted bytes. Every read checks the end
 * first, so a parser built on it cannot read past its input, and a
 * truncation becomes the typed error of the layer doing the parsing:
 * FRAME_ENCODING_ERROR inside a frame (RFC 9000 §12.4), TRANSPORT_PARAMETER_ERROR
 * inside transport parameters (§7.4), or a dropped packet in a header
 * (§12.2). Byte strings come back as views (`subarray`), never copies: the
 * caller copies what it keeps beyond the datagram's lifetime.
 *
 * One reader can be reused for every packet (`reset`), so parsing allocates
 * nothing per frame.
 *
 * @example
 * ```ts
 * import { Reader } from "@zsync/quic/proto";
 * declare const payload: Uint8Array;
 * const reader = new Reader("frame");
 * reader.reset(payload, 0, payload.length);
 * const type = reader.varint();
 * const bytes = reader.bytes(reader.varint());
 * ```
 * @module
 */
import { PacketDecodeError, TransportError, TransportErrorCode } from "../errors.js";
import { decodeVarint, decodeVarintBigInt, varintLengthOfFirstByte } from "./varint.js";

/** Which layer is parsing: decides the error thrown on malformed input. */
export type ReaderContext = "frame" | "transport-parameters" | "packet";

const EMPTY = new Uint8Array(0);

/** A cursor over `buffer[position, end)`; see the module comment. */
export class Reader {
  /** The bytes being read. */
  buffer: Uint8Array = EMPTY;
  /** Next byte to read. */
  position = 0;
  /** One past the last readable byte. */
  end = 0;
  /** Frame type being parsed, reported in the error (frame context only). */
  frameType: number | undefined = undefined;
  readonly context: ReaderContext;

  constructor(context: ReaderContext, buffer?: Uint8Array, start = 0, end = buffer?.length ?? 0) {
    this.context = context;
    if (buffer !== undefined) this.reset(buffer, start, end);
  }

  /** Points the reader at `buffer[start, end)`. */
  reset(buffer: Uint8Array, start = 0, end = buffer.length): this {
    if (start < 0 || end > buffer.length || start > end)
      throw new RangeError(`invalid range [${start}, ${end}) for ${buffer.length} bytes`);
    this.buffer = buffer;
    this.position = start;
    this.end = end;
    this.frameType = undefined;
    return this;
  }

  /** Bytes left. */
  get remaining(): number {
    return this.end - this.position;
  }

  /** The typed error of this reader's context; `throw reader.fail("...")`. */
  fail(reason: string, errorCode?: number): Error {
    switch (this.context) {
      case "frame":
        return new TransportError(errorCode ?? TransportErrorCode.FRAME_ENCODING_ERROR, reason, this.frameType);
      case "transport-parameters":
        return new TransportError(errorCode ?? TransportErrorCode.TRANSPORT_PARAMETER_ERROR, reason);
      default:
        return new PacketDecodeError(reason);
    }
  }

  /** One byte. */
  u8(): number {
    if (this.position >= this.end) throw this.fail("truncated: expected 1 more byte");
    return this.buffer[this.position++] as number;
  }

  /** A big-endian 16-bit integer. */
  u16(): number {
    if (this.position + 2 > this.end) throw this.fail("truncated: expected a 16-bit integer");
    const p = this.position;
    this.position = p + 2;
    return ((this.buffer[p] as number) << 8) | (this.buffer[p + 1] as number);
  }

  /** A big-endian 32-bit integer. */
  u32(): number {
    if (this.position + 4 > this.end) throw this.fail("truncated: expected a 32-bit integer");
    const p = this.position;
    this.position = p + 4;
    return (
      (this.buffer[p] as number) * 0x100_0000 +
      (((this.buffer[p + 1] as number) << 16) | ((this.buffer[p + 2] as number) << 8) | (this.buffer[p + 3] as number))
    );
  }

  /** A varint (RFC 9000 §16) as a number (see varint.ts on precision above 2^53). */
  varint(): number {
    const value = decodeVarint(this.buffer, this.position, this.end);
    if (value < 0) throw this.fail("truncated variable-length integer");
    this.position += varintLengthOfFirstByte(this.buffer[this.position] as number);
    return value;
  }

  /** A varint decoded exactly as a bigint. */
  varintBigInt(): bigint {
    const value = decodeVarintBigInt(this.buffer, this.position, this.end);
    if (value < 0n) throw this.fail("truncated variable-length integer");
    this.position += varintLengthOfFirstByte(this.buffer[this.position] as number);
    return value;
  }

  /** The next `length` bytes as a view into the input. */
  bytes(length: number): Uint8Array {
    if (length > this.end - this.position) throw this.fail(`truncated: expected ${length} bytes, ${this.end - this.position} left`);
    const p = this.position;
    this.position = p + length;
    return this.buffer.subarray(p, p + length);
  }

  /** Skips `length` bytes. */
  skip(length: number): void {
    if (length > this.end - this.position) throw this.fail(`truncated: cannot skip ${length} bytes, ${this.end - this.position} left`);
    this.position += length;
  }
}
