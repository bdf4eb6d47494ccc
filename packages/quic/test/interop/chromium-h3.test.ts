/**
 * HTTP/3 with headless Chromium (Debian's `chromium`, through Playwright):
 * Chromium's QUIC and HTTP/3 stack is an independent implementation, and the
 * one most of our users' traffic would come from.
 *
 * First against ngtcp2's `gtlsserver`, which proves the harness itself
 * (flags, certificate trust by SPKI, loopback mapping, the page-side probes):
 * a page load, a 4 MiB body hashed in the page, 50 parallel fetches, all
 * over h3 by Chromium's own resource timing and seen by the server.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateSelfSignedCertificate } from "@zsync/crypto/tls";
import type { Browser, Page } from "playwright";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type FetchProbeResult,
  fetchProbes,
  findChromium,
  freeUdpPort,
  launchH3Chromium,
  navigationProtocol,
  pagePattern,
  sha256Hex,
} from "./chromium-support.js";
import { interopPki, type Peer, requireBinary, startPeerProcess } from "./support.js";

const MiB = 1024 * 1024;
const found = findChromium();
const skip = "skipReason" in found;
const executablePath = "executablePath" in found ? found.executablePath : "";

describe.skipIf(skip)("Chromium (headless) -> ngtcp2 gtlsserver over HTTP/3: the harness", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  const big = pagePattern(4 * MiB, 7);
  const smalls = Array.from({ length: 50 }, (_, i) => pagePattern(1000 + i * 97, 100 + i));
  let peer: Peer;
  let browser: Browser;
  let page: Page;
  let origin: string;

  beforeAll(async () => {
    const gtlsserver = requireBinary("gtlsserver", "ngtcp2-server");
    const cert = generateSelfSignedCertificate();
    const { dir } = interopPki();
    const htdocs = join(dir, "htdocs");
    mkdirSync(join(htdocs, "small"), { recursive: true });
    writeFileSync(join(dir, "self-cert.pem"), cert.certificatePem);
    writeFileSync(join(dir, "self-key.pem"), cert.privateKeyPem, { mode: 0o600 });
    writeFileSync(join(htdocs, "index.html"), "<!doctype html><title>gtlsserver</title><p id=greeting>served by ngtcp2</p>");
    writeFileSync(join(htdocs, "big.bin"), big);
    for (const [i, bytes] of smalls.entries()) writeFileSync(join(htdocs, "small", `${i}.bin`), bytes);
    const port = await freeUdpPort();
    origin = `https://localhost:${port}`;
    peer = startPeerProcess(
      gtlsserver,
      [
        "--initial-rtt=1ms",
        "--no-quic-dump",
        "--no-http-dump",
        `--htdocs=${htdocs}`,
        "127.0.0.1",
        String(port),
        join(dir, "self-key.pem"),
        join(dir, "self-cert.pem"),
      ],
      (cleanup) => cleanups.push(cleanup),
    );
    await peer.waitFor("Using document root", 10_000);
    browser = await launchH3Chromium(executablePath, { port, publicKey: cert.publicKey });
    cleanups.push(() => browser.close());
    page = await browser.newPage();
  }, 30_000);

  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  it("loads a page over h3: Chromium's navigation timing says h3 and gtlsserver logged the request", async () => {
    const response = await page.goto(`${origin}/index.html`);
    expect(response?.status()).toBe(200);
    expect(await page.textContent("#greeting")).toBe("served by ngtcp2");
    expect(await page.evaluate(navigationProtocol)).toBe("h3");
    await peer.waitFor(/http: stream 0x[0-9a-f]+ \[:path: \/index\.html\]/, 5_000);
  });

  it("fetches 4 MiB over h3, byte for byte by the SHA-256 the page computes", async () => {
    await page.goto(`${origin}/index.html`);
    const [got] = await page.evaluate(fetchProbes, [{ url: "/big.bin", method: "GET" }]);
    expect(got, summary(got)).toMatchObject({ ok: true, status: 200, length: big.length, protocol: "h3" });
    expect(got!.sha256).toBe(sha256Hex(big));
  });

  it("runs 50 fetches at once, each over h3 with the right bytes, each request seen by gtlsserver", async () => {
    await page.goto(`${origin}/index.html`);
    const requests = smalls.map((_, i) => ({ url: `/small/${i}.bin`, method: "GET" }));
    const results = await page.evaluate(fetchProbes, requests);
    expect(results).toHaveLength(50);
    results.forEach((got, i) => {
      expect(got, summary(got)).toMatchObject({ ok: true, status: 200, length: smalls[i]!.length, protocol: "h3" });
      expect(got.sha256).toBe(sha256Hex(smalls[i]!));
    });
    for (let i = 0; i < 50; i++) expect(peer.log()).toMatch(new RegExp(`\\[:path: /small/${i}\\.bin\\]`));
  });
});

/** One line naming what a probe saw, for assertion messages. */
function summary(got: FetchProbeResult | undefined): string {
  if (got === undefined) return "no result";
  return `status ${got.status}, ${got.length} bytes over ${got.protocol || "?"}${got.error ? `, error ${got.error}` : ""}: ${got.text.slice(0, 120)}`;
}
