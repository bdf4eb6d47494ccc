/**
 * The record layer's half of record-worker batches: `reserveWrite` hands out
 * write sequence numbers and keys for records sealed elsewhere,
 * `takeProtected` copies whole protected records out (aligned with their
 * source modulo 8) for opening elsewhere, `readKeys`/`acceptOpened` keep the
 * read sequence in step with what was opened, and `unshift` puts back what
 * was not. Records sealed or opened "elsewhere" are done here by hand, with
 * the keys the layer returned.
 */
import { describe, expect, test } from "vitest";
import { recordNonce } from "../../src/protocol/record-nonce.js";
import { TlsBadRecordMacError, TlsLimitError, TlsProtocolError } from "../../src/tls/index.js";
import { RecordLayer } from "../../src/tls/record/record-layer.js";
import type { RecordKeys } from "../../src/tls/record/record-worker.js";
import { AlertDescription, ContentType, MAX_CIPHERTEXT, MAX_PLAINTEXT } from "../../src/tls/wire/constants.js";
import {
  drainRecords,
  expectTlsError,
  innerPlaintext,
  otherSecret,
  plainRecord,
  protectedRecord,
  provider,
  reader,
  secret,
  suite,
  thrown,
  writer,
} from "./record-fixtures.js";

const data = (i: number, n = 20): Uint8Array => new Uint8Array(n).fill(i + 1);
const appRecord = (i: number, n = 20): Uint8Array => protectedRecord(innerPlaintext(data(i, n), ContentType.ApplicationData), i);

function concat(parts: readonly Uint8Array[], offset = 0): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const backing = new Uint8Array(offset + total);
  let at = offset;
  for (const p of parts) {
    backing.set(p, at);
    at += p.length;
  }
  return backing.subarray(offset);
}

/** Opens the `index`-th record of a batch as a record worker would. */
function openAs(keys: RecordKeys, record: Uint8Array, index: number): Uint8Array {
  const aead = provider.aead(keys.cipher, keys.key);
  return aead.open(recordNonce(keys.iv, keys.sequence + index), record.subarray(5), record.subarray(0, 5));
}

describe("reserving write sequence numbers", () => {
  test("the batch gets the next sequence numbers and the write key; records sealed here follow it", () => {
    const w = writer();
    w.seal(ContentType.ApplicationData, data(0));
    const keys = w.reserveWrite(3);
    expect(keys.sequence).toBe(1);
    expect(keys.cipher).toBe(suite.aead);
    expect(w.writeSequence).toBe(4);
    const aead = provider.aead(keys.cipher, keys.key);
    const r = reader();
    r.push(appRecord(0));
    for (let i = 0; i < 3; i++) {
      const inner = innerPlaintext(data(i + 1), ContentType.ApplicationData);
      const length = inner.length + 16;
      const header = Uint8Array.of(23, 3, 3, 0, length);
      r.push(concat([header, aead.seal(recordNonce(keys.iv, keys.sequence + i), inner, header)]));
    }
    r.push(w.seal(ContentType.ApplicationData, data(4)));
    expect(drainRecords(r).map((rec) => rec.data)).toEqual([0, 1, 2, 3, 4].map((i) => data(i)));
  });

  test("without a write key it is an internal_error", () => {
    expectTlsError(
      () => new RecordLayer(provider).reserveWrite(1),
      TlsProtocolError,
      AlertDescription.internal_error,
      /: no write key to reserve records under$/,
    );
  });

  test("a batch may use the key up to its limit, not one record past it", () => {
    const w = writer();
    expectTlsError(
      () => w.reserveWrite(suite.recordLimit + 1),
      TlsProtocolError,
      AlertDescription.internal_error,
      /KeyUpdate was not performed$/,
    );
    expect(w.writeSequence).toBe(0);
    w.reserveWrite(5);
    expectTlsError(() => w.reserveWrite(suite.recordLimit - 4), TlsProtocolError, AlertDescription.internal_error, /write key exhausted/);
    expect(w.reserveWrite(suite.recordLimit - 5).sequence).toBe(5);
    expect(w.writeRecordsLeft).toBe(0);
  });
});

describe("read keys and records opened elsewhere", () => {
  test("readKeys is undefined before a read key, then follows the records opened", () => {
    const r = new RecordLayer(provider);
    expect(r.readKeys()).toBeUndefined();
    r.setReadKey(suite, secret);
    const w = writer();
    const writeKeys = w.reserveWrite(0);
    expect(r.readKeys()).toEqual({ cipher: suite.aead, key: writeKeys.key, iv: writeKeys.iv, sequence: 0 });
    r.push(concat([appRecord(0), appRecord(1)]));
    drainRecords(r);
    expect(r.readKeys()?.sequence).toBe(2);
  });

  test("acceptOpened moves the read sequence past the records opened elsewhere", () => {
    const r = reader();
    r.acceptOpened(2);
    r.push(appRecord(2));
    expect(r.next()?.data).toEqual(data(2));
    expect(r.readKeys()?.sequence).toBe(3);
  });

  test("acceptOpened without a read key is an internal_error", () => {
    expectTlsError(() => new RecordLayer(provider).acceptOpened(1), TlsProtocolError, AlertDescription.internal_error, /: no read key$/);
  });

  test("records opened elsewhere end early-data skipping and the run of empty records", () => {
    const skipping = reader();
    skipping.skipEarlyData(10_000);
    skipping.acceptOpened(1);
    skipping.push(protectedRecord(innerPlaintext(data(0), ContentType.ApplicationData), 1, otherSecret));
    expect(thrown(() => skipping.next())).toBeInstanceOf(TlsBadRecordMacError);

    const empties = reader();
    const empty = innerPlaintext(new Uint8Array(0), ContentType.ApplicationData);
    for (let i = 0; i < 32; i++) empties.push(protectedRecord(empty, i));
    expect(drainRecords(empties).length).toBe(32);
    empties.acceptOpened(1);
    for (let i = 33; i < 33 + 32; i++) empties.push(protectedRecord(empty, i));
    expect(drainRecords(empties).length).toBe(32);
  });

  test("accepting zero records changes nothing: skipping and the empty-record count go on", () => {
    const skipping = reader();
    skipping.skipEarlyData(10_000);
    skipping.acceptOpened(0);
    skipping.push(protectedRecord(innerPlaintext(data(0), ContentType.ApplicationData), 0, otherSecret));
    skipping.push(appRecord(0));
    expect(skipping.next()?.data).toEqual(data(0));

    const empties = reader();
    const empty = innerPlaintext(new Uint8Array(0), ContentType.ApplicationData);
    for (let i = 0; i < 32; i++) empties.push(protectedRecord(empty, i));
    drainRecords(empties);
    empties.acceptOpened(0);
    empties.push(protectedRecord(empty, 32));
    expect(thrown(() => empties.next())).toBeInstanceOf(TlsLimitError);
  });
});

describe("taking protected records for a record worker", () => {
  const offsets = () => new Uint32Array(8);

  test("nothing is taken before a read key or while early data may still be skipped", () => {
    const plain = new RecordLayer(provider);
    plain.push(appRecord(0));
    expect(plain.takeProtected(new Uint8Array(100), 3, 4, offsets(), 0)).toEqual({ records: 0, end: 3 });
    const skipping = reader();
    skipping.skipEarlyData(1);
    skipping.push(appRecord(0));
    expect(skipping.takeProtected(new Uint8Array(100), 3, 4, offsets(), 0)).toEqual({ records: 0, end: 3 });
    expect(skipping.next()?.data).toEqual(data(0));
  });

  test("whole records are copied in order, each aligned with its source modulo 8, and open with readKeys", () => {
    for (const sourceOffset of [0, 3, 5]) {
      for (const at of [0, 1, 6]) {
        const records = [appRecord(0, 20), appRecord(1, 33), appRecord(2, 7)];
        const chunk = concat(records, sourceOffset);
        const r = reader();
        r.push(chunk);
        const keys = r.readKeys() as RecordKeys;
        const dest = new Uint8Array(new ArrayBuffer(400), 5, 300);
        const offs = offsets();
        const taken = r.takeProtected(dest, at, 8, offs, 2);
        expect(taken.records).toBe(3);
        let source = chunk.byteOffset;
        let previousEnd = at;
        for (let i = 0; i < 3; i++) {
          const offset = offs[2 + i] as number;
          const record = records[i] as Uint8Array;
          expect(offset - previousEnd).toBeGreaterThanOrEqual(0);
          expect(offset - previousEnd).toBeLessThan(8);
          expect((dest.byteOffset + offset) % 8).toBe(source % 8);
          expect(dest.subarray(offset, offset + record.length)).toEqual(record);
          expect(openAs(keys, dest.subarray(offset, offset + record.length), i)).toEqual(innerPlaintext(data(i, record.length - 22), 23));
          source += record.length;
          previousEnd = offset + record.length;
        }
        expect(taken.end).toBe(previousEnd);
        expect(r.bufferedBytes).toBe(0);
        r.acceptOpened(3);
        r.push(appRecord(3));
        expect(r.next()?.data).toEqual(data(3));
      }
    }
  });

  test("at most maxRecords are taken, and only as many as fit in dest", () => {
    const records = [appRecord(0), appRecord(1), appRecord(2)];
    const r = reader();
    r.push(concat(records));
    expect(r.takeProtected(new Uint8Array(1000), 0, 2, offsets(), 0).records).toBe(2);
    expect(r.bufferedBytes).toBe(records[2]?.length);
    const s = reader();
    s.push(concat(records));
    const size = (records[0] as Uint8Array).length;
    expect(s.takeProtected(new Uint8Array(2 * size), 0, 8, offsets(), 0)).toEqual({ records: 2, end: 2 * size });
    const t = reader();
    t.push(concat(records));
    expect(t.takeProtected(new Uint8Array(2 * size - 1), 0, 8, offsets(), 0)).toEqual({ records: 1, end: size });
    expect(t.bufferedBytes).toBe(2 * size);
  });

  test("the copy stops at anything next() must see: a partial record, a plaintext record, a bad header or length", () => {
    const stoppers: [string, Uint8Array][] = [
      ["partial header", appRecord(1).subarray(0, 4)],
      ["partial body", appRecord(1).subarray(0, 30)],
      ["change_cipher_spec", plainRecord(ContentType.ChangeCipherSpec, Uint8Array.of(1))],
      ["bad version", plainRecord(ContentType.ApplicationData, new Uint8Array(17), { major: 2 })],
      ["shorter than a tag", plainRecord(ContentType.ApplicationData, new Uint8Array(16))],
      ["overlong header", plainRecord(ContentType.ApplicationData, new Uint8Array(0), { length: MAX_CIPHERTEXT + 1 })],
      ["overlong record", plainRecord(ContentType.ApplicationData, new Uint8Array(MAX_CIPHERTEXT + 1))],
      ["handshake record", plainRecord(ContentType.Handshake, new Uint8Array(20))],
      ["alert record", plainRecord(ContentType.Alert, new Uint8Array(20))],
    ];
    for (const [, stopper] of stoppers) {
      const r = reader();
      r.push(concat([appRecord(0), stopper]));
      const dest = new Uint8Array(MAX_CIPHERTEXT * 3);
      const taken = r.takeProtected(dest, 0, 8, offsets(), 0);
      expect(taken.records).toBe(1);
      expect(r.bufferedBytes).toBe(stopper.length);
    }
  });

  test("records of 17 bytes and of 2^14+256 bytes are taken", () => {
    const shortest = plainRecord(ContentType.ApplicationData, new Uint8Array(17));
    const longest = protectedRecord(innerPlaintext(new Uint8Array(MAX_PLAINTEXT), ContentType.ApplicationData, 239), 1);
    expect(longest.length).toBe(5 + MAX_CIPHERTEXT);
    const r = reader();
    r.push(concat([shortest, longest]));
    const dest = new Uint8Array(2 * MAX_CIPHERTEXT);
    expect(r.takeProtected(dest, 0, 8, offsets(), 0).records).toBe(2);
  });

  test("records split across chunks and chunks pushed behind them are taken as well", () => {
    const records = [appRecord(0), appRecord(1), appRecord(2)];
    const stream = concat(records);
    const r = reader();
    r.push(stream.slice(0, 10));
    r.push(stream.slice(10, 50));
    r.push(stream.slice(50));
    const keys = r.readKeys() as RecordKeys;
    const dest = new Uint8Array(500);
    const offs = offsets();
    expect(r.takeProtected(dest, 0, 8, offs, 0).records).toBe(3);
    for (let i = 0; i < 3; i++) {
      const o = offs[i] as number;
      expect(openAs(keys, dest.subarray(o, o + 42), i)).toEqual(innerPlaintext(data(i), 23));
    }
  });

  test("after a take the caller's chunk may be reused: a partial record left behind was copied", () => {
    const records = [appRecord(0), appRecord(1)];
    const chunk = concat([records[0] as Uint8Array, (records[1] as Uint8Array).subarray(0, 30)]);
    const r = reader();
    r.push(chunk);
    expect(r.takeProtected(new Uint8Array(500), 0, 8, offsets(), 0).records).toBe(1);
    chunk.fill(0xaa);
    r.acceptOpened(1);
    r.push((records[1] as Uint8Array).slice(30));
    expect(r.next()?.data).toEqual(data(1));
  });

  test("records taken and not opened go back in front with unshift, before the bytes still buffered", () => {
    const records = [appRecord(0), appRecord(1), appRecord(2), appRecord(3)];
    const r = reader();
    r.push(concat([...records.slice(0, 3), (records[3] as Uint8Array).subarray(0, 9)]));
    const dest = new Uint8Array(1000);
    const offs = offsets();
    const taken = r.takeProtected(dest, 0, 8, offs, 0);
    expect(taken.records).toBe(3);
    r.acceptOpened(1);
    r.unshift(dest.slice(offs[1], taken.end));
    expect(r.bufferedBytes).toBe(2 * 42 + 9);
    r.unshift(new Uint8Array(0));
    expect(r.bufferedBytes).toBe(2 * 42 + 9);
    r.push((records[3] as Uint8Array).slice(9));
    expect(drainRecords(r).map((rec) => rec.data)).toEqual([data(1), data(2), data(3)]);
  });

  test("unshift takes back more than one full-size record, in front of a partial one", () => {
    const big = [1, 2, 3, 4].map((i) =>
      protectedRecord(innerPlaintext(new Uint8Array(MAX_PLAINTEXT).fill(i), ContentType.ApplicationData), i - 1),
    );
    const fourth = big[3] as Uint8Array;
    const r = reader();
    r.push(concat([...big.slice(0, 3), fourth.subarray(0, 1000)]));
    const dest = new Uint8Array(4 * (5 + MAX_CIPHERTEXT));
    const taken = r.takeProtected(dest, 0, 8, offsets(), 0);
    expect(taken.records).toBe(3);
    r.unshift(dest.slice(0, taken.end));
    expect(r.bufferedBytes).toBe(taken.end + 1000);
    r.push(fourth.slice(1000));
    expect(drainRecords(r).map((rec) => rec.data[0])).toEqual([1, 2, 3, 4]);
  });

  test("records in a chunk pushed behind a split record are taken too", () => {
    const records = [appRecord(0), appRecord(1), appRecord(2)];
    const r = reader();
    r.push((records[0] as Uint8Array).slice(0, 10));
    r.push(concat([(records[0] as Uint8Array).subarray(10), records[1] as Uint8Array, records[2] as Uint8Array]));
    const keys = r.readKeys() as RecordKeys;
    const dest = new Uint8Array(500);
    const offs = offsets();
    expect(r.takeProtected(dest, 0, 8, offs, 0).records).toBe(3);
    expect(r.bufferedBytes).toBe(0);
    const last = offs[2] as number;
    expect(openAs(keys, dest.subarray(last, last + 42), 2)).toEqual(innerPlaintext(data(2), 23));
  });
});
