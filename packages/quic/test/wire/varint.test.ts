/** RFC 9000 §16 variable-length integers, with the examples of Appendix A.1. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeVarint,
  decodeVarintBigInt,
  MAX_VARINT,
  MAX_VARINT_BIGINT,
  PacketDecodeError,
  Reader,
  TransportError,
  TransportErrorCode,
  varintLength,
  varintLengthOfFirstByte,
  Writer,
  writeVarint,
  writeVarintBigInt,
  writeVarintWithLength,
} from "../../src/proto/index.js";
import { hex, toHex, transportErrorOf } from "../vectors/support.js";

describe("varints (RFC 9000 §16)", () => {
  it("decodes the Appendix A.1 examples, including the non-minimal 2-byte 37", () => {
    expect(decodeVarintBigInt(hex("c2197c5eff14e88c"), 0)).toBe(151288809941952652n);
    expect(decodeVarint(hex("9d7f3e7d"), 0)).toBe(494878333);
    expect(decodeVarint(hex("7bbd"), 0)).toBe(15293);
    expect(decodeVarint(hex("25"), 0)).toBe(37);
    expect(decodeVarint(hex("4025"), 0)).toBe(37);
    // Above 2^53 the number form is the nearest double; the bigint form is exact.
    expect(decodeVarint(hex("c2197c5eff14e88c"), 0)).toBe(Number(151288809941952652n));
  });

  it("encodes minimally: 1, 2, 4 and 8 bytes at the boundaries", () => {
    const cases: [number, string][] = [
      [0, "00"],
      [63, "3f"],
      [64, "4040"],
      [16383, "7fff"],
      [16384, "80004000"],
      [2 ** 30 - 1, "bfffffff"],
      [2 ** 30, "c000000040000000"],
      [494878333, "9d7f3e7d"],
      [15293, "7bbd"],
    ];
    for (const [value, encoded] of cases) {
      const buffer = new Uint8Array(8);
      const end = writeVarint(buffer, 0, value);
      expect(toHex(buffer.subarray(0, end))).toBe(encoded);
      expect(varintLength(value)).toBe(end);
      expect(varintLengthOfFirstByte(buffer[0]!)).toBe(end);
    }
  });

  it("writes the largest value 2^62-1 exactly as a bigint, and the largest double below 2^62 as a number", () => {
    const buffer = new Uint8Array(8);
    writeVarintBigInt(buffer, 0, MAX_VARINT_BIGINT);
    expect(toHex(buffer)).toBe("ffffffffffffffff");
    expect(decodeVarintBigInt(buffer, 0)).toBe(MAX_VARINT_BIGINT);
    // The nearest double to 2^62-1 is 2^62, which is not encodable: the number decoder clamps.
    expect(decodeVarint(buffer, 0)).toBe(MAX_VARINT);
    expect(writeVarint(buffer, 0, MAX_VARINT)).toBe(8);
    expect(decodeVarint(buffer, 0)).toBe(MAX_VARINT);
  });

  it("rejects values outside [0, 2^62) and lengths too small for the value", () => {
    const buffer = new Uint8Array(8);
    expect(() => writeVarint(buffer, 0, -1)).toThrow(RangeError);
    expect(() => writeVarint(buffer, 0, 2 ** 62)).toThrow(RangeError);
    expect(() => writeVarint(buffer, 0, 1.5)).toThrow(RangeError);
    expect(() => writeVarintWithLength(buffer, 0, 64, 1)).toThrow(RangeError);
    expect(() => writeVarintBigInt(buffer, 0, 1n << 62n)).toThrow(RangeError);
    expect(() => writeVarint(new Uint8Array(1), 0, 64)).toThrow(RangeError);
  });

  it("reports truncation as -1 from the decoders and as the context's typed error from a Reader", () => {
    for (const encoded of ["", "40", "80ffff", "c0000000000000"]) {
      expect(decodeVarint(hex(encoded), 0)).toBe(-1);
      expect(decodeVarintBigInt(hex(encoded), 0)).toBe(-1n);
    }
    const frame = new Reader("frame", hex("80ffff"));
    expect(() => frame.varint()).toThrow(TransportError);
    expect(transportErrorOf(() => new Reader("transport-parameters", hex("40")).varint()).errorCode).toBe(
      TransportErrorCode.TRANSPORT_PARAMETER_ERROR,
    );
    expect(transportErrorOf(() => frame.varint()).errorCode).toBe(TransportErrorCode.FRAME_ENCODING_ERROR);
    expect(() => new Reader("packet", hex("c0")).varint()).toThrow(PacketDecodeError);
    // `end` bounds the read even when the buffer continues.
    expect(decodeVarint(hex("4025"), 0, 1)).toBe(-1);
  });

  it("round-trips every value minimally and at every wider length (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 2 ** 30 }), fc.maxSafeNat()), (value) => {
        const writer = new Writer(new Uint8Array(8));
        writer.varint(value);
        expect(writer.position).toBe(varintLength(value));
        const reader = new Reader("frame", writer.written());
        expect(reader.varint()).toBe(value);
        expect(reader.remaining).toBe(0);
        for (const length of [1, 2, 4, 8] as const) {
          if (length < varintLength(value)) continue;
          const buffer = new Uint8Array(8);
          expect(writeVarintWithLength(buffer, 0, value, length)).toBe(length);
          expect(decodeVarint(buffer, 0)).toBe(value);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("round-trips all 62 bits as bigints (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_VARINT_BIGINT }), (value) => {
        const buffer = new Uint8Array(8);
        const end = writeVarintBigInt(buffer, 0, value);
        expect(decodeVarintBigInt(buffer.subarray(0, end), 0)).toBe(value);
        expect(new Reader("frame", buffer.subarray(0, end)).varintBigInt()).toBe(value);
      }),
      { numRuns: 2000 },
    );
  });
});
