/** AsyncCipher: envelopes, tamper detection, cancellation, and the chunked construction's guarantees. */

import { CancelledError, spawn, ZsyncError } from "@zsync/runtime";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AeadAlgorithm } from "../src/index.js";
import {
  AsyncCipher,
  AsyncHasher,
  AuthenticationError,
  EnvelopeFormatError,
  parseEnvelopeHeader,
  TruncatedCiphertextError,
} from "../src/index.js";
import { PROVIDERS } from "./support.js";

const CHUNK = 1024;
const SEALED_CHUNK = CHUNK + 16;
const HEADER = 38;
const ALGORITHMS: AeadAlgorithm[] = ["xchacha20-poly1305", "chacha20-poly1305", "aes-256-gcm", "aes-128-gcm"];

function cipherFor(algorithm: AeadAlgorithm = "xchacha20-poly1305", provider = PROVIDERS[0]) {
  return new AsyncCipher(AsyncCipher.generateKey(algorithm), { algorithm, chunkSize: CHUNK, ...(provider && { provider }) });
}

function bytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

describe("AsyncCipher envelopes", () => {
  it.each(PROVIDERS.flatMap((p) => ALGORITHMS.map((a) => [p.name, a, p] as const)))(
    "%s %s: small and chunked messages round-trip",
    async (_n, algorithm, provider) => {
      const cipher = cipherFor(algorithm, provider);
      for (const length of [0, 1, CHUNK, CHUNK + 1, 3 * CHUNK, 5 * CHUNK + 7]) {
        const plaintext = bytes(length);
        const envelope = await cipher.encrypt(plaintext);
        expect(parseEnvelopeHeader(envelope).mode).toBe(length <= CHUNK ? "single" : "chunked");
        expect(parseEnvelopeHeader(envelope).algorithm).toBe(algorithm);
        expect(await cipher.decrypt(envelope)).toEqual(plaintext);
      }
    },
  );

  it("defaults to XChaCha20-Poly1305 with fresh random nonces", async () => {
    const cipher = new AsyncCipher(AsyncCipher.generateKey());
    const a = await cipher.encrypt(new Uint8Array(10));
    const b = await cipher.encrypt(new Uint8Array(10));
    const ha = parseEnvelopeHeader(a);
    const hb = parseEnvelopeHeader(b);
    expect(ha.algorithm).toBe("xchacha20-poly1305");
    if (ha.mode !== "single" || hb.mode !== "single") throw new Error("expected single-shot envelopes");
    expect(ha.nonce.length).toBe(24);
    expect(ha.nonce).not.toEqual(hb.nonce);
  });

  it("envelopes from one provider decrypt with the other", async () => {
    const key = AsyncCipher.generateKey();
    const [node, noble] = PROVIDERS.map((provider) => new AsyncCipher(key, { provider, chunkSize: CHUNK }));
    if (!node || !noble) throw new Error("providers missing");
    const plaintext = bytes(4 * CHUNK + 3);
    expect(await noble.decrypt(await node.encrypt(plaintext))).toEqual(plaintext);
    expect(await node.decrypt(await noble.encrypt(plaintext))).toEqual(plaintext);
  });

  it("binds the associated data", async () => {
    const cipher = cipherFor();
    const aad = new TextEncoder().encode("user:42");
    for (const length of [10, 3 * CHUNK]) {
      const envelope = await cipher.encrypt(bytes(length), { aad });
      expect(await cipher.decrypt(envelope, { aad })).toEqual(bytes(length));
      await expect(cipher.decrypt(envelope)).rejects.toBeInstanceOf(AuthenticationError);
      await expect(cipher.decrypt(envelope, { aad: new TextEncoder().encode("user:43") })).rejects.toBeInstanceOf(AuthenticationError);
    }
  });

  it("rejects a wrong key with AuthenticationError", async () => {
    const envelope = await cipherFor().encrypt(bytes(100));
    await expect(cipherFor().decrypt(envelope)).rejects.toMatchObject({ code: "ZSYNC_CRYPTO_AUTH" });
  });

  it("property: decrypt(encrypt(x)) = x for any bytes and aad", async () => {
    const cipher = cipherFor();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4 * CHUNK + 50 }), fc.uint8Array({ maxLength: 40 }), async (plaintext, aad) => {
        expect(await cipher.decrypt(await cipher.encrypt(plaintext, { aad }), { aad })).toEqual(plaintext);
      }),
      { numRuns: 60 },
    );
  });

  it("property: any single flipped bit is rejected, with no plaintext released", async () => {
    const cipher = cipherFor();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3 * CHUNK + 20 }), fc.nat(), fc.nat({ max: 7 }), async (plaintext, where, bit) => {
        const envelope = await cipher.encrypt(plaintext);
        const tampered = envelope.slice();
        const at = where % tampered.length;
        tampered[at] = (tampered[at] as number) ^ (1 << bit);
        const error = await cipher.decrypt(tampered).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ZsyncError);
        expect(
          error instanceof AuthenticationError || error instanceof EnvelopeFormatError || error instanceof TruncatedCiphertextError,
        ).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it("property: truncation at any point is rejected", async () => {
    const cipher = cipherFor();
    const envelope = await cipher.encrypt(bytes(4 * CHUNK + 100));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: envelope.length - 1 }), async (cut) => {
        await expect(cipher.decrypt(envelope.subarray(0, cut))).rejects.toBeInstanceOf(ZsyncError);
      }),
      { numRuns: 100 },
    );
  });

  it("truncation at a chunk boundary is reported as TruncatedCiphertextError", async () => {
    const cipher = cipherFor();
    const envelope = await cipher.encrypt(bytes(4 * CHUNK + 100));
    await expect(cipher.decrypt(envelope.subarray(0, HEADER + 2 * SEALED_CHUNK))).rejects.toBeInstanceOf(TruncatedCiphertextError);
  });

  it("property: swapping or reordering chunks is rejected", async () => {
    const cipher = cipherFor();
    const envelope = await cipher.encrypt(bytes(5 * CHUNK + 100));
    const chunks = 6;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: chunks - 2 }), fc.integer({ min: 1, max: chunks - 1 }), async (a, offset) => {
        const b = Math.min(chunks - 2, a + offset);
        fc.pre(a !== b);
        const tampered = envelope.slice();
        const start = (i: number) => HEADER + i * SEALED_CHUNK;
        tampered.set(envelope.subarray(start(b), start(b) + SEALED_CHUNK), start(a));
        tampered.set(envelope.subarray(start(a), start(a) + SEALED_CHUNK), start(b));
        await expect(cipher.decrypt(tampered)).rejects.toBeInstanceOf(AuthenticationError);
      }),
      { numRuns: 20 },
    );
  });

  it("a chunk from another envelope under the same key is rejected", async () => {
    const cipher = cipherFor();
    const one = await cipher.encrypt(bytes(3 * CHUNK));
    const two = await cipher.encrypt(bytes(3 * CHUNK));
    const spliced = one.slice();
    spliced.set(two.subarray(HEADER, HEADER + SEALED_CHUNK), HEADER);
    await expect(cipher.decrypt(spliced)).rejects.toBeInstanceOf(AuthenticationError);
  });

  it("property: the envelope parser answers garbage with EnvelopeFormatError only", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.boolean(), (garbage, withMagic) => {
        const input = withMagic && garbage.length >= 3 ? Uint8Array.from([0x5a, 0x43, 1, ...garbage.subarray(3)]) : garbage;
        try {
          parseEnvelopeHeader(input);
        } catch (error) {
          expect(error).toBeInstanceOf(EnvelopeFormatError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("property: decrypting garbage fails with a typed error, never anything else", async () => {
    const cipher = cipherFor();
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 1 }),
        async (garbage, alg, mode) => {
          const input = Uint8Array.from([0x5a, 0x43, 1, alg, mode, 10, ...garbage]);
          const error = await cipher.decrypt(input).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(ZsyncError);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("names bad arguments: TypeError for types, RangeError for lengths", async () => {
    expect(() => new AsyncCipher("key" as unknown as Uint8Array)).toThrow(/key must be a Uint8Array/);
    expect(() => new AsyncCipher(new Uint8Array(16))).toThrow(RangeError);
    expect(() => new AsyncCipher(new Uint8Array(32), { chunkSize: 1000 })).toThrow(/chunkSize/);
    const cipher = cipherFor();
    await expect(cipher.encrypt("text" as unknown as Uint8Array)).rejects.toThrow(TypeError);
    await expect(cipher.encrypt(new Uint8Array(1), { aad: [1] as unknown as Uint8Array })).rejects.toThrow(/options.aad/);
  });

  it("an aborted signal rejects with CancelledError", async () => {
    const cipher = cipherFor();
    const controller = new AbortController();
    controller.abort("stop");
    await expect(cipher.encrypt(bytes(10), { signal: controller.signal })).rejects.toBeInstanceOf(CancelledError);
    const envelope = await cipher.encrypt(bytes(3 * 1024 * 1024));
    const late = new AbortController();
    const pending = cipher.decrypt(envelope, { signal: late.signal });
    late.abort();
    await expect(pending).rejects.toBeInstanceOf(CancelledError);
  });
});

/**
 * Starts `operation` inside a runtime task, cancels the task once the
 * operation is under way (its first group done, the rest pending behind a
 * yield), and returns the operation's own promise: a long operation that
 * ignored the task's cancellation would resolve instead of rejecting.
 */
async function cancelTaskDuring(operation: () => Promise<unknown>): Promise<unknown> {
  let started!: Promise<unknown>;
  const task = spawn(() => {
    started = operation();
    return started;
  });
  await new Promise<void>((resolve) => setImmediate(resolve));
  while (started === undefined) await new Promise<void>((resolve) => setImmediate(resolve));
  task.cancel("caller gave up");
  await task.then(
    () => undefined,
    () => undefined,
  );
  // The outcome, not the value: a 16 MiB result would be slow to print in a failure message.
  return started.then(
    () => "completed",
    (error: unknown) => error,
  );
}

describe("ambient task cancellation", () => {
  const big = bytes(16 * 1024 * 1024);

  it("cancelling the calling task stops a long encrypt and decrypt with CancelledError", async () => {
    const cipher = new AsyncCipher(AsyncCipher.generateKey());
    expect(await cancelTaskDuring(() => cipher.encrypt(big))).toBeInstanceOf(CancelledError);
    const envelope = await cipher.encrypt(big);
    expect(await cancelTaskDuring(() => cipher.decrypt(envelope))).toBeInstanceOf(CancelledError);
    // Outside a task nothing is cancelled: the same calls complete.
    expect(Buffer.compare(await cipher.decrypt(envelope), big)).toBe(0);
  });

  it("a task cancelled before the call rejects it at once, even for a single-shot message", async () => {
    const cipher = new AsyncCipher(AsyncCipher.generateKey());
    const task = spawn(async () => {
      task.cancel();
      return cipher.encrypt(bytes(10));
    });
    await expect(task).rejects.toBeInstanceOf(CancelledError);
    let inner: Promise<Uint8Array> | undefined;
    const second = spawn(() => {
      second.cancel();
      inner = cipher.encrypt(bytes(10));
      return inner;
    });
    await second.then(
      () => undefined,
      () => undefined,
    );
    await expect(inner).rejects.toBeInstanceOf(CancelledError);
  });

  it("cancelling the calling task stops AsyncHasher.hashLargeData", async () => {
    const hasher = new AsyncHasher("sha256", { chunkSize: 64 * 1024 });
    expect(await cancelTaskDuring(() => hasher.hashLargeData(big))).toBeInstanceOf(CancelledError);
    expect((await hasher.hashLargeData(big)).length).toBe(32);
  });
});
