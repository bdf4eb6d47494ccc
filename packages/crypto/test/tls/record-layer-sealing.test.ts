/**
 * Sealing records (RFC 9846 §5.1, §5.2, §5.5): the plaintext header (with
 * the legacy 0x0301 version of a first ClientHello record), the payload
 * limit, the write-key limit that forces a KeyUpdate, the counters the
 * connection reads (`writeSequence`, `writeRecordsLeft`, `bufferedBytes`),
 * `sealAll`'s split into as few records as possible, and `dropWriteKey`
 * taking sealing back to plaintext.
 */
import { describe, expect, test } from "vitest";
import { TlsProtocolError } from "../../src/tls/index.js";
import { RecordLayer } from "../../src/tls/record/record-layer.js";
import { AlertDescription, ContentType, MAX_PLAINTEXT } from "../../src/tls/wire/constants.js";
import { expectTlsError, innerPlaintext, protectedRecord, provider, reader, suite, thrown, writer } from "./record-fixtures.js";

describe("plaintext records", () => {
  test("a handshake record says version 3.1, every other type 3.3", () => {
    const r = new RecordLayer(provider);
    expect(Array.from(r.seal(ContentType.Handshake, Uint8Array.of(1, 2)))).toEqual([22, 3, 1, 0, 2, 1, 2]);
    expect(Array.from(r.seal(ContentType.Alert, Uint8Array.of(2, 40)))).toEqual([21, 3, 3, 0, 2, 2, 40]);
    expect(Array.from(r.seal(ContentType.ChangeCipherSpec, Uint8Array.of(1)))).toEqual([20, 3, 3, 0, 1, 1]);
  });

  test("sealInto writes at the offset it is given and returns the offset after the record", () => {
    const r = new RecordLayer(provider);
    const out = new Uint8Array(20).fill(0xee);
    const data = Uint8Array.of(9, 8, 7, 6);
    expect(r.sealInto(ContentType.Handshake, data, 1, 3, out, 4)).toBe(4 + 5 + 2);
    expect(Array.from(out.subarray(0, 12))).toEqual([0xee, 0xee, 0xee, 0xee, 22, 3, 1, 0, 2, 8, 7, 0xee]);
  });

  test("after dropWriteKey a record goes out in plaintext again (a client's ClientHello after a retry that refused 0-RTT)", () => {
    const r = writer();
    expect(r.hasWriteKey).toBe(true);
    expect(r.seal(ContentType.Handshake, Uint8Array.of(1, 2))[0]).toBe(ContentType.ApplicationData);
    r.dropWriteKey();
    expect(r.hasWriteKey).toBe(false);
    expect(r.writeSequence).toBe(0);
    expect(Array.from(r.seal(ContentType.Handshake, Uint8Array.of(1, 2)))).toEqual([22, 3, 1, 0, 2, 1, 2]);
  });

  test("the length field carries both bytes of a payload of 2^14", () => {
    const r = new RecordLayer(provider);
    const record = r.seal(ContentType.Handshake, new Uint8Array(MAX_PLAINTEXT));
    expect(Array.from(record.subarray(0, 5))).toEqual([22, 3, 1, 0x40, 0x00]);
    expect(record.length).toBe(5 + MAX_PLAINTEXT);
  });
});

describe("payload limits", () => {
  test("a payload above 2^14 bytes is a RangeError that names the size, plaintext or protected", () => {
    for (const r of [new RecordLayer(provider), writer()]) {
      const error = thrown(() => r.seal(ContentType.ApplicationData, new Uint8Array(MAX_PLAINTEXT + 1)));
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toBe(`record payload of ${MAX_PLAINTEXT + 1} bytes exceeds 2^14`);
    }
    expect(writer().seal(ContentType.ApplicationData, new Uint8Array(MAX_PLAINTEXT)).length).toBe(5 + MAX_PLAINTEXT + 1 + 16);
  });

  test("sealAll splits into as few records as possible, and seals nothing for no data", () => {
    const out: Uint8Array[] = [];
    writer().sealAll(ContentType.ApplicationData, new Uint8Array(2 * MAX_PLAINTEXT + 1), out);
    expect(out.map((r) => r.length)).toEqual([MAX_PLAINTEXT + 22, MAX_PLAINTEXT + 22, 1 + 22]);
    const exact: Uint8Array[] = [];
    writer().sealAll(ContentType.ApplicationData, new Uint8Array(MAX_PLAINTEXT), exact);
    expect(exact.length).toBe(1);
    const none: Uint8Array[] = [];
    writer().sealAll(ContentType.ApplicationData, new Uint8Array(0), none);
    expect(none).toEqual([]);
  });
});

describe("the write key's record limit", () => {
  test("without a write key: sequence 0, no limit", () => {
    const r = new RecordLayer(provider);
    expect(r.hasWriteKey).toBe(false);
    expect(r.writeSequence).toBe(0);
    expect(r.writeRecordsLeft).toBe(Number.POSITIVE_INFINITY);
    expect(r.sealedSize(10)).toBe(15);
  });

  test("records left count down from the suite's limit as records are sealed", () => {
    const w = writer();
    expect(w.hasWriteKey).toBe(true);
    expect(w.writeRecordsLeft).toBe(suite.recordLimit);
    w.seal(ContentType.ApplicationData, Uint8Array.of(1));
    w.seal(ContentType.Handshake, Uint8Array.of(1));
    expect(w.writeSequence).toBe(2);
    expect(w.writeRecordsLeft).toBe(suite.recordLimit - 2);
    expect(w.sealedSize(10)).toBe(5 + 10 + 1 + 16);
  });

  test("the last record the key may protect is sealed; the next one is refused until a KeyUpdate", () => {
    const w = writer();
    w.reserveWrite(suite.recordLimit - 1);
    expect(w.writeRecordsLeft).toBe(1);
    const last = w.seal(ContentType.ApplicationData, Uint8Array.of(5));
    const r = reader();
    r.acceptOpened(suite.recordLimit - 1);
    r.push(last);
    expect(r.next()?.data).toEqual(Uint8Array.of(5));
    expect(w.writeRecordsLeft).toBe(0);
    expectTlsError(
      () => w.seal(ContentType.ApplicationData, Uint8Array.of(6)),
      TlsProtocolError,
      AlertDescription.internal_error,
      /: write key exhausted; KeyUpdate was not performed$/,
    );
    w.setWriteKey(suite, new Uint8Array(32).fill(1));
    expect(w.writeSequence).toBe(0);
    expect(w.seal(ContentType.ApplicationData, Uint8Array.of(6)).length).toBe(5 + 1 + 1 + 16);
  });

  test("a protected record carries the inner content type after the data, under outer type application_data 3.3", () => {
    const w = writer();
    w.seal(ContentType.ApplicationData, Uint8Array.of(0));
    const record = w.seal(ContentType.Handshake, Uint8Array.of(1, 2, 3));
    expect(Array.from(record)).toEqual(Array.from(protectedRecord(innerPlaintext(Uint8Array.of(1, 2, 3), ContentType.Handshake), 1)));
  });
});

describe("buffered bytes", () => {
  test("count a partial record and chunks pushed behind it before they were read", () => {
    const w = writer();
    const a = w.seal(ContentType.ApplicationData, new Uint8Array(100));
    const b = w.seal(ContentType.ApplicationData, new Uint8Array(50));
    const r = reader();
    expect(r.bufferedBytes).toBe(0);
    r.push(a.subarray(0, 10));
    expect(r.bufferedBytes).toBe(10);
    r.push(a.subarray(10));
    r.push(b.subarray(0, 20));
    expect(r.bufferedBytes).toBe(a.length + 20);
    const both = new Uint8Array(a.length + b.length);
    both.set(a);
    both.set(b, a.length);
    const s = reader();
    s.push(both.subarray(0, 7));
    s.push(both.subarray(7, a.length + 3));
    expect(s.bufferedBytes).toBe(a.length + 3);
    expect(s.next()?.data.length).toBe(100);
    expect(s.bufferedBytes).toBe(3);
    expect(s.next()).toBeUndefined();
    s.push(both.subarray(a.length + 3));
    expect(s.next()?.data.length).toBe(50);
    expect(s.bufferedBytes).toBe(0);
  });
});
