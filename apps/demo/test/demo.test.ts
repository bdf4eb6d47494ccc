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

describe("demo: the HTTP/3 service", () => {
  /** The demo's output from the HTTP/3 part on ("" if it never started). */
  const section = (): string => {
    const at = output.indexOf("h3 demo: ");
    return at < 0 ? "" : output.slice(at);
  };

  it("serves the demo service with Http3Server on loopback UDP and exercises it with our Http3Client", () => {
    expect(output).toMatch(/^h3 demo: Http3Server on 127\.0\.0\.1:\d+ \(UDP\) serving the demo service/m);
    expect(section()).toMatch(/^ {2}GET \/ -> 200 text\/html; charset=utf-8, \d+ bytes in [\d.]+ ms$/m);
  });

  it("hashes 8 MiB uploaded over HTTP/3: the digest is the SHA-256 of the payload the demo sends", () => {
    const sha = section().match(
      /POST \/hash\?algorithm=sha256 \((\d+) bytes uploaded\) -> ([0-9a-f]{64}) in [\d.]+ ms \([\d.]+ MB\/s\); equals the local node:crypto digest: (\w+)/,
    );
    expect(sha, section()).not.toBeNull();
    expect(Number(sha![1])).toBe(8 * 1024 * 1024);
    // Seed 3 of the demo's payload generator, recomputed here independently.
    expect(sha![2]).toBe(sha256OfPayload(8 * 1024 * 1024, 3));
    expect(sha![3]).toBe("true");
    const blake3 = section().match(/POST \/hash\?algorithm=blake3 \((\d+) bytes uploaded\) -> ([0-9a-f]{64})/);
    expect(blake3, section()).not.toBeNull();
    expect(blake3![2]).not.toBe(sha![2]);
  });

  it("seals and opens 4 MiB byte for byte, and refuses a flipped bit with a 400 naming ZSYNC_CRYPTO_AUTH", () => {
    const seal = section().match(
      /POST \/seal (\d+) bytes -> (\d+)-byte envelope; POST \/open -> (\d+) bytes, byte for byte (\w+); one flipped bit -> (.*?); [\d.]+ ms$/m,
    );
    expect(seal, section()).not.toBeNull();
    const [sealed, envelope, opened] = seal!.slice(1, 4).map(Number) as [number, number, number];
    expect(sealed).toBe(4 * 1024 * 1024);
    expect(envelope).toBeGreaterThan(sealed);
    expect(opened).toBe(sealed);
    expect(seal![4]).toBe("identical");
    expect(seal![5]).toBe("400 DEMO_SEAL_REJECTED (the envelope was refused: ZSYNC_CRYPTO_AUTH)");
  });

  it("stores 32 notes posted at once from 32 tasks under 32 distinct ids, and reads them back", () => {
    expect(section()).toMatch(
      /POST \/notes from 32 tasks at once -> 32 distinct ids; GET \/notes -> total 32; GET \/notes\/\d+ -> "note \d+ from task \d+"/,
    );
  });

  it("answers every bad request with its 4xx and code, and a deadline with a 504", () => {
    expect(section()).toContain(
      "bad requests: GET /notes/abc -> 400 DEMO_BAD_ID; POST /notes -> 400 DEMO_BAD_JSON; POST /hash?algorithm=md5 -> 400 DEMO_BAD_ALGORITHM; PUT /notes -> 405 DEMO_METHOD_NOT_ALLOWED; GET /no/such/route -> 404 DEMO_NO_ROUTE",
    );
    expect(section()).toMatch(
      /GET \/slow\?ms=20 -> 200 after [\d.]+ ms \(deadline 250 ms\); GET \/slow\?ms=5000 -> 504 DEMO_DEADLINE after [\d.]+ ms/,
    );
  });

  it("the request log and the server account for every request the client sent, with no error", () => {
    const stats = section().match(
      /GET \/stats -> the service logged (\d+) requests before it \(this client sent (\d+)\); by status (\{.*\})$/m,
    );
    expect(stats, section()).not.toBeNull();
    expect(Number(stats![1])).toBe(Number(stats![2]));
    // 200: index, two hashes, seal, open, the list, one note, the quick /slow; 400: the flipped bit and three bad requests.
    expect(JSON.parse(stats![3]!)).toEqual({ 200: 8, 201: 32, 400: 4, 404: 1, 405: 1, 504: 1 });
    const server = section().match(
      /server: (\d+) connection\(s\), (\d+) requests handled \(the client sent (\d+)\), (\d+) malformed, (\d+) handler errors/,
    );
    expect(server, section()).not.toBeNull();
    expect(server!.slice(1, 6).map(Number)).toEqual([1, Number(stats![2]) + 1, Number(stats![2]) + 1, 0, 0]);
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
