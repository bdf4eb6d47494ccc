/** encryptStream / decryptStream: web and Node streams, bounded chunks, tamper and truncation detection. */
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  AsyncCipher,
  AuthenticationError,
  decryptStream,
  EnvelopeFormatError,
  encryptStream,
  TruncatedCiphertextError,
} from "../src/index.js";

const CHUNK = 1024;

function bytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 7 + 3) & 0xff;
  return out;
}

function pieces(data: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.slice(i, i + size));
  return out;
}

function webStream(parts: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      const part = parts[i++];
      if (part === undefined) controller.close();
      else controller.enqueue(part);
    },
  });
}

async function collectWeb(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  return new Uint8Array(Buffer.concat(parts));
}

async function collect(iterable: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of iterable) parts.push(part);
  return new Uint8Array(Buffer.concat(parts));
}

const cipher = new AsyncCipher(AsyncCipher.generateKey(), { chunkSize: CHUNK });

describe("streaming encryption", () => {
  it.each([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 4 * CHUNK, 10 * CHUNK + 333])(
    "web streams round-trip %i bytes in odd-sized pieces",
    async (length) => {
      const plaintext = bytes(length);
      const sealed = await collectWeb(encryptStream(cipher, webStream(pieces(plaintext, 700))));
      expect(await collectWeb(decryptStream(cipher, webStream(pieces(sealed, 333))))).toEqual(plaintext);
    },
  );

  it("Node Readable in gives Node Readable out", async () => {
    const plaintext = bytes(7 * CHUNK + 5);
    const encrypted = encryptStream(cipher, Readable.from(pieces(plaintext, 900)));
    expect(encrypted).toBeInstanceOf(Readable);
    const sealed = await collect(encrypted);
    expect(await collect(decryptStream(cipher, Readable.from(pieces(sealed, 1500))))).toEqual(plaintext);
  });

  it("stream output and one-shot envelopes are the same format", async () => {
    const plaintext = bytes(6 * CHUNK);
    const sealed = await collectWeb(encryptStream(cipher, webStream([plaintext])));
    expect(await cipher.decrypt(sealed)).toEqual(plaintext);
    const oneShot = await cipher.encrypt(plaintext);
    expect(await collectWeb(decryptStream(cipher, webStream(pieces(oneShot, 1000))))).toEqual(plaintext);
    const small = await cipher.encrypt(bytes(10));
    expect(await collectWeb(decryptStream(cipher, webStream([small])))).toEqual(bytes(10));
  });

  it("emits one sealed chunk at a time (bounded memory)", async () => {
    const sizes: number[] = [];
    for await (const part of encryptStream(
      cipher,
      (async function* () {
        yield bytes(20 * CHUNK);
      })(),
    ))
      sizes.push(part.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(CHUNK + 16);
    expect(sizes.length).toBe(1 + 20);
  });

  it("detects truncation at a chunk boundary, a dropped chunk, and a tampered byte", async () => {
    const sealed = await collectWeb(encryptStream(cipher, webStream([bytes(5 * CHUNK + 10)])));
    const header = 38;
    const chunk = CHUNK + 16;
    const run = (data: Uint8Array) => collectWeb(decryptStream(cipher, webStream(pieces(data, 512))));
    await expect(run(sealed.subarray(0, header + 3 * chunk))).rejects.toBeInstanceOf(TruncatedCiphertextError);
    await expect(run(sealed.subarray(0, header))).rejects.toBeInstanceOf(TruncatedCiphertextError);
    const dropped = Buffer.concat([sealed.subarray(0, header + chunk), sealed.subarray(header + 2 * chunk)]);
    await expect(run(dropped)).rejects.toBeInstanceOf(AuthenticationError);
    const flipped = sealed.slice();
    flipped[header + 2 * chunk + 5] = (flipped[header + 2 * chunk + 5] as number) ^ 1;
    await expect(run(flipped)).rejects.toBeInstanceOf(AuthenticationError);
    await expect(run(Buffer.concat([sealed, new Uint8Array([0])]))).rejects.toBeInstanceOf(AuthenticationError);
    await expect(run(new Uint8Array([1, 2, 3, 4, 5, 6]))).rejects.toBeInstanceOf(EnvelopeFormatError);
  });

  it("rejects non-byte chunks with TypeError", async () => {
    await expect(
      collect(
        encryptStream(
          cipher,
          (async function* () {
            yield "text" as unknown as Uint8Array;
          })(),
        ),
      ),
    ).rejects.toThrow(TypeError);
  });
});
