// The demo is the seeds' main(): run the built program as a user would and
// check that every part did real work (turbo builds dist/ before this test).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));
let output = "";
let status: number | null = null;

beforeAll(() => {
  if (!existsSync(main)) throw new Error(`build the demo first (pnpm --filter @zsync/demo build): ${main} is missing`);
  const result = spawnSync(process.execPath, [main], { encoding: "utf8", timeout: 120_000 });
  output = `${result.stdout}${result.stderr}`;
  status = result.status;
}, 130_000);

describe("demo", () => {
  it("exits 0", () => {
    expect(status, output).toBe(0);
  });

  it("runs the runtime showcase: priorities, channel, select with timeout, executor, stats", () => {
    expect(output).toContain("start order: urgent (QUIC handshake) -> normal-0");
    expect(output).toMatch(/received 30000 messages \(checksum 449985000\)/);
    expect(output).toContain('round 1: got "reply from a fast peer"');
    expect(output).toContain("round 2: timed out after 25 ms (no message consumed)");
    expect(output).toContain('joinAll rejected with "a child failed"');
    expect(output).toMatch(/tasks +spawned \d+ +completed \d+/);
  });

  it("runs CPU work on the thread pool with correct results", () => {
    expect(output).toContain("primes below 6,000,000: 412849; below 7,000,000: 476648");
    expect(output).toMatch(/a 400M sieve cancelled mid-run: CancelledError/);
  });

  it("encrypts, decrypts and hashes a real file, and rejects a flipped bit", () => {
    expect(output).toContain("one flipped bit -> ZSYNC_CRYPTO_AUTH");
    expect(output).toContain("restored file matches: true");
  });

  it("echoes over TLS 1.3 between ours and ours, and ours and node:tls, byte for byte", () => {
    expect(output).toContain("our client <-> our server");
    expect(output).toContain("our client <-> node:tls server");
    expect(output).toContain("node:tls client <-> our server");
    expect(output.match(/byte-identical/g)?.length).toBe(3);
  });

  it("runs the database part: batch insert and concurrent point queries", () => {
    expect(output).toContain("sqlite: table holds 20000 users");
    expect(output).toMatch(/sqlite: 20000 point queries from 64 tasks/);
  });
});
