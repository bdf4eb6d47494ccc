/**
 * Handshake reassembly: the same messages come out however the stream is
 * cut, each byte is copied a bounded number of times (not once per later
 * fragment, which made a 128 KiB message in 1-byte records cost seconds),
 * and a message may not arrive in more than MAX_HANDSHAKE_FRAGMENTS pieces
 * or be longer than MAX_HANDSHAKE_MESSAGE.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { TlsClientEngine, TlsConnection, TlsLimitError, TlsServerEngine } from "../../src/tls/index.js";
import { HandshakeFramer, type HandshakeMessage, MAX_HANDSHAKE_FRAGMENTS, MAX_HANDSHAKE_MESSAGE } from "../../src/tls/wire/messages.js";
import { testPki } from "./support.js";

const pki = testPki();

function message(type: number, length: number, fill: number): Uint8Array {
  const m = new Uint8Array(4 + length).fill(fill);
  m.set([type, length >> 16, (length >> 8) & 0xff, length & 0xff]);
  return m;
}

function cut(stream: Uint8Array, points: readonly number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => p % (stream.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of [...at, stream.length]) {
    if (p > from) chunks.push(Buffer.from(stream.subarray(from, p))); // a Buffer, as TCP delivers: its slice() is a view
    from = p;
  }
  return chunks;
}

/** Bytes copied by `Uint8Array#set` and `#slice` while `body` runs. */
function bytesCopied(body: () => void): number {
  const proto = Uint8Array.prototype;
  const { set, slice } = proto;
  let copied = 0;
  proto.set = function (this: Uint8Array, source: ArrayLike<number>, offset?: number) {
    copied += source.length;
    return set.call(this, source, offset);
  } as typeof set;
  proto.slice = function (this: Uint8Array, start?: number, end?: number) {
    const out = slice.call(this, start, end);
    copied += out.length;
    return out;
  } as typeof slice;
  try {
    body();
  } finally {
    proto.set = set;
    proto.slice = slice;
  }
  return copied;
}

describe("HandshakeFramer", () => {
  test("every cut of a stream of messages yields the same messages, and earlier ones stay intact", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (lengths, points) => {
          const messages = lengths.map((n, i) => message(i + 1, n, i + 7));
          const framer = new HandshakeFramer();
          const out: HandshakeMessage[] = [];
          for (const chunk of cut(Buffer.concat(messages), points)) {
            framer.push(chunk);
            chunk.fill(0xee); // the caller may reuse its buffer
            for (let m = framer.next(); m !== undefined; m = framer.next()) out.push(m);
          }
          expect(framer.buffered).toBe(0);
          expect(out.map((m) => m.type)).toEqual(lengths.map((_, i) => i + 1));
          for (const [i, m] of out.entries()) expect(Buffer.from(m.raw).equals(Buffer.from(messages[i] as Uint8Array))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("reassembly copies each byte a bounded number of times, however finely the message is cut", () => {
    const m = message(11, 64 * 1024 - 4, 3);
    const fragment = Math.ceil(m.length / MAX_HANDSHAKE_FRAGMENTS);
    let got: HandshakeMessage | undefined;
    const copied = bytesCopied(() => {
      const framer = new HandshakeFramer();
      for (let at = 0; at < m.length; at += fragment) {
        framer.push(m.subarray(at, at + fragment));
        got = framer.next() ?? got;
      }
    });
    expect(got?.raw.length).toBe(m.length);
    // Once into the fragment list, once out into the message: quadratic copying would be ~500x this.
    expect(copied).toBeLessThanOrEqual(2 * m.length);
  });

  test(`a message in more than ${MAX_HANDSHAKE_FRAGMENTS} fragments is refused`, () => {
    const framer = new HandshakeFramer();
    const m = message(1, 2000, 1);
    let error: unknown;
    try {
      for (let at = 0; at < m.length; at++) {
        framer.push(m.subarray(at, at + 1));
        expect(framer.next()).toBeUndefined();
      }
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TlsLimitError);
    expect((error as TlsLimitError).limit).toBe("handshake-fragments");
    expect(framer.buffered).toBe(MAX_HANDSHAKE_FRAGMENTS);
  });

  test("the fragment count starts again with each message", () => {
    const framer = new HandshakeFramer();
    for (let i = 0; i < 3; i++) {
      const m = message(1, MAX_HANDSHAKE_FRAGMENTS - 4, i);
      for (let at = 0; at < m.length; at++) framer.push(m.subarray(at, at + 1));
      expect(framer.next()?.raw.length).toBe(MAX_HANDSHAKE_FRAGMENTS);
    }
  });

  test("a length over the cap is refused from the header alone", () => {
    const framer = new HandshakeFramer();
    const over = MAX_HANDSHAKE_MESSAGE + 1;
    framer.push(Uint8Array.of(11, over >> 16, (over >> 8) & 0xff, over & 0xff));
    let error: unknown;
    try {
      framer.next();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TlsLimitError);
    expect((error as TlsLimitError).limit).toBe("handshake-message-size");
    expect((error as TlsLimitError).alertName).toBe("decode_error");
  });
});

describe("a server fed a ClientHello one byte per record", () => {
  const credentials = { certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem };

  function clientHello(): Uint8Array {
    const client = new TlsConnection(new TlsClientEngine({ serverName: "localhost", ca: pki.ca.certificatePem }));
    client.start();
    const first = client.takeOutgoing()[0] as Uint8Array;
    return first.subarray(5, 5 + ((first[3] as number) << 8) + (first[4] as number));
  }

  test("refuses it with unexpected_message once the fragment cap is passed, and says so", () => {
    const hello = clientHello();
    expect(hello.length).toBeGreaterThan(MAX_HANDSHAKE_FRAGMENTS);
    const records = Buffer.concat([...hello].map((b) => Uint8Array.of(22, 3, 1, 0, 1, b)));
    const server = new TlsConnection(new TlsServerEngine({ credentials }));
    let error: unknown;
    try {
      server.receive(records);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TlsLimitError);
    expect((error as TlsLimitError).limit).toBe("handshake-fragments");
    const alert = Buffer.concat(server.takeOutgoing());
    expect([...alert]).toEqual([21, 3, 3, 0, 2, 2, 10]); // fatal unexpected_message, in plaintext (no keys yet)
  });

  test("still completes it when cut into a few hundred records", () => {
    const hello = clientHello();
    const size = Math.ceil(hello.length / 300);
    const parts: Uint8Array[] = [];
    for (let at = 0; at < hello.length; at += size) {
      const body = hello.subarray(at, at + size);
      parts.push(Uint8Array.of(22, 3, 1, 0, body.length), body);
    }
    const server = new TlsConnection(new TlsServerEngine({ credentials }));
    server.receive(Buffer.concat(parts));
    expect(server.takeOutgoing().length).toBeGreaterThan(0);
    expect(server.error).toBeUndefined();
  });
});
