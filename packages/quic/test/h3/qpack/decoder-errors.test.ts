/**
 * Hostile input to the decoder: every refusal is the RFC 9204 §6 error the
 * HTTP/3 layer closes with, typed, and decided before large allocations.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { QpackDecoder } from "../../../src/h3/qpack/decoder.js";
import {
  QpackDecompressionError,
  QpackEncoderStreamError,
  QpackError,
  QpackFieldSectionTooLargeError,
  QpackH3ErrorCode,
} from "../../../src/h3/qpack/errors.js";
import { hex, toHex } from "./support.js";

// RFC 9204 B.2 and B.3: capacity 220 (MaxEntries 6), entries 0 :authority, 1 :path, 2 custom-key.
const B2_B3 = "3fbd01c00f7777772e6578616d706c652e636f6dc10c2f73616d706c652f706174684a637573746f6d2d6b65790c637573746f6d2d76616c7565";
const B4_B5 = "02810d637573746f6d2d76616c756532";

function withEntries(options: ConstructorParameters<typeof QpackDecoder>[0] = {}): QpackDecoder {
  const decoder = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 2, ...options });
  decoder.receiveEncoderStream(hex(B2_B3));
  decoder.takeDecoderStreamBytes();
  return decoder;
}

function section(decoder: QpackDecoder, bytes: string, streamId = 0) {
  return decoder.decodeFieldSection(streamId, hex(bytes));
}

/** A prefixed integer's continuation bytes for a value of at least 2^62. */
const OVER_2_62 = `${"ff".repeat(8)}7f`;

describe("field sections: QPACK_DECOMPRESSION_FAILED", () => {
  test.each([
    ["an empty section", "", /prefix truncated/],
    ["a truncated Required Insert Count", "ff", /prefix truncated/],
    ["a missing Base", "03", /prefix truncated/],
    ["a truncated Delta Base", "037f", /prefix truncated/],
    ["a truncated index", "0000ff", /field line truncated/],
    ["a truncated value", "0000510b2f69", /field line truncated/],
    ["a truncated literal name", "00002261", /field line truncated/],
    ["an index of 2^62", `0000ff${OVER_2_62}`, /integer exceeds 2\^62 - 1/],
    ["a Required Insert Count of 2^62", `ff${OVER_2_62}00`, /Required Insert Count exceeds 2\^62 - 1/],
    ["an encoded Required Insert Count above 2 * MaxEntries", "0d00", /13 exceeds 12/],
    ["a Required Insert Count beyond any insert possible", "0b00", /beyond the inserts possible/],
    ["a negative Base", "0382", /negative Base/],
    ["a reference at the Required Insert Count (post-Base)", "030010", /entry 2 outside Required Insert Count 2/],
    ["a relative reference at the Required Insert Count", "030180", /entry 2 outside Required Insert Count 2/],
    ["a post-Base name reference at the Required Insert Count", "03000000", /entry 2 outside Required Insert Count 2/],
    ["a Required Insert Count larger than the largest reference + 1", "040081", /Required Insert Count 3 but the largest reference is 1/],
    ["a Required Insert Count with no dynamic reference", "0200d1", /Required Insert Count 1 but the largest reference is -1/],
    ["a static index of 99", "0000ff24", /static index 99 out of range/],
    ["a static name index of 99", "00005f5400", /static index 99 out of range/],
    ["a negative absolute index from a large relative one", "030080" + "bf3f", /entry -125 outside/],
    ["Huffman padding of ones over 7 bits", "00005182 07ff", /padding/],
    ["Huffman padding that is not ones", "0000518106", /padding/],
    ["EOS in a Huffman string", "00005184ffffffff", /EOS/],
  ])("%s", (_, bytes, reason) => {
    const decoder = withEntries();
    const error = (() => {
      try {
        section(decoder, bytes);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(QpackDecompressionError);
    expect((error as QpackDecompressionError).h3ErrorCode).toBe(QpackH3ErrorCode.QPACK_DECOMPRESSION_FAILED);
    expect((error as QpackDecompressionError).reason).toMatch(reason);
  });

  test("a reference to an evicted entry", () => {
    const decoder = withEntries();
    decoder.receiveEncoderStream(hex(B4_B5)); // evicts entry 0
    // Required Insert Count 1 (encoded 2), Base 1, relative index 0: absolute 0.
    expect(() => section(decoder, "020080")).toThrow(/evicted dynamic entry 0/);
    // Entry 1 is still there: the same form naming it decodes.
    expect(section(decoder, "030080")).toEqual({ status: "decoded", fields: [{ name: ":path", value: "/sample/path" }] });
  });

  test("any non-zero Required Insert Count when our table capacity is 0", () => {
    const decoder = new QpackDecoder({ maxTableCapacity: 0 });
    expect(() => section(decoder, "0200")).toThrow(QpackDecompressionError);
    expect(section(decoder, "0000d1")).toEqual({ status: "decoded", fields: [{ name: ":method", value: "GET" }] });
  });

  test("one blocked stream more than SETTINGS_QPACK_BLOCKED_STREAMS", () => {
    const decoder = withEntries({ maxBlockedStreams: 2 });
    // Required Insert Count 4 (encoded 5), Base 4: waits for the Duplicate of B.4.
    expect(section(decoder, "050080", 0).status).toBe("blocked");
    expect(section(decoder, "050080", 0).status).toBe("blocked"); // the same stream again does not count twice
    expect(section(decoder, "050080", 4).status).toBe("blocked");
    expect(decoder.blockedStreamCount).toBe(2);
    expect(() => section(decoder, "050080", 8)).toThrow(/more than 2 blocked streams/);
  });

  test("with SETTINGS_QPACK_BLOCKED_STREAMS 0, any blocking section", () => {
    const decoder = withEntries({ maxBlockedStreams: 0 });
    expect(() => section(decoder, "050080")).toThrow(QpackDecompressionError);
  });
});

describe("field sections: the size limit", () => {
  test("a huge declared length fails on the limit at once, before the bytes that would be missing", () => {
    const decoder = withEntries({ maxFieldSectionSize: 4096 });
    // :path with a value of 2^40 bytes, raw and Huffman, in a 10-byte section.
    expect(() => section(decoder, "0000517fffffffffff1f")).toThrow(QpackFieldSectionTooLargeError);
    expect(() => section(decoder, "000051ffffffffffff1f")).toThrow(QpackFieldSectionTooLargeError);
    expect(() => section(decoder, "00002f" + "ffffffffff1f")).toThrow(QpackFieldSectionTooLargeError); // a literal name
  });

  test("indexed lines count 32 bytes each plus name and value (RFC 9114 §4.2.2)", () => {
    const decoder = new QpackDecoder({ maxFieldSectionSize: 3 * 38 });
    // c1 is :path / (38 bytes).
    expect(section(decoder, "0000c1c1c1")).toEqual({ status: "decoded", fields: Array(3).fill({ name: ":path", value: "/" }) });
    const error = (() => {
      try {
        section(decoder, "0000c1c1c1c1", 12);
      } catch (e) {
        return e as QpackFieldSectionTooLargeError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(QpackFieldSectionTooLargeError);
    expect(error?.streamId).toBe(12);
    expect(error?.h3ErrorCode).toBe(QpackH3ErrorCode.H3_MESSAGE_ERROR);
  });

  test("a Huffman string that decodes past the limit stops while decoding, as too large", () => {
    // "0" is 5 bits: 5 bytes hold 8 of them. Limit: 32 + 1 (":path" is 5) ... leave room for 4 characters.
    const decoder = new QpackDecoder({ maxFieldSectionSize: 32 + 5 + 4 });
    expect(() => section(decoder, "0000518500000000 00")).toThrow(QpackFieldSectionTooLargeError);
  });

  test("a too-large section with dynamic references is acknowledged, and the decoder goes on", () => {
    const decoder = withEntries({ maxFieldSectionSize: 100 });
    // Required Insert Count 3, Base 3: custom-key (54), custom-key again: 108 > 100.
    expect(() => section(decoder, "04008080", 4)).toThrow(QpackFieldSectionTooLargeError);
    expect(toHex(decoder.takeDecoderStreamBytes())).toBe("84");
    expect(section(decoder, "040080", 8)).toEqual({ status: "decoded", fields: [{ name: "custom-key", value: "custom-value" }] });
  });

  test("an unblocked section over the limit is reported for its stream, others still decode", () => {
    const decoder = withEntries({ maxFieldSectionSize: 100 });
    expect(section(decoder, "05008080", 4).status).toBe("blocked");
    expect(section(decoder, "050080", 8).status).toBe("blocked");
    const unblocked = decoder.receiveEncoderStream(hex("02"));
    expect(unblocked[0]?.streamId).toBe(4);
    expect(unblocked[0]?.error).toBeInstanceOf(QpackFieldSectionTooLargeError);
    expect(unblocked[1]).toEqual({ streamId: 8, fields: [{ name: ":authority", value: "www.example.com" }] });
  });
});

describe("the encoder stream: QPACK_ENCODER_STREAM_ERROR", () => {
  test.each([
    ["a capacity above SETTINGS_QPACK_MAX_TABLE_CAPACITY", 100, "3f46", /capacity 101 exceeds/],
    ["an insert before any capacity", 220, "c00161", /exceeds the limit of 0/],
    ["an entry larger than the capacity (static name)", 220, "3f09c0056161616161", /entry of 47 bytes exceeds the table capacity 40/],
    ["a literal name and value larger than the capacity", 220, "3f09456161616161056161616161", /string of 5 bytes exceeds the limit of 3/],
    ["a static name index of 99", 220, "3fbd01ff2400", /static index 99 out of range/],
    ["a dynamic name reference into an empty table", 220, "3fbd018000", /relative index 0 names no entry/],
    ["a Duplicate of an entry never inserted", 220, "3fbd0100", /relative index 0 names no entry/],
    ["a capacity of 2^62", 220, `3f${OVER_2_62}`, /integer exceeds 2\^62 - 1/],
    ["a string length of 2^62", 220, `3fbd01c07f${OVER_2_62}`, /string length exceeds 2\^62 - 1/],
    ["a Huffman value with bad padding", 220, "3fbd01c08106", /padding/],
  ])("%s", (_, capacity, bytes, reason) => {
    const decoder = new QpackDecoder({ maxTableCapacity: capacity });
    expect(() => decoder.receiveEncoderStream(hex(bytes))).toThrow(QpackEncoderStreamError);
    expect(() => new QpackDecoder({ maxTableCapacity: capacity }).receiveEncoderStream(hex(bytes))).toThrow(reason);
  });

  test("a capacity at SETTINGS_QPACK_MAX_TABLE_CAPACITY is accepted, one more is not", () => {
    const decoder = new QpackDecoder({ maxTableCapacity: 100 });
    decoder.receiveEncoderStream(hex("3f45"));
    expect(decoder.tableCapacity).toBe(100);
    expect(() => decoder.receiveEncoderStream(hex("3f46"))).toThrow(/capacity 101 exceeds SETTINGS_QPACK_MAX_TABLE_CAPACITY 100/);
  });

  test("a Duplicate or name reference to an evicted entry", () => {
    const decoder = withEntries();
    decoder.receiveEncoderStream(hex(B4_B5)); // 5 inserts, entry 0 evicted
    expect(() => decoder.receiveEncoderStream(hex("04"))).toThrow(/relative index 4/); // absolute 0
    const again = withEntries();
    again.receiveEncoderStream(hex(B4_B5));
    expect(() => again.receiveEncoderStream(hex("840161"))).toThrow(QpackEncoderStreamError);
  });

  test("a huge string length fails on its first bytes, without waiting or buffering", () => {
    const decoder = new QpackDecoder({ maxTableCapacity: 4096 });
    decoder.receiveEncoderStream(hex("3fe11f")); // capacity 4096
    // Insert with a literal name of 2^40 bytes: refused from 7 bytes.
    expect(() => decoder.receiveEncoderStream(hex("5fffffffffff1f"))).toThrow(/exceeds the limit of 4064/);
  });

  test("a literal name and its value share one entry's budget: the value's length fails before its bytes", () => {
    const decoder = new QpackDecoder({ maxTableCapacity: 100 });
    decoder.receiveEncoderStream(hex("3f45")); // capacity 100: strings of at most 68 bytes together
    // A 40-byte name, then a value announced at 40 bytes (40 + 40 + 32 > 100), none of it sent.
    expect(() => decoder.receiveEncoderStream(hex(`5f09${"61".repeat(40)}28`))).toThrow(/exceeds the limit of 28/);
  });

  test("the same limit holds when the length arrives a byte at a time", () => {
    const decoder = new QpackDecoder({ maxTableCapacity: 4096 });
    decoder.receiveEncoderStream(hex("3fe11f"));
    const bytes = hex("c07fffffffffff1f");
    expect(() => {
      for (let i = 0; i < bytes.length; i++) decoder.receiveEncoderStream(bytes.subarray(i, i + 1));
    }).toThrow(QpackEncoderStreamError);
  });

  test("a long value in 1-byte fragments is inserted once complete", () => {
    const decoder = new QpackDecoder({ maxTableCapacity: 4096 });
    const value = "v".repeat(3000);
    const raw = `3fe11fc0${"7f" + "b916"}${toHex(new TextEncoder().encode(value))}`; // :authority=v*3000, 3000 = 127 + 2873
    const bytes = hex(raw);
    for (let i = 0; i < bytes.length; i++) {
      decoder.receiveEncoderStream(bytes.subarray(i, i + 1));
      expect(decoder.insertCount).toBe(i === bytes.length - 1 ? 1 : 0);
    }
    expect(decoder.entry(0)).toEqual({ name: ":authority", value });
  });
});

describe("fuzzing the decoder", () => {
  test("arbitrary encoder-stream bytes, whole or in fragments: only typed QPACK errors", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 1, max: 16 }), (bytes, step) => {
        const decoder = new QpackDecoder({ maxTableCapacity: 512, maxBlockedStreams: 4 });
        try {
          for (let i = 0; i < bytes.length; i += step) decoder.receiveEncoderStream(bytes.subarray(i, i + step));
          expect(decoder.tableSize).toBeLessThanOrEqual(512);
        } catch (error) {
          expect(error).toBeInstanceOf(QpackEncoderStreamError);
        }
      }),
      { numRuns: 5000 },
    );
  });

  test("arbitrary field sections against a populated table: decoded, blocked, or a typed QPACK error", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 6 }), (sections) => {
        const decoder = withEntries({ maxFieldSectionSize: 2048 });
        sections.forEach((bytes, i) => {
          try {
            decoder.decodeFieldSection(4 * i, bytes);
          } catch (error) {
            expect(error).toBeInstanceOf(QpackError);
          }
        });
      }),
      { numRuns: 5000 },
    );
  });

  test("sections built from valid prefixes and random lines: decoded, blocked, or a typed QPACK error", () => {
    const prefix = fc.constantFrom("0000", "0200", "0300", "0400", "0381", "0480", "0500");
    fc.assert(
      fc.property(prefix, fc.uint8Array({ maxLength: 60 }), (p, lines) => {
        const decoder = withEntries({ maxFieldSectionSize: 1024 });
        try {
          decoder.decodeFieldSection(0, new Uint8Array([...hex(p), ...lines]));
          decoder.receiveEncoderStream(hex(B4_B5));
        } catch (error) {
          expect(error).toBeInstanceOf(QpackError);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
