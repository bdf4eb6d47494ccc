/**
 * HTTP/3 frames and SETTINGS (RFC 9114 §7): layout, streaming, per-type
 * holding, and hostile input: random and mutated bytes give typed errors
 * only (`Http3Error`), and the work done is bounded by the input.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Http3Connection } from "../../src/h3/connection.js";
import { Http3Error, Http3ErrorCode, Http3FrameError, Http3SettingsError } from "../../src/h3/errors.js";
import {
  encodeFrame,
  encodeFrameHeader,
  encodeIdFrame,
  type FrameDecision,
  type FrameItem,
  FrameReader,
  FrameType,
  isHttp2FrameType,
  isReservedId,
  parseIdPayload,
} from "../../src/h3/frames.js";
import { encodeSettingsFrame, parseSettings } from "../../src/h3/settings.js";
import { concat, getRequest } from "./pair.js";

function readAll(bytes: Uint8Array, decide: (type: number, length: number) => FrameDecision, piece = bytes.length): FrameItem[] {
  const reader = new FrameReader(decide);
  const out: FrameItem[] = [];
  for (let at = 0; at < bytes.length; at += Math.max(1, piece)) reader.push(bytes.subarray(at, at + Math.max(1, piece)), out);
  reader.finish();
  // Pieces are views: copy them for comparison.
  return out.map((item) => (item.kind === "piece" ? { ...item, bytes: item.bytes.slice() } : item));
}

describe("frame layout (§7.1)", () => {
  it("writes type and length as varints, then the payload", () => {
    expect([...encodeFrame(FrameType.HEADERS, new Uint8Array([9, 8]))]).toEqual([0x01, 0x02, 9, 8]);
    expect([...encodeFrameHeader(FrameType.DATA, 300)]).toEqual([0x00, 0x41, 0x2c]);
    expect([...encodeIdFrame(FrameType.GOAWAY, 64)]).toEqual([0x07, 0x02, 0x40, 0x40]);
    expect(() => encodeIdFrame(FrameType.GOAWAY, -1)).toThrow(RangeError);
  });

  it("reads frames fed in any fragmentation into the same items", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ type: fc.constantFrom(0x00, 0x01, 0x21, 0x07, 0x4000), payload: fc.uint8Array({ maxLength: 300 }) }), {
          maxLength: 8,
        }),
        fc.integer({ min: 1, max: 50 }),
        (frames, piece) => {
          const bytes = concat(...frames.map((f) => encodeFrame(f.type, f.payload)));
          const decide = (type: number): FrameDecision => (type === 0x00 ? "stream" : type === 0x21 ? "skip" : "buffer");
          const whole = (items: FrameItem[]) =>
            items.reduce<{ type: number; bytes: number[] }[]>((acc, item) => {
              if (item.kind === "frame") acc.push({ type: item.type, bytes: [...item.payload] });
              else {
                const last = acc.at(-1);
                if (last !== undefined && last.type === item.type && (last as { open?: boolean }).open) last.bytes.push(...item.bytes);
                else acc.push(Object.assign({ type: item.type, bytes: [...item.bytes] }, { open: true }));
                if (item.last) (acc.at(-1) as { open?: boolean }).open = false;
              }
              return acc;
            }, []);
          const expected = frames.filter((f) => f.type !== 0x21).map((f) => ({ type: f.type, bytes: [...f.payload] }));
          const got = whole(readAll(bytes, decide, piece)).map(({ type, bytes }) => ({ type, bytes }));
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("asks its owner once per frame, with the announced length, before holding anything", () => {
    const asked: [number, number][] = [];
    const reader = new FrameReader((type, length) => {
      asked.push([type, length]);
      return "skip";
    });
    const out: FrameItem[] = [];
    // A reserved frame announcing 2^40 bytes: skipped as it arrives.
    reader.push(concat(encodeFrameHeader(0x21, 2 ** 40), new Uint8Array(1000)), out);
    expect(asked).toEqual([[0x21, 2 ** 40]]);
    expect(out).toEqual([]);
    expect(reader.midFrame).toBe(true);
    expect(() => reader.finish()).toThrow(Http3FrameError);
  });

  it("an empty frame completes at once, and a stream ending between frames is fine", () => {
    expect(readAll(new Uint8Array([0x00, 0x00, 0x01, 0x00]), () => "buffer")).toEqual([
      { kind: "frame", type: 0, payload: new Uint8Array(0) },
      { kind: "frame", type: 1, payload: new Uint8Array(0) },
    ]);
  });

  it("a stream ending inside a frame header or payload is H3_FRAME_ERROR (§7.1)", () => {
    for (const bytes of [[0x40], [0x01], [0x01, 0x02, 0x00]]) {
      expect(() => readAll(new Uint8Array(bytes), () => "buffer")).toThrow(Http3FrameError);
    }
  });

  it("names HTTP/2's frame types and the reserved identifiers (§7.2.8, §11.2)", () => {
    expect([0x02, 0x06, 0x08, 0x09].every(isHttp2FrameType)).toBe(true);
    expect([0x00, 0x01, 0x03, 0x04, 0x05, 0x07, 0x0d].some(isHttp2FrameType)).toBe(false);
    expect([0x21, 0x40, 0x5f, 0x1f * 1000 + 0x21].every(isReservedId)).toBe(true);
    expect([0x20, 0x22, 0x41].some(isReservedId)).toBe(false);
  });

  it("an id payload must be exactly one varint (§7.1)", () => {
    expect(parseIdPayload(new Uint8Array([0x40, 0x40]), "GOAWAY")).toBe(64);
    // A non-minimal encoding is fine (RFC 9000 §16).
    expect(parseIdPayload(new Uint8Array([0x80, 0, 0, 4]), "GOAWAY")).toBe(4);
    for (const bad of [[], [0x40], [0x04, 0x04], [0x40, 0x40, 0x00]]) {
      expect(() => parseIdPayload(new Uint8Array(bad), "GOAWAY")).toThrow(Http3FrameError);
    }
  });
});

describe("SETTINGS (§7.2.4)", () => {
  it("round-trips the QPACK and field-section settings, with a reserved setting added", () => {
    const frame = encodeSettingsFrame({ qpackMaxTableCapacity: 4096, qpackBlockedStreams: 100, maxFieldSectionSize: 1 << 20 }, 5);
    expect(frame[0]).toBe(FrameType.SETTINGS);
    const payload = frame.subarray(frame[1]! < 0x40 ? 2 : 3);
    expect(parseSettings(payload)).toEqual({ qpackMaxTableCapacity: 4096, qpackBlockedStreams: 100, maxFieldSectionSize: 1 << 20 });
    // The reserved identifier 0x1f * 5 + 0x21 = 0xbc is in it (a two-byte varint).
    expect([...payload].join(",")).toContain([0x40, 0xbc].join(","));
  });

  it("defaults: capacity 0, no blocked streams, unlimited field sections", () => {
    expect(parseSettings(new Uint8Array(0))).toEqual({
      qpackMaxTableCapacity: 0,
      qpackBlockedStreams: 0,
      maxFieldSectionSize: Number.POSITIVE_INFINITY,
    });
  });

  it("refuses duplicates and HTTP/2's settings with H3_SETTINGS_ERROR, truncation with H3_FRAME_ERROR", () => {
    expect(() => parseSettings(new Uint8Array([0x01, 0x00, 0x01, 0x00]))).toThrow(Http3SettingsError);
    expect(() => parseSettings(new Uint8Array([0x21, 0x00, 0x21, 0x01]))).toThrow(Http3SettingsError);
    for (const id of [0x02, 0x03, 0x04, 0x05]) expect(() => parseSettings(new Uint8Array([id, 0x00]))).toThrow(/HTTP\/2-only/);
    expect(() => parseSettings(new Uint8Array([0x06]))).toThrow(Http3FrameError);
    expect(() => parseSettings(new Uint8Array([0x06, 0x40]))).toThrow(Http3FrameError);
  });

  it("random payloads: a settings object or a typed error, nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (payload) => {
        try {
          const settings = parseSettings(payload);
          expect(settings.qpackMaxTableCapacity).toBeGreaterThanOrEqual(0);
        } catch (error) {
          expect(error).toBeInstanceOf(Http3Error);
          expect([Http3ErrorCode.H3_SETTINGS_ERROR, Http3ErrorCode.H3_FRAME_ERROR]).toContain((error as Http3Error).h3ErrorCode);
        }
      }),
      { numRuns: 5000 },
    );
  });
});

describe("hostile input to a whole connection: only typed errors, bounded work", () => {
  /** What a server makes of `bytes` on the client's control stream and on a request stream. */
  function feedServer(control: Uint8Array, request: Uint8Array, piece: number): Http3Connection {
    const server = new Http3Connection({ role: "server", maxFieldSectionSize: 4096 });
    const chunks = (bytes: Uint8Array) =>
      Array.from({ length: Math.ceil(bytes.length / piece) }, (_, i) => bytes.subarray(i * piece, (i + 1) * piece));
    for (const chunk of chunks(control)) server.handleStreamData(2, chunk, false);
    for (const chunk of chunks(request)) server.handleStreamData(0, chunk, false);
    server.handleStreamData(0, new Uint8Array(0), true);
    for (let e = server.pollEvent(); e !== undefined; e = server.pollEvent()) {
      if (e.type === "closed" || e.type === "stream-error") expect(e.error).toBeInstanceOf(Http3Error);
    }
    return server;
  }

  it("random bytes on the control and request streams", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ maxLength: 400 }),
        fc.integer({ min: 1, max: 64 }),
        (control, request, piece) => {
          feedServer(concat(new Uint8Array([0x00]), control), request, piece);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("mutated valid traffic (bit flips, truncation, duplication)", () => {
    const client = new Http3Connection({ role: "client", qpackMaxTableCapacity: 0 });
    const settings = encodeSettingsFrame({ qpackMaxTableCapacity: 0, maxFieldSectionSize: 4096 });
    const request = concat(
      client.sendRequestHeaders(0, [
        { name: ":method", value: "POST" },
        ...getRequest("/upload", [
          { name: "content-length", value: "5" },
          { name: "user-agent", value: "fuzz" },
        ]).slice(1),
      ]),
      encodeFrameHeader(FrameType.DATA, 5),
      new Uint8Array([1, 2, 3, 4, 5]),
      client.sendTrailers(0, [{ name: "x-sum", value: "15" }]),
    );
    const mutate = fc.tuple(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 4 }), fc.nat(), fc.boolean());
    fc.assert(
      fc.property(mutate, mutate, fc.integer({ min: 1, max: 16 }), ([flips, cut, dup], [flips2, cut2, dup2], piece) => {
        const damage = (bytes: Uint8Array, f: [number, number][], c: number, d: boolean): Uint8Array => {
          let out: Uint8Array = bytes.slice(0, bytes.length - (c % 4 === 0 ? c % bytes.length : 0));
          for (const [at, bit] of f) if (out.length > 0) out[at % out.length]! ^= 1 << bit;
          if (d) out = concat(out, out);
          return out;
        };
        feedServer(concat(new Uint8Array([0x00]), damage(settings, flips, cut, dup)), damage(request, flips2, cut2, dup2), piece);
      }),
      { numRuns: 3000 },
    );
  });

  it("an unmutated request is accepted, so the mutation test starts from valid traffic", () => {
    const client = new Http3Connection({ role: "client", qpackMaxTableCapacity: 0 });
    const server = feedServer(concat(new Uint8Array([0x00]), encodeSettingsFrame({})), client.sendRequestHeaders(0, getRequest()), 3);
    expect(server.closedError).toBeUndefined();
  });
});
