/**
 * Http3Server and Http3Client over loopback: bodies streamed both ways,
 * back-pressure through QUIC flow control, cancellation both ways, many
 * requests at once on one connection, graceful close (RFC 9114 §4.1, §5.2).
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Http3ConnectionClosedError, Http3RequestResetError } from "../../src/index.js";
import { h3Client, startH3Server, urlOf } from "./h3-support.js";
import { pattern } from "./support.js";

/** A body of `total` bytes in `chunk`-byte pieces, produced only when pulled; `produced` counts what was pulled. */
function producer(total: number, chunk = 16384): { stream: ReadableStream<Uint8Array>; produced: () => number } {
  let produced = 0;
  const piece = pattern(chunk, 5);
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (produced >= total) {
          controller.close();
          return;
        }
        const n = Math.min(chunk, total - produced);
        produced += n;
        controller.enqueue(piece.slice(0, n));
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, produced: () => produced };
}

async function sha256Of(stream: ReadableStream<Uint8Array>): Promise<{ hash: string; length: number }> {
  const hash = createHash("sha256");
  let length = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    length += chunk.length;
  }
  return { hash: hash.digest("hex"), length };
}

function expectedHash(total: number, chunk = 16384): string {
  const hash = createHash("sha256");
  const piece = pattern(chunk, 5);
  for (let at = 0; at < total; at += chunk) hash.update(piece.subarray(0, Math.min(chunk, total - at)));
  return hash.digest("hex");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("HTTP/3 streaming over loopback", () => {
  it("streams a 4 MiB request body up and a 4 MiB response body down, hashed on both sides", async () => {
    const total = 4 << 20;
    const server = await startH3Server({
      handler: async (request) => {
        const { hash, length } = await sha256Of(request.body!);
        return new Response(producer(total).stream, { headers: { "x-upload": `${length} ${hash}` } });
      },
    });
    const client = h3Client();
    const upload = producer(total);
    const response = await client.fetch(urlOf(server, "/both"), { method: "POST", body: upload.stream, duplex: "half" } as RequestInit);
    expect(response.headers.get("x-upload")).toBe(`${total} ${expectedHash(total)}`);
    expect(await sha256Of(response.body!)).toEqual({ hash: expectedHash(total), length: total });
  }, 60_000);

  it("a slow reader stalls the server's producer through flow control: it runs only a bounded amount ahead", async () => {
    const total = 256 << 20;
    let body: ReturnType<typeof producer> | undefined;
    const server = await startH3Server({
      handler: () => {
        body = producer(total);
        return new Response(body.stream);
      },
    });
    const client = h3Client({ initialMaxStreamDataBidiLocal: 64 * 1024, initialMaxData: 256 * 1024 });
    const response = await client.fetch(urlOf(server, "/endless"));
    const reader = response.body!.getReader();
    let consumed = 0;
    for (let i = 0; i < 4; i++) consumed += (await reader.read()).value!.length;
    await sleep(1500);
    const stalledAt = body!.produced();
    await sleep(1000);
    // Stalled: nothing more was produced while nobody read (an eager reader would keep pulling).
    expect(body!.produced() - stalledAt).toBeLessThan(64 * 1024);
    // What QUIC may hold: the client's receive window (64 KiB, grown at most 16x) plus the server's send buffer.
    expect(stalledAt - consumed).toBeLessThan(4 << 20);
    // Reading resumes the flow.
    for (let i = 0; i < 50; i++) consumed += (await reader.read()).value!.length;
    expect(body!.produced()).toBeGreaterThan(stalledAt);
    await reader.cancel();
  }, 30_000);

  it("the client aborting a response midway aborts request.signal on the server (STOP_SENDING, RESET_STREAM)", async () => {
    let aborted: (reason: unknown) => void = () => undefined;
    const serverSawAbort = new Promise<unknown>((resolve) => {
      aborted = resolve;
    });
    const server = await startH3Server({
      handler: (request) => {
        request.signal.addEventListener("abort", () => aborted(request.signal.reason));
        return new Response(producer(64 << 20).stream);
      },
    });
    const client = h3Client();
    const controller = new AbortController();
    const response = await client.fetch(urlOf(server, "/abort"), { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort(new Error("enough"));
    await expect(reader.read()).rejects.toThrow("enough");
    const reason = await serverSawAbort;
    expect(reason).toBeDefined();
    // The connection is still good for the next request.
    expect((await client.fetch(urlOf(server, "/abort"), { method: "HEAD" })).status).toBe(200);
  }, 30_000);

  it("aborting before the response arrives rejects fetch with the signal's reason", async () => {
    const server = await startH3Server({ handler: async () => new Promise<Response>(() => undefined) });
    const client = h3Client();
    const controller = new AbortController();
    const pending = client.fetch(urlOf(server, "/never"), { signal: controller.signal });
    await sleep(200);
    controller.abort(new Error("gave up"));
    await expect(pending).rejects.toThrow("gave up");
  }, 30_000);

  it("the server resetting a response midway fails the client's body read with the reset's code", async () => {
    const server = await startH3Server({
      handler: () => {
        let sent = 0;
        const stream = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (sent++ < 4) controller.enqueue(new Uint8Array(16384));
            else controller.error(new Error("the producer broke"));
          },
        });
        return new Response(stream);
      },
    });
    const client = h3Client();
    // The reset may overtake the response's header section (RFC 9000 §3.2: a reset may discard unread data), so fetch itself may fail.
    const error = await client
      .fetch(urlOf(server, "/broken"))
      .then((response) => response.arrayBuffer())
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(Http3RequestResetError);
    expect((error as Http3RequestResetError).h3ErrorCode).toBe(0x102); // H3_INTERNAL_ERROR
  }, 30_000);

  it("serves 300 concurrent requests on one connection (beyond MAX_STREAMS: the client waits for credit)", async () => {
    const server = await startH3Server({ handler: (request) => new Response(new URL(request.url).pathname) });
    const client = h3Client();
    const results = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const response = await client.fetch(urlOf(server, `/n/${i}`));
        return response.text();
      }),
    );
    expect(results).toEqual(Array.from({ length: 300 }, (_, i) => `/n/${i}`));
    expect(server.stats).toMatchObject({ connections: 1, requests: 300, malformed: 0 });
  }, 60_000);

  it("close() sends GOAWAY and lets the request in flight finish before closing (§5.2)", async () => {
    let release: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      release = resolve;
    });
    let finish: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const server = await startH3Server({
      handler: async () => {
        release();
        await gate;
        return new Response("finished after GOAWAY");
      },
    });
    const client = h3Client();
    const inFlight = client.fetch(urlOf(server, "/slow"));
    await started;
    const closing = server.close({ timeout: 10_000 });
    await sleep(300);
    finish();
    const response = await inFlight;
    expect(await response.text()).toBe("finished after GOAWAY");
    await closing;
    // The server is gone: a new request finds nobody (bounded by its signal).
    const after = await client.fetch(urlOf(server, "/slow"), { signal: AbortSignal.timeout(1500) }).catch((e: unknown) => e);
    expect(after).toBeInstanceOf(Error);
  }, 30_000);

  it("a connection closed under a request fails it with a typed error", async () => {
    const server = await startH3Server({ handler: async () => new Promise<Response>(() => undefined) });
    const client = h3Client();
    const pending = client.fetch(urlOf(server, "/hang")).catch((e: unknown) => e);
    await sleep(200);
    await server.close({ timeout: 100 });
    const error = await pending;
    expect(error).toBeInstanceOf(Http3ConnectionClosedError);
  }, 30_000);
});
