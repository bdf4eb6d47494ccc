/**
 * Encoder-stream instructions (RFC 9204 §4.3): what the mutation run of
 * `encoder-instructions.ts` found untested: each instruction's prefix size at
 * its boundary, the offset an incomplete instruction must wait for, the
 * budget a literal name and its value share, and the refusals' reasons.
 */
import { describe, expect, test } from "vitest";
import { ByteWriter } from "../../../src/h3/qpack/byte-writer.js";
import {
  EncoderInstruction,
  parseEncoderInstruction,
  writeDuplicate,
  writeInsertWithLiteralName,
  writeInsertWithNameReference,
  writeSetCapacity,
} from "../../../src/h3/qpack/encoder-instructions.js";
import { INCOMPLETE } from "../../../src/h3/qpack/integer.js";
import { fail, hex, toHex } from "./support.js";

function parseAll(bytes: Uint8Array, maxString = 4096): Array<Record<string, unknown>> {
  const out = new EncoderInstruction();
  const items: Array<Record<string, unknown>> = [];
  let at = 0;
  while (at < bytes.length) {
    const next = parseEncoderInstruction(bytes, at, bytes.length, maxString, out, fail);
    if (next < 0) throw new Error(`incomplete at ${at}`);
    items.push({ kind: out.kind, value: out.value, name: out.name, fieldValue: out.fieldValue, length: next - at });
    at = next;
  }
  return items;
}

describe("encoder instructions at their prefix boundaries", () => {
  test("Set Dynamic Table Capacity and Duplicate have 5-bit prefixes: 30 fits, 31 continues", () => {
    const out = new ByteWriter();
    writeSetCapacity(out, 30);
    writeSetCapacity(out, 31);
    writeDuplicate(out, 30);
    writeDuplicate(out, 31);
    expect(toHex(out.view())).toBe("3e" + "3f00" + "1e" + "1f00");
    expect(parseAll(out.view()).map(({ kind, value, length }) => ({ kind, value, length }))).toEqual([
      { kind: "set-capacity", value: 30, length: 1 },
      { kind: "set-capacity", value: 31, length: 2 },
      { kind: "duplicate", value: 30, length: 1 },
      { kind: "duplicate", value: 31, length: 2 },
    ]);
  });

  test("Insert with Name Reference has a 6-bit index after '1T': 62 fits, 63 continues", () => {
    const out = new ByteWriter();
    writeInsertWithNameReference(out, true, 62, "a", false);
    writeInsertWithNameReference(out, false, 63, "b", false);
    writeInsertWithNameReference(out, true, 0, "www.example.com");
    expect(toHex(out.view())).toBe("fe0161" + "bf000162" + "c08cf1e3c2e5f23a6ba0ab90f4ff");
    expect(parseAll(out.view()).map(({ kind, value, fieldValue }) => ({ kind, value, fieldValue }))).toEqual([
      { kind: "insert-static-name", value: 62, fieldValue: "a" },
      { kind: "insert-dynamic-name", value: 63, fieldValue: "b" },
      { kind: "insert-static-name", value: 0, fieldValue: "www.example.com" },
    ]);
  });

  test("Insert with Literal Name: a 6-bit prefix name after '01', raw or Huffman, then the value", () => {
    const out = new ByteWriter();
    writeInsertWithLiteralName(out, "ab", "c", false);
    writeInsertWithLiteralName(out, "custom-key", "custom-value");
    expect(toHex(out.view())).toBe("4261620163" + "6825a849e95ba97d7f" + "8925a849e95bb8e8b4bf");
    expect(parseAll(out.view()).map(({ kind, name, fieldValue }) => ({ kind, name, fieldValue }))).toEqual([
      { kind: "insert-literal-name", name: "ab", fieldValue: "c" },
      { kind: "insert-literal-name", name: "custom-key", fieldValue: "custom-value" },
    ]);
  });
});

describe("incomplete instructions say where to wait", () => {
  test("a fresh instruction reads as Set Dynamic Table Capacity 0 with empty strings", () => {
    expect({ ...new EncoderInstruction() }).toEqual({ kind: "set-capacity", value: 0, name: "", fieldValue: "", needed: 0 });
  });

  test("an incomplete instruction leaves its own value and field value in place, whatever another instruction read", () => {
    const out = new EncoderInstruction();
    const other = new EncoderInstruction();
    let b = hex("c1 01 61");
    expect(parseEncoderInstruction(b, 0, b.length, 4096, out, fail)).toBe(3);
    b = hex("c2 01 62");
    expect(parseEncoderInstruction(b, 0, b.length, 4096, other, fail)).toBe(3);
    // A capacity cut short: the value stays the one this instruction last read.
    b = hex("3f");
    expect(parseEncoderInstruction(b, 0, b.length, 4096, out, fail)).toBe(INCOMPLETE);
    expect(out.value).toBe(1);
    // A value string cut short: the field value stays the one this instruction last read.
    b = hex("c3 02 63");
    expect(parseEncoderInstruction(b, 0, b.length, 4096, out, fail)).toBe(INCOMPLETE);
    expect(out.fieldValue).toBe("a");
  });

  test("an integer cut short waits for one more byte than has arrived", () => {
    const out = new EncoderInstruction();
    for (const bytes of ["3f", "3f80", "ff", "1f"]) {
      const b = hex(bytes);
      expect(parseEncoderInstruction(b, 0, b.length, 4096, out, fail)).toBe(INCOMPLETE);
      expect(out.needed).toBe(b.length + 1);
    }
  });

  test("a string whose length has arrived waits for its end; one whose length has not, for one more byte", () => {
    const out = new EncoderInstruction();
    // Insert with Literal Name, name length 5, 2 of its bytes here.
    let b = hex("45 6162");
    expect(parseEncoderInstruction(b, 0, b.length, 4096, out, fail)).toBe(INCOMPLETE);
    expect(out.needed).toBe(6);
    // Name complete, value length 3, nothing of it yet.
    b = hex("41 61 03");
    expect(parseEncoderInstruction(b, 0, b.length, 4096, out, fail)).toBe(INCOMPLETE);
    expect(out.needed).toBe(6);
    // Name complete, value length not yet complete (0x7f continues).
    b = hex("41 61 7f");
    expect(parseEncoderInstruction(b, 0, b.length, 4096, out, fail)).toBe(INCOMPLETE);
    expect(out.needed).toBe(4);
    // Static name reference, no value byte yet.
    b = hex("c1");
    expect(parseEncoderInstruction(b, 0, b.length, 4096, out, fail)).toBe(INCOMPLETE);
    expect(out.needed).toBe(2);
    // Parsing from an offset: `needed` is absolute.
    b = hex("00 c1 03 61");
    expect(parseEncoderInstruction(b, 1, b.length, 4096, out, fail)).toBe(INCOMPLETE);
    expect(out.needed).toBe(6);
  });
});

describe("limits", () => {
  test("a literal name and its value share the string budget: name 3 + value 2 fits in 5, not in 4", () => {
    const b = hex("43 616263 02 6465");
    expect(parseAll(b, 5)[0]).toMatchObject({ name: "abc", fieldValue: "de" });
    expect(() => parseAll(b, 4)).toThrow(/string of 2 bytes exceeds the limit of 1/);
  });

  test("an integer of 2^62 or more is refused, saying so", () => {
    expect(() => parseAll(hex("3f ffffffffffffffffff 01"))).toThrow("integer exceeds 2^62 - 1");
    expect(() => parseAll(hex("ff ffffffffffffffffff 01"))).toThrow("integer exceeds 2^62 - 1");
  });
});
