/**
 * The compiled package as users install it: `AsyncCipher`'s default worker
 * module is `new URL("./chunk-tasks.js", import.meta.url)`, a path TypeScript
 * does not check. The other pooled tests pass `taskModule` explicitly, so only
 * this file notices when a move separates `chunk-tasks.js` from the module
 * that names it in dist/.
 */
import { ThreadPoolIo } from "@zsync/runtime/node";
import { afterAll, describe, expect, it } from "vitest";

type Crypto = typeof import("../src/index.js");

// global-setup.ts has built dist/ before this file runs.
const built = (await import(new URL("../dist/index.js", import.meta.url).href)) as Crypto;
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
