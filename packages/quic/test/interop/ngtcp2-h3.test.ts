/**
 * HTTP/3 (RFC 9114) against an independent implementation: nghttp3, inside
 * ngtcp2's example programs (Debian `ngtcp2-client` / `ngtcp2-server`, which
 * `.ci/run` installs).
 *
 * - `gtlsclient` → our `Http3Server`: its requests (QPACK-encoded by nghttp3,
 *   several on one connection) reach the handler as Fetch `Request`s; it reads
 *   our responses: status and headers from its log, the content byte for byte
 *   from the files it saves (`--download`); a POST's body reaches the handler
 *   intact; the connection ends with H3_NO_ERROR.
 * - our `Http3Client` → `gtlsserver`: files from its document root (`-d`)
 *   arrive byte for byte through `fetch`, several concurrently; a missing
 *   file is its 404; our close reaches it as H3_NO_ERROR.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Http3Client, Http3Server } from "../../src/index.js";
import { byteDifference, interopPki, type Peer, pattern, requireBinary, startPeerProcess, within } from "./support.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

function startPeer(binary: string, args: readonly string[]): Peer {
  return startPeerProcess(binary, args, (cleanup) => cleanups.push(cleanup));
}

async function ourServer(handler: (request: Request) => Response | Promise<Response>): Promise<Http3Server> {
  const { leaf } = interopPki();
  const server = await Http3Server.bind({ host: "127.0.0.1", port: 0, certificate: leaf.certificatePem, key: leaf.privateKeyPem, handler });
  cleanups.push(() => server.close({ timeout: 1000 }));
  return server;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

describe("ngtcp2 gtlsclient (nghttp3) -> our Http3Server", () => {
  it("serves GETs: nghttp3 decodes our responses and saves the content byte for byte", async () => {
    const gtlsclient = requireBinary("gtlsclient", "ngtcp2-client");
    const bodies = new Map([
      ["/small", pattern(100, 7)],
      ["/large", pattern(300_000, 9)],
    ]);
    const seen: string[] = [];
    const server = await ourServer((request) => {
      const path = new URL(request.url).pathname;
      seen.push(`${request.method} ${path} ${request.headers.get("user-agent")}`);
      const body = bodies.get(path);
      if (body === undefined) return new Response("no such thing\n", { status: 404 });
      return new Response(new Uint8Array(body), { headers: { "content-type": "application/octet-stream", "x-path": path } });
    });
    const dir = mkdtempSync(join(tmpdir(), "zsync-h3-download-"));
    const base = `https://localhost:${server.port}`;
    const peer = startPeer(gtlsclient, [
      "--initial-rtt=1ms",
      "--timeout=15s",
      "--handshake-timeout=10s",
      "--exit-on-all-streams-close",
      "--no-quic-dump",
      "--no-http-dump",
      `--download=${dir}`,
      "127.0.0.1",
      String(server.port),
      `${base}/small`,
      `${base}/large`,
      `${base}/missing`,
    ]);
    await within(30_000, peer.exited, () => `gtlsclient finishing; log tail:\n${peer.log().slice(-3000)}`);
    const log = peer.log();
    expect(seen.sort()).toEqual([
      "GET /large nghttp3/ngtcp2 client",
      "GET /missing nghttp3/ngtcp2 client",
      "GET /small nghttp3/ngtcp2 client",
    ]);
    expect(log.match(/\[:status: 200\]/g)).toHaveLength(2);
    expect(log).toContain("[:status: 404]");
    expect(log).toContain("[x-path: /large]");
    for (const [path, body] of bodies) {
      const saved = new Uint8Array(readFileSync(join(dir, path.slice(1))));
      expect(byteDifference(saved, body)).toBe("");
    }
    expect(log.match(/HTTP stream \d+ closed with error code 256/g)).toHaveLength(3);
    expect(log).not.toMatch(/closed with error code (?!256)/);
    // Its CONNECTION_CLOSE carries H3_NO_ERROR (0x100): nothing we sent was a protocol error to it.
    expect(log.match(/CONNECTION_CLOSE\(0x1[cd]\) error_code=\S+/g)).toEqual(["CONNECTION_CLOSE(0x1d) error_code=(unknown)(0x100)"]);
  }, 40_000);

  it("receives a POST body from nghttp3 intact (its DATA frames, content-length checked)", async () => {
    const gtlsclient = requireBinary("gtlsclient", "ngtcp2-client");
    const upload = pattern(200_000, 3);
    const dir = mkdtempSync(join(tmpdir(), "zsync-h3-upload-"));
    writeFileSync(join(dir, "upload.bin"), upload);
    const received: Uint8Array[] = [];
    const server = await ourServer(async (request) => {
      const body = new Uint8Array(await request.arrayBuffer());
      received.push(body);
      return new Response(`${request.method} ${body.length} ${sha256(body)}\n`);
    });
    const peer = startPeer(gtlsclient, [
      "--initial-rtt=1ms",
      "--timeout=15s",
      "--handshake-timeout=10s",
      "--exit-on-all-streams-close",
      "--no-quic-dump",
      "--no-http-dump",
      "-m",
      "POST",
      `--data=${join(dir, "upload.bin")}`,
      `--download=${dir}`,
      "127.0.0.1",
      String(server.port),
      `https://localhost:${server.port}/upload`,
    ]);
    await within(30_000, peer.exited, () => `gtlsclient finishing; log tail:\n${peer.log().slice(-3000)}`);
    expect(received).toHaveLength(1);
    expect(byteDifference(received[0]!, upload)).toBe("");
    expect(readFileSync(join(dir, "upload"), "latin1")).toBe(`POST ${upload.length} ${sha256(upload)}\n`);
    expect(peer.log()).toContain("[:status: 200]");
  }, 40_000);
});

describe("our Http3Client -> ngtcp2 gtlsserver (nghttp3)", () => {
  it("fetches files byte for byte, concurrently, and a missing one is a 404", async () => {
    const gtlsserver = requireBinary("gtlsserver", "ngtcp2-server");
    const { keyPath, certPath, ca } = interopPki();
    const dir = mkdtempSync(join(tmpdir(), "zsync-h3-htdocs-"));
    const files = new Map([
      ["a.bin", pattern(1, 1)],
      ["b.bin", pattern(70_000, 2)],
      ["c.bin", pattern(1_500_000, 3)],
    ]);
    for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes);
    const port = await freePort();
    const peer = startPeer(gtlsserver, ["--initial-rtt=1ms", `--htdocs=${dir}`, "127.0.0.1", String(port), keyPath, certPath]);
    const client = new Http3Client({ ca: ca.certificatePem });
    cleanups.push(() => client.close());
    const fetchAll = async (): Promise<void> => {
      const results = await Promise.all(
        [...files.keys()].map(async (name) => {
          const response = await client.fetch(`https://127.0.0.1:${port}/${name}`);
          return { name, status: response.status, body: new Uint8Array(await response.arrayBuffer()) };
        }),
      );
      for (const { name, status, body } of results) {
        expect(status).toBe(200);
        expect(byteDifference(body, files.get(name)!)).toBe("");
      }
    };
    await within(30_000, fetchAll(), () => `fetching from gtlsserver; log tail:\n${peer.log().slice(-3000)}`);
    const missing = await client.fetch(`https://127.0.0.1:${port}/missing.bin`);
    expect(missing.status).toBe(404);
    await missing.arrayBuffer();
    await client.close();
    await within(
      5000,
      peer.waitFor(/CONNECTION_CLOSE\(0x1d\) error_code=\(unknown\)\(0x100\)|error_code=H3_NO_ERROR/, 5000),
      "our H3_NO_ERROR close in gtlsserver's log",
    );
  }, 40_000);
});

async function freePort(): Promise<number> {
  const { createSocket } = await import("node:dgram");
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}
