/**
 * Http3Connection over an in-memory pair (no QUIC, no sockets): the
 * exchanges RFC 9114 §4.1 describes, driven one byte at a time where it
 * matters, and QPACK's dynamic table (RFC 9204) used across requests.
 */
import { describe, expect, it } from "vitest";
import { encodeDataFrameHeader } from "../../src/h3/connection.js";
import { Http3ErrorCode } from "../../src/h3/errors.js";
import type { Http3Event } from "../../src/h3/events.js";
import { concat, getRequest, Pair } from "./pair.js";

function bodyOf(events: Http3Event[], streamId: number): Uint8Array {
  return concat(...events.flatMap((e) => (e.type === "data" && e.streamId === streamId ? [e.bytes] : [])));
}

function types(events: Http3Event[]): string[] {
  return events.map((e) => e.type);
}

describe("Http3Connection: exchanges (RFC 9114 §4.1)", () => {
  it("opens its control stream with SETTINGS and both QPACK streams, and learns the peer's settings (§6.2)", () => {
    const pair = new Pair({ qpackMaxTableCapacity: 1000, maxFieldSectionSize: 5000 }, { qpackBlockedStreams: 3 });
    pair.pump();
    expect(pair.take("server")).toEqual([
      { type: "settings", settings: { qpackMaxTableCapacity: 1000, qpackBlockedStreams: 16, maxFieldSectionSize: 5000 } },
    ]);
    expect(pair.take("client")).toEqual([
      { type: "settings", settings: { qpackMaxTableCapacity: 4096, qpackBlockedStreams: 3, maxFieldSectionSize: 65536 } },
    ]);
    expect(pair.server.peerSettings?.maxFieldSectionSize).toBe(5000);
    expect(pair.criticalId("client", "control")).toBe(2);
    expect(pair.closes).toEqual({ client: [], server: [] });
  });

  it("carries a request with a body and a response with trailers, every byte fed one at a time", () => {
    const pair = new Pair();
    pair.pump();
    pair.take("client");
    pair.take("server");
    const body = new Uint8Array(3000).map((_, i) => i * 7);
    const fields = [
      { name: ":method", value: "POST" },
      { name: ":scheme", value: "https" },
      { name: ":authority", value: "example.com" },
      { name: ":path", value: "/upload" },
      { name: "content-length", value: "3000" },
    ];
    const request = concat(
      pair.client.sendRequestHeaders(0, fields),
      encodeDataFrameHeader(1000),
      body.subarray(0, 1000),
      encodeDataFrameHeader(2000),
      body.subarray(1000),
    );
    pair.pump(); // encoder-stream bytes first, as a driver would write them
    pair.send("client", 0, request, true, 1);
    pair.pump();
    const atServer = pair.take("server");
    expect(atServer[0]).toMatchObject({ type: "request", streamId: 0, head: { method: "POST", path: "/upload", contentLength: 3000 } });
    expect(bodyOf(atServer, 0)).toEqual(body);
    expect(atServer.at(-1)).toEqual({ type: "end", streamId: 0 });

    const response = concat(
      pair.server.sendResponseHeaders(0, [
        { name: ":status", value: "200" },
        { name: "content-type", value: "text/plain" },
      ]),
      encodeDataFrameHeader(5),
      new TextEncoder().encode("hello"),
      pair.server.sendTrailers(0, [{ name: "x-checksum", value: "abc" }]),
    );
    pair.pump();
    pair.send("server", 0, response, true, 1);
    pair.pump();
    const atClient = pair.take("client");
    expect(atClient[0]).toMatchObject({
      type: "response",
      streamId: 0,
      interim: false,
      head: { status: 200, fields: [{ name: "content-type", value: "text/plain" }] },
    });
    expect(new TextDecoder().decode(bodyOf(atClient, 0))).toBe("hello");
    expect(atClient.filter((e) => e.type === "trailers")).toEqual([
      { type: "trailers", streamId: 0, fields: [{ name: "x-checksum", value: "abc" }] },
    ]);
    expect(atClient.at(-1)).toEqual({ type: "end", streamId: 0 });
    expect(pair.closes).toEqual({ client: [], server: [] });
    expect(pair.resets).toEqual({ client: [], server: [] });
  });

  it("delivers interim (1xx) responses before the final one (§4.1)", () => {
    const pair = new Pair();
    pair.pump();
    pair.send("client", 0, pair.client.sendRequestHeaders(0, getRequest()), true);
    pair.pump();
    const response = concat(
      pair.server.sendResponseHeaders(0, [
        { name: ":status", value: "103" },
        { name: "link", value: "</style.css>; rel=preload" },
      ]),
      pair.server.sendResponseHeaders(0, [{ name: ":status", value: "100" }]),
      pair.server.sendResponseHeaders(0, [{ name: ":status", value: "204" }]),
    );
    pair.pump();
    pair.send("server", 0, response, true);
    pair.pump();
    const events = pair.take("client").filter((e) => e.type !== "settings");
    expect(events.map((e) => (e.type === "response" ? `${e.head.status}${e.interim ? " interim" : ""}` : e.type))).toEqual([
      "103 interim",
      "100 interim",
      "204",
      "end",
    ]);
  });

  it("moves a 1 MiB body in 1-byte and odd-sized fragments, counting it against content-length", () => {
    const pair = new Pair();
    pair.pump();
    pair.send("client", 0, pair.client.sendRequestHeaders(0, getRequest()), true);
    pair.pump();
    const content = new Uint8Array(1 << 20).map((_, i) => (i * 31) ^ (i >> 8));
    const head = pair.server.sendResponseHeaders(0, [
      { name: ":status", value: "200" },
      { name: "content-length", value: String(content.length) },
    ]);
    pair.pump();
    const frames: Uint8Array[] = [head];
    for (let at = 0; at < content.length; at += 65_000) {
      const piece = content.subarray(at, at + 65_000);
      frames.push(encodeDataFrameHeader(piece.length), piece);
    }
    const bytes = concat(...frames);
    pair.send("server", 0, bytes.subarray(0, 5000), false, 1);
    pair.send("server", 0, bytes.subarray(5000), true, 1361);
    pair.pump();
    const events = pair.take("client");
    // Buffer.equals, not toEqual: a deep comparison of a megabyte takes seconds.
    expect(Buffer.from(bodyOf(events, 0)).equals(content)).toBe(true);
    expect(events.at(-1)).toEqual({ type: "end", streamId: 0 });
  });

  it("reuses QPACK's dynamic table across requests: later header sections shrink (RFC 9204 §2.1)", () => {
    const pair = new Pair();
    pair.pump();
    const extra = [
      { name: "user-agent", value: "zsync-test-agent/1.0 (a long product token to make it worth indexing)" },
      { name: "x-request-class", value: "interactive" },
    ];
    const sizes: number[] = [];
    const inserts: number[] = [];
    for (let i = 0; i < 4; i++) {
      const id = i * 4;
      const headers = pair.client.sendRequestHeaders(id, getRequest("/same", extra));
      sizes.push(headers.length);
      inserts.push(pair.client.qpackStats.encoderInserts);
      pair.pump();
      pair.send("client", id, headers, true);
      pair.pump();
      const [request] = pair.take("server").filter((e) => e.type === "request");
      expect(request).toMatchObject({ type: "request", streamId: id, head: { path: "/same", fields: extra } });
    }
    // The first request inserted its fields; the later ones only reference them.
    expect(inserts[0]).toBeGreaterThan(0);
    expect(inserts.slice(1)).toEqual([inserts[0], inserts[0], inserts[0]]);
    const literal = new Pair({ qpackMaxTableCapacity: 0 }, { qpackMaxTableCapacity: 0 });
    literal.pump();
    const withoutTable = literal.client.sendRequestHeaders(0, getRequest("/same", extra)).length;
    expect(sizes[3]).toBeLessThan(withoutTable / 5);
    expect(pair.server.qpackStats.decoderInserts).toBe(pair.client.qpackStats.encoderInserts);
    // The server's decoder acknowledged every insert on its decoder stream.
    expect(pair.client.qpackStats.encoderAcknowledged).toBe(pair.client.qpackStats.encoderInserts);
  });

  it("holds a request whose header section waits for encoder-stream inserts, and releases it in order (RFC 9204 §2.1.2)", () => {
    const pair = new Pair();
    pair.pump();
    pair.holdEncoderOf = "client";
    const extra = [{ name: "x-blocking", value: "a value that goes into the dynamic table first" }];
    const h0 = pair.client.sendRequestHeaders(0, getRequest("/0", extra));
    const h4 = pair.client.sendRequestHeaders(4, getRequest("/4", extra));
    pair.pump();
    pair.send("client", 0, concat(h0, encodeDataFrameHeader(2), new Uint8Array([1, 2])), true);
    pair.send("client", 4, h4, true);
    pair.pump();
    expect(types(pair.take("server"))).toEqual(["settings"]);
    expect(pair.server.isBlocked(0)).toBe(true);
    expect(pair.server.isBlocked(4)).toBe(true);
    expect(pair.server.qpackStats.decoderBlockedStreams).toBe(2);
    pair.release();
    const events = pair.take("server");
    expect(types(events)).toEqual(["request", "data", "end", "request", "end"]);
    expect(events[0]).toMatchObject({ streamId: 0, head: { path: "/0", fields: extra } });
    expect(events[3]).toMatchObject({ streamId: 4, head: { path: "/4", fields: extra } });
    expect(pair.server.isBlocked(0)).toBe(false);
    expect(pair.closes).toEqual({ client: [], server: [] });
  });

  it("a blocked stream holds at most maxHeldPerStream bytes behind its header section, then is reset with H3_EXCESSIVE_LOAD", () => {
    const pair = new Pair({}, { maxHeldPerStream: 1000 });
    pair.pump();
    pair.holdEncoderOf = "client";
    const fields = [
      { name: ":method", value: "POST" },
      ...getRequest("/", [{ name: "x-blocking", value: "inserted before it is referenced" }]).slice(1),
    ];
    const h0 = pair.client.sendRequestHeaders(0, fields);
    pair.pump();
    pair.send("client", 0, concat(h0, encodeDataFrameHeader(2000), new Uint8Array(990)), false);
    pair.pump();
    expect(pair.server.isBlocked(0)).toBe(true);
    expect(pair.resets.server).toEqual([]);
    pair.send("client", 0, new Uint8Array(20), false);
    pair.pump();
    expect(pair.resets.server).toContainEqual({ type: "reset", streamId: 0, errorCode: Http3ErrorCode.H3_EXCESSIVE_LOAD });
    expect(pair.take("server").find((e) => e.type === "stream-error")).toMatchObject({ streamId: 0, error: { scope: "stream" } });
    // The connection is fine, and its QPACK state too once the inserts arrive.
    pair.release();
    expect(pair.closes).toEqual({ client: [], server: [] });
  });

  it("GOAWAY from the server: later requests are rejected as unprocessed, on both sides (§5.2)", () => {
    const pair = new Pair();
    pair.pump();
    pair.send("client", 0, pair.client.sendRequestHeaders(0, getRequest("/a")), true);
    pair.pump();
    // Stream 4 is sent by the client but arrives after the GOAWAY was written.
    const h4 = pair.client.sendRequestHeaders(4, getRequest("/b"));
    expect(pair.server.shutdown()).toBe(4);
    pair.pump();
    pair.send("client", 4, h4, true);
    pair.pump();
    const client = pair.take("client");
    expect(client.filter((e) => e.type === "goaway")).toEqual([{ type: "goaway", id: 4 }]);
    const rejected = client.find((e) => e.type === "stream-error");
    expect(rejected).toMatchObject({ streamId: 4, error: { code: "ZSYNC_QUIC_H3_REQUEST_REJECTED" } });
    expect(() => pair.client.sendRequestHeaders(8, getRequest("/c"))).toThrow(/GOAWAY/);
    // The server served stream 0 and refused stream 4 with H3_REQUEST_REJECTED.
    expect(
      pair
        .take("server")
        .filter((e) => e.type === "request")
        .map((e) => e.type === "request" && e.streamId),
    ).toEqual([0]);
    expect(pair.resets.server).toContainEqual({ type: "reset", streamId: 4, errorCode: Http3ErrorCode.H3_REQUEST_REJECTED });
    // A second GOAWAY never names a larger id.
    pair.send("client", 8, new Uint8Array(0), false);
    expect(pair.server.shutdown()).toBe(4);
    expect(pair.closes).toEqual({ client: [], server: [] });
  });

  it("a peer's reset of a request stream reaches the application, and the stream can be released (§4.1.1)", () => {
    const pair = new Pair();
    pair.pump();
    pair.send("client", 0, pair.client.sendRequestHeaders(0, getRequest()), false);
    pair.pump();
    pair.reset("client", 0, Http3ErrorCode.H3_REQUEST_CANCELLED);
    pair.pump();
    expect(types(pair.take("server")).filter((t) => t !== "settings")).toEqual(["request", "stream-reset"]);
    pair.server.releaseStream(0);
    pair.client.cancelStream(0);
    pair.client.releaseStream(0);
    expect(pair.server.streamCount).toBe(0);
    expect(pair.client.streamCount).toBe(0);
  });
  it("a server that stops reading a request still sends its whole response; what the client still sends is ignored (§4.1.1)", () => {
    const pair = new Pair();
    pair.pump();
    const post = [{ name: ":method", value: "POST" }, ...getRequest("/upload").slice(1)];
    pair.send("client", 0, concat(pair.client.sendRequestHeaders(0, post), encodeDataFrameHeader(1000), new Uint8Array(1000)), false);
    pair.pump();
    expect(types(pair.take("server")).filter((t) => t !== "settings")).toEqual(["request", "data"]);
    pair.server.stopReading(0);
    pair.pump();
    // STOP_SENDING with H3_NO_ERROR, and no RESET_STREAM: the response is still to come.
    expect(pair.resets.server).toEqual([{ type: "stop-sending", streamId: 0, errorCode: Http3ErrorCode.H3_NO_ERROR }]);
    expect(pair.take("client").filter((e) => e.type !== "settings")).toEqual([
      { type: "stop-sending", streamId: 0, errorCode: Http3ErrorCode.H3_NO_ERROR },
    ]);
    // Bytes in flight and the client's reset of its sending side reach nobody.
    pair.send("client", 0, concat(encodeDataFrameHeader(500), new Uint8Array(500)), false);
    pair.reset("client", 0, Http3ErrorCode.H3_NO_ERROR);
    pair.pump();
    expect(pair.take("server")).toEqual([]);
    const content = new TextEncoder().encode("too large");
    const head = pair.server.sendResponseHeaders(0, [{ name: ":status", value: "413" }]);
    pair.send("server", 0, concat(head, encodeDataFrameHeader(content.length), content), true);
    pair.pump();
    const client = pair.take("client");
    expect(types(client)).toEqual(["response", "data", "end"]);
    expect(client[0]).toMatchObject({ type: "response", streamId: 0, head: { status: 413 } });
    expect(bodyOf(client, 0)).toEqual(content);
    expect(pair.resets.server).toHaveLength(1);
    expect(pair.closes).toEqual({ client: [], server: [] });
    pair.server.releaseStream(0);
    pair.client.releaseStream(0);
    expect(pair.server.streamCount).toBe(0);
    expect(pair.client.streamCount).toBe(0);
  });
});
