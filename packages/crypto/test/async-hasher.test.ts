/** AsyncHasher: incremental, cooperative and file hashing agree with one-shot hashes. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CancelledError } from "@zsync/runtime";
import { afterAll, describe, expect, it } from "vitest";
import { AsyncHasher, getProvider, InvalidStateError } from "../src/index.js";
import { toHex } from "./support.js";

const dir = mkdtempSync(join(tmpdir(), "zsync-hasher-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const data = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 13) & 0xff);

describe("AsyncHasher", () => {
  it.each(["sha256", "sha512", "blake2b", "blake3"] as const)(
    "%s: hashLargeData, update/digest, hashFile and hashStream agree with one-shot",
    async (algorithm) => {
      const expected = toHex(getProvider().hash(algorithm, data));
      const hasher = new AsyncHasher(algorithm, { chunkSize: 100_000 });
      expect(toHex(await hasher.hashLargeData(data))).toBe(expected);
      hasher.update(data.subarray(0, 5)).update(data.subarray(5));
      expect(toHex(hasher.digest())).toBe(expected);
      const file = join(dir, `${algorithm}.bin`);
      writeFileSync(file, data);
      expect(toHex(await hasher.hashFile(file))).toBe(expected);
    },
  );

  it("digest() resets for the next message", () => {
    const hasher = new AsyncHasher("sha256");
    hasher.update(new Uint8Array([1]));
    const first = toHex(hasher.digest());
    expect(toHex(hasher.digest())).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(first).not.toBe(toHex(hasher.digest()));
  });

  it("yields to the event loop while hashing large data", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    await new AsyncHasher("sha256", { chunkSize: 16 * 1024, provider: "noble" }).hashLargeData(data);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });

  it("cancels with CancelledError", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(new AsyncHasher().hashLargeData(data, { signal: controller.signal })).rejects.toBeInstanceOf(CancelledError);
  });

  it("a provider hasher refuses use after digest()", () => {
    for (const name of ["node", "noble"] as const) {
      const h = getProvider(name).createHash("sha256");
      h.digest();
      expect(() => h.update(new Uint8Array(1))).toThrow(InvalidStateError);
    }
  });
});
