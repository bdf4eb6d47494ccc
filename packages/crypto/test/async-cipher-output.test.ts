/**
 * AsyncCipher's `output` option: results written into a caller's buffer
 * (inline and on worker lanes), the sizes `encryptedLength` and
 * `decryptedLength` report, typed errors for a short or overlapping output,
 * and no plaintext left in it when decryption fails.
 */
import { ThreadPoolIo } from "@zsync/runtime/node";
import { afterAll, describe, expect, it } from "vitest";
import { AsyncCipher, AuthenticationError, OutputOverlapError, OutputSizeError } from "../src/index.js";

const pool = new ThreadPoolIo({ maxThreads: 2 });
afterAll(() => pool.shutdown());

const taskModule = new URL("../dist/bulk/chunk-tasks.js", import.meta.url);
const key = AsyncCipher.generateKey();
const CHUNK = 16 * 1024;
// Jobs of 4 chunks; inputs from 64 KiB run on two lanes.
const pooled = new AsyncCipher(key, {
  io: pool,
  parallelThreshold: 64 * 1024,
  jobSize: 64 * 1024,
  chunkSize: CHUNK,
  workers: 2,
  taskModule,
});
const inline = new AsyncCipher(key, { chunkSize: CHUNK });
const PLAIN = 7;
const data = new Uint8Array(1024 * 1024 + 999).fill(PLAIN);

function sharedOf(length: number, fill = 0x55): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(length)).fill(fill);
}

function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.compare(actual, expected)).toBe(0);
}

describe("AsyncCipher output option", { timeout: 30_000 }, () => {
  it("encryptedLength and decryptedLength are the lengths encrypt and decrypt return", async () => {
    for (const n of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 5]) {
      const plaintext = new Uint8Array(n).fill(3);
      const envelope = await inline.encrypt(plaintext);
      expect(inline.encryptedLength(n)).toBe(envelope.length);
      expect(inline.decryptedLength(envelope)).toBe(n);
    }
    expect(() => inline.encryptedLength(-1)).toThrow(RangeError);
    expect(() => inline.decryptedLength(new Uint8Array(3))).toThrow(/envelope too short/);
  });

  it("writes into the caller's memory, inline and single-shot, and returns the view that holds the result", async () => {
    for (const plaintext of [data, data.subarray(0, 1000)]) {
      const needed = inline.encryptedLength(plaintext.length);
      const output = new Uint8Array(needed + 100).fill(0x55);
      const envelope = await inline.encrypt(plaintext, { output });
      expect(envelope.buffer).toBe(output.buffer);
      expect(envelope.byteOffset).toBe(output.byteOffset);
      expect(envelope.length).toBe(needed);
      expect(output[needed]).toBe(0x55);
      const back = new Uint8Array(plaintext.length + 1);
      const opened = await inline.decrypt(envelope, { output: back });
      expect(opened.buffer).toBe(back.buffer);
      expectSameBytes(opened, plaintext);
    }
  });

  it("pooled calls write a shared output from the workers; an unshared one runs the call inline", async () => {
    const output = sharedOf(pooled.encryptedLength(data.length));
    const envelope = await pooled.encrypt(data, { output });
    expect(envelope.buffer).toBe(output.buffer);
    expectSameBytes(await inline.decrypt(envelope), data);
    // Reused for a second call: same memory, new envelope (fresh salt).
    const first = envelope.slice();
    expect((await pooled.encrypt(data, { output })).buffer).toBe(output.buffer);
    expect(Buffer.compare(first, output)).not.toBe(0);
    const plain = sharedOf(data.length);
    expect((await pooled.decrypt(output, { output: plain })).buffer).toBe(plain.buffer);
    expectSameBytes(plain, data);
    const unshared = new Uint8Array(data.length);
    expectSameBytes(await pooled.decrypt(first, { output: unshared }), data);
    expectSameBytes(unshared, data);
  });

  it("rejects a short output with OutputSizeError and an overlapping one with OutputOverlapError, before writing", async () => {
    const needed = inline.encryptedLength(data.length);
    const short = new Uint8Array(needed - 1).fill(0x55);
    const error = await inline.encrypt(data, { output: short }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputSizeError);
    expect(error).toMatchObject({ code: "ZSYNC_CRYPTO_OUTPUT_SIZE", needed, actual: needed - 1 });
    expect(short.every((b) => b === 0x55)).toBe(true);
    const envelope = await inline.encrypt(data);
    await expect(inline.decrypt(envelope, { output: new Uint8Array(data.length - 1) })).rejects.toBeInstanceOf(OutputSizeError);

    // One buffer holding input and output: overlapping ranges are refused, disjoint ones are fine.
    const arena = new Uint8Array(data.length + needed);
    arena.set(data);
    const input = arena.subarray(0, data.length);
    await expect(pooled.encrypt(input, { output: arena.subarray(data.length - 1) })).rejects.toMatchObject({
      code: "ZSYNC_CRYPTO_OUTPUT_OVERLAP",
    });
    await expect(pooled.encrypt(input, { output: arena })).rejects.toBeInstanceOf(OutputOverlapError);
    const sealed = await inline.encrypt(input, { output: arena.subarray(data.length) });
    expectSameBytes(await inline.decrypt(sealed), data);
    await expect(inline.decrypt(sealed, { output: arena.subarray(data.length + 50) })).rejects.toBeInstanceOf(OutputOverlapError);
  });

  it("a failed decryption leaves no plaintext in the caller's output, inline or pooled", async () => {
    const envelope = (await inline.encrypt(data)).slice();
    const tampered = envelope.slice();
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
    for (const cipher of [inline, pooled]) {
      const output = sharedOf(data.length);
      // The same call shape succeeds into this memory...
      await cipher.decrypt(envelope, { output });
      expect(output.every((b) => b === PLAIN)).toBe(true);
      // ...and after a failure in the last chunk, none of the earlier chunks' plaintext is left.
      output.fill(0x55);
      await expect(cipher.decrypt(tampered, { output })).rejects.toBeInstanceOf(AuthenticationError);
      expect(output.some((b) => b === PLAIN)).toBe(false);
    }
  });
});
