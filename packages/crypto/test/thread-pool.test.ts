/** Large AsyncCipher inputs on ThreadPoolIo workers: same bytes format, same failures, cancellation. */
import { CancelledError } from "@zsync/runtime";
import { ThreadPoolIo } from "@zsync/runtime/node";
import { afterAll, describe, expect, it } from "vitest";
import { AsyncCipher, AuthenticationError, TruncatedCiphertextError } from "../src/index.js";

const pool = new ThreadPoolIo({ maxThreads: 2 });
afterAll(() => pool.shutdown());

const taskModule = new URL("../dist/chunk-tasks.js", import.meta.url);
const key = AsyncCipher.generateKey();
const options = { io: pool, parallelThreshold: 64 * 1024, jobSize: 64 * 1024, chunkSize: 16 * 1024, taskModule };
const pooled = new AsyncCipher(key, options);
const inline = new AsyncCipher(key, { chunkSize: 16 * 1024 });
const data = new Uint8Array(1024 * 1024 + 999).map((_, i) => (i * 5) & 0xff);

describe("AsyncCipher on ThreadPoolIo", { timeout: 30_000 }, () => {
  it("splits large inputs across workers; output interoperates with the inline path", async () => {
    const envelope = await pooled.encrypt(data);
    expect(await inline.decrypt(envelope)).toEqual(data);
    expect(await pooled.decrypt(await inline.encrypt(data))).toEqual(data);
  });

  it("never aliases or detaches a caller's Buffer (Buffer#slice is a view)", async () => {
    const input = Buffer.from(data);
    const envelope = await pooled.encrypt(input);
    expect(input.buffer.byteLength).toBeGreaterThan(0);
    expect(new Uint8Array(input)).toEqual(data);
    expect(await inline.decrypt(envelope)).toEqual(data);
  });

  it("rejects tampering detected in a worker with AuthenticationError", async () => {
    const envelope = await pooled.encrypt(data);
    envelope[envelope.length - 20_000] = (envelope[envelope.length - 20_000] as number) ^ 1;
    await expect(pooled.decrypt(envelope)).rejects.toBeInstanceOf(AuthenticationError);
  });

  it("detects truncation at a chunk boundary", async () => {
    const envelope = await pooled.encrypt(data);
    await expect(pooled.decrypt(envelope.subarray(0, 38 + 10 * (16 * 1024 + 16)))).rejects.toBeInstanceOf(TruncatedCiphertextError);
  });

  it("cancels queued and running jobs", async () => {
    const controller = new AbortController();
    const pending = pooled.encrypt(data, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(CancelledError);
  });
});
