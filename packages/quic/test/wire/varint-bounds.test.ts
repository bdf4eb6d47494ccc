/**
 * The varint functions' refusals (RFC 9000 §16): every out-of-range value,
 * short buffer, bad offset and bad length is refused with its own message,
 * and the bigint writer picks the minimal length at each boundary. Added for
 * the mutants that survived `pnpm mutate --mutate src/proto/wire/varint.ts`:
 * the round-trip suites only ever pass values and buffers that fit.
 */
import { describe, expect, it } from "vitest";
import { decodeVarint, varintLength, writeVarintBigInt, writeVarintWithLength } from "../../src/proto/index.js";
import { toHex } from "../vectors/support.js";

const RANGE = /varint value must be (an integer )?in \[0, 2\^62\)/;

describe("varint bounds (RFC 9000 §16)", () => {
  it("varintLength refuses negatives, 2^62 and NaN", () => {
    for (const value of [-1, -0.5, 2 ** 62, 2 ** 63, Number.NaN]) {
      expect(() => varintLength(value), String(value)).toThrow(RANGE);
    }
    expect(varintLength(0)).toBe(1);
    expect(varintLength(2 ** 62 - 512)).toBe(8);
  });

  it("writeVarintWithLength refuses values outside [0, 2^62) and non-integers, whatever the length", () => {
    for (const length of [1, 2, 4, 8] as const) {
      for (const value of [-1, 2 ** 62, 0.5]) {
        expect(() => writeVarintWithLength(new Uint8Array(8), 0, value, length), `${value} in ${length}`).toThrow(RANGE);
      }
    }
  });

  it("writeVarintWithLength refuses a value too large for the length asked, at the exact boundary", () => {
    expect(() => writeVarintWithLength(new Uint8Array(8), 0, 0x40, 1)).toThrow(/value 64 does not fit a 1-byte varint/);
    expect(() => writeVarintWithLength(new Uint8Array(8), 0, 0x4000, 2)).toThrow(/value 16384 does not fit a 2-byte varint/);
    expect(() => writeVarintWithLength(new Uint8Array(8), 0, 0x4000_0000, 4)).toThrow(/value 1073741824 does not fit a 4-byte varint/);
    // One below each boundary fits, in a non-minimal length too.
    const buffer = new Uint8Array(8);
    expect(writeVarintWithLength(buffer, 0, 0x3fff, 2)).toBe(2);
    expect(toHex(buffer.subarray(0, 2))).toBe("7fff");
    expect(writeVarintWithLength(buffer, 0, 0x3fff_ffff, 4)).toBe(4);
    expect(toHex(buffer.subarray(0, 4))).toBe("bfffffff");
    expect(writeVarintWithLength(buffer, 0, 37, 8)).toBe(8);
    expect(toHex(buffer)).toBe("c000000000000025");
  });

  it("writeVarintWithLength refuses a length other than 1, 2, 4 or 8", () => {
    expect(() => writeVarintWithLength(new Uint8Array(8), 0, 1, 3 as unknown as 1)).toThrow(/varint length must be 1, 2, 4 or 8, got 3/);
  });

  it("both writers refuse a buffer that is too short or a negative offset, and write nothing", () => {
    const short = new Uint8Array(1);
    expect(() => writeVarintWithLength(short, 0, 64, 2)).toThrow(/buffer too short for a 2-byte varint at offset 0/);
    expect(() => writeVarintWithLength(new Uint8Array(8), 7, 64, 2)).toThrow(/buffer too short for a 2-byte varint at offset 7/);
    expect(() => writeVarintWithLength(new Uint8Array(8), -1, 1, 1)).toThrow(/buffer too short for a 1-byte varint at offset -1/);
    expect(() => writeVarintBigInt(short, 0, 64n)).toThrow(/buffer too short for a 2-byte varint at offset 0/);
    expect(() => writeVarintBigInt(new Uint8Array(8), 7, 64n)).toThrow(/buffer too short for a 2-byte varint at offset 7/);
    expect(() => writeVarintBigInt(new Uint8Array(8), -1, 1n)).toThrow(/buffer too short for a 1-byte varint at offset -1/);
    expect(toHex(short)).toBe("00");
  });

  it("writeVarintBigInt refuses negatives and 2^62", () => {
    expect(() => writeVarintBigInt(new Uint8Array(8), 0, -1n)).toThrow(/varint value must be in \[0, 2\^62\), got -1/);
    expect(() => writeVarintBigInt(new Uint8Array(8), 0, 1n << 62n)).toThrow(
      /varint value must be in \[0, 2\^62\), got 4611686018427387904/,
    );
  });

  it("writeVarintBigInt encodes minimally at every length boundary", () => {
    const cases: [bigint, string][] = [
      [0n, "00"],
      [63n, "3f"],
      [64n, "4040"],
      [16383n, "7fff"],
      [16384n, "80004000"],
      [(1n << 30n) - 1n, "bfffffff"],
      [1n << 30n, "c000000040000000"],
    ];
    for (const [value, encoded] of cases) {
      const buffer = new Uint8Array(8);
      const end = writeVarintBigInt(buffer, 0, value);
      expect(toHex(buffer.subarray(0, end)), String(value)).toBe(encoded);
    }
  });

  it("decodeVarint reports truncation at every length as -1", () => {
    expect(decodeVarint(new Uint8Array(0), 0)).toBe(-1);
    expect(decodeVarint(Uint8Array.of(0x40, 0x25), 0, 1)).toBe(-1);
    expect(decodeVarint(Uint8Array.of(0x80, 0, 0, 1), 0, 3)).toBe(-1);
    expect(decodeVarint(Uint8Array.of(0xc0, 0, 0, 0, 0, 0, 0, 1), 0, 7)).toBe(-1);
  });
});
