/**
 * HTTP/3 with headless Chromium (Debian's `chromium`, through Playwright):
 * Chromium's QUIC and HTTP/3 stack is an independent implementation, and the
 * one most of our users' traffic would come from.
 *
 * First against ngtcp2's `gtlsserver`, which proves the harness itself
 * (flags, certificate trust by SPKI, loopback mapping, the page-side probes):
 * a page load, a 4 MiB body hashed in the page, 50 parallel fetches, all
 * over h3 by Chromium's own resource timing and seen by the server.
 *
 * Then against our `Http3Server`: the same page load and 4 MiB body, a POST
 * whose body the page generates and both sides hash, 50 fetches that the
 * server holds until all 50 are in flight at once, and a response the
 * server aborts midway (the page must see a network error, not a short
 * body, and the connection must keep serving), and a fetch the page aborts
 * midway (the handler's `request.signal` must fire). Not covered, because
 * neither side can express them: trailers (the Fetch API exposes none to a
 * page, and a handler's `Response` cannot carry them) and 1xx responses
 * (`Http3Server` sends none; Chromium only acts on 103 Early Hints).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateSelfSignedCertificate } from "@zsync/crypto/tls";
import type { Browser, Page } from "playwright";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Http3Server } from "../../src/index.js";
import {
  type FetchProbeResult,
  fetchProbes,
  fetchThenAbort,
  findChromium,
  freeUdpPort,
  launchH3Chromium,
  navigationProtocol,
  pagePattern,
  patternSha256,
  sha256Hex,
} from "./chromium-support.js";
import { deferred, interopPki, type Peer, requireBinary, startPeerProcess, within } from "./support.js";

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

describe.skipIf(skip)("Chromium (headless) -> our Http3Server", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  const big = pagePattern(4 * MiB, 11);
  const PARALLEL = 50;
  /** Requests the handler saw, by path (the server's side of "it went over our stack"). */
  const seen: string[] = [];
  const handlerErrors: unknown[] = [];
  /** Requests of the parallel batch in flight now, the most there ever were, and the gate they wait on. */
  let inFlight = 0;
  let mostInFlight = 0;
  let openGate: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    openGate = resolve;
  });
  const hangAborted = deferred<unknown>();
  let server: Http3Server;
  let browser: Browser;
  let page: Page;
  let origin: string;

  async function handler(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    seen.push(`${request.method} ${pathname}`);
    if (pathname === "/" && request.method === "GET")
      return new Response("<!doctype html><title>ours</title><p id=greeting>served by Http3Server</p>", {
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    if (pathname === "/big") return new Response(big, { headers: { "content-type": "application/octet-stream" } });
    if (pathname === "/upload" && request.method === "POST") {
      const body = new Uint8Array(await request.arrayBuffer());
      return Response.json({ length: body.length, sha256: sha256Hex(body) });
    }
    const parallel = /^\/parallel\/(\d+)$/.exec(pathname);
    if (parallel !== null) {
      // Held until the whole batch is in flight: only 50 concurrent requests answer this before the test's timeout.
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      if (inFlight === PARALLEL) openGate();
      await gate;
      inFlight--;
      return new Response(pagePattern(3000, Number(parallel[1])));
    }
    if (pathname === "/hang") {
      // One chunk, then nothing until the page gives up: request.signal must tell the handler it did.
      request.signal.addEventListener("abort", () => hangAborted.resolve(request.signal.reason), { once: true });
      let first = true;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (!first) return new Promise<void>(() => undefined);
          first = false;
          controller.enqueue(pagePattern(1000, 5));
          return undefined;
        },
      });
      return new Response(body, { headers: { "content-type": "application/octet-stream" } });
    }
    if (pathname === "/abort") {
      // 256 KiB, then the body stream fails: the server must reset the stream, not end it as if complete.
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= 256 * 1024) {
            controller.error(new Error("the handler gave up midway"));
            return;
          }
          controller.enqueue(pagePattern(16 * 1024, 1 + sent));
          sent += 16 * 1024;
        },
      });
      // No content-length: only the stream reset can tell the page that the body is incomplete.
      return new Response(body, { headers: { "content-type": "application/octet-stream" } });
    }
    return new Response("not found", { status: 404 });
  }

  beforeAll(async () => {
    const cert = generateSelfSignedCertificate();
    server = await Http3Server.bind({
      host: "127.0.0.1",
      port: 0,
      certificate: cert.certificatePem,
      key: cert.privateKeyPem,
      handler,
      onError: (error) => handlerErrors.push(error),
    });
    cleanups.push(() => server.close({ timeout: 1000 }));
    origin = `https://localhost:${server.port}`;
    browser = await launchH3Chromium(executablePath, { port: server.port, publicKey: cert.publicKey });
    cleanups.push(() => browser.close());
    page = await browser.newPage();
  }, 30_000);

  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  it("loads a page over h3: Chromium's navigation timing says h3 and our handler saw the request", async () => {
    const response = await page.goto(`${origin}/`);
    expect(response?.status()).toBe(200);
    expect(await page.textContent("#greeting")).toBe("served by Http3Server");
    expect(await page.evaluate(navigationProtocol)).toBe("h3");
    expect(seen).toContain("GET /");
    expect(server.stats.connections).toBeGreaterThanOrEqual(1);
  });

  it("serves 4 MiB over h3, byte for byte by the SHA-256 the page computes", async () => {
    await page.goto(`${origin}/`);
    const [got] = await page.evaluate(fetchProbes, [{ url: "/big", method: "GET" }]);
    expect(got, summary(got)).toMatchObject({ ok: true, status: 200, length: big.length, protocol: "h3" });
    expect(got!.sha256).toBe(sha256Hex(big));
  });

  it("takes a 1 MiB POST body from fetch(): the server's SHA-256 of what arrived is the page's of what it sent", async () => {
    await page.goto(`${origin}/`);
    const size = 1024 * 1024 + 17;
    const [got] = await page.evaluate(fetchProbes, [{ url: "/upload", method: "POST", body: { size, seed: 23 } }]);
    expect(got, summary(got)).toMatchObject({ ok: true, status: 200, protocol: "h3" });
    expect(got!.sentSha256).toBe(patternSha256(size, 23));
    expect(JSON.parse(got!.text)).toEqual({ length: size, sha256: got!.sentSha256 });
  });

  it("answers 50 fetches that are all in flight at once, each with its own bytes, over h3", async () => {
    await page.goto(`${origin}/`);
    const requests = Array.from({ length: PARALLEL }, (_, i) => ({ url: `/parallel/${i}`, method: "GET" }));
    const results = await page.evaluate(fetchProbes, requests);
    expect(mostInFlight).toBe(PARALLEL);
    results.forEach((got, i) => {
      expect(got, summary(got)).toMatchObject({ ok: true, status: 200, length: 3000, protocol: "h3" });
      expect(got.sha256).toBe(sha256Hex(pagePattern(3000, i)));
    });
  });

  it("a response the server aborts midway is a network error in the page, not a short body, and the connection keeps serving", async () => {
    await page.goto(`${origin}/`);
    const [aborted] = await page.evaluate(fetchProbes, [{ url: "/abort", method: "GET" }]);
    // A network error: fetch() or the body read rejects. Chromium may drop the headers with the
    // rest of a reset stream (RFC 9000 §3.2 lets a receiver discard unread data), so fetch() itself
    // may reject; what must not happen is a successful, short body.
    expect(aborted!.error, summary(aborted)).toMatch(/^TypeError: /);
    expect([0, 200]).toContain(aborted!.status);
    expect(aborted!.length).toBe(0);
    expect(handlerErrors.map((e) => (e as Error).message)).toContain("the handler gave up midway");
    const [after] = await page.evaluate(fetchProbes, [{ url: "/big", method: "GET" }]);
    expect(after, summary(after)).toMatchObject({ ok: true, length: big.length, protocol: "h3" });
    expect(server.stats.connections).toBe(1);
  });

  it("a fetch the page aborts midway cancels the stream: the handler's request.signal fires, and the connection keeps serving", async () => {
    await page.goto(`${origin}/`);
    const got = await page.evaluate(fetchThenAbort, "/hang");
    expect(got).toEqual({ status: 200, firstChunk: 1000, error: "AbortError" });
    // Chromium's STOP_SENDING/RESET_STREAM reached the server and aborted the request's signal.
    await within(10_000, hangAborted.promise, "request.signal of /hang to abort after the page cancelled");
    const [after] = await page.evaluate(fetchProbes, [{ url: "/big", method: "GET" }]);
    expect(after, summary(after)).toMatchObject({ ok: true, length: big.length, protocol: "h3" });
    expect(server.stats.connections).toBe(1);
  });
});
