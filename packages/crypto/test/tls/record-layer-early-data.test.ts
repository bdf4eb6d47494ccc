/**
 * A server refusing 0-RTT (RFC 9846 §4.2.10) skips the client's early data:
 * records that do not open under its handshake key, and application_data
 * records arriving before it has a read key at all, up to the skip budget
 * it set. The budget is in bytes of record bodies, spent as records are
 * skipped, and cancelled by the first record that opens.
 */
import { describe, expect, test } from "vitest";
import { TlsBadRecordMacError, TlsProtocolError } from "../../src/tls/index.js";
import { RecordLayer } from "../../src/tls/record/record-layer.js";
import { AlertDescription, ContentType } from "../../src/tls/wire/constants.js";
import { expectTlsError, innerPlaintext, otherSecret, plainRecord, protectedRecord, provider, reader } from "./record-fixtures.js";

const early = (n: number, i = 0): Uint8Array =>
  protectedRecord(innerPlaintext(new Uint8Array(n).fill(i), ContentType.ApplicationData), i, otherSecret);
const handshake = (sequence: number): Uint8Array =>
  protectedRecord(innerPlaintext(Uint8Array.of(1, 2, 3), ContentType.Handshake), sequence);
const bodyLength = (record: Uint8Array): number => record.length - 5;

describe("skipping refused early data under the handshake key", () => {
  test("records that do not open are skipped until one opens, within the budget", () => {
    const r = reader();
    const skipped = [early(100, 1), early(10, 2)];
    r.skipEarlyData(skipped.reduce((n, rec) => n + bodyLength(rec), 0));
    for (const rec of skipped) r.push(rec);
    r.push(handshake(0));
    expect(r.next()).toEqual({ type: ContentType.Handshake, data: Uint8Array.of(1, 2, 3) });
    expect(r.next()).toBeUndefined();
  });

  test("a record that would exceed what is left of the budget is a bad_record_mac", () => {
    const r = reader();
    const first = early(100, 1);
    r.skipEarlyData(bodyLength(first) + 20);
    r.push(first);
    r.push(early(10, 2)); // 10 + 1 + 16 = 27 > 20 left
    expectTlsError(() => r.next(), TlsBadRecordMacError, AlertDescription.bad_record_mac, /^more undecryptable early data than allowed$/);
  });

  test("the first record that opens ends skipping: a later undecryptable record is a bad_record_mac", () => {
    const r = reader();
    r.skipEarlyData(10_000);
    r.push(handshake(0));
    expect(r.next()?.type).toBe(ContentType.Handshake);
    r.push(early(10));
    expectTlsError(() => r.next(), TlsBadRecordMacError, AlertDescription.bad_record_mac, /failed authentication/);
  });

  test("records shorter than a tag are skipped as early data too", () => {
    const r = reader();
    r.skipEarlyData(16);
    r.push(plainRecord(ContentType.ApplicationData, new Uint8Array(16)));
    r.push(handshake(0));
    expect(r.next()?.type).toBe(ContentType.Handshake);
  });

  test("with no budget, nothing is skipped", () => {
    const r = reader();
    r.skipEarlyData(0);
    r.push(early(10));
    expectTlsError(() => r.next(), TlsBadRecordMacError, AlertDescription.bad_record_mac, /failed authentication/);
  });
});

describe("before the server has a read key", () => {
  test("application_data records are skipped within the budget; the handshake record after them is read", () => {
    const r = new RecordLayer(provider);
    const skipped = [early(30, 1), early(40, 2)];
    r.skipEarlyData(skipped.reduce((n, rec) => n + bodyLength(rec), 0));
    for (const rec of skipped) r.push(rec);
    r.push(plainRecord(ContentType.Handshake, Uint8Array.of(4, 5)));
    expect(r.next()).toEqual({ type: ContentType.Handshake, data: Uint8Array.of(4, 5) });
  });

  test("a handshake or alert record is never skipped", () => {
    for (const type of [ContentType.Handshake, ContentType.Alert]) {
      const r = new RecordLayer(provider);
      r.skipEarlyData(10_000);
      r.push(plainRecord(type, Uint8Array.of(1, 0)));
      expect(r.next()).toEqual({ type, data: Uint8Array.of(1, 0) });
    }
  });

  test("without a budget an application_data record is returned, not dropped", () => {
    const r = new RecordLayer(provider);
    r.push(plainRecord(ContentType.ApplicationData, Uint8Array.of(7)));
    expect(r.next()).toEqual({ type: ContentType.ApplicationData, data: Uint8Array.of(7) });
  });

  test("early data beyond the budget is a bad_record_mac, not a plaintext record", () => {
    const r = new RecordLayer(provider);
    r.skipEarlyData(10);
    r.push(early(30));
    const error = expectTlsError(() => r.next(), TlsBadRecordMacError, AlertDescription.bad_record_mac, /more undecryptable early data/);
    expect(error).not.toBeInstanceOf(TlsProtocolError);
  });
});
