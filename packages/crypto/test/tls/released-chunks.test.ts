/**
 * Freeing received chunks early: `TlsStream` frees the memory of TCP chunks
 * (`releaseMemory`, which detaches their ArrayBuffer) as soon as
 * `TlsConnection.holdsReceivedBytes` says the record layer reads none of
 * them in place any more. These tests free chunks exactly when that getter
 * allows, with records split across chunks at every kind of boundary (inside
 * a header, inside a body, several records per chunk, a chunk pushed while a
 * record is still incomplete), and check every byte still arrives: a getter
 * that said false while a chunk was borrowed or queued would lose data here,
 * since a detached chunk reads as empty.
 */
import { describe, expect, test } from "vitest";
import { releaseMemory } from "../../src/primitives/providers/release-memory.js";
import { TlsClientEngine } from "../../src/tls/handshake/client.js";
import { TlsServerEngine } from "../../src/tls/handshake/server.js";
import { TlsConnection } from "../../src/tls/stream/tls-connection.js";
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
 * Delivers `wire` to `s` in fresh chunks of the given sizes (cycled), each
 * through `receive` or, every third one, `pushReceived` (as the record
 * worker's read path does), freeing the chunks handed over whenever
 * `holdsReceivedBytes` allows. Returns how many chunks were freed.
 */
function deliver(s: TlsConnection, wire: Uint8Array, sizes: number[]): number {
  let lent: Uint8Array[] = [];
  let freed = 0;
  for (let at = 0, i = 0; at < wire.length; i++) {
    const n = Math.min(sizes[i % sizes.length] as number, wire.length - at);
    const chunk = new Uint8Array(wire.subarray(at, at + n)); // owns its ArrayBuffer, as a TCP chunk does
    at += n;
    lent.push(chunk);
    if (i % 3 === 2) s.pushReceived(chunk);
    else s.receive(chunk);
    if (!s.holdsReceivedBytes) {
      for (const c of lent) if (releaseMemory(c)) freed++;
      lent = [];
    }
  }
  s.receive(new Uint8Array(0));
  return freed;
}

describe("chunks freed once the connection no longer holds them", () => {
  const data = pattern(300_000);
  // Record lengths: full records, tiny ones and odd sizes, so chunk edges fall everywhere.
  const writes = [16384, 1, 5000, 16384, 3, 16383, 40_000, 7, 16385];

  for (const sizes of [[1, 2, 3, 5, 8, 13], [4096, 17, 65536, 5, 16406], [16406], [70_000, 3]]) {
    test(`chunks of ${sizes.join("/")} bytes: every byte arrives, and chunks are freed`, () => {
      const { c, s } = handshaken();
      const wire = sealed(c, data, writes);
      const freed = deliver(s, wire, sizes);
      expect(freed).toBeGreaterThan(0);
      const received = drain(s);
      expect(received.length).toBe(data.length);
      expect(Buffer.from(received).equals(Buffer.from(data))).toBe(true);
    });
  }

  test("holdsReceivedBytes is true while a chunk is read in place or queued behind a split record", () => {
    const { c, s } = handshaken();
    const wire = sealed(c, pattern(40_000), [16384, 16384]);
    expect(s.holdsReceivedBytes).toBe(false);
    // Ends inside the second record: the first is taken, the rest of that record copied out.
    s.receive(new Uint8Array(wire.subarray(0, 16406 + 100)));
    expect(s.holdsReceivedBytes).toBe(false);
    // Completes the second record from its head and queues the rest, unread.
    s.pushReceived(new Uint8Array(wire.subarray(16406 + 100)));
    expect(s.holdsReceivedBytes).toBe(true);
    s.receive(new Uint8Array(0));
    expect(s.holdsReceivedBytes).toBe(false);
    expect(drain(s).length).toBe(40_000);
  });
});
