/**
 * The compiled package as users install it: `AsyncCipher`'s default worker
 * module is `new URL("./chunk-tasks.js", import.meta.url)`, a path TypeScript
 * does not check. The other pooled tests pass `taskModule` explicitly, so only
 * this file notices when a move separates `chunk-tasks.js` from the module
 * that names it in dist/. Likewise the record worker's thread,
 * `new URL("./record-worker-main.js", import.meta.url)` beside
 * `dist/tls/record/record-worker.js` (from the sources, the record worker uses
 * the compiled twin, so only this file runs it the way users do).
 */
import { randomBytes } from "node:crypto";
import { ThreadPoolIo } from "@zsync/runtime/node";
import { afterAll, describe, expect, it } from "vitest";

type Crypto = typeof import("../src/index.js");
type Tls = typeof import("../src/tls/index.js");
type RecordLayerModule = typeof import("../src/tls/record/record-layer.js");
type RecordWorkerModule = typeof import("../src/tls/record/record-worker.js");

const dist = (path: string): string => new URL(`../dist/${path}`, import.meta.url).href;

// global-setup.ts has built dist/ before this file runs.
const built = (await import(dist("index.js"))) as Crypto;
const builtTls = (await import(dist("tls/index.js"))) as Tls;
const { RecordLayer } = (await import(dist("tls/record/record-layer.js"))) as RecordLayerModule;
const { RecordWorker } = (await import(dist("tls/record/record-worker.js"))) as RecordWorkerModule;
const pool = new ThreadPoolIo({ maxThreads: 2 });
afterAll(() => pool.shutdown());

describe("dist/index.js", () => {
  it("AsyncCipher's default task module loads on pool workers and round-trips", async () => {
    const key = built.AsyncCipher.generateKey();
    const pooled = new built.AsyncCipher(key, {
      io: pool,
      parallelThreshold: 64 * 1024,
      jobSize: 64 * 1024,
      chunkSize: 16 * 1024,
      workers: 2,
    });
    const inline = new built.AsyncCipher(key, { chunkSize: 16 * 1024 });
    const data = new Uint8Array(512 * 1024 + 7).map((_, i) => (i * 7) & 0xff);
    const sealed = await pooled.encrypt(data);
    // A pooled result is a view over shared memory: proof the workers, not the inline path, sealed it.
    expect(sealed.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Buffer.compare(await inline.decrypt(sealed), data)).toBe(0);
    expect(Buffer.compare(await pooled.decrypt(await inline.encrypt(data)), data)).toBe(0);
  });
});

describe("dist/tls/record/record-worker.js", () => {
  it("starts its thread from record-worker-main.js beside it: a batch sealed there is byte-identical to inline records and opens back", async () => {
    const suite = builtTls.cipherSuiteByName("TLS_AES_256_GCM_SHA384");
    if (suite === undefined) throw new Error("suite");
    const secret = Uint8Array.from({ length: suite.hashLength }, (_, i) => i + 1);
    const inline = new RecordLayer(built.getProvider("node"));
    inline.setWriteKey(suite, secret);
    const reserving = new RecordLayer(built.getProvider("node"));
    reserving.setWriteKey(suite, secret);
    const reader = new RecordLayer(built.getProvider("node"));
    reader.setReadKey(suite, secret);
    const data = randomBytes(3 * 16384 + 11);
    const parts: Uint8Array[] = [];
    inline.sealAll(23, data, parts);
    const worker = new RecordWorker();
    const { records } = await worker.seal(reserving.reserveWrite(4), 23, new Uint8Array(new Uint8Array(data).buffer));
    expect(Buffer.from(records).equals(Buffer.concat(parts))).toBe(true);
    const wire = new Uint8Array(new SharedArrayBuffer(records.length));
    wire.set(records);
    const offsets = Uint32Array.of(0, 16406, 2 * 16406, 3 * 16406);
    const keys = reader.readKeys();
    if (keys === undefined) throw new Error("no read key");
    const opened = await worker.open(keys, wire, offsets, 4);
    expect(opened.opened).toBe(4);
    expect(Buffer.from(opened.plaintext).equals(data)).toBe(true);
  });

  it("record-worker-main.js refuses to load on the main thread", async () => {
    await expect(import(dist("tls/record/record-worker-main.js"))).rejects.toThrow(/only on a worker thread/);
  });
});
