/**
 * Decoder-stream instructions (RFC 9204 §4.4): what the mutation run of
 * `decoder-instructions.ts` found untested: each instruction's prefix size at
 * its boundary, where a prefix of the wrong size would misread the value, and
 * the refusal's reason.
 */
import { describe, expect, test } from "vitest";
import { ByteWriter } from "../../../src/h3/qpack/byte-writer.js";
import {
  DecoderInstruction,
  parseDecoderInstruction,
  writeInsertCountIncrement,
  writeSectionAcknowledgment,
  writeStreamCancellation,
} from "../../../src/h3/qpack/decoder-instructions.js";
import { INCOMPLETE } from "../../../src/h3/qpack/integer.js";
import { fail, hex, toHex } from "./support.js";

function parse(bytes: Uint8Array): { next: number; kind: string; value: number } {
  const out = new DecoderInstruction();
  const next = parseDecoderInstruction(bytes, 0, bytes.length, out, fail);
  return { next, kind: out.kind, value: out.value };
}

describe("decoder instructions at their prefix boundaries", () => {
  test("Section Acknowledgment has a 7-bit prefix: 126 fits, 127 continues", () => {
    const out = new ByteWriter();
    writeSectionAcknowledgment(out, 126);
    writeSectionAcknowledgment(out, 127);
    expect(toHex(out.view())).toBe("fe" + "ff00");
    expect(parse(hex("fe"))).toEqual({ next: 1, kind: "section-ack", value: 126 });
    expect(parse(hex("ff00"))).toEqual({ next: 2, kind: "section-ack", value: 127 });
  });

  test("Stream Cancellation has a 6-bit prefix after '01': 62 fits, 63 continues", () => {
    const out = new ByteWriter();
    writeStreamCancellation(out, 62);
    writeStreamCancellation(out, 63);
    expect(toHex(out.view())).toBe("7e" + "7f00");
    expect(parse(hex("7e"))).toEqual({ next: 1, kind: "stream-cancel", value: 62 });
    expect(parse(hex("7f00"))).toEqual({ next: 2, kind: "stream-cancel", value: 63 });
  });

  test("Insert Count Increment has a 6-bit prefix after '00': 62 fits, 63 continues", () => {
    const out = new ByteWriter();
    writeInsertCountIncrement(out, 62);
    writeInsertCountIncrement(out, 63);
    expect(toHex(out.view())).toBe("3e" + "3f00");
    expect(parse(hex("3e"))).toEqual({ next: 1, kind: "insert-count-increment", value: 62 });
    expect(parse(hex("3f00"))).toEqual({ next: 2, kind: "insert-count-increment", value: 63 });
  });

  test("a fresh instruction reads as a Section Acknowledgment of stream 0", () => {
    expect({ ...new DecoderInstruction() }).toEqual({ kind: "section-ack", value: 0 });
  });

  test("an incomplete instruction leaves its own value in place, whatever another instruction read", () => {
    const out = new DecoderInstruction();
    expect(parseDecoderInstruction(hex("05"), 0, 1, out, fail)).toBe(1);
    expect(parseDecoderInstruction(hex("07"), 0, 1, new DecoderInstruction(), fail)).toBe(1);
    expect(parseDecoderInstruction(hex("3f"), 0, 1, out, fail)).toBe(INCOMPLETE);
    expect(out.value).toBe(5);
  });

  test("an integer of 2^62 or more is refused, saying so", () => {
    expect(() => parse(hex("ff ffffffffffffffffff 01"))).toThrow("integer exceeds 2^62 - 1");
  });
});
