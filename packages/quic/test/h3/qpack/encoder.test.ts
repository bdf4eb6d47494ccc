/**
 * The encoder's policy and its side of the decoder stream: what it inserts,
 * what it refuses to evict, when it duplicates, how acknowledgments and
 * cancellations release entries, and the decoder-stream errors of §4.4.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ByteWriter } from "../../../src/h3/qpack/byte-writer.js";
import { QpackDecoder } from "../../../src/h3/qpack/decoder.js";
import {
  writeInsertCountIncrement,
  writeSectionAcknowledgment,
  writeStreamCancellation,
} from "../../../src/h3/qpack/decoder-instructions.js";
import { QpackEncoder } from "../../../src/h3/qpack/encoder.js";
import { QpackDecoderStreamError, QpackH3ErrorCode } from "../../../src/h3/qpack/errors.js";
import type { Field } from "../../../src/h3/qpack/field.js";
import { hex, toHex } from "./support.js";

function decoderBytes(write: (out: ByteWriter) => void): Uint8Array {
  const out = new ByteWriter();
  write(out);
  return out.take();
}

const ack = (streamId: number) => decoderBytes((o) => writeSectionAcknowledgment(o, streamId));
const cancel = (streamId: number) => decoderBytes((o) => writeStreamCancellation(o, streamId));
const increment = (n: number) => decoderBytes((o) => writeInsertCountIncrement(o, n));

/** An encoder whose peer allows `capacity` bytes, with the capacity instruction already taken. */
function encoderFor(capacity: number, blockedStreams = 16): QpackEncoder {
  return pair(capacity, blockedStreams).encoder;
}

/** An encoder and the peer's decoder with these settings, the capacity instruction already applied. */
function pair(capacity: number, blockedStreams = 16): { encoder: QpackEncoder; decoder: QpackDecoder } {
  const encoder = new QpackEncoder({ maxTableCapacity: capacity, huffman: false });
  const decoder = new QpackDecoder({ maxTableCapacity: capacity, maxBlockedStreams: blockedStreams });
  encoder.applyPeerSettings({ maxTableCapacity: capacity, blockedStreams });
  decoder.receiveEncoderStream(encoder.takeEncoderStreamBytes());
  return { encoder, decoder };
}

// Each of these entries is 42 bytes (1 + 9 + 32).
const a: Field = { name: "a", value: "111111111" };
const b: Field = { name: "b", value: "222222222" };

describe("QpackEncoder policy", () => {
  test("announces min(our maximum, the peer's) as the capacity", () => {
    const encoder = new QpackEncoder({ maxTableCapacity: 220 });
    encoder.applyPeerSettings({ maxTableCapacity: 4096, blockedStreams: 0 });
    expect(toHex(encoder.takeEncoderStreamBytes())).toBe("3fbd01");
    expect(encoder.tableCapacity).toBe(220);
    const none = new QpackEncoder();
    none.applyPeerSettings({ maxTableCapacity: 0, blockedStreams: 10 });
    expect(none.takeEncoderStreamBytes().length).toBe(0);
  });

  test("before the peer's settings, and with a capacity of 0, only the static table and literals", () => {
    const encoder = new QpackEncoder({ huffman: false });
    // :method GET is static 17 (d1); a goes as a literal name (21 61) with its raw value.
    expect(toHex(encoder.encodeFieldSection(0, [{ name: ":method", value: "GET" }, a]))).toBe("0000d1216109313131313131313131");
    expect(encoder.insertCount).toBe(0);
    expect(encoder.takeEncoderStreamBytes().length).toBe(0);
    const zero = encoderFor(0);
    expect(toHex(zero.encodeFieldSection(0, [a, a]))).toBe(`0000${"216109313131313131313131".repeat(2)}`);
    expect(zero.insertCount).toBe(0);
  });

  test("an unacknowledged entry is never evicted, even unreferenced (§2.1.1)", () => {
    // No blocked streams: inserts are made but not referenced until acknowledged. Room for four 42-byte entries.
    const encoder = encoderFor(168, 0);
    for (const [i, name] of ["a", "b", "c", "d"].entries()) encoder.encodeFieldSection(4 * i, [{ name, value: "999999999" }]);
    expect(encoder.insertCount).toBe(4);
    expect(encoder.blockingStreamCount).toBe(0);
    encoder.encodeFieldSection(16, [{ name: "e", value: "555555555" }]);
    expect(encoder.insertCount).toBe(4); // evicting "a" would be needed, and it is not acknowledged
    encoder.receiveDecoderStream(increment(1));
    encoder.encodeFieldSection(20, [{ name: "e", value: "555555555" }]);
    expect(encoder.insertCount).toBe(5);
  });

  test("an entry referenced by an unacknowledged section is not evicted until the section is acknowledged", () => {
    const encoder = encoderFor(168);
    encoder.encodeFieldSection(0, [a]); // inserts a and references it
    encoder.receiveDecoderStream(increment(1)); // a acknowledged, still referenced by stream 0's section
    for (const [i, f] of ["b", "c", "d"].entries()) encoder.encodeFieldSection(4 + 4 * i, [{ name: f, value: "999999999" }]);
    encoder.receiveDecoderStream(increment(3));
    for (const s of [4, 8, 12]) encoder.receiveDecoderStream(ack(s));
    encoder.encodeFieldSection(16, [{ name: "e", value: "555555555" }]);
    expect(encoder.insertCount).toBe(4); // evicting a would be needed
    encoder.receiveDecoderStream(ack(0));
    encoder.encodeFieldSection(20, [{ name: "e", value: "555555555" }]);
    expect(encoder.insertCount).toBe(5);
  });

  test("a draining entry is not referenced: it is duplicated and the duplicate referenced", () => {
    const { encoder, decoder } = pair(168);
    const exchange = (streamId: number, fields: Field[]) => {
      const section = encoder.encodeFieldSection(streamId, fields);
      decoder.receiveEncoderStream(encoder.takeEncoderStreamBytes());
      const result = decoder.decodeFieldSection(streamId, section);
      encoder.receiveDecoderStream(decoder.takeDecoderStreamBytes());
      return { section, result };
    };
    exchange(0, [a]);
    exchange(4, [b]);
    exchange(8, [{ name: "c", value: "333333333" }]);
    // At 126 of 168 bytes a quarter is still free: a is referenced where it is.
    expect(toHex(exchange(12, [a]).section)).toBe("0202" + "82"); // Required Insert Count 1 (encoded 2), Base 3 (delta 2), relative 2
    exchange(16, [{ name: "d", value: "444444444" }]);
    // Full: a (absolute 0) is in the oldest quarter to be freed, so it is duplicated (evicting itself, acknowledged and released).
    const { section, result } = exchange(20, [a]);
    expect(encoder.insertCount).toBe(5);
    expect(decoder.entry(0)).toBeUndefined();
    expect(decoder.entry(4)).toEqual(a);
    // Required Insert Count 5 (encoded 5 mod 10 + 1), Base 4 (sign 1, delta 0), post-Base index 0.
    expect(toHex(section)).toBe("068010");
    expect(result).toEqual({ status: "decoded", fields: [a] });
  });

  test("in a table with room for one entry, that entry is referenced, not duplicated over and over", () => {
    const { encoder, decoder } = pair(64);
    const line: Field = { name: "x-custom", value: "abcdefghijklmnopqrst" }; // 60 bytes
    for (let i = 0; i < 4; i++) {
      const section = encoder.encodeFieldSection(4 * i, [line]);
      decoder.receiveEncoderStream(encoder.takeEncoderStreamBytes());
      expect(decoder.decodeFieldSection(4 * i, section)).toEqual({ status: "decoded", fields: [line] });
      encoder.receiveDecoderStream(decoder.takeDecoderStreamBytes());
      if (i > 0) expect(toHex(section)).toBe("020080"); // Required Insert Count 1, Base 1, relative 0
    }
    expect(encoder.insertCount).toBe(1);
  });

  test("blocking references only within SETTINGS_QPACK_BLOCKED_STREAMS; beyond, inserts still go out, lines go literal", () => {
    const { encoder, decoder } = pair(4096, 1);
    const s0 = encoder.encodeFieldSection(0, [a]);
    expect(encoder.blockingStreamCount).toBe(1);
    const s4 = encoder.encodeFieldSection(4, [b]);
    expect(encoder.blockingStreamCount).toBe(1);
    expect(encoder.insertCount).toBe(2);
    // Stream 0 may block further; stream 4 decodes without any insert.
    expect(decoder.decodeFieldSection(0, s0).status).toBe("blocked");
    expect(decoder.decodeFieldSection(4, s4)).toEqual({ status: "decoded", fields: [b] });
    // Once acknowledged, entries are referenced without blocking.
    const unblocked = decoder.receiveEncoderStream(encoder.takeEncoderStreamBytes());
    expect(unblocked).toEqual([{ streamId: 0, fields: [a] }]);
    encoder.receiveDecoderStream(decoder.takeDecoderStreamBytes());
    expect(encoder.knownReceivedCount).toBe(2);
    expect(encoder.blockingStreamCount).toBe(0);
    // Required Insert Count 2, Base 2: a is relative 1, b relative 0.
    expect(toHex(encoder.encodeFieldSection(8, [a, b]))).toBe("03008180");
    expect(encoder.blockingStreamCount).toBe(0);
  });

  test("the encoder stream's fragments and the decoder stream's fragments can be of any size", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), (step) => {
        const { encoder, decoder } = pair(4096);
        const sections = [0, 4, 8].map((s) => encoder.encodeFieldSection(s, [a, b, { name: "x", value: String(s) }]));
        const stream = encoder.takeEncoderStreamBytes();
        for (let i = 0; i < stream.length; i += step) decoder.receiveEncoderStream(stream.subarray(i, i + step));
        for (const [i, bytes] of sections.entries()) expect(decoder.decodeFieldSection(4 * i, bytes).status).toBe("decoded");
        const feedback = decoder.takeDecoderStreamBytes();
        for (let i = 0; i < feedback.length; i += step) encoder.receiveDecoderStream(feedback.subarray(i, i + step));
        expect(encoder.knownReceivedCount).toBe(encoder.insertCount);
        expect(encoder.blockingStreamCount).toBe(0);
      }),
    );
  });
});

describe("the decoder stream: QPACK_DECODER_STREAM_ERROR", () => {
  test("a Section Acknowledgment for a stream with no unacknowledged section", () => {
    const encoder = encoderFor(4096);
    expect(() => encoder.receiveDecoderStream(ack(0))).toThrow(QpackDecoderStreamError);
    const again = encoderFor(4096);
    again.encodeFieldSection(0, [a]);
    again.receiveDecoderStream(ack(0));
    try {
      again.receiveDecoderStream(ack(0)); // already acknowledged
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(QpackDecoderStreamError);
      expect((error as QpackDecoderStreamError).h3ErrorCode).toBe(QpackH3ErrorCode.QPACK_DECODER_STREAM_ERROR);
    }
  });

  test("a section without dynamic references is never acknowledged", () => {
    const encoder = encoderFor(4096);
    encoder.encodeFieldSection(0, [{ name: ":method", value: "GET" }]);
    expect(() => encoder.receiveDecoderStream(ack(0))).toThrow(/no unacknowledged section/);
  });

  test("an Insert Count Increment of 0, or past the inserts sent", () => {
    const encoder = encoderFor(4096);
    expect(() => encoder.receiveDecoderStream(increment(0))).toThrow(/Increment of 0/);
    const one = encoderFor(4096);
    one.encodeFieldSection(0, [a]);
    expect(() => one.receiveDecoderStream(increment(2))).toThrow(/beyond the 1 inserts sent/);
  });

  test("an integer of 2^62 or more", () => {
    const encoder = encoderFor(4096);
    expect(() => encoder.receiveDecoderStream(hex(`7f${"ff".repeat(8)}7f`))).toThrow(QpackDecoderStreamError);
  });

  test("a Stream Cancellation for an unknown stream is harmless", () => {
    const encoder = encoderFor(4096);
    encoder.receiveDecoderStream(cancel(400));
    expect(encoder.knownReceivedCount).toBe(0);
  });

  test("arbitrary decoder-stream bytes: accepted or a QpackDecoderStreamError, nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 7 }), (bytes, step) => {
        const encoder = encoderFor(4096, 4);
        for (let s = 0; s < 8; s++) encoder.encodeFieldSection(4 * s, [a, { name: "n", value: String(s) }]);
        try {
          for (let i = 0; i < bytes.length; i += step) encoder.receiveDecoderStream(bytes.subarray(i, i + step));
          expect(encoder.knownReceivedCount).toBeLessThanOrEqual(encoder.insertCount);
        } catch (error) {
          expect(error).toBeInstanceOf(QpackDecoderStreamError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
