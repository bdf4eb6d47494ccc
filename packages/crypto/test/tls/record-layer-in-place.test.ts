/**
 * Records are read in place from the transport's chunk; only a record split
 * across chunks is copied, and only its own bytes (the record layer's
 * module comment). The copies are observable: bytes changed in a chunk after
 * `push()` still reach `next()` when they were read in place, and do not
 * when they were copied. These tests pin which bytes are which, since every
 * extra copy is a cost on the receive path.
 */
import { describe, expect, test } from "vitest";
import { TlsBadRecordMacError } from "../../src/tls/index.js";
import { ContentType, MAX_PLAINTEXT } from "../../src/tls/wire/constants.js";
import { drainRecords, innerPlaintext, protectedRecord, reader, thrown } from "./record-fixtures.js";

const data = (i: number, n = 20): Uint8Array => new Uint8Array(n).fill(i + 1);
const appRecord = (i: number, n = 20): Uint8Array => protectedRecord(innerPlaintext(data(i, n), ContentType.ApplicationData), i);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Flips the last byte (inside the tag) of `record` where it sits in `chunk`, at `at`. */
function tamper(chunk: Uint8Array, at: number, record: Uint8Array): void {
  const i = at + record.length - 1;
  chunk[i] = (chunk[i] as number) ^ 1;
}

describe("which bytes are read in place", () => {
  test("whole records in a chunk are read in place", () => {
    const a = appRecord(0);
    const b = appRecord(1);
    const chunk = concat([a, b]);
    const r = reader();
    r.push(chunk);
    tamper(chunk, a.length, b);
    expect(r.next()?.data).toEqual(data(0));
    expect(thrown(() => r.next())).toBeInstanceOf(TlsBadRecordMacError);
  });

  test("a split record is copied as its bytes arrive; the records behind it in the completing chunk are read in place", () => {
    for (const split of [3, 5, 20]) {
      const a = appRecord(0);
      const b = appRecord(1);
      const r = reader();
      r.push(a.slice(0, split));
      const second = concat([a.subarray(split), b]);
      r.push(second);
      tamper(second, 0, a.subarray(split)); // a's tail was copied: no effect
      tamper(second, a.length - split, b); // b is read from `second`
      expect(r.next()?.data).toEqual(data(0));
      expect(thrown(() => r.next())).toBeInstanceOf(TlsBadRecordMacError);
    }
  });

  test("a large record split in two is completed from the next chunk without copying the records after it", () => {
    const a = appRecord(0, MAX_PLAINTEXT);
    const rest = [appRecord(1), appRecord(2, 1000)];
    const r = reader();
    r.push(a.slice(0, 1000));
    const second = concat([a.subarray(1000), ...rest]);
    r.push(second);
    const last = rest[1] as Uint8Array;
    tamper(second, second.length - last.length, last);
    expect(r.next()?.data).toEqual(data(0, MAX_PLAINTEXT));
    expect(r.next()?.data).toEqual(data(1));
    expect(thrown(() => r.next())).toBeInstanceOf(TlsBadRecordMacError);
  });

  test("the partial record at the end of a chunk is copied once next() has returned undefined", () => {
    const a = appRecord(0);
    const b = appRecord(1);
    const chunk = concat([a, b.subarray(0, 10)]);
    const r = reader();
    r.push(chunk);
    expect(r.next()?.data).toEqual(data(0));
    expect(r.next()).toBeUndefined();
    chunk.fill(0);
    r.push(b.slice(10));
    expect(r.next()?.data).toEqual(data(1));
  });
});

describe("records behind a split record", () => {
  // Changing the chunk between next() calls breaks the push() contract on purpose: it shows which
  // records are still read from the chunk (they fail) and which were copied (they open).
  test("are read from the completing chunk in place when that chunk is pushed after a record was read", () => {
    const [a, b, c, d] = [0, 1, 2, 3].map((i) => appRecord(i)) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const r = reader();
    r.push(concat([a, b.subarray(0, 10)]));
    expect(r.next()?.data).toEqual(data(0));
    const second = concat([b.subarray(10), c, d]);
    r.push(second);
    expect(r.next()?.data).toEqual(data(1));
    expect(r.next()?.data).toEqual(data(2));
    tamper(second, second.length - d.length, d);
    expect(thrown(() => r.next())).toBeInstanceOf(TlsBadRecordMacError);
  });
});

describe("chunks pushed before the previous one was read", () => {
  test("are kept in order however large they are", () => {
    const big = [0, 1, 2, 3, 4].map((i) => appRecord(i, MAX_PLAINTEXT));
    const r = reader();
    r.push((big[0] as Uint8Array).slice(0, 100));
    r.push(concat([(big[0] as Uint8Array).subarray(100), ...big.slice(1, 4)]));
    r.push(big[4] as Uint8Array);
    expect(r.bufferedBytes).toBe(big.reduce((n, b) => n + b.length, 0));
    expect(drainRecords(r).map((rec) => [rec.data.length, rec.data[0]])).toEqual([0, 1, 2, 3, 4].map((i) => [MAX_PLAINTEXT, i + 1]));
  });
});

describe("holding the transport's chunks (holdsTransportBytes)", () => {
  test("a new layer holds nothing, and pushing an empty chunk changes nothing", () => {
    const r = reader();
    expect(r.holdsTransportBytes).toBe(false);
    r.push(new Uint8Array(0));
    expect(r.holdsTransportBytes).toBe(false);
    expect(r.next()).toBeUndefined();
  });

  test("a chunk of whole records is held until next() has returned undefined", () => {
    const r = reader();
    r.push(concat([appRecord(0), appRecord(1)]));
    expect(r.holdsTransportBytes).toBe(true);
    r.next();
    r.next();
    expect(r.holdsTransportBytes).toBe(true);
    expect(r.next()).toBeUndefined();
    expect(r.holdsTransportBytes).toBe(false);
  });

  test("a partial record left at the end of a chunk is copied, so the chunk is released", () => {
    const b = appRecord(1);
    const r = reader();
    r.push(concat([appRecord(0), b.subarray(0, 3)]));
    r.next();
    expect(r.next()).toBeUndefined();
    expect(r.holdsTransportBytes).toBe(false);
    r.push(b.slice(3, 20));
    expect(r.holdsTransportBytes).toBe(false);
    r.push(b.slice(20));
    expect(r.holdsTransportBytes).toBe(false);
    expect(r.next()?.data).toEqual(data(1));
    expect(r.holdsTransportBytes).toBe(false);
  });

  test("a chunk completing a split record is held only for the records behind it", () => {
    const [a, b] = [appRecord(0), appRecord(1)];
    const r = reader();
    r.push(a.slice(0, 10));
    r.push(concat([a.subarray(10), b]));
    expect(r.holdsTransportBytes).toBe(true);
    expect(r.next()?.data).toEqual(data(0));
    expect(r.next()?.data).toEqual(data(1));
    expect(r.next()).toBeUndefined();
    expect(r.holdsTransportBytes).toBe(false);
  });

  test("records taken for a worker and put back are in owned memory; putting back nothing changes nothing", () => {
    const r = reader();
    r.push(concat([appRecord(0), appRecord(1)]));
    r.unshift(new Uint8Array(0));
    expect(r.holdsTransportBytes).toBe(true);
    const dest = new Uint8Array(500);
    const taken = r.takeProtected(dest, 0, 8, new Uint32Array(8), 0);
    expect(taken.records).toBe(2);
    expect(r.holdsTransportBytes).toBe(false);
    r.unshift(dest.slice(0, taken.end));
    expect(r.holdsTransportBytes).toBe(false);
    expect(drainRecords(r).map((rec) => rec.data)).toEqual([data(0), data(1)]);
  });
});
