/**
 * HTTP/3 frames (RFC 9114 §7): what the mutation run of `frames.ts` found
 * untested: the reserved identifiers below 0x21, `midFrame` inside a DATA
 * frame (type 0), headers split at every byte after a previous frame, and
 * the refusals' reasons.
 */
import { describe, expect, it } from "vitest";
import { Http3Error } from "../../src/h3/errors.js";
import {
  encodeFrame,
  encodeFrameHeader,
  encodeIdFrame,
  type FrameItem,
  FrameReader,
  FrameType,
  isReservedId,
  parseIdPayload,
} from "../../src/h3/frames.js";

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof Http3Error) return `${error.code}: ${error.reason}`;
    throw error;
  }
  throw new Error("did not throw");
}

describe("reserved identifiers (§7.2.8)", () => {
  it("0x21 is the first: 0x02 = 0x21 - 0x1f and 0 are not reserved", () => {
    expect(isReservedId(0x21)).toBe(true);
    expect(isReservedId(0x21 - 0x1f)).toBe(false);
    expect(isReservedId(0)).toBe(false);
    expect(isReservedId(0x21 + 0x1f)).toBe(true);
  });
});

describe("FrameReader", () => {
  it("is mid-frame inside a DATA frame's payload (type 0) and not after it", () => {
    const reader = new FrameReader(() => "stream");
    const out: FrameItem[] = [];
    expect(reader.midFrame).toBe(false);
    reader.push(new Uint8Array([0x00, 0x02, 0xaa]), out);
    expect(reader.midFrame).toBe(true);
    expect(() => reader.finish()).toThrow(/the stream ended inside a frame/);
    reader.push(new Uint8Array([0xbb]), out);
    expect(reader.midFrame).toBe(false);
    reader.finish();
    expect(out.map((i) => (i.kind === "piece" ? [i.type, [...i.bytes], i.last] : i))).toEqual([
      [0, [0xaa], false],
      [0, [0xbb], true],
    ]);
  });

  it("is mid-frame after one byte of a header", () => {
    const reader = new FrameReader(() => "buffer");
    reader.push(new Uint8Array([0x01]), []);
    expect(reader.midFrame).toBe(true);
  });

  it("a frame header fed one byte at a time after a frame with long varints reads its own type and length", () => {
    // The first frame leaves 8-byte type and length bytes in the header buffer; the second has 1-byte ones.
    const first = concat(encodeFrameHeader(2 ** 40 + 0x21 - (2 ** 40 % 0x1f), 3), new Uint8Array([1, 2, 3]));
    const second = encodeFrame(FrameType.HEADERS, new Uint8Array([7]));
    const asked: [number, number][] = [];
    const reader = new FrameReader((type, length) => {
      asked.push([type, length]);
      return "buffer";
    });
    const out: FrameItem[] = [];
    const bytes = concat(first, second);
    for (let i = 0; i < bytes.length; i++) reader.push(bytes.subarray(i, i + 1), out);
    reader.finish();
    expect(asked).toEqual([
      [2 ** 40 + 0x21 - (2 ** 40 % 0x1f), 3],
      [FrameType.HEADERS, 1],
    ]);
    expect(out).toEqual([
      { kind: "frame", type: asked[0]![0], payload: new Uint8Array([1, 2, 3]) },
      { kind: "frame", type: FrameType.HEADERS, payload: new Uint8Array([7]) },
    ]);
  });

  it("a streamed empty frame gives one empty last piece; a skipped one gives nothing", () => {
    const out: FrameItem[] = [];
    new FrameReader((type) => (type === 0 ? "stream" : "skip")).push(new Uint8Array([0x00, 0x00, 0x21, 0x00, 0x21, 0x01, 0x09]), out);
    expect(out).toEqual([{ kind: "piece", type: 0, bytes: new Uint8Array(0), last: true }]);
  });
});

describe("id frames (§7.2.3, §7.2.6, §7.2.7)", () => {
  it("encodeIdFrame refuses what is no varint, naming the id", () => {
    for (const id of [-1, 0.5, 2 ** 62])
      expect(() => encodeIdFrame(FrameType.GOAWAY, id)).toThrow(new RangeError(`id: ${id} is not a varint`));
    expect([...encodeIdFrame(FrameType.MAX_PUSH_ID, 2 ** 53 - 1)]).toEqual([0x0d, 0x08, 0xc0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  });

  it("id 0 is an id", () => {
    expect([...encodeIdFrame(FrameType.GOAWAY, 0)]).toEqual([0x07, 0x01, 0x00]);
    expect(parseIdPayload(new Uint8Array([0x00]), "GOAWAY")).toBe(0);
  });

  it("parseIdPayload names the frame in its refusal", () => {
    expect(reason(() => parseIdPayload(new Uint8Array([]), "MAX_PUSH_ID"))).toBe(
      "ZSYNC_QUIC_H3_FRAME: MAX_PUSH_ID payload is not exactly one varint",
    );
    expect(reason(() => parseIdPayload(new Uint8Array([1, 2]), "CANCEL_PUSH"))).toBe(
      "ZSYNC_QUIC_H3_FRAME: CANCEL_PUSH payload is not exactly one varint",
    );
  });
});

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
