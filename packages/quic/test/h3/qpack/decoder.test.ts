/**
 * QpackDecoder's bookkeeping: options, the order in which blocked sections
 * come back, and which decoder-stream instructions it owes.
 */
import { describe, expect, test } from "vitest";
import { QpackDecoder } from "../../../src/h3/qpack/decoder.js";
import { hex, toHex } from "./support.js";

// Capacity 220 (MaxEntries 6), then inserts one at a time: :authority=www.example.com, :path=/sample/path, custom-key=custom-value.
const CAPACITY = "3fbd01";
const INSERT_0 = "c00f7777772e6578616d706c652e636f6d";
const INSERT_1 = "c10c2f73616d706c652f70617468";
const INSERT_2 = "4a637573746f6d2d6b65790c637573746f6d2d76616c7565";
// Sections needing 1, 2 and 3 inserts (Required Insert Count n, Base n, relative index 0: the newest entry).
const NEEDS_1 = "020080";
const NEEDS_2 = "030080";
const NEEDS_3 = "040080";
const STATIC_ONLY = "0000d1";

function decoder(maxBlockedStreams = 8): QpackDecoder {
  const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams });
  d.receiveEncoderStream(hex(CAPACITY));
  return d;
}

describe("QpackDecoder", () => {
  test("options are checked, naming the option", () => {
    expect(() => new QpackDecoder({ maxTableCapacity: -1 })).toThrow(/maxTableCapacity/);
    expect(() => new QpackDecoder({ maxBlockedStreams: 1.5 })).toThrow(/maxBlockedStreams/);
    expect(() => new QpackDecoder({ maxFieldSectionSize: 2 ** 31 })).toThrow(/maxFieldSectionSize/);
    expect(() => new QpackDecoder({ maxTableCapacity: 2 ** 30, maxBlockedStreams: 0, maxFieldSectionSize: 0 })).not.toThrow();
  });

  test("blocked sections come back in arrival order, each as soon as its inserts are in", () => {
    const d = decoder();
    expect(d.decodeFieldSection(8, hex(NEEDS_3)).status).toBe("blocked");
    expect(d.decodeFieldSection(4, hex(NEEDS_1)).status).toBe("blocked");
    expect(d.decodeFieldSection(0, hex(NEEDS_2)).status).toBe("blocked");
    expect(d.receiveEncoderStream(hex(INSERT_0)).map((s) => s.streamId)).toEqual([4]);
    // One chunk carrying two inserts unblocks both remaining, in the order they arrived.
    expect(d.receiveEncoderStream(hex(INSERT_1 + INSERT_2)).map((s) => s.streamId)).toEqual([8, 0]);
    expect(d.blockedStreamCount).toBe(0);
  });

  test("a stream's sections stay in order: a later one waits behind a blocked earlier one, even if decodable", () => {
    const d = decoder();
    expect(d.decodeFieldSection(0, hex(NEEDS_1)).status).toBe("blocked");
    expect(d.decodeFieldSection(0, hex(STATIC_ONLY)).status).toBe("blocked");
    expect(d.decodeFieldSection(4, hex(STATIC_ONLY))).toEqual({ status: "decoded", fields: [{ name: ":method", value: "GET" }] });
    expect(d.blockedStreamCount).toBe(1);
    const done = d.receiveEncoderStream(hex(INSERT_0));
    expect(done).toEqual([
      { streamId: 0, fields: [{ name: ":authority", value: "www.example.com" }] },
      { streamId: 0, fields: [{ name: ":method", value: "GET" }] },
    ]);
  });

  test("a later section of a stream needing fewer inserts still waits for the earlier one", () => {
    const d = decoder();
    expect(d.decodeFieldSection(0, hex(NEEDS_2)).status).toBe("blocked");
    expect(d.decodeFieldSection(0, hex(NEEDS_1)).status).toBe("blocked");
    expect(d.receiveEncoderStream(hex(INSERT_0))).toEqual([]);
    expect(d.receiveEncoderStream(hex(INSERT_1)).map((s) => s.fields?.[0]?.value)).toEqual(["/sample/path", "www.example.com"]);
  });

  test("acknowledgments cover inserts; one Insert Count Increment covers the rest, coalesced", () => {
    const d = decoder();
    d.receiveEncoderStream(hex(INSERT_0));
    d.receiveEncoderStream(hex(INSERT_1));
    d.receiveEncoderStream(hex(INSERT_2));
    expect(d.decodeFieldSection(4, hex(NEEDS_2)).status).toBe("decoded");
    // Section Acknowledgment (stream 4) makes 2 known; the third insert is owed: Increment 1.
    expect(toHex(d.takeDecoderStreamBytes())).toBe("8401");
    expect(toHex(d.takeDecoderStreamBytes())).toBe("");
    // A section without dynamic references is never acknowledged.
    d.decodeFieldSection(8, hex(STATIC_ONLY));
    expect(toHex(d.takeDecoderStreamBytes())).toBe("");
  });

  test("Stream Cancellation is queued with a dynamic table, omitted without one (§2.2.2.2)", () => {
    const d = decoder();
    d.cancelStream(12);
    expect(toHex(d.takeDecoderStreamBytes())).toBe("4c");
    const none = new QpackDecoder({ maxTableCapacity: 0 });
    none.cancelStream(12);
    expect(toHex(none.takeDecoderStreamBytes())).toBe("");
  });

  test("a cancelled stream's blocked sections are dropped and never come back", () => {
    const d = decoder();
    d.decodeFieldSection(0, hex(NEEDS_1));
    d.decodeFieldSection(4, hex(NEEDS_1));
    d.cancelStream(0);
    expect(d.blockedStreamCount).toBe(1);
    expect(d.receiveEncoderStream(hex(INSERT_0)).map((s) => s.streamId)).toEqual([4]);
    expect(toHex(d.takeDecoderStreamBytes())).toBe("4084"); // cancellation of 0, then the acknowledgment of 4
  });

  test("a blocked section is copied: the caller may reuse its buffer", () => {
    const d = decoder();
    const buffer = hex(NEEDS_1);
    expect(d.decodeFieldSection(0, buffer).status).toBe("blocked");
    buffer.fill(0xff);
    expect(d.receiveEncoderStream(hex(INSERT_0))).toEqual([{ streamId: 0, fields: [{ name: ":authority", value: "www.example.com" }] }]);
  });

  test("a stream with two blocked sections stays blocked until both are decoded", () => {
    const d = decoder(1);
    d.decodeFieldSection(0, hex(NEEDS_1));
    d.decodeFieldSection(0, hex(NEEDS_2)); // the same stream: within a limit of 1
    d.receiveEncoderStream(hex(INSERT_0));
    expect(d.blockedStreamCount).toBe(1);
    expect(() => d.decodeFieldSection(4, hex(NEEDS_2))).toThrow(/more than 1 blocked streams/);
    d.receiveEncoderStream(hex(INSERT_1));
    expect(d.blockedStreamCount).toBe(0);
  });

  test("an entry of exactly the capacity fits", () => {
    const d = new QpackDecoder({ maxTableCapacity: 47 });
    d.receiveEncoderStream(hex("3f10")); // capacity 47
    d.receiveEncoderStream(hex("c0056161616161")); // :authority=aaaaa: 10 + 5 + 32 = 47
    expect(d.tableSize).toBe(47);
  });

  test("a bad unblocked section is a connection error thrown from the encoder stream", () => {
    const d = decoder();
    // Required Insert Count 1, Base 1, then a static index of 99.
    expect(d.decodeFieldSection(0, hex("020080ff24")).status).toBe("blocked");
    expect(() => d.receiveEncoderStream(hex(INSERT_0))).toThrow(/static index 99/);
  });
});
