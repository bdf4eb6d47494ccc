/**
 * A server that answers before reading the whole request (RFC 9114 §4.1.1):
 * it stops reading (STOP_SENDING with H3_NO_ERROR) and sends a complete
 * response, which the client delivers while it stops uploading.
 */
import { describe, expect, it } from "vitest";
import { Http3ErrorCode, QuicStreamStoppedError } from "../../src/index.js";
import { h3Client, startH3Server, urlOf } from "./h3-support.js";
import { pattern } from "./support.js";

/** A handler that reads the first chunk of the body, cancels the rest and answers 413. */
function rejectLargeUploads(seen: { bytes: number; aborted?: boolean }) {
  return async (request: Request): Promise<Response> => {
    if (request.method === "GET") return new Response("still serving");
    const reader = request.body!.getReader();
    const first = await reader.read();
    seen.bytes += first.value?.length ?? 0;
    await reader.cancel(new Error("over the limit"));
    // The handler's own cancel is not the request ending: request.signal (which would cancel the response) stays.
    seen.aborted = request.signal.aborted;
    return new Response("payload too large\n", { status: 413, headers: { "x-reason": "size" } });
  };
}

describe("early responses (§4.1.1)", () => {
  it("a handler that cancels a 16 MiB streamed upload answers 413; the client gets the whole response and the connection serves on", async () => {
    const errors: unknown[] = [];
    const seen: { bytes: number; aborted?: boolean } = { bytes: 0 };
    const server = await startH3Server({ handler: rejectLargeUploads(seen), onError: (e) => errors.push(e) });
    const client = h3Client();
    const total = 16 << 20;
    const piece = pattern(16384, 3);
    let produced = 0;
    let cancelReason: unknown;
    const upload = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (produced >= total) return controller.close();
          produced += piece.length;
          controller.enqueue(piece.slice());
        },
        cancel(reason) {
          cancelReason = reason;
        },
      },
      { highWaterMark: 0 },
    );
    const response = await client.fetch(urlOf(server, "/upload"), { method: "POST", body: upload, duplex: "half" } as RequestInit);
    expect(response.status).toBe(413);
    expect(response.headers.get("x-reason")).toBe("size");
    expect(await response.text()).toBe("payload too large\n");
    expect(seen.bytes).toBeGreaterThan(0);
    expect(seen.aborted).toBe(false);
    expect(errors).toEqual([]);
    // The connection keeps serving, and the same one does.
    expect(await (await client.fetch(urlOf(server, "/next"))).text()).toBe("still serving");
    expect(server.stats.connections).toBe(1);
    // Whatever of the upload was still going stopped on the server's STOP_SENDING.
    if (produced < total) {
      await expect.poll(() => cancelReason).toBeInstanceOf(QuicStreamStoppedError);
      expect((cancelReason as QuicStreamStoppedError).errorCode).toBe(Http3ErrorCode.H3_NO_ERROR);
    }
  }, 60_000);

  it("the client stops an upload whose source is idle when STOP_SENDING arrives: it is cancelled and close() does not wait for it", async () => {
    const seen = { bytes: 0 };
    const server = await startH3Server({ handler: rejectLargeUploads(seen) });
    const client = h3Client();
    let sent = false;
    let cancelled: (reason: unknown) => void = () => undefined;
    const cancelReason = new Promise<unknown>((resolve) => {
      cancelled = resolve;
    });
    // One chunk, then nothing more (a source waiting on something that never comes).
    const upload = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (sent) return new Promise<void>(() => undefined);
          sent = true;
          controller.enqueue(pattern(4096, 1));
        },
        cancel: (reason) => cancelled(reason),
      },
      { highWaterMark: 0 },
    );
    const response = await client.fetch(urlOf(server, "/upload"), { method: "POST", body: upload, duplex: "half" } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.text()).toBe("payload too large\n");
    const reason = await cancelReason;
    expect(reason).toBeInstanceOf(QuicStreamStoppedError);
    expect((reason as QuicStreamStoppedError).errorCode).toBe(Http3ErrorCode.H3_NO_ERROR);
    // Nothing is left in flight: close() goes straight to closing the connection.
    await client.close();
  }, 30_000);
});
