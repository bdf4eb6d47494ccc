/**
 * Decoder-stream instructions (RFC 9204 §4.4): Section Acknowledgment,
 * Stream Cancellation and Insert Count Increment. Writers for the decoder, a
 * parser for the encoder; each instruction is one prefixed integer, so a
 * partial one is at most 10 bytes to keep.
 *
 * @example
 * ```ts
 * import { ByteWriter } from "./byte-writer.js";
 * import { DecoderInstruction, parseDecoderInstruction, writeSectionAcknowledgment } from "./decoder-instructions.js";
 * const out = new ByteWriter();
 * writeSectionAcknowledgment(out, 4); // 84 (RFC 9204 B.2)
 * const fail = (reason: string): never => { throw new Error(reason); };
 * const instruction = new DecoderInstruction();
 * parseDecoderInstruction(out.view(), 0, out.length, instruction, fail); // 1; kind "section-ack", value 4
 * ```
 * @module
 */
import type { ByteWriter } from "./byte-writer.js";
import type { Fail } from "./errors.js";
import { decodeInteger, encodeInteger, INTEGER_OVERFLOW, IntegerResult } from "./integer.js";

/** Section Acknowledgment: '1' and the stream ID as a 7-bit prefix integer. */
export function writeSectionAcknowledgment(out: ByteWriter, streamId: number): void {
  encodeInteger(out, 0x80, 7, streamId);
}

/** Stream Cancellation: '01' and the stream ID as a 6-bit prefix integer. */
export function writeStreamCancellation(out: ByteWriter, streamId: number): void {
  encodeInteger(out, 0x40, 6, streamId);
}

/** Insert Count Increment: '00' and the increment as a 6-bit prefix integer. */
export function writeInsertCountIncrement(out: ByteWriter, increment: number): void {
  encodeInteger(out, 0x00, 6, increment);
}

/** What {@link parseDecoderInstruction} read; reused across calls. */
export class DecoderInstruction {
  kind: "section-ack" | "stream-cancel" | "insert-count-increment" = "section-ack";
  /** The stream ID, or the increment. */
  value = 0;
}

const integer = new IntegerResult();

/** Parses one instruction at `bytes[offset]`: the offset after it, or INCOMPLETE; `fail` on an integer over 2^62 - 1. */
export function parseDecoderInstruction(bytes: Uint8Array, offset: number, end: number, out: DecoderInstruction, fail: Fail): number {
  const first = bytes[offset]!;
  let prefix: number;
  if ((first & 0x80) !== 0) {
    out.kind = "section-ack";
    prefix = 7;
  } else if ((first & 0x40) !== 0) {
    out.kind = "stream-cancel";
    prefix = 6;
  } else {
    out.kind = "insert-count-increment";
    prefix = 6;
  }
  const next = decodeInteger(bytes, offset, end, prefix, integer);
  if (next === INTEGER_OVERFLOW) fail("integer exceeds 2^62 - 1");
  if (next >= 0) out.value = integer.value;
  return next;
}
