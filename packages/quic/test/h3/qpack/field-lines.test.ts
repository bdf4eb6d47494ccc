/**
 * Each field line representation (RFC 9204 §4.5.2-4.5.6) written and read
 * back against a table, with and without the never-indexed bit.
 */
import { describe, expect, test } from "vitest";
import { ByteWriter } from "../../../src/h3/qpack/byte-writer.js";
import { DynamicTable } from "../../../src/h3/qpack/dynamic-table.js";
import {
  decodeFieldLines,
  writeIndexedDynamic,
  writeIndexedPostBase,
  writeIndexedStatic,
  writeLiteralDynamicName,
  writeLiteralName,
  writeLiteralPostBaseName,
  writeLiteralStaticName,
} from "../../../src/h3/qpack/field-lines.js";
import { fail, toHex } from "./support.js";

// Entries 0-3 named n0..n3 with values v0..v3; the sections use Required Insert Count 4, Base 2.
function table(): DynamicTable {
  const t = new DynamicTable();
  t.setCapacity(1000);
  for (let i = 0; i < 4; i++) t.insert(`n${i}`, `v${i}`);
  return t;
}

const tooLarge = (): never => {
  throw new Error("too large");
};

function decode(write: (out: ByteWriter) => void, maxSize = 10_000, requiredInsertCount = 4) {
  const out = new ByteWriter();
  write(out);
  return decodeFieldLines(out.view(), 0, out.length, table(), requiredInsertCount, 2, maxSize, fail, tooLarge);
}

describe("field line representations", () => {
  test("all seven forms, never-indexed where the form has the bit", () => {
    for (const n of [false, true]) {
      const fields = decode((o) => {
        writeIndexedStatic(o, 17);
        writeIndexedDynamic(o, 0); // absolute 1
        writeIndexedPostBase(o, 1); // absolute 3
        writeLiteralStaticName(o, 1, "/x", n);
        writeLiteralDynamicName(o, 1, "a", n); // absolute 0's name
        writeLiteralPostBaseName(o, 1, "b", n); // absolute 3's name
        writeLiteralName(o, "custom", "c", n);
      });
      const s = n ? { sensitive: true } : {};
      expect(fields).toEqual([
        { name: ":method", value: "GET" },
        { name: "n1", value: "v1" },
        { name: "n3", value: "v3" },
        { name: ":path", value: "/x", ...s },
        { name: "n0", value: "a", ...s },
        { name: "n3", value: "b", ...s },
        { name: "custom", value: "c", ...s },
      ]);
    }
  });

  test("the leading bits of each form", () => {
    const hexOf = (write: (out: ByteWriter) => void) => {
      const out = new ByteWriter();
      write(out);
      return toHex(out.take());
    };
    expect(hexOf((o) => writeLiteralStaticName(o, 1, "", true, false))).toBe("7100");
    expect(hexOf((o) => writeLiteralDynamicName(o, 1, "", true, false))).toBe("6100");
    expect(hexOf((o) => writeLiteralPostBaseName(o, 1, "", true, false))).toBe("0900");
    expect(hexOf((o) => writeLiteralName(o, "a", "", true, false))).toBe("316100");
    expect(hexOf((o) => writeLiteralName(o, "a", "", false, false))).toBe("216100");
  });

  test("the size limit counts a literal's name, value and 32 bytes, exactly", () => {
    // "custom" + "c" + 32 = 39 bytes.
    const write = (o: ByteWriter) => writeLiteralName(o, "custom", "c", false, false);
    expect(decode(write, 39, 0)).toEqual([{ name: "custom", value: "c" }]);
    expect(() => decode(write, 38, 0)).toThrow("too large");
    const staticName = (o: ByteWriter) => writeLiteralStaticName(o, 1, "/x", false, false); // ":path" + "/x" + 32 = 39
    expect(decode(staticName, 39, 0)).toEqual([{ name: ":path", value: "/x" }]);
    expect(() => decode(staticName, 38, 0)).toThrow("too large");
    expect(() => decode(staticName, 31, 0)).toThrow("too large");
  });
});
