/**
 * The record layer reads records in place from the transport's chunks and
 * copies only a record split across chunks: however the byte stream is cut,
 * the same records come out, and once `next()` has returned undefined the
 * caller may reuse its chunk without corrupting anything buffered.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { getProvider } from "../../src/index.js";
import { cipherSuiteByName, TlsLimitError, TlsProtocolError } from "../../src/tls/index.js";
import { MAX_EMPTY_RECORDS, RecordLayer } from "../../src/tls/record/record-layer.js";
import { ContentType, MAX_CIPHERTEXT, MAX_PLAINTEXT } from "../../src/tls/wire/constants.js";

const provider = getProvider("node");
const suite = cipherSuiteByName("TLS_AES_128_GCM_SHA256");
const secret = new Uint8Array(32).fill(7);

function protectedStream(payloads: readonly Uint8Array[]): Uint8Array {
  const writer = new RecordLayer(provider);
  writer.setWriteKey(suite, secret);
  const records = payloads.map((p) => writer.seal(ContentType.ApplicationData, p));
  return Buffer.concat(records);
}

function cut(stream: Uint8Array, points: readonly number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => p % (stream.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of [...at, stream.length]) {
    if (p > from) chunks.push(stream.slice(from, p));
    from = p;
  }
  return chunks;
}

describe("reading records from arbitrary chunks", () => {
  test("every cut of the stream yields the same records, with reused chunk buffers", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: MAX_PLAINTEXT }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (sizes, points) => {
          const payloads = sizes.map((n, i) => new Uint8Array(n).fill(i + 1));
          const reader = new RecordLayer(provider);
          reader.setReadKey(suite, secret);
          const out: Uint8Array[] = [];
          for (const chunk of cut(protectedStream(payloads), points)) {
            reader.push(chunk);
            for (let r = reader.next(); r !== undefined; r = reader.next()) {
              expect(r.type).toBe(ContentType.ApplicationData);
              out.push(r.data);
            }
            expect(reader.bufferedBytes).toBeLessThanOrEqual(5 + MAX_CIPHERTEXT);
            chunk.fill(0xaa); // the transport reuses its buffer
          }
          expect(reader.bufferedBytes).toBe(0);
          expect(out.map((d) => d.length)).toEqual(sizes);
          expect(Buffer.concat(out).equals(Buffer.concat(payloads))).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  test("a chunk pushed before the previous one was read keeps its place", () => {
    const stream = protectedStream([new Uint8Array(100).fill(1), new Uint8Array(200).fill(2)]);
    const reader = new RecordLayer(provider);
    reader.setReadKey(suite, secret);
    reader.push(stream.slice(0, 50));
    reader.push(stream.slice(50, 180));
    reader.push(stream.slice(180));
    expect(reader.next()?.data).toEqual(new Uint8Array(100).fill(1));
    expect(reader.next()?.data).toEqual(new Uint8Array(200).fill(2));
    expect(reader.next()).toBeUndefined();
  });

  test("a batch sealed in place equals records sealed one by one", () => {
    const a = new RecordLayer(provider);
    const b = new RecordLayer(provider);
    a.setWriteKey(suite, secret);
    b.setWriteKey(suite, secret);
    const data = new Uint8Array(MAX_PLAINTEXT * 2 + 10).map((_, i) => i & 0xff);
    const one = [0, MAX_PLAINTEXT, 2 * MAX_PLAINTEXT].map((at) =>
      a.seal(ContentType.ApplicationData, data, Math.min(data.length, at + MAX_PLAINTEXT), at),
    );
    const batch = new Uint8Array(b.sealedSize(MAX_PLAINTEXT) * 2 + b.sealedSize(10));
    let written = 0;
    for (let at = 0; at < data.length; at += MAX_PLAINTEXT)
      written = b.sealInto(ContentType.ApplicationData, data, at, Math.min(data.length, at + MAX_PLAINTEXT), batch, written);
    expect(written).toBe(batch.length);
    expect(Buffer.from(batch).equals(Buffer.concat(one))).toBe(true);
  });
});

describe("what the record layer refuses once a read key is set", () => {
  const plaintextAlert = Uint8Array.of(21, 3, 3, 0, 2, 2, 40);

  function reader(plaintextAlerts: boolean): RecordLayer {
    const r = new RecordLayer(provider);
    r.setReadKey(suite, secret, plaintextAlerts);
    return r;
  }

  test("an unprotected alert is refused with unexpected_message", () => {
    const r = reader(false);
    r.push(plaintextAlert);
    expect(() => r.next()).toThrow(TlsProtocolError);
  });

  test("with plaintextAlerts, one is taken only until the first record opens under the key", () => {
    const before = reader(true);
    before.push(plaintextAlert);
    expect(before.next()).toEqual({ type: ContentType.Alert, data: Uint8Array.of(2, 40) });
    const after = reader(true);
    after.push(protectedStream([Uint8Array.of(1)]));
    expect(after.next()?.data).toEqual(Uint8Array.of(1));
    after.push(plaintextAlert);
    expect(() => after.next()).toThrow(/unprotected record of type 21/);
  });

  test("unprotected change_cipher_spec still passes (the connection decides whether it is allowed)", () => {
    const r = reader(false);
    r.push(Uint8Array.of(20, 3, 3, 0, 1, 1));
    expect(r.next()?.type).toBe(ContentType.ChangeCipherSpec);
  });

  test(`more than ${MAX_EMPTY_RECORDS} empty records in a row are refused; data in between resets the count`, () => {
    const empty = new Uint8Array(0);
    const r = reader(false);
    r.push(
      protectedStream([
        ...Array.from({ length: MAX_EMPTY_RECORDS }, () => empty),
        Uint8Array.of(7),
        ...Array.from({ length: MAX_EMPTY_RECORDS }, () => empty),
      ]),
    );
    for (let i = 0; i < 2 * MAX_EMPTY_RECORDS + 1; i++) expect(r.next()).toBeDefined();
    const flood = reader(false);
    flood.push(protectedStream(Array.from({ length: MAX_EMPTY_RECORDS + 1 }, () => empty)));
    let error: unknown;
    try {
      for (let i = 0; i <= MAX_EMPTY_RECORDS; i++) flood.next();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TlsLimitError);
    expect((error as TlsLimitError).limit).toBe("empty-records");
  });
});
