/**
 * The record layer reads records in place from the transport's chunks and
 * copies only a record split across chunks: however the byte stream is cut,
 * the same records come out, and once `next()` has returned undefined the
 * caller may reuse its chunk without corrupting anything buffered.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { getProvider } from "../../src/index.js";
import { cipherSuiteByName } from "../../src/tls/index.js";
import { RecordLayer } from "../../src/tls/record-layer.js";
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
