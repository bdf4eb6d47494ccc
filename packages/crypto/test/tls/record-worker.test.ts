/**
 * Sealing and opening records on the record worker (`recordWorker: true`):
 * byte-identical to the record layer, in order across batches and key
 * updates, and an authentication failure still fatal before any later
 * plaintext is released, with records the worker declines (not application
 * data) handled by the record layer as before.
 */
import { createHash, randomBytes } from "node:crypto";
import { afterEach, describe, expect, test, vi } from "vitest";
import { getProvider } from "../../src/index.js";
import { cipherSuiteByName, TlsBadRecordMacError, TlsListener, TlsStream, TlsTruncatedError } from "../../src/tls/index.js";
import { RecordLayer } from "../../src/tls/record/record-layer.js";
import { RecordWorker } from "../../src/tls/record/record-worker.js";
import { ContentType, MAX_PLAINTEXT } from "../../src/tls/wire/constants.js";
import { startMitmProxy } from "./proxy.js";
import { testPki } from "./support.js";

const pki = testPki();
const credentials = { certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem };
const SUITES = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"] as const;
const secret = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 29 + 7) & 0xff);

/** `data` copied into a SharedArrayBuffer (what the worker opens from). */
function shared(data: Uint8Array): Uint8Array {
  const view = new Uint8Array(new SharedArrayBuffer(data.length));
  view.set(data);
  return view;
}

/** Where each of the first `count` records in `data` starts. */
function offsetsOf(data: Uint8Array, count: number): Uint32Array {
  const offsets = new Uint32Array(count);
  for (let i = 0, at = 0; i < count; i++) {
    offsets[i] = at;
    at += 5 + (((data[at + 3] as number) << 8) | (data[at + 4] as number));
  }
  return offsets;
}

/** `data` as an owned, transferable copy (the worker takes its ArrayBuffer). */
const owned = (data: Uint8Array): Uint8Array => new Uint8Array(new Uint8Array(data).buffer);

/** Layers sealing under the same secret, the second one reserving sequence numbers for the worker. */
function layers(suiteName: (typeof SUITES)[number], skip: number) {
  const suite = cipherSuiteByName(suiteName);
  if (suite === undefined) throw new Error(suiteName);
  const s = secret(suite.hashLength);
  const inline = new RecordLayer(getProvider("node"));
  inline.setWriteKey(suite, s);
  const reserving = new RecordLayer(getProvider("node"));
  reserving.setWriteKey(suite, s);
  const reader = new RecordLayer(getProvider("node"));
  reader.setReadKey(suite, s);
  // Start past 0 so the batch's first nonce is not the IV itself.
  const filler = new Uint8Array(1);
  for (let i = 0; i < skip; i++) {
    inline.seal(ContentType.ApplicationData, filler);
    reserving.seal(ContentType.ApplicationData, filler);
  }
  return { inline, reserving, reader };
}

function sealInline(layer: RecordLayer, type: number, data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  layer.sealAll(type, data, parts);
  return Buffer.concat(parts);
}

describe("RecordWorker", () => {
  for (const name of SUITES) {
    test(`${name}: a batch sealed on the worker is byte-identical to records sealed inline, and sealing goes on after it`, async () => {
      const { inline, reserving } = layers(name, 300);
      const data = randomBytes(64 * MAX_PLAINTEXT - 1000);
      const expected = sealInline(inline, ContentType.ApplicationData, data);
      const keys = reserving.reserveWrite(Math.ceil(data.length / MAX_PLAINTEXT));
      expect(keys.sequence).toBe(300);
      const { records } = await RecordWorker.shared().seal(keys, ContentType.ApplicationData, owned(data));
      expect(Buffer.from(records).equals(Buffer.from(expected))).toBe(true);
      // The next record sealed inline is numbered after the reserved range on both layers.
      const next = Uint8Array.of(1, 2, 3);
      expect(reserving.seal(ContentType.ApplicationData, next)).toEqual(inline.seal(ContentType.ApplicationData, next));
    });
  }

  test("opening stops at a tampered record: earlier records' plaintext only, that record and later ones left intact", async () => {
    const { inline, reader } = layers("TLS_AES_128_GCM_SHA256", 0);
    const data = randomBytes(10 * MAX_PLAINTEXT);
    const wire = sealInline(inline, ContentType.ApplicationData, data);
    const sealedSize = 5 + MAX_PLAINTEXT + 17;
    const tampered = owned(wire);
    (tampered[6 * sealedSize + 100] as number) ^= 1;
    const copy = Buffer.from(tampered);
    const keys = reader.readKeys();
    if (keys === undefined) throw new Error("no read key");
    const opened = await RecordWorker.shared().open(keys, shared(tampered), offsetsOf(tampered, 10), 10);
    expect(opened.opened).toBe(6);
    expect(Buffer.from(opened.plaintext).equals(data.subarray(0, 6 * MAX_PLAINTEXT))).toBe(true);
    expect(Buffer.from(opened.records).equals(copy)).toBe(true);
  });

  test("opening stops at a record that is not non-empty application data (handshake, alert, empty)", async () => {
    for (const [type, body] of [
      [ContentType.Handshake, Uint8Array.of(24, 0, 0, 1, 0)],
      [ContentType.Alert, Uint8Array.of(1, 0)],
      [ContentType.ApplicationData, new Uint8Array(0)],
    ] as const) {
      const { inline, reader } = layers("TLS_CHACHA20_POLY1305_SHA256", 0);
      const parts = [
        inline.seal(ContentType.ApplicationData, Uint8Array.of(1, 2, 3)),
        inline.seal(type, body),
        inline.seal(ContentType.ApplicationData, Uint8Array.of(4)),
      ];
      const keys = reader.readKeys();
      if (keys === undefined) throw new Error("no read key");
      const records = Buffer.concat(parts);
      const opened = await RecordWorker.shared().open(keys, shared(records), offsetsOf(records, 3), 3);
      expect(opened.opened).toBe(1);
      expect([...opened.plaintext]).toEqual([1, 2, 3]);
    }
  });
});

describe("TlsStream with recordWorker", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  async function pair(options: { keyUpdateAfterRecords?: number; viaProxy?: boolean } = {}) {
    const listener = await TlsListener.bind({ credentials, recordWorker: true, keyUpdateAfterRecords: options.keyUpdateAfterRecords });
    const proxy = options.viaProxy ? await startMitmProxy(listener.port) : undefined;
    const connecting = TlsStream.connect({
      port: proxy?.port ?? listener.port,
      serverName: "localhost",
      ca: pki.ca.certificatePem,
      recordWorker: true,
      keyUpdateAfterRecords: options.keyUpdateAfterRecords,
    });
    const server = await listener.accept({ timeoutMs: 10_000 });
    const client = await connecting;
    return { listener, proxy, server, client };
  }

  async function readAll(stream: TlsStream, bytes: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let got = 0;
    while (got < bytes) {
      const chunk = await stream.read();
      if (chunk === null) throw new Error(`ended after ${got} bytes`);
      parts.push(chunk);
      got += chunk.length;
    }
    return Buffer.concat(parts);
  }

  /** Writes `data` in mixed sizes (full batches, partial records, tiny writes). */
  async function writeMixed(stream: TlsStream, data: Uint8Array): Promise<void> {
    const sizes = [1 << 20, 300_000, 5000, (1 << 20) + 7, 17, 256 * 1024];
    for (let at = 0, i = 0; at < data.length; i++) {
      const n = Math.min(sizes[i % sizes.length] as number, data.length - at);
      await stream.write(data.subarray(at, at + n));
      at += n;
    }
  }

  test("8 MiB each way with a key update every 50 records arrives intact, through batches on the worker", async () => {
    const seal = vi.spyOn(RecordWorker.prototype, "seal");
    const open = vi.spyOn(RecordWorker.prototype, "open");
    const { listener, server, client } = await pair({ keyUpdateAfterRecords: 50 });
    try {
      const up = randomBytes(8 << 20);
      const down = randomBytes(8 << 20);
      // The readers start late, so records pile up and are opened in batches.
      const writing = Promise.all([writeMixed(client, up), writeMixed(server, down)]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const [atServer, atClient] = await Promise.all([readAll(server, up.length), readAll(client, down.length)]);
      await writing;
      const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
      expect(sha(atServer)).toBe(sha(up));
      expect(sha(atClient)).toBe(sha(down));
      expect(open).toHaveBeenCalled();
      // Batches were sealed under several keys (a 50-record key lifetime), each within one key's sequence range.
      const keys = new Set(seal.mock.calls.map(([k]) => Buffer.from(k.key).toString("hex")));
      expect(keys.size).toBeGreaterThan(5);
      for (const [k, , data] of seal.mock.calls) expect(k.sequence + Math.ceil(data.length / MAX_PLAINTEXT)).toBeLessThanOrEqual(50);
    } finally {
      await Promise.all([client.close(), server.close()]);
      await listener.close();
    }
  }, 60_000);

  test("read() racing waitForSession() still delivers batches in order", async () => {
    const { listener, server, client } = await pair();
    try {
      const data = randomBytes(8 << 20);
      await server.write(data);
      await new Promise((resolve) => setTimeout(resolve, 300)); // records pile up at the client
      client.takeSessions(); // the ticket came with the handshake flight: make waitForSession read on
      const [, received] = await Promise.all([
        Promise.race([client.waitForSession(), new Promise((resolve) => setTimeout(resolve, 2000))]),
        readAll(client, data.length),
      ]);
      expect(Buffer.from(received).equals(data)).toBe(true);
    } finally {
      await Promise.all([client.close(), server.close()]);
      await listener.close();
    }
  }, 30_000);

  test("a tampered record in the middle of a batch: everything before it is delivered, nothing after, then bad_record_mac", async () => {
    const open = vi.spyOn(RecordWorker.prototype, "open");
    const { listener, proxy, server, client } = await pair({ viaProxy: true });
    if (proxy === undefined) throw new Error("no proxy");
    try {
      const data = randomBytes(4 << 20);
      // Application record 37 toward the server (a full 2^14-byte record) gets one bit flipped.
      let appRecords = 0;
      proxy.rewrite("server", (record) => {
        if (record[0] === ContentType.ApplicationData && record.length === 5 + MAX_PLAINTEXT + 17 && ++appRecords === 37) {
          const bad = Uint8Array.from(record);
          (bad[200] as number) ^= 0x40;
          return [bad];
        }
        return [record];
      });
      const writing = client.write(data).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 300)); // let records pile up: batches form
      let got = 0;
      const received: Uint8Array[] = [];
      const error = await (async () => {
        for (;;) {
          const chunk = await server.read();
          if (chunk === null) return undefined;
          received.push(chunk);
          got += chunk.length;
        }
      })().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TlsBadRecordMacError);
      expect(got).toBe(36 * MAX_PLAINTEXT);
      expect(Buffer.concat(received).equals(data.subarray(0, got))).toBe(true);
      expect(open).toHaveBeenCalled();
      // The connection stays failed: no later read releases anything.
      await expect(server.read()).rejects.toBeInstanceOf(TlsBadRecordMacError);
      await writing;
    } finally {
      await Promise.all([client.close(), server.close()]);
      await proxy.close();
      await listener.close();
    }
  }, 30_000);

  test("a FIN after bulk data without close_notify is still a truncation, once every whole record is read", async () => {
    const { listener, proxy, server, client } = await pair({ viaProxy: true });
    if (proxy === undefined) throw new Error("no proxy");
    try {
      const data = randomBytes(2 << 20);
      const open = vi.spyOn(RecordWorker.prototype, "open");
      await client.write(data);
      await new Promise((resolve) => setTimeout(resolve, 300)); // let records pile up: batches form
      expect(Buffer.from(await readAll(server, data.length)).equals(data)).toBe(true);
      expect(open).toHaveBeenCalled();
      proxy.end("server");
      await expect(server.read()).rejects.toBeInstanceOf(TlsTruncatedError);
    } finally {
      await Promise.all([client.close(), server.close()]);
      await proxy.close();
      await listener.close();
    }
  }, 30_000);
});
