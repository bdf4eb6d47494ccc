/**
 * Http3Server against a hand-driven peer: a plain QUIC connection with ALPN
 * h3 writing bytes of its choosing, to check what the server does with
 * requests a well-behaved client would not send (RFC 9114 §4.1.2, §6).
 */
import { describe, expect, it } from "vitest";
import { encodeFrame, FrameType } from "../../src/h3/frames.js";
import { QpackEncoder } from "../../src/h3/qpack/encoder.js";
import type { Field } from "../../src/h3/qpack/field.js";
import { connect, Http3ErrorCode, QuicStreamResetError } from "../../src/index.js";
import { startH3Server } from "./h3-support.js";
import { testPki } from "./support.js";

function headersFrame(fields: Field[]): Uint8Array {
  return encodeFrame(FrameType.HEADERS, new QpackEncoder({ maxTableCapacity: 0 }).encodeFieldSection(0, fields));
}

describe("Http3Server with a hand-driven peer", () => {
  it("resets a malformed request with H3_MESSAGE_ERROR; the handler never sees it and the connection serves on", async () => {
    const seen: string[] = [];
    const server = await startH3Server({
      handler: (request) => {
        seen.push(new URL(request.url).pathname);
        return new Response("ok");
      },
    });
    const conn = await connect("127.0.0.1", server.port, { alpn: "h3", serverName: "localhost", ca: testPki().ca.certificatePem });
    try {
      const bad = await conn.openBidirectionalStream();
      await bad.write(
        headersFrame([
          { name: ":method", value: "GET" },
          { name: ":scheme", value: "https" },
          { name: ":authority", value: "localhost" },
          { name: ":path", value: "/bad" },
          { name: "Upper-Case", value: "1" },
        ]),
      );
      bad.end();
      const error = await bad.readAll().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QuicStreamResetError);
      expect((error as QuicStreamResetError).errorCode).toBe(Http3ErrorCode.H3_MESSAGE_ERROR);
      const good = await conn.openBidirectionalStream();
      await good.write(
        headersFrame([
          { name: ":method", value: "GET" },
          { name: ":scheme", value: "https" },
          { name: ":authority", value: "localhost" },
          { name: ":path", value: "/good" },
        ]),
      );
      good.end();
      expect((await good.readAll()).length).toBeGreaterThan(0);
      expect(seen).toEqual(["/good"]);
      expect(server.stats.malformed).toBe(1);
    } finally {
      await conn.close();
    }
  }, 30_000);

  it("requests reset before their header section do not use up the connection's streams (MAX_STREAMS credit comes back)", async () => {
    const server = await startH3Server({ handler: () => new Response("ok") });
    const conn = await connect("127.0.0.1", server.port, {
      alpn: "h3",
      serverName: "localhost",
      ca: testPki().ca.certificatePem,
    });
    try {
      // The server allows 100 concurrent bidirectional streams (the default): 150 abandoned ones need the credit back.
      for (let i = 0; i < 150; i++) {
        const stream = await conn.openBidirectionalStream({ signal: AbortSignal.timeout(5000) });
        await stream.write(new Uint8Array([FrameType.HEADERS]));
        stream.reset(Http3ErrorCode.H3_REQUEST_CANCELLED);
        // The server answers with a reset of its own side; reading ends with it.
        await stream.readAll().catch(() => undefined);
      }
      expect(server.stats.requests).toBe(0);
    } finally {
      await conn.close();
    }
  }, 60_000);
});
