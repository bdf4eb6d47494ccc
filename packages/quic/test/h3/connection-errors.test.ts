/**
 * Every protocol violation of RFC 9114 (and the QPACK ones HTTP/3 surfaces)
 * against a single `Http3Connection` fed raw bytes: the error code it closes
 * with, and its scope: a connection error closes the connection (§8), a
 * malformed message resets only its stream (§4.1.2) and the connection
 * carries on. Unknown and reserved things are ignored (§9).
 */
import { describe, expect, it } from "vitest";
import { Http3Connection } from "../../src/h3/connection.js";
import { Http3ErrorCode } from "../../src/h3/errors.js";
import type { Http3Event, Http3Transmit } from "../../src/h3/events.js";
import { encodeFrame, encodeIdFrame, FrameType } from "../../src/h3/frames.js";
import { QpackEncoder } from "../../src/h3/qpack/encoder.js";
import type { Field } from "../../src/h3/qpack/field.js";
import { encodeSettingsFrame } from "../../src/h3/settings.js";
import { writeVarint } from "../../src/proto/wire/varint.js";
import { concat, getRequest } from "./pair.js";

const H3 = Http3ErrorCode;

/** One connection and what it did. */
class Lone {
  readonly conn: Http3Connection;
  readonly transmits: Http3Transmit[] = [];
  readonly events: Http3Event[] = [];

  constructor(role: "client" | "server", options: { maxFieldSectionSize?: number } = {}) {
    this.conn = new Http3Connection({ role, ...options });
    this.#drain();
  }

  feed(streamId: number, bytes: Uint8Array | number[], fin = false): this {
    this.conn.handleStreamData(streamId, bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), fin);
    this.#drain();
    return this;
  }

  #drain(): void {
    for (let t = this.conn.pollTransmit(); t !== undefined; t = this.conn.pollTransmit()) this.transmits.push(t);
    for (let e = this.conn.pollEvent(); e !== undefined; e = this.conn.pollEvent()) this.events.push(e);
  }

  /** The CONNECTION_CLOSE code asked for, if any. */
  get closeCode(): number | undefined {
    const close = this.transmits.find((t) => t.type === "close");
    return close?.type === "close" ? close.errorCode : undefined;
  }

  /** RESET_STREAM codes asked for, by stream. */
  resetsOf(streamId: number): number[] {
    return this.transmits.flatMap((t) => (t.type === "reset" && t.streamId === streamId ? [t.errorCode] : []));
  }

  stopsOf(streamId: number): number[] {
    return this.transmits.flatMap((t) => (t.type === "stop-sending" && t.streamId === streamId ? [t.errorCode] : []));
  }
}

/** The peer's control stream: type 0x00, then SETTINGS (empty unless given). */
function control(...frames: Uint8Array[]): Uint8Array {
  return concat(new Uint8Array([0x00]), ...(frames.length > 0 ? frames : [encodeSettingsFrame({})]));
}

/** A HEADERS frame with `fields` encoded without the dynamic table. */
function headers(fields: Field[], streamId = 0): Uint8Array {
  return encodeFrame(FrameType.HEADERS, new QpackEncoder({ maxTableCapacity: 0 }).encodeFieldSection(streamId, fields));
}

function data(bytes: number[] | Uint8Array): Uint8Array {
  return encodeFrame(FrameType.DATA, bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
}

function varints(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  let at = 0;
  for (const v of values) at = writeVarint(out, at, v);
  return out.slice(0, at);
}

/** A server with the client's control stream (id 2) set up. */
function server(options: { maxFieldSectionSize?: number } = {}): Lone {
  return new Lone("server", options).feed(2, control());
}

/** A client with the server's control stream (id 3) set up. */
function client(): Lone {
  return new Lone("client").feed(3, control());
}

describe("connection errors close the connection with their code (RFC 9114 §8)", () => {
  const cases: [string, () => Lone, number][] = [
    ["DATA before HEADERS on a request stream (§4.1)", () => server().feed(0, data([1])), H3.H3_FRAME_UNEXPECTED],
    [
      "HEADERS after the trailers (§4.1)",
      () => server().feed(0, concat(headers(getRequest()), headers([{ name: "x-t", value: "1" }]), headers([{ name: "x-t", value: "2" }]))),
      H3.H3_FRAME_UNEXPECTED,
    ],
    [
      "DATA after the trailers (§4.1)",
      () => server().feed(0, concat(headers(getRequest()), headers([{ name: "x", value: "1" }]), data([1]))),
      H3.H3_FRAME_UNEXPECTED,
    ],
    ["an HTTP/2 frame type (PING, 0x06) on a request stream (§7.2.8)", () => server().feed(0, [0x06, 0x00]), H3.H3_FRAME_UNEXPECTED],
    ["SETTINGS on a request stream (§7.2.4)", () => server().feed(0, encodeSettingsFrame({})), H3.H3_FRAME_UNEXPECTED],
    ["GOAWAY on a request stream (§7.2.6)", () => server().feed(0, encodeIdFrame(FrameType.GOAWAY, 0)), H3.H3_FRAME_UNEXPECTED],
    ["PUSH_PROMISE from a client (§7.2.5)", () => server().feed(0, [0x05, 0x01, 0x00]), H3.H3_FRAME_UNEXPECTED],
    [
      "PUSH_PROMISE to a client that never sent MAX_PUSH_ID (§4.6)",
      () => {
        const lone = client();
        lone.conn.sendRequestHeaders(0, getRequest());
        return lone.feed(0, [0x05, 0x01, 0x00]);
      },
      H3.H3_ID_ERROR,
    ],
    ["a frame truncated by the stream's end (§7.1)", () => server().feed(0, [0x01, 0x10, 0x00], true), H3.H3_FRAME_ERROR],
    [
      "a control stream that does not start with SETTINGS (§6.2.1)",
      () => new Lone("server").feed(2, control(encodeIdFrame(FrameType.GOAWAY, 0))),
      H3.H3_MISSING_SETTINGS,
    ],
    [
      "a control stream starting with a reserved frame (§6.2.1: SETTINGS first, whatever the type)",
      () => new Lone("server").feed(2, control(encodeFrame(0x21, new Uint8Array(0)), encodeSettingsFrame({}))),
      H3.H3_MISSING_SETTINGS,
    ],
    ["a second SETTINGS (§7.2.4)", () => server().feed(2, encodeSettingsFrame({})), H3.H3_FRAME_UNEXPECTED],
    [
      "a duplicate setting (§7.2.4)",
      () => new Lone("server").feed(2, control(encodeFrame(FrameType.SETTINGS, varints(0x06, 10, 0x06, 10)))),
      H3.H3_SETTINGS_ERROR,
    ],
    [
      "an HTTP/2-only setting (0x02 ENABLE_PUSH, §7.2.4.1)",
      () => new Lone("server").feed(2, control(encodeFrame(FrameType.SETTINGS, varints(0x02, 0)))),
      H3.H3_SETTINGS_ERROR,
    ],
    [
      "a SETTINGS payload cut inside a setting (§7.1)",
      () => new Lone("server").feed(2, control(encodeFrame(FrameType.SETTINGS, varints(0x06)))),
      H3.H3_FRAME_ERROR,
    ],
    [
      "a SETTINGS frame over 4 KiB (bounded memory)",
      () => new Lone("server").feed(2, control(encodeFrame(FrameType.SETTINGS, new Uint8Array(5000)))),
      H3.H3_EXCESSIVE_LOAD,
    ],
    ["DATA on the control stream (§7.2.1)", () => server().feed(2, data([1])), H3.H3_FRAME_UNEXPECTED],
    ["HEADERS on the control stream (§7.2.2)", () => server().feed(2, headers(getRequest())), H3.H3_FRAME_UNEXPECTED],
    ["an HTTP/2 frame type (WINDOW_UPDATE, 0x08) on the control stream", () => server().feed(2, [0x08, 0x00]), H3.H3_FRAME_UNEXPECTED],
    ["the control stream ended (§6.2.1)", () => server().feed(2, [], true), H3.H3_CLOSED_CRITICAL_STREAM],
    ["the QPACK encoder stream ended (RFC 9204 §4.2)", () => server().feed(6, [0x02]).feed(6, [], true), H3.H3_CLOSED_CRITICAL_STREAM],
    ["a second control stream (§6.2.1)", () => server().feed(6, control()), H3.H3_STREAM_CREATION_ERROR],
    ["a second QPACK decoder stream (RFC 9204 §4.2)", () => server().feed(6, [0x03]).feed(10, [0x03]), H3.H3_STREAM_CREATION_ERROR],
    ["a push stream opened by a client (§6.2.2)", () => server().feed(6, [0x01, 0x00]), H3.H3_STREAM_CREATION_ERROR],
    ["a push stream to a client that allowed none (§4.6)", () => client().feed(7, [0x01, 0x00]), H3.H3_ID_ERROR],
    ["a bidirectional stream opened by a server (§6.1)", () => client().feed(1, headers(getRequest())), H3.H3_STREAM_CREATION_ERROR],
    [
      "a server's GOAWAY naming a stream that is not client-initiated bidirectional (§5.2)",
      () => client().feed(3, encodeIdFrame(FrameType.GOAWAY, 2)),
      H3.H3_ID_ERROR,
    ],
    [
      "a GOAWAY id that grew (§5.2)",
      () => client().feed(3, concat(encodeIdFrame(FrameType.GOAWAY, 4), encodeIdFrame(FrameType.GOAWAY, 8))),
      H3.H3_ID_ERROR,
    ],
    ["a GOAWAY payload of two varints (§7.1)", () => client().feed(3, encodeFrame(FrameType.GOAWAY, varints(4, 4))), H3.H3_FRAME_ERROR],
    ["MAX_PUSH_ID sent by a server (§7.2.7)", () => client().feed(3, encodeIdFrame(FrameType.MAX_PUSH_ID, 1)), H3.H3_FRAME_UNEXPECTED],
    [
      "a MAX_PUSH_ID that decreased (§7.2.7)",
      () => server().feed(2, concat(encodeIdFrame(FrameType.MAX_PUSH_ID, 5), encodeIdFrame(FrameType.MAX_PUSH_ID, 4))),
      H3.H3_ID_ERROR,
    ],
    [
      "CANCEL_PUSH to a client that allowed no push (§7.2.3)",
      () => client().feed(3, encodeIdFrame(FrameType.CANCEL_PUSH, 0)),
      H3.H3_ID_ERROR,
    ],
    [
      "CANCEL_PUSH above the client's MAX_PUSH_ID (§7.2.3)",
      () => server().feed(2, concat(encodeIdFrame(FrameType.MAX_PUSH_ID, 2), encodeIdFrame(FrameType.CANCEL_PUSH, 3))),
      H3.H3_ID_ERROR,
    ],
    ["a bad QPACK encoder-stream instruction (RFC 9204 §4.3: capacity over ours)", () => server().feed(6, [0x02, 0x3f, 0xe1, 0x7f]), 0x201],
    ["a bad QPACK decoder-stream instruction (RFC 9204 §4.4: an increment of 0)", () => server().feed(6, [0x03, 0x00]), 0x202],
    [
      "a header section referencing a dynamic entry that does not exist (RFC 9204 §2.2.3)",
      () => server().feed(0, encodeFrame(FrameType.HEADERS, new Uint8Array([0x00, 0x00, 0x80]))),
      0x200,
    ],
  ];
  for (const [what, make, code] of cases) {
    it(what, () => {
      const lone = make();
      expect(lone.closeCode).toBe(code);
      const closed = lone.events.find((e) => e.type === "closed");
      expect(closed).toMatchObject({ error: { h3ErrorCode: code, scope: "connection" } });
      // Nothing more happens on a closed connection.
      const before = lone.transmits.length;
      lone.feed(0, headers(getRequest()), true);
      expect(lone.transmits.length).toBe(before);
    });
  }

  it("our control stream stopped by the peer (STOP_SENDING) closes with H3_CLOSED_CRITICAL_STREAM", () => {
    const lone = server();
    lone.conn.bindCriticalStream("control", 3);
    lone.conn.handleStopSending(3, 0);
    expect(lone.conn.pollTransmit()).toMatchObject({ type: "close", errorCode: H3.H3_CLOSED_CRITICAL_STREAM });
  });

  it("the peer's control stream reset closes with H3_CLOSED_CRITICAL_STREAM", () => {
    const lone = server();
    lone.conn.handleStreamReset(2, 0);
    expect(lone.conn.pollTransmit()).toMatchObject({ type: "close", errorCode: H3.H3_CLOSED_CRITICAL_STREAM });
  });
});

describe("malformed messages reset only their stream with H3_MESSAGE_ERROR (§4.1.2)", () => {
  const malformed: [string, Field[]][] = [
    ["an uppercase field name (§4.2)", getRequest("/", [{ name: "X-Upper", value: "1" }])],
    ["a connection-specific field (§4.2)", getRequest("/", [{ name: "connection", value: "keep-alive" }])],
    ["transfer-encoding (§4.2)", getRequest("/", [{ name: "transfer-encoding", value: "chunked" }])],
    ["te other than trailers (§4.2)", getRequest("/", [{ name: "te", value: "gzip" }])],
    ["a field value with CR LF (RFC 9110 §5.5)", getRequest("/", [{ name: "x-a", value: "1\r\nx-b: 2" }])],
    ["an empty field name", getRequest("/", [{ name: "", value: "1" }])],
    ["no :method (§4.3.1)", getRequest().filter((f) => f.name !== ":method")],
    ["no :path (§4.3.1)", getRequest().filter((f) => f.name !== ":path")],
    ["an empty :path (§4.3.1)", getRequest("")],
    ["no :scheme (§4.3.1)", getRequest().filter((f) => f.name !== ":scheme")],
    ["https without :authority or host (§4.3.1)", getRequest().filter((f) => f.name !== ":authority")],
    [":authority and host that differ (§4.3.1)", getRequest("/", [{ name: "host", value: "other.example" }])],
    [
      "a pseudo-header twice (§4.3)",
      [...getRequest(), { name: ":path", value: "/x" }].sort((a, b) => Number(b.name.startsWith(":")) - Number(a.name.startsWith(":"))),
    ],
    ["a pseudo-header after a regular field (§4.3)", [...getRequest().slice(0, 3), { name: "x-a", value: "1" }, getRequest()[3]!]],
    ["an unknown pseudo-header (§4.3)", [...getRequest(), { name: ":protocol", value: "websocket" }]],
    ["a response pseudo-header in a request (§4.3)", [{ name: ":status", value: "200" }, ...getRequest()]],
    [
      "CONNECT with :path (§4.4)",
      [
        { name: ":method", value: "CONNECT" },
        { name: ":authority", value: "example.com:443" },
        { name: ":path", value: "/" },
      ],
    ],
    ["a non-numeric content-length", getRequest("/", [{ name: "content-length", value: "12a" }])],
  ];
  for (const [what, fields] of malformed) {
    it(what, () => {
      const lone = server();
      lone.feed(0, headers(fields), true);
      lone.feed(4, headers(getRequest("/fine")), true);
      expect(lone.resetsOf(0)).toEqual([H3.H3_MESSAGE_ERROR]);
      expect(lone.stopsOf(0)).toEqual([H3.H3_MESSAGE_ERROR]);
      expect(lone.events.find((e) => e.type === "stream-error")).toMatchObject({
        streamId: 0,
        error: { code: "ZSYNC_QUIC_H3_MESSAGE", scope: "stream" },
      });
      // The connection carries on: the next request is served.
      expect(lone.closeCode).toBeUndefined();
      expect(lone.events.filter((e) => e.type === "request").map((e) => e.type === "request" && e.streamId)).toEqual([4]);
    });
  }

  it("content that does not add up to content-length, more or less (§4.1.2)", () => {
    const lone = server();
    const post = (length: string): Field[] => [
      { name: ":method", value: "POST" },
      ...getRequest().slice(1),
      { name: "content-length", value: length },
    ];
    lone.feed(0, concat(headers(post("3")), data([1, 2])), true);
    lone.feed(4, concat(headers(post("1")), data([1, 2])), false);
    lone.feed(8, concat(headers(post("2")), data([1]), data([2])), true);
    expect(lone.resetsOf(0)).toEqual([H3.H3_MESSAGE_ERROR]);
    expect(lone.resetsOf(4)).toEqual([H3.H3_MESSAGE_ERROR]);
    expect(lone.resetsOf(8)).toEqual([]);
    expect(lone.closeCode).toBeUndefined();
  });

  it("a trailer section with a pseudo-header (§4.3)", () => {
    const lone = server();
    lone.feed(0, concat(headers(getRequest()), headers([{ name: ":path", value: "/" }])), true);
    expect(lone.resetsOf(0)).toEqual([H3.H3_MESSAGE_ERROR]);
  });

  it("a HEADERS frame larger than our SETTINGS_MAX_FIELD_SECTION_SIZE is refused from its header, before its payload is held (§4.2.2)", () => {
    const lone = server({ maxFieldSectionSize: 100 });
    // The frame header announces 2^30 - 1 bytes; nothing of it is held.
    lone.feed(0, [0x01, 0xbf, 0xff, 0xff, 0xff, 0x01, 0x02]);
    expect(lone.resetsOf(0)).toEqual([H3.H3_MESSAGE_ERROR]);
    expect(lone.closeCode).toBeUndefined();
  });

  it("a decoded field section over our limit (RFC 9114 §4.2.2 sizes)", () => {
    const lone = server({ maxFieldSectionSize: 200 });
    lone.feed(0, headers(getRequest("/", [{ name: "x-big", value: "a".repeat(150) }])), true);
    expect(lone.resetsOf(0)).toEqual([H3.H3_MESSAGE_ERROR]);
    expect(lone.closeCode).toBeUndefined();
  });

  it("a request stream that ends before its header section: H3_REQUEST_INCOMPLETE (§4.1.2)", () => {
    const lone = server();
    lone.feed(0, [], true);
    expect(lone.resetsOf(0)).toEqual([H3.H3_REQUEST_INCOMPLETE]);
    expect(lone.closeCode).toBeUndefined();
  });

  it("responses: 101, a status that is not three digits, a missing :status (§4.3.2, §4.5)", () => {
    for (const status of ["101", "20", "2000", undefined]) {
      const lone = client();
      lone.conn.sendRequestHeaders(0, getRequest());
      lone.feed(0, headers(status === undefined ? [{ name: "x", value: "1" }] : [{ name: ":status", value: status }]), true);
      expect(lone.resetsOf(0)).toEqual([H3.H3_MESSAGE_ERROR]);
      expect(lone.closeCode).toBeUndefined();
    }
  });

  it("a response to HEAD may declare a content-length without content; content would be malformed (RFC 9110 §9.3.2)", () => {
    const ok = client();
    ok.conn.sendRequestHeaders(0, [{ name: ":method", value: "HEAD" }, ...getRequest().slice(1)]);
    ok.feed(
      0,
      headers([
        { name: ":status", value: "200" },
        { name: "content-length", value: "1000" },
      ]),
      true,
    );
    expect(ok.resetsOf(0)).toEqual([]);
    expect(ok.events.at(-1)).toEqual({ type: "end", streamId: 0 });
    const bad = client();
    bad.conn.sendRequestHeaders(0, [{ name: ":method", value: "HEAD" }, ...getRequest().slice(1)]);
    bad.feed(0, concat(headers([{ name: ":status", value: "200" }]), data([1])), true);
    expect(bad.resetsOf(0)).toEqual([H3.H3_MESSAGE_ERROR]);
  });
});

describe("unknown and reserved things are ignored (§9)", () => {
  it("an unknown unidirectional stream type: STOP_SENDING with H3_STREAM_CREATION_ERROR, no connection error (§6.2.3)", () => {
    const lone = server();
    lone.feed(6, [0x21, 1, 2, 3]);
    lone.feed(10, concat(varints(0x1f * 1000 + 0x21), new Uint8Array(10)));
    expect(lone.stopsOf(6)).toEqual([H3.H3_STREAM_CREATION_ERROR]);
    expect(lone.stopsOf(10)).toEqual([H3.H3_STREAM_CREATION_ERROR]);
    expect(lone.closeCode).toBeUndefined();
  });

  it("reserved and unknown frame types on the control and request streams are skipped, even a huge one, without holding it", () => {
    const lone = server();
    lone.feed(
      2,
      concat(
        encodeFrame(0x21, new Uint8Array(100)),
        encodeFrame(0x1f * 7 + 0x21, new Uint8Array(3)),
        // Type 0x40 0x40 (0x40 as a two-byte varint: unknown), empty.
        new Uint8Array([0x40, 0x40, 0x00]),
      ),
    );
    // A request stream: a reserved frame announcing 2^52 bytes, fed 64 KiB of it: skipped as it comes, nothing held.
    lone.feed(0, concat(headers(getRequest()), varints(0x21, 2 ** 52)));
    for (let i = 0; i < 4; i++) lone.feed(0, new Uint8Array(16384));
    expect(lone.closeCode).toBeUndefined();
    expect(lone.events.filter((e) => e.type === "request")).toHaveLength(1);
    expect(lone.resetsOf(0)).toEqual([]);
  });

  it("reserved setting identifiers and unknown settings are ignored (§7.2.4.1)", () => {
    const lone = new Lone("server").feed(
      2,
      control(encodeFrame(FrameType.SETTINGS, varints(0x21, 5, 0x1f * 3 + 0x21, 7, 0x33, 1, 0x06, 4000))),
    );
    expect(lone.closeCode).toBeUndefined();
    expect(lone.events).toContainEqual({
      type: "settings",
      settings: { qpackMaxTableCapacity: 0, qpackBlockedStreams: 0, maxFieldSectionSize: 4000 },
    });
  });

  it("SETTINGS and the frames after it in one chunk: each frame is judged after the ones before it (§6.2.1)", () => {
    const lone = new Lone("client").feed(
      3,
      control(encodeSettingsFrame({}), encodeIdFrame(FrameType.GOAWAY, 8), encodeFrame(0x21, new Uint8Array(2))),
    );
    expect(lone.closeCode).toBeUndefined();
    expect(lone.events.map((e) => e.type)).toEqual(["settings", "goaway"]);
    const server = new Lone("server").feed(2, control(encodeSettingsFrame({}), encodeIdFrame(FrameType.MAX_PUSH_ID, 3)));
    expect(server.closeCode).toBeUndefined();
  });

  it("a unidirectional stream that ends before its type is tolerated (§6.2)", () => {
    const lone = server();
    lone.feed(6, [0x40]);
    lone.feed(6, [], true);
    lone.feed(10, [], true);
    expect(lone.closeCode).toBeUndefined();
  });
});
