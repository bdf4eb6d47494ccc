/**
 * RFC 9204 Appendix B, byte for byte: the decoder consumes the encoder's
 * bytes and answers with exactly the decoder-stream bytes of the examples,
 * and the instruction and representation writers produce the encoder's bytes.
 */
import { describe, expect, test } from "vitest";
import { ByteWriter } from "../../../src/h3/qpack/byte-writer.js";
import { QpackDecoder } from "../../../src/h3/qpack/decoder.js";
import {
  writeDuplicate,
  writeInsertWithLiteralName,
  writeInsertWithNameReference,
  writeSetCapacity,
} from "../../../src/h3/qpack/encoder-instructions.js";
import {
  writeIndexedDynamic,
  writeIndexedPostBase,
  writeIndexedStatic,
  writeLiteralStaticName,
} from "../../../src/h3/qpack/field-lines.js";
import { writeFieldSectionPrefix } from "../../../src/h3/qpack/field-section-prefix.js";
import { hex, toHex } from "./support.js";

// The examples' decoder: 220 bytes of table, so MaxEntries = 6.
const B1_SECTION = "0000510b2f696e6465782e68746d6c";
const B2_ENCODER = "3fbd01c00f7777772e6578616d706c652e636f6dc10c2f73616d706c652f70617468";
const B2_SECTION = "03811011";
const B3_ENCODER = "4a637573746f6d2d6b65790c637573746f6d2d76616c7565";
const B4_ENCODER = "02";
const B4_SECTION = "050080c181";
const B5_ENCODER = "810d637573746f6d2d76616c756532";

function build(write: (out: ByteWriter) => void): string {
  const out = new ByteWriter();
  write(out);
  return toHex(out.take());
}

describe("RFC 9204 Appendix B", () => {
  test("the decoder follows B.1-B.5 and emits exactly the examples' decoder stream", () => {
    const decoder = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 1 });

    // B.1: a literal with a static name reference, no dynamic state.
    expect(decoder.decodeFieldSection(0, hex(B1_SECTION))).toEqual({
      status: "decoded",
      fields: [{ name: ":path", value: "/index.html" }],
    });
    expect(toHex(decoder.takeDecoderStreamBytes())).toBe("");

    // B.2: capacity 220 and two inserts, then a section referencing them post-Base; acknowledged with 84.
    expect(decoder.receiveEncoderStream(hex(B2_ENCODER))).toEqual([]);
    expect(decoder.tableSize).toBe(106);
    expect(decoder.decodeFieldSection(4, hex(B2_SECTION))).toEqual({
      status: "decoded",
      fields: [
        { name: ":authority", value: "www.example.com" },
        { name: ":path", value: "/sample/path" },
      ],
    });
    expect(toHex(decoder.takeDecoderStreamBytes())).toBe("84");

    // B.3: a speculative insert with a literal name; acknowledged with Insert Count Increment 1.
    decoder.receiveEncoderStream(hex(B3_ENCODER));
    expect(decoder.tableSize).toBe(160);
    expect(toHex(decoder.takeDecoderStreamBytes())).toBe("01");

    // B.4: the section on stream 8 arrives before the Duplicate it needs, blocks, and the stream is cancelled: 48.
    expect(decoder.decodeFieldSection(8, hex(B4_SECTION))).toEqual({ status: "blocked" });
    expect(decoder.blockedStreamCount).toBe(1);
    decoder.cancelStream(8);
    expect(decoder.blockedStreamCount).toBe(0);
    expect(toHex(decoder.takeDecoderStreamBytes())).toBe("48");
    decoder.receiveEncoderStream(hex(B4_ENCODER));
    expect(decoder.tableSize).toBe(217);
    expect(decoder.entry(3)).toEqual({ name: ":authority", value: "www.example.com" });

    // B.5: an insert naming dynamic entry 2 evicts entry 0.
    expect(decoder.receiveEncoderStream(hex(B5_ENCODER))).toEqual([]);
    expect(decoder.tableSize).toBe(215);
    expect(decoder.entry(0)).toBeUndefined();
    expect(decoder.entry(4)).toEqual({ name: "custom-key", value: "custom-value2" });
    // The Duplicate and this insert are not acknowledged yet (the examples end here): 2 more inserts owed.
    expect(toHex(decoder.takeDecoderStreamBytes())).toBe("02");
  });

  test("B.4's section decodes when the Duplicate arrives first", () => {
    const decoder = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 1 });
    decoder.receiveEncoderStream(hex(B2_ENCODER + B3_ENCODER + B4_ENCODER));
    expect(decoder.decodeFieldSection(8, hex(B4_SECTION))).toEqual({
      status: "decoded",
      fields: [
        { name: ":authority", value: "www.example.com" },
        { name: ":path", value: "/" },
        { name: "custom-key", value: "custom-value" },
      ],
    });
    expect(toHex(decoder.takeDecoderStreamBytes())).toBe("88"); // Section Acknowledgment (stream 8) covers all 4 inserts
  });

  test("B.4's blocked section is unblocked by the Duplicate, acknowledged, and the ack covers the inserts", () => {
    const decoder = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 1 });
    decoder.receiveEncoderStream(hex(B2_ENCODER + B3_ENCODER));
    expect(decoder.decodeFieldSection(8, hex(B4_SECTION)).status).toBe("blocked");
    const unblocked = decoder.receiveEncoderStream(hex(B4_ENCODER));
    expect(unblocked).toEqual([
      {
        streamId: 8,
        fields: [
          { name: ":authority", value: "www.example.com" },
          { name: ":path", value: "/" },
          { name: "custom-key", value: "custom-value" },
        ],
      },
    ]);
    expect(toHex(decoder.takeDecoderStreamBytes())).toBe("88");
  });

  test("the writers produce the examples' encoder bytes", () => {
    expect(build((o) => writeFieldSectionPrefix(o, 0, 0, 6))).toBe("0000");
    expect(build((o) => writeLiteralStaticName(o, 1, "/index.html", false, false))).toBe(B1_SECTION.slice(4));
    expect(
      build((o) => {
        writeSetCapacity(o, 220);
        writeInsertWithNameReference(o, true, 0, "www.example.com", false);
        writeInsertWithNameReference(o, true, 1, "/sample/path", false);
      }),
    ).toBe(B2_ENCODER);
    expect(
      build((o) => {
        writeFieldSectionPrefix(o, 2, 0, 6);
        writeIndexedPostBase(o, 0);
        writeIndexedPostBase(o, 1);
      }),
    ).toBe(B2_SECTION);
    expect(build((o) => writeInsertWithLiteralName(o, "custom-key", "custom-value", false))).toBe(B3_ENCODER);
    expect(build((o) => writeDuplicate(o, 2))).toBe(B4_ENCODER);
    expect(
      build((o) => {
        writeFieldSectionPrefix(o, 4, 4, 6);
        writeIndexedDynamic(o, 0);
        writeIndexedStatic(o, 1);
        writeIndexedDynamic(o, 1);
      }),
    ).toBe(B4_SECTION);
    expect(build((o) => writeInsertWithNameReference(o, false, 1, "custom-value2", false))).toBe(B5_ENCODER);
  });

  test("the examples' encoder stream in 1-byte fragments leaves the same table", () => {
    const all = hex(B2_ENCODER + B3_ENCODER + B4_ENCODER + B5_ENCODER);
    const decoder = new QpackDecoder({ maxTableCapacity: 220 });
    for (let i = 0; i < all.length; i++) decoder.receiveEncoderStream(all.subarray(i, i + 1));
    expect(decoder.insertCount).toBe(5);
    expect(decoder.tableSize).toBe(215);
    expect([1, 2, 3, 4].map((i) => decoder.entry(i))).toEqual([
      { name: ":path", value: "/sample/path" },
      { name: "custom-key", value: "custom-value" },
      { name: ":authority", value: "www.example.com" },
      { name: "custom-key", value: "custom-value2" },
    ]);
  });
});
