// The demo is the seeds' main(): run the built program as a user would and
// check that every part did real work (turbo builds dist/ before this test).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
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
    // 3 producers send p * 10_000 + i for i < 10_000: every message arrives exactly once.
    let checksum = 0;
    for (let p = 0; p < 3; p++) for (let i = 0; i < 10_000; i++) checksum += p * 10_000 + i;
    expect(output).toContain(`received 30000 messages (checksum ${checksum})`);
    expect(output).toContain('joinAll rejected with "a child failed"');
    expect(output).toMatch(/the 10 s sibling: CancelledError/);
    expect(output).toMatch(/tasks +spawned \d+ +completed \d+/);
  });

  it("accounts for every message select saw: one round receives the reply, the other times out, none is lost", () => {
    const rounds = [...output.matchAll(/^round (\d): (got "reply from a fast peer"|timed out) after [\d.]+ ms$/gm)];
    expect(
      rounds.map((r) => r[1]),
      output,
    ).toEqual(["1", "2"]);
    const summary = output.match(
      /select: (\d+) messages sent, (\d+) delivered by select, (\d+) drained from the channel afterwards, (-?\d+) lost; (\d+) round\(s\) timed out/,
    );
    expect(summary, output).not.toBeNull();
    const [sent = -1, delivered = -1, drained = -1, lost = -1, timedOut = -1] = summary!.slice(1).map(Number);
    // The program sends the reply and one late message; its counters must
    // agree with the rounds it printed and with each other.
    expect(sent).toBe(2);
    expect(delivered + drained).toBe(sent);
    expect(lost).toBe(0);
    expect(delivered).toBe(rounds.filter((r) => r[2]!.startsWith("got")).length);
    expect(timedOut).toBe(rounds.filter((r) => r[2] === "timed out").length);
    expect(delivered + timedOut).toBe(2);
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

  it("echoes over QUIC v1 and v2 between our client and our server: the requested version, verified bytes, real RTT and throughput", () => {
    const requested = [...output.matchAll(/^ {2}QUIC (v1|v2) requested$/gm)].map((m) => m[1]);
    expect(requested, output).toEqual(["v1", "v2"]);
    const blocks = output.split(/^ {2}QUIC (?:v1|v2) requested$/m).slice(1, 3);
    const wire = { v1: "0x00000001", v2: "0x6b3343cf" } as const;
    blocks.forEach((block, i) => {
      const version = requested[i] as "v1" | "v2";
      // The version on the wire is the one requested (the server accepts only that one).
      expect(block).toMatch(
        new RegExp(`negotiated version ${wire[version]} \\(${version}\\), TLS_[A-Z0-9_]+, ALPN zsync-echo; handshake [\\d.]+ ms`),
      );
      expect(block).toContain('messages echoed: "hello over QUIC", "a second message", "and a third"');
      const bulk = block.match(
        /bulk: sent (\d+) bytes, echoed (\d+) bytes in ([\d.]+) ms = ([\d.]+) MB\/s each way; echo sha256 ([0-9a-f]{64}); byte for byte (\w+)/,
      );
      expect(bulk, block).not.toBeNull();
      const [sent, echoed, ms, rate] = bulk!.slice(1, 5).map(Number) as [number, number, number, number];
      expect(sent).toBe(8 * 1024 * 1024);
      expect(echoed).toBe(sent);
      // The digest of what came back must be the digest of what the demo sends (seed 1 for v1, 2 for v2).
      expect(bulk![5]).toBe(sha256OfPayload(sent, i + 1));
      expect(bulk![6]).toBe("identical");
      expect(ms).toBeGreaterThan(0);
      // Throughput is computed from the bytes and the time printed (to the printed precision).
      expect(Math.abs(rate - echoed / 1e6 / (ms / 1000))).toBeLessThan(0.06 + rate * 0.001);
      const stats = block.match(
        /smoothed RTT ([\d.]+) ms, min RTT ([\d.]+) ms, cwnd (\d+) bytes; UDP bytes sent (\d+), received (\d+); packets sent (\d+), received (\d+), lost (\d+)/,
      );
      expect(stats, block).not.toBeNull();
      const [srtt, minRtt, cwnd, udpSent, udpReceived, packetsSent, packetsReceived, lost] = stats!.slice(1).map(Number) as number[];
      expect(Number.isFinite(srtt) && srtt! > 0).toBe(true);
      expect(Number.isFinite(minRtt) && minRtt! >= 0 && minRtt! <= srtt!).toBe(true);
      expect(cwnd).toBeGreaterThan(0);
      // Every payload byte crossed the wire each way, plus headers and AEAD tags.
      expect(udpSent).toBeGreaterThan(sent);
      expect(udpReceived).toBeGreaterThan(sent);
      expect(packetsSent).toBeGreaterThan(sent / 1500);
      expect(packetsReceived).toBeGreaterThan(sent / 1500);
      expect(lost).toBeGreaterThanOrEqual(0);
      expect(lost).toBeLessThan(packetsSent!);
    });
  });

  it("runs the database part: batch insert and concurrent point queries", () => {
    expect(output).toContain("sqlite: table holds 20000 users");
    expect(output).toMatch(/sqlite: 20000 point queries from 64 tasks/);
  });
});

/** SHA-256 of the demo's bulk payload, written independently of it: xorshift32 from `seed`, the low byte of each step. */
function sha256OfPayload(length: number, seed: number): string {
  const bytes = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    bytes[i] = x & 0xff;
  }
  return createHash("sha256").update(bytes).digest("hex");
}
