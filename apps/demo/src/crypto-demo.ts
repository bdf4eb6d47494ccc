/**
 * Crypto demo: generates a few MiB of real data in a temp file, encrypts it
 * (whole-buffer on a 2-worker ThreadPoolIo, and streaming file-to-file),
 * decrypts it back, checks the round trip byte for byte, hashes the file with
 * SHA-256 and BLAKE3, and prints the measured throughput of each step.
 *
 * @example
 * ```ts
 * import { cryptoDemo } from "./crypto-demo.js";
 * await cryptoDemo();
 * ```
 * @module
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AsyncCipher, AsyncHasher, decryptStream, encryptStream, getProvider } from "@zsync/crypto";
import { ThreadPoolIo } from "@zsync/runtime/node";

const MiB = 1024 * 1024;

function rate(bytes: number, ms: number): string {
  return `${(bytes / MiB / (ms / 1000)).toFixed(1)} MiB/s`;
}

async function timed<T>(label: string, bytes: number, work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await work();
  const ms = performance.now() - start;
  console.log(`  ${label.padEnd(44)} ${ms.toFixed(1).padStart(8)} ms  ${rate(bytes, ms)}`);
  return result;
}

/** Runs the demo and prints what it measured. */
export async function cryptoDemo(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "zsync-crypto-demo-"));
  const pool = new ThreadPoolIo({ maxThreads: 2 });
  try {
    const provider = getProvider();
    const size = 24 * MiB;
    // Compressible-but-not-trivial content: a repeating log-like text with counters.
    const lines: string[] = [];
    for (let i = 0, total = 0; total < size; i++) {
      const line = `${new Date(1_700_000_000_000 + i * 1000).toISOString()} worker=${i % 7} request=${i} status=${i % 13 === 0 ? 500 : 200}\n`;
      lines.push(line);
      total += line.length;
    }
    const plaintext = new TextEncoder().encode(lines.join("")).subarray(0, size);
    const source = join(dir, "access.log");
    await writeFile(source, plaintext);
    console.log(`crypto demo: ${(size / MiB).toFixed(0)} MiB file at ${source} (provider: ${provider.name})`);

    const key = AsyncCipher.generateKey();
    const cipher = new AsyncCipher(key, { io: pool });
    const aad = new TextEncoder().encode("access.log");

    const envelope = await timed("AsyncCipher.encrypt (XChaCha20, 2 workers)", size, () => cipher.encrypt(plaintext, { aad }));
    const decrypted = await timed("AsyncCipher.decrypt (2 workers)", size, () => cipher.decrypt(envelope, { aad }));
    if (Buffer.compare(decrypted, plaintext) !== 0) throw new Error("round trip mismatch");

    const sealedPath = join(dir, "access.log.zc");
    const restoredPath = join(dir, "access.restored.log");
    await timed("encryptStream file -> file", size, () =>
      pipeline(encryptStream(cipher, createReadStream(source)), createWriteStream(sealedPath)),
    );
    await timed("decryptStream file -> file", size, () =>
      pipeline(decryptStream(cipher, createReadStream(sealedPath)), createWriteStream(restoredPath)),
    );
    const restored = await readFile(restoredPath);
    if (Buffer.compare(restored, plaintext) !== 0) throw new Error("streaming round trip mismatch");

    const tampered = Buffer.from(await readFile(sealedPath));
    const at = tampered.length - 1000;
    tampered[at] = (tampered[at] as number) ^ 1;
    const refused = await cipher.decrypt(tampered).then(
      () => "accepted (BUG)",
      (error: unknown) => (error as { code?: string }).code ?? String(error),
    );

    const sha = await timed("AsyncHasher.hashFile SHA-256", size, () => new AsyncHasher("sha256").hashFile(source));
    const blake = await timed("AsyncHasher.hashFile BLAKE3", size, () => new AsyncHasher("blake3").hashFile(source));
    const restoredSha = await new AsyncHasher("sha256").hashStream(Readable.from([restored]));
    console.log(`  envelope overhead: ${envelope.length - size} bytes; one flipped bit -> ${refused}`);
    console.log(`  sha256 ${Buffer.from(sha).toString("hex")} (restored file matches: ${Buffer.compare(sha, restoredSha) === 0})`);
    console.log(`  blake3 ${Buffer.from(blake).toString("hex")}`);
  } finally {
    await pool.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
}
