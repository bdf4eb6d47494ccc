/**
 * Headless Chromium as an HTTP/3 peer: finding Debian's binary, launching it
 * with QUIC forced on one loopback origin whose self-signed certificate is
 * trusted by its key, and the page-side probes the Chromium interop tests
 * run (what a fetch returned, its SHA-256 computed in the page, and the
 * protocol Chromium's resource timing says it went over).
 *
 * Why these flags: Chromium only speaks HTTP/3 to an origin it learnt
 * supports it (Alt-Svc over TCP first), so `--origin-to-force-quic-on`
 * makes it go straight to QUIC; QUIC in Chromium refuses certificates that
 * are not publicly trusted even with a local root, so the certificate is
 * accepted by the SHA-256 of its SubjectPublicKeyInfo
 * (`--ignore-certificate-errors-spki-list`), which is scoped to that one
 * key, not a blanket `--ignore-certificate-errors`; and `localhost` is
 * mapped to 127.0.0.1, because Chromium tries ::1 first and the servers
 * under test listen on IPv4 loopback.
 *
 * A missing browser fails the suite when `ZSYNC_REQUIRE_BROWSER=1` (CI sets
 * it, as for the runtime's browser pass) and skips it with the reason
 * printed otherwise.
 *
 * @example
 * ```ts
 * const found = findChromium();
 * if ("executablePath" in found) {
 *   const browser = await launchH3Chromium(found.executablePath, { port, publicKey: cert.publicKey });
 *   const page = await browser.newPage();
 *   await page.goto(`https://localhost:${port}/`);
 *   const [probe] = await page.evaluate(fetchProbes, [{ url: "/big", method: "GET" }]);
 * }
 * ```
 * @module
 */
import { createHash, type KeyObject } from "node:crypto";
import { createSocket } from "node:dgram";
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright";

/** Where Chromium is, or why the Chromium tests skip. */
export type ChromiumLookup = { readonly executablePath: string } | { readonly skipReason: string };

/**
 * Finds Chromium (`CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`). When
 * it is missing: throws under `ZSYNC_REQUIRE_BROWSER=1`, otherwise prints
 * the reason and returns it, for `describe.skipIf`.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): ChromiumLookup {
  const candidates = env.CHROMIUM_PATH !== undefined ? [env.CHROMIUM_PATH] : ["/usr/bin/chromium", "/usr/bin/chromium-browser"];
  const executablePath = candidates.find((p) => existsSync(p));
  if (executablePath !== undefined) return { executablePath };
  const reason = `Chromium HTTP/3 interop: no Chromium at ${candidates.join(" or ")} (install Debian's chromium or set CHROMIUM_PATH)`;
  if (env.ZSYNC_REQUIRE_BROWSER === "1") throw new Error(`${reason}; ZSYNC_REQUIRE_BROWSER=1 makes this a failure`);
  console.warn(`\n*** ${reason}: skipping these tests ***\n`);
  return { skipReason: reason };
}

/** Base64 of the SHA-256 of a public key's DER SubjectPublicKeyInfo: the form `--ignore-certificate-errors-spki-list` takes. */
export function spkiSha256Base64(publicKey: KeyObject): string {
  return createHash("sha256")
    .update(publicKey.export({ type: "spki", format: "der" }))
    .digest("base64");
}

/** What {@link launchH3Chromium} needs to reach one server. */
export interface H3ChromiumTarget {
  /** The server's UDP port on 127.0.0.1; the origin is `https://localhost:<port>`. */
  readonly port: number;
  /** The public key of the server's certificate (trusted by its SPKI hash, nothing else). */
  readonly publicKey: KeyObject;
}

/**
 * Launches headless Chromium that reaches `https://localhost:<port>` over
 * HTTP/3 only, trusting exactly the given key. The caller closes it.
 */
export function launchH3Chromium(executablePath: string, target: H3ChromiumTarget): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      "--no-sandbox",
      "--enable-quic",
      `--origin-to-force-quic-on=localhost:${target.port}`,
      `--ignore-certificate-errors-spki-list=${spkiSha256Base64(target.publicKey)}`,
      "--host-resolver-rules=MAP localhost 127.0.0.1",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A request {@link fetchProbes} makes from the page. */
export interface FetchProbeRequest {
  readonly url: string;
  readonly method: string;
  /** A request body: `size` bytes of a pattern the page generates (`seed` picks it), so the test can recompute it. */
  readonly body?: { readonly size: number; readonly seed: number };
}

/** What one fetch from the page saw. */
export interface FetchProbeResult {
  readonly ok: boolean;
  readonly status: number;
  /** Response headers, lower-case names. */
  readonly headers: Record<string, string>;
  readonly length: number;
  /** Hex SHA-256 of the response body, computed in the page with `crypto.subtle`. */
  readonly sha256: string;
  /** The first 200 bytes of the body as text (for error messages and small bodies). */
  readonly text: string;
  /** `nextHopProtocol` of the resource timing entry for this URL ("h3" over HTTP/3). */
  readonly protocol: string;
  /** Hex SHA-256 of the request body the page sent ("" without one). */
  readonly sentSha256: string;
  /** The error's name and message when the fetch or its body read rejected. */
  readonly error?: string;
}

/**
 * Runs in the page (pass it to `page.evaluate`): starts every request at
 * once, without the cache, reads each whole body, hashes it with
 * `crypto.subtle` and reports its protocol from resource timing.
 * Self-contained: Playwright sends its source to the page, so it may not
 * refer to anything outside itself.
 */
export function fetchProbes(requests: readonly FetchProbeRequest[]): Promise<FetchProbeResult[]> {
  const hex = (buffer: ArrayBuffer): string => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
  const probe = async (request: FetchProbeRequest): Promise<FetchProbeResult> => {
    let body: Uint8Array<ArrayBuffer> | undefined;
    let sentSha256 = "";
    if (request.body !== undefined) {
      body = new Uint8Array(request.body.size);
      let x = request.body.seed >>> 0 || 1;
      for (let i = 0; i < body.length; i++) {
        x = (x ^ (x << 13)) >>> 0;
        x = (x ^ (x >>> 17)) >>> 0;
        x = (x ^ (x << 5)) >>> 0;
        body[i] = x & 0xff;
      }
      sentSha256 = hex(await crypto.subtle.digest("SHA-256", body));
    }
    const url = new URL(request.url, location.href).href;
    let status = 0;
    let ok = false;
    const headers: Record<string, string> = {};
    try {
      const response = await fetch(url, { method: request.method, body, cache: "no-store" });
      status = response.status;
      ok = response.ok;
      response.headers.forEach((value, name) => {
        headers[name] = value;
      });
      const bytes = await response.arrayBuffer();
      const entries = performance.getEntriesByName(url, "resource") as PerformanceResourceTiming[];
      return {
        ok,
        status,
        headers,
        length: bytes.byteLength,
        sha256: hex(await crypto.subtle.digest("SHA-256", bytes)),
        text: new TextDecoder().decode(new Uint8Array(bytes, 0, Math.min(200, bytes.byteLength))),
        protocol: entries[entries.length - 1]?.nextHopProtocol ?? "",
        sentSha256,
      };
    } catch (error) {
      const e = error as Error;
      return { ok, status, headers, length: 0, sha256: "", text: "", protocol: "", sentSha256, error: `${e.name}: ${e.message}` };
    }
  };
  return Promise.all(requests.map(probe));
}

/** What {@link fetchThenAbort} saw. */
export interface AbortProbeResult {
  readonly status: number;
  /** Bytes of the first body chunk, read before aborting. */
  readonly firstChunk: number;
  /** The name of the error the next read rejected with ("" if it did not reject). */
  readonly error: string;
}

/**
 * Runs in the page: fetches `url`, reads the first body chunk, then aborts
 * the request with an `AbortController` (Chromium cancels the stream) and
 * reports how the next read ended. Self-contained, like {@link fetchProbes}.
 */
export async function fetchThenAbort(url: string): Promise<AbortProbeResult> {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal, cache: "no-store" });
  const reader = response.body!.getReader();
  const first = await reader.read();
  controller.abort();
  try {
    await reader.read();
    return { status: response.status, firstChunk: first.value?.length ?? 0, error: "" };
  } catch (error) {
    return { status: response.status, firstChunk: first.value?.length ?? 0, error: (error as Error).name };
  }
}

/** Runs in the page: the navigation's `nextHopProtocol` ("h3" when the page itself came over HTTP/3). */
export function navigationProtocol(): string {
  const [entry] = performance.getEntriesByType("navigation") as PerformanceNavigationTiming[];
  return entry?.nextHopProtocol ?? "";
}

/** Hex SHA-256 of the pattern {@link fetchProbes} sends as a request body, computed here for comparison. */
export function patternSha256(size: number, seed: number): string {
  return createHash("sha256").update(pagePattern(size, seed)).digest("hex");
}

/** The request-body pattern of {@link fetchProbes}: xorshift32 from `seed`, the low byte of each step. */
export function pagePattern(size: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Hex SHA-256 of `bytes`. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A UDP port on 127.0.0.1 that was free a moment ago (gtlsserver needs one on its command line). */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}
