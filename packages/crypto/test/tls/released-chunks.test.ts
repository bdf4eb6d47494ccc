/**
 * Freeing received chunks early: chunks given to `TlsConnection.receive` /
 * `pushReceived` as `owned` (TlsStream's TCP chunks) are freed
 * (`releaseMemory` detaches their ArrayBuffer) as soon as the record layer
 * reads none of them in place any more. These tests split records across
 * chunks at every kind of boundary (inside a header, inside a body, several
 * records per chunk, a chunk pushed while a record is still incomplete and
 * queued behind it) and check that every byte still arrives and that the
 * chunks were freed: freeing one too early would lose data here, since a
 * detached chunk reads as empty. The record layer copies out whatever it has
 * not taken before `receive` or `takeReadBatch` returns, so the connection's
 * check of `RecordLayer.holdsTransportBytes` before freeing is a safety net
 * there; the getter itself is tested directly.
 */
import { describe, expect, test } from "vitest";
import { getProvider } from "../../src/index.js";
import { TlsClientEngine } from "../../src/tls/handshake/client.js";
import { TlsServerEngine } from "../../src/tls/handshake/server.js";
import { RecordLayer } from "../../src/tls/record/record-layer.js";
import { TlsConnection } from "../../src/tls/stream/tls-connection.js";
import { ContentType } from "../../src/tls/wire/constants.js";
import { drain, pump, testPki } from "./support.js";

const pki = testPki();
const credentials = { certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem };

function handshaken(): { c: TlsConnection; s: TlsConnection } {
  const c = new TlsConnection(new TlsClientEngine({ serverName: "localhost", ca: pki.ca.certificatePem }));
  const s = new TlsConnection(new TlsServerEngine({ credentials }));
  c.start();
  pump(c, s);
  expect(c.handshakeComplete && s.handshakeComplete).toBe(true);
  drain(c);
  return { c, s };
}

/** `length` bytes of a pattern that shows any lost or shifted byte. */
function pattern(length: number): Uint8Array {
  const data = new Uint8Array(length);
  for (let i = 0; i < length; i++) data[i] = (i * 7 + (i >>> 8)) & 0xff;
  return data;
}

/** Wire bytes of `data` written in `writes` pieces (records of varying length). */
function sealed(c: TlsConnection, data: Uint8Array, writes: number[]): Uint8Array {
  let at = 0;
  for (const n of writes) {
    c.writeApplicationData(data.subarray(at, at + n));
    at += n;
  }
  c.writeApplicationData(data.subarray(at));
  return Buffer.concat(c.takeOutgoing());
}

/**
 * Frames at most one whole record off the front for the record worker and
 * puts it straight back, as `TlsStream` does with a batch too small to send:
 * taking stops early, so the rest of a chunk pushed behind a split record
 * can stay queued, still unread, afterwards.
 */
function frameOne(s: TlsConnection): void {
  const dest = new Uint8Array(new SharedArrayBuffer(2 * (5 + 16384 + 256 + 7)));
  const offsets = new Uint32Array(1);
  const { records } = s.takeReadBatch(dest, 0, 1, offsets, 0);
  if (records === 0) return;
  const at = offsets[0] as number;
  const length = 5 + (((dest[at + 3] as number) << 8) | (dest[at + 4] as number));
  s.acceptReadBatch(0, new Uint8Array(0), new Uint32Array(0), new Uint8Array(dest.subarray(at, at + length)));
}

/**
 * Delivers `wire` to `s` in fresh owned chunks of the given sizes (cycled):
 * two in three through `receive`, every third through `pushReceived` and
 * `frameOne` (the record worker's read path), and returns the chunks.
 */
function deliver(s: TlsConnection, wire: Uint8Array, sizes: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0, i = 0; at < wire.length; i++) {
    const n = Math.min(sizes[i % sizes.length] as number, wire.length - at);
    const chunk = new Uint8Array(wire.subarray(at, at + n)); // owns its ArrayBuffer, as a TCP chunk does
    at += n;
    chunks.push(chunk);
    if (i % 3 === 2) {
      s.pushReceived(chunk, true);
      frameOne(s);
    } else s.receive(chunk, true);
  }
  s.receive(new Uint8Array(0));
  return chunks;
}

describe("chunks freed once the connection no longer holds them", () => {
  const data = pattern(300_000);
  // Record lengths: full records, tiny ones and odd sizes, so chunk edges fall everywhere.
  const writes = [16384, 1, 5000, 16384, 3, 16383, 40_000, 7, 16385];

  for (const sizes of [[1, 2, 3, 5, 8, 13], [4096, 17, 65536, 5, 16406], [16406], [70_000, 3]]) {
    test(`chunks of ${sizes.join("/")} bytes: every byte arrives, and every chunk is freed`, () => {
      const { c, s } = handshaken();
      const wire = sealed(c, data, writes);
      const chunks = deliver(s, wire, sizes);
      const received = drain(s);
      expect(received.length).toBe(data.length);
      expect(Buffer.from(received).equals(Buffer.from(data))).toBe(true);
      expect(chunks.filter((chunk) => chunk.length > 0)).toHaveLength(0);
    });
  }

  test("an owned chunk is read in place until its records are taken, then freed; a chunk not owned is never freed", () => {
    const { c, s } = handshaken();
    const wire = sealed(c, pattern(40_000), [16384, 16384]);
    // Ends inside the second record: the first is taken, the rest of that record copied out.
    const first = new Uint8Array(wire.subarray(0, 16406 + 100));
    s.receive(first, true);
    expect(first.length).toBe(0);
    // Pushed without processing: the layer reads it in place, so it stays.
    const rest = new Uint8Array(wire.subarray(16406 + 100));
    const restLength = rest.length;
    s.pushReceived(rest, true);
    expect(rest.length).toBe(restLength);
    frameOne(s);
    s.receive(new Uint8Array(0));
    expect(rest.length).toBe(0);
    expect(drain(s).length).toBe(40_000);
    const more = sealed(c, pattern(1000), []);
    const notOwned = new Uint8Array(more);
    s.receive(notOwned);
    expect(notOwned.length).toBe(more.length);
    expect(drain(s).length).toBe(1000);
  });

  test("RecordLayer.holdsTransportBytes: true while a pushed chunk is read in place or queued behind a split record", () => {
    const writer = new RecordLayer(getProvider("node"));
    const layer = new RecordLayer(getProvider("node"));
    const wire = Buffer.concat([100, 200, 300].map((n) => writer.seal(ContentType.Handshake, new Uint8Array(n).fill(n & 0xff))));
    expect(layer.holdsTransportBytes).toBe(false);
    layer.push(wire.subarray(0, 150)); // the first record and part of the second, borrowed
    expect(layer.holdsTransportBytes).toBe(true);
    expect(layer.next()?.data.length).toBe(100);
    expect(layer.next()).toBeUndefined(); // the partial second record is copied out
    expect(layer.holdsTransportBytes).toBe(false);
    layer.push(wire.subarray(150)); // completes the second from its head, queues the third
    expect(layer.holdsTransportBytes).toBe(true);
    expect(layer.next()?.data.length).toBe(200);
    expect(layer.next()?.data.length).toBe(300);
    expect(layer.next()).toBeUndefined();
    expect(layer.holdsTransportBytes).toBe(false);
  });
});
