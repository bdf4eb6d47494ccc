/**
 * Sealing-buffer reuse: `TlsConnection.recycle` takes back the batch buffers
 * of large writes once the transport released them, and `TlsStream` recycles
 * only after `TcpStream.writeFlushed` resolved, so reuse never overwrites
 * bytes still waiting in the socket.
 */
import { describe, expect, test } from "vitest";
import { TlsClientEngine } from "../../src/tls/handshake/client.js";
import { TlsServerEngine } from "../../src/tls/handshake/server.js";
import { TlsConnection } from "../../src/tls/stream/tls-connection.js";
import { TlsListener, TlsStream } from "../../src/tls/stream/tls-stream.js";
import { drain, pump, testPki } from "./support.js";

const pki = testPki();
const credentials = { certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem };
const MiB = 1 << 20;

function handshaken(): { c: TlsConnection; s: TlsConnection } {
  const c = new TlsConnection(new TlsClientEngine({ serverName: "localhost", ca: pki.ca.certificatePem }));
  const s = new TlsConnection(new TlsServerEngine({ credentials }));
  c.start();
  pump(c, s);
  expect(c.handshakeComplete && s.handshakeComplete).toBe(true);
  drain(c);
  return { c, s };
}

const filled = (length: number, value: number): Uint8Array => new Uint8Array(length).fill(value);

/** Writes `data` on `c`, delivers it to `s`, and returns the buffers that went out. */
function send(c: TlsConnection, s: TlsConnection, data: Uint8Array): Uint8Array[] {
  c.writeApplicationData(data);
  const out = c.takeOutgoing();
  for (const b of out) s.receive(b);
  return out;
}

describe("sealing buffers of large writes", () => {
  test("a recycled buffer is sealed into again, and every record still opens", () => {
    const { c, s } = handshaken();
    const first = send(c, s, filled(MiB, 1));
    expect(first).toHaveLength(1);
    c.recycle(first);
    const second = send(c, s, filled(MiB, 2));
    expect(second[0]?.buffer).toBe(first[0]?.buffer);
    const received = drain(s);
    expect(received.length).toBe(2 * MiB);
    expect(received.subarray(0, MiB).every((b) => b === 1)).toBe(true);
    expect(received.subarray(MiB).every((b) => b === 2)).toBe(true);
  });

  test("without recycle, every large write gets fresh memory", () => {
    const { c, s } = handshaken();
    const first = send(c, s, filled(MiB, 1));
    const second = send(c, s, filled(MiB, 2));
    expect(second[0]?.buffer).not.toBe(first[0]?.buffer);
  });

  test("a buffer is taken back once, and only if the connection sealed into it", () => {
    const { c, s } = handshaken();
    const first = send(c, s, filled(MiB, 1));
    c.recycle(first);
    c.recycle(first); // a second hand-back must not let two batches share memory
    const foreign = new Uint8Array(2 * MiB);
    c.recycle([foreign]);
    const a = send(c, s, filled(MiB, 2));
    const b = send(c, s, filled(MiB, 3));
    expect(a[0]?.buffer).toBe(first[0]?.buffer);
    expect(b[0]?.buffer).not.toBe(first[0]?.buffer);
    expect(b[0]?.buffer).not.toBe(foreign.buffer);
    expect(drain(s).length).toBe(3 * MiB);
  });

  test("a write larger than a batch goes out as several 1 MiB batches", () => {
    const { c, s } = handshaken();
    const before = c.recordsSent;
    const out = send(c, s, filled(3 * MiB + 5, 9));
    expect(out.map((b) => b.length)).toEqual([64 * 16406, 64 * 16406, 64 * 16406, 5 + 5 + 1 + 16]);
    expect(c.recordsSent - before).toBe(193);
    expect(drain(s).every((b) => b === 9)).toBe(true);
  });

  test("small writes use their own memory, never a pooled buffer", () => {
    const { c, s } = handshaken();
    const large = send(c, s, filled(MiB, 1));
    c.recycle(large);
    const small = send(c, s, filled(100, 2));
    expect(small[0]?.buffer).not.toBe(large[0]?.buffer);
    c.recycle(small);
    expect(send(c, s, filled(MiB, 3))[0]?.buffer).toBe(large[0]?.buffer);
  });
});

describe("TlsStream reusing sealing buffers over TCP", () => {
  test("batches queued behind a slow reader arrive intact", async () => {
    await using listener = await TlsListener.bind({ credentials });
    const connecting = TlsStream.connect({ port: listener.port, serverName: "localhost", ca: pki.ca.certificatePem });
    await using server = await listener.accept();
    await using client = await connecting;
    const rounds = 24;
    const source = new Uint8Array(MiB);
    const received = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 50)); // let batches pile up in the socket
      const parts: Uint8Array[] = [];
      for await (const chunk of server) parts.push(chunk.slice());
      return Buffer.concat(parts);
    })();
    for (let round = 0; round < rounds; round++) {
      source.fill(round + 1);
      await client.write(source);
    }
    await client.end();
    const all = await received;
    expect(all.length).toBe(rounds * MiB);
    let intact = 0;
    for (let round = 0; round < rounds; round++) if (all.subarray(round * MiB, (round + 1) * MiB).every((b) => b === round + 1)) intact++;
    expect(intact).toBe(rounds);
  });
});
