import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ByteWriter } from "../../../src/h3/qpack/byte-writer.js";
import {
  decodeRequiredInsertCount,
  encodeRequiredInsertCount,
  FieldSectionPrefix,
  readFieldSectionPrefix,
  writeFieldSectionPrefix,
} from "../../../src/h3/qpack/field-section-prefix.js";
import { fail, toHex, WireFailure } from "./support.js";

describe("field section prefix (RFC 9204 §4.5.1)", () => {
  test("§4.5.1.1's example: a 100-byte table, 10 inserts, encoded 4 is Required Insert Count 9", () => {
    const maxEntries = Math.floor(100 / 32);
    expect(encodeRequiredInsertCount(9, maxEntries)).toBe(4);
    expect(decodeRequiredInsertCount(4, maxEntries, 10, fail)).toBe(9);
  });

  test("§4.5.1.2's example: Required Insert Count 9, sign 1, Delta Base 2 is Base 6", () => {
    const out = new ByteWriter();
    writeFieldSectionPrefix(out, 9, 6, 10);
    const prefix = new FieldSectionPrefix();
    readFieldSectionPrefix(out.view(), 0, out.length, 10, 9, prefix, fail);
    expect(toHex(out.view())).toBe("0a82");
    expect(prefix).toMatchObject({ requiredInsertCount: 9, base: 6 });
  });

  test("any Required Insert Count the decoder could be asked for survives the modular encoding", () => {
    // The decoder has `inserts` entries; a valid section needs at most inserts + maxEntries (its table holds maxEntries),
    // and at least inserts - maxEntries + 1 (older entries are evicted, unless still referenced... which bounds it the same way).
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.nat(100_000), fc.nat(), (maxEntries, inserts, pick) => {
        const low = Math.max(1, inserts - maxEntries + 1);
        const required = low + (pick % (inserts + maxEntries - low + 1));
        const encoded = encodeRequiredInsertCount(required, maxEntries);
        expect(decodeRequiredInsertCount(encoded, maxEntries, inserts, fail)).toBe(required);
      }),
      { numRuns: 5000 },
    );
  });

  test("Base above, at and below the Required Insert Count round-trips", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 0, max: 200 }), (required, base) => {
        const out = new ByteWriter();
        writeFieldSectionPrefix(out, required, base, 128);
        const prefix = new FieldSectionPrefix();
        expect(readFieldSectionPrefix(out.view(), 0, out.length, 128, required, prefix, fail)).toBe(out.length);
        expect(prefix).toMatchObject({ requiredInsertCount: required, base });
      }),
    );
  });

  test("values no conformant encoder produces are refused", () => {
    expect(() => decodeRequiredInsertCount(1, 0, 0, fail)).toThrow(WireFailure); // no dynamic table at all
    expect(() => decodeRequiredInsertCount(7, 3, 0, fail)).toThrow(/exceeds 6/);
    expect(() => decodeRequiredInsertCount(5, 3, 0, fail)).toThrow(/beyond/); // 4 > 0 + 3 inserts possible
    expect(decodeRequiredInsertCount(4, 3, 0, fail)).toBe(3);
    // Encoded 1 stands for a multiple of 2 * MaxEntries: 6 once 6 inserts are possible, 0 (refused: it encodes as 0) before.
    expect(decodeRequiredInsertCount(1, 3, 6, fail)).toBe(6);
    expect(() => decodeRequiredInsertCount(1, 3, 0, fail)).toThrow(/Required Insert Count 0/);
  });
});
