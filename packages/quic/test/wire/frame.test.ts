/**
 * Frames (RFC 9000 §19, RFC 9221 §4): every frame round-trips; the
 * per-packet-type table of §12.4 is enforced with PROTOCOL_VIOLATION;
 * malformed frames fail with FRAME_ENCODING_ERROR; hostile ACKs are
 * bounded; random and mutated payloads raise nothing but TransportError.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AckRanges,
  ackRangesThatFit,
  type Frame,
  type FramePacketType,
  FrameType,
  frameAllowedIn,
  isAckEliciting,
  RangeSet,
  Reader,
  readFrame,
  streamFrameOverhead,
  TransportError,
  TransportErrorCode,
  Writer,
  writeAckFrame,
  writeFrame,
  writeStreamFrame,
} from "../../src/proto/index.js";
import { hex, toHex, transportErrorOf } from "../vectors/support.js";

/** Ascending half-open ranges from a plain list, to feed writeAckFrame without RangeSet. */
class ListRanges implements AckRanges {
  constructor(readonly list: readonly (readonly [number, number])[]) {}
  get rangeCount(): number {
    return this.list.length;
  }
  startAt(i: number): number {
    return this.list[i]![0];
  }
  endAt(i: number): number {
    return this.list[i]![1];
  }
}

function rangesOf(ranges: AckRanges): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < ranges.rangeCount; i++) out.push([ranges.startAt(i), ranges.endAt(i)]);
  return out;
}

/** A comparable form: bytes as hex, ACK ranges as arrays. */
function normalize(frame: Frame): unknown {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(frame)) {
    if (value instanceof Uint8Array) out[key] = toHex(value);
    else if (key === "ranges") out[key] = rangesOf(value as AckRanges);
    else out[key] = value;
  }
  return out;
}

function decodeAll(payload: Uint8Array, packetType?: FramePacketType): Frame[] {
  const reader = new Reader("frame", payload);
  const frames: Frame[] = [];
  while (reader.remaining > 0) frames.push(readFrame(reader, packetType));
  return frames;
}

const varint = fc.oneof(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 2 ** 30 }), fc.maxSafeNat());
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });

const ackRanges = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 2 ** 20 }), fc.integer({ min: 1, max: 1000 })), { minLength: 1, maxLength: 40 })
  .map((pieces) => {
    // Build ascending, disjoint, non-adjacent ranges from (gap, length) pieces.
    const list: [number, number][] = [];
    let next = 0;
    for (const [gap, length] of pieces) {
      const start = next + (list.length === 0 ? gap : gap + 1);
      list.push([start, start + length]);
      next = start + length;
    }
    return new ListRanges(list);
  });

const frameArbitrary: fc.Arbitrary<Frame> = fc.oneof(
  fc.integer({ min: 1, max: 50 }).map((length) => ({ kind: "padding", length }) as const),
  fc.constant({ kind: "ping" } as const),
  fc
    .record({
      ranges: ackRanges,
      ackDelay: varint,
      ecn: fc.option(fc.record({ ect0: varint, ect1: varint, ce: varint }), { nil: undefined }),
    })
    .map(
      ({ ranges, ackDelay, ecn }) =>
        ({ kind: "ack", largest: ranges.endAt(ranges.rangeCount - 1) - 1, ackDelay, ranges, ecn }) as unknown as Frame,
    ),
  fc.record({ streamId: varint, errorCode: varint, finalSize: varint }).map((f) => ({ kind: "reset-stream", ...f }) as const),
  fc.record({ streamId: varint, errorCode: varint }).map((f) => ({ kind: "stop-sending", ...f }) as const),
  fc.record({ offset: fc.integer({ min: 0, max: 2 ** 40 }), data: bytes(0, 100) }).map((f) => ({ kind: "crypto", ...f }) as const),
  bytes(1, 100).map((token) => ({ kind: "new-token", token }) as const),
  fc
    .record({ streamId: varint, offset: fc.integer({ min: 0, max: 2 ** 50 }), data: bytes(0, 100), fin: fc.boolean() })
    .map((f) => ({ kind: "stream", ...f }) as const),
  varint.map((maximum) => ({ kind: "max-data", maximum }) as const),
  fc.record({ streamId: varint, maximum: varint }).map((f) => ({ kind: "max-stream-data", ...f }) as const),
  fc
    .record({ bidirectional: fc.boolean(), maximum: fc.integer({ min: 0, max: 2 ** 40 }) })
    .map((f) => ({ kind: "max-streams", ...f }) as const),
  varint.map((limit) => ({ kind: "data-blocked", limit }) as const),
  fc.record({ streamId: varint, limit: varint }).map((f) => ({ kind: "stream-data-blocked", ...f }) as const),
  fc
    .record({ bidirectional: fc.boolean(), limit: fc.integer({ min: 0, max: 2 ** 40 }) })
    .map((f) => ({ kind: "streams-blocked", ...f }) as const),
  fc
    .record({
      sequenceNumber: fc.integer({ min: 0, max: 2 ** 40 }),
      back: fc.nat(),
      connectionId: bytes(1, 20),
      statelessResetToken: bytes(16, 16),
    })
    .map(({ back, ...f }) => ({ kind: "new-connection-id", ...f, retirePriorTo: back % (f.sequenceNumber + 1) }) as const),
  varint.map((sequenceNumber) => ({ kind: "retire-connection-id", sequenceNumber }) as const),
  bytes(8, 8).map((data) => ({ kind: "path-challenge", data }) as const),
  bytes(8, 8).map((data) => ({ kind: "path-response", data }) as const),
  fc
    .record({ application: fc.boolean(), errorCode: varint, frameType: fc.integer({ min: 0, max: 0x1e }), reason: bytes(0, 60) })
    .map((f) => ({ kind: "connection-close", ...f, frameType: f.application ? 0 : f.frameType }) as const),
  fc.constant({ kind: "handshake-done" } as const),
  bytes(0, 100).map((data) => ({ kind: "datagram", data }) as const),
);

describe("frame codecs (RFC 9000 §19, RFC 9221 §4)", () => {
  it("every frame round-trips, alone and in sequence (property)", () => {
    fc.assert(
      fc.property(fc.array(frameArbitrary, { minLength: 1, maxLength: 8 }), (frames) => {
        // Consecutive PADDING frames merge on decode: keep at most one in a row.
        const input = frames.filter((frame, i) => !(frame.kind === "padding" && frames[i - 1]?.kind === "padding"));
        const writer = new Writer(new Uint8Array(16384));
        for (const frame of input) writeFrame(writer, frame);
        expect(decodeAll(writer.written()).map(normalize)).toEqual(input.map(normalize));
      }),
      { numRuns: 3000 },
    );
  });

  it("a run of PADDING decodes as one frame (a padded Initial is not a thousand frames)", () => {
    const payload = new Uint8Array(1000);
    payload[0] = FrameType.PING;
    expect(decodeAll(payload).map(normalize)).toEqual([{ kind: "ping" }, { kind: "padding", length: 999 }]);
  });

  it("STREAM: the OFF/LEN/FIN bits; without LEN the data runs to the end of the packet (§19.8)", () => {
    const writer = new Writer(new Uint8Array(64));
    writeStreamFrame(writer, 4, 0, hex("aabb"), true, false);
    expect(toHex(writer.written())).toBe("0904aabb");
    expect(streamFrameOverhead(4, 0, 2, false)).toBe(2);
    writer.reset(writer.buffer);
    writeStreamFrame(writer, 4, 1000, hex("aabb"), false);
    expect(toHex(writer.written())).toBe("0e0443e802aabb");
    expect(streamFrameOverhead(4, 1000, 2)).toBe(5);
    expect(normalize(decodeAll(hex("0904aabb"))[0]!)).toEqual({ kind: "stream", streamId: 4, offset: 0, data: "aabb", fin: true });
  });

  it("ACK: encodes ranges as largest, first range, then (gap, length) pairs downward (§19.3.1)", () => {
    const received = new RangeSet();
    received.insert(0, 5); // 0..4
    received.insert(7, 10); // 7..9
    const writer = new Writer(new Uint8Array(32));
    writeAckFrame(writer, received, 3);
    // type 02, largest 9, delay 3, count 1, first range 2 (7..9), gap 1 (5,6 missing), length 4 (0..4)
    expect(toHex(writer.written())).toBe("020903010201" + "04");
    const frame = decodeAll(writer.written())[0]!;
    expect(frame.kind).toBe("ack");
    if (frame.kind !== "ack") return;
    expect(rangesOf(frame.ranges)).toEqual([
      [0, 5],
      [7, 10],
    ]);
    expect(frame.ranges.has(6)).toBe(false);
    expect(frame.ranges.has(8)).toBe(true);
  });

  it("ACK: ackRangesThatFit drops the oldest ranges to fit the room left", () => {
    const ranges = new ListRanges(Array.from({ length: 100 }, (_, i) => [i * 10, i * 10 + 5] as [number, number]));
    const fit = ackRangesThatFit(ranges, 0, 40);
    expect(fit).toBeGreaterThan(1);
    expect(fit).toBeLessThan(100);
    const writer = new Writer(new Uint8Array(40));
    writeAckFrame(writer, ranges, 0, undefined, fit);
    const frame = decodeAll(writer.written())[0]!;
    if (frame.kind !== "ack") throw new Error("not an ACK");
    expect(rangesOf(frame.ranges)).toEqual(rangesOf(ranges).slice(100 - fit));
    expect(() => writeAckFrame(new Writer(new Uint8Array(40)), ranges, 0, undefined, fit + 1)).toThrow(RangeError);
  });

  it("ACK: a count of 2^62-1 ranges is checked against the bytes left before any range is decoded", () => {
    const error = transportErrorOf(() => decodeAll(hex("02" + "0a" + "00" + "ffffffffffffffff" + "00" + "0000")));
    expect(error.errorCode).toBe(TransportErrorCode.FRAME_ENCODING_ERROR);
    expect(error.frameType).toBe(0x02);
    expect(error.reason).toMatch(/announces .* ranges but only 2 bytes follow/);
  });

  it("ACK: a range reaching below packet 0 is FRAME_ENCODING_ERROR (§19.3.1)", () => {
    // Largest 5, first range 6: smallest would be -1.
    expect(transportErrorOf(() => decodeAll(hex("0205000006"))).errorCode).toBe(TransportErrorCode.FRAME_ENCODING_ERROR);
    // Largest 10, first range 2 (8..10), gap 0, length 7: 6 down to -1.
    expect(transportErrorOf(() => decodeAll(hex("020a0001020007"))).errorCode).toBe(TransportErrorCode.FRAME_ENCODING_ERROR);
    // Length 6 reaches exactly packet 0.
    const [frame] = decodeAll(hex("020a0001020006"));
    if (frame?.kind !== "ack") throw new Error("not an ACK");
    expect(rangesOf(frame.ranges)).toEqual([
      [0, 7],
      [8, 11],
    ]);
  });

  it("malformed frames are FRAME_ENCODING_ERROR carrying the frame type", () => {
    const cases: [string, string, number][] = [
      ["unknown type", "1f", 0x1f],
      ["CRYPTO truncated", "060705", 0x06],
      ["NEW_TOKEN with an empty token (§19.7)", "0700", 0x07],
      ["MAX_STREAMS above 2^60 (§19.11)", "12d000000000000001", 0x12],
      ["STREAMS_BLOCKED above 2^60 (§19.14)", "17d000000000000001", 0x17],
      ["NEW_CONNECTION_ID of length 0 (§19.15)", `18010000${"00".repeat(16)}`, 0x18],
      ["NEW_CONNECTION_ID of length 21", `180100 15${"00".repeat(37)}`.replace(" ", ""), 0x18],
      ["Retire Prior To above Sequence Number", `18010208${"00".repeat(24)}`, 0x18],
      ["STREAM ending beyond 2^62-1 (§19.8)", "0e00ffffffffffffffff01aa", 0x0e],
      ["CRYPTO ending beyond 2^62-1 (§19.6)", "06ffffffffffffffff01aa", 0x06],
      ["PATH_CHALLENGE with 7 bytes", "1a01020304050607", 0x1a],
      ["CONNECTION_CLOSE reason past the end", "1c000005616263", 0x1c],
      ["DATAGRAM length past the end", "3105aabb", 0x31],
    ];
    for (const [name, payload, type] of cases) {
      const error = transportErrorOf(() => decodeAll(hex(payload)));
      expect([name, error.errorCode, error.frameType]).toEqual([name, TransportErrorCode.FRAME_ENCODING_ERROR, type]);
    }
    // A stream may end exactly at 2^62-1 (offset 2^62-2, one byte); one more is too far.
    expect(decodeAll(hex("0e00fffffffffffffffe01aa"))).toHaveLength(1);
    expect(transportErrorOf(() => decodeAll(hex("0e00fffffffffffffffe02aabb"))).frameType).toBe(0x0e);
    // Exactly 2^60 streams is allowed.
    expect(decodeAll(hex("12d000000000000000"))).toHaveLength(1);
  });

  it("a frame type with a longer encoding than necessary is PROTOCOL_VIOLATION (§12.4)", () => {
    const error = transportErrorOf(() => decodeAll(hex("4001")));
    expect(error.errorCode).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
    expect(error.frameType).toBe(0x01);
  });
});

describe("frames permitted per packet type (RFC 9000 §12.4 Table 3)", () => {
  const table: [string, number, string][] = [
    ["PADDING", 0x00, "IH01"],
    ["PING", 0x01, "IH01"],
    ["ACK", 0x02, "IH_1"],
    ["ACK_ECN", 0x03, "IH_1"],
    ["RESET_STREAM", 0x04, "__01"],
    ["STOP_SENDING", 0x05, "__01"],
    ["CRYPTO", 0x06, "IH_1"],
    ["NEW_TOKEN", 0x07, "___1"],
    ["STREAM", 0x08, "__01"],
    ["STREAM|FIN|LEN|OFF", 0x0f, "__01"],
    ["MAX_DATA", 0x10, "__01"],
    ["MAX_STREAM_DATA", 0x11, "__01"],
    ["MAX_STREAMS", 0x12, "__01"],
    ["MAX_STREAMS uni", 0x13, "__01"],
    ["DATA_BLOCKED", 0x14, "__01"],
    ["STREAM_DATA_BLOCKED", 0x15, "__01"],
    ["STREAMS_BLOCKED", 0x16, "__01"],
    ["STREAMS_BLOCKED uni", 0x17, "__01"],
    ["NEW_CONNECTION_ID", 0x18, "__01"],
    ["RETIRE_CONNECTION_ID", 0x19, "__01"],
    ["PATH_CHALLENGE", 0x1a, "__01"],
    ["PATH_RESPONSE", 0x1b, "___1"],
    ["CONNECTION_CLOSE transport", 0x1c, "IH01"],
    ["CONNECTION_CLOSE application", 0x1d, "__01"],
    ["HANDSHAKE_DONE", 0x1e, "___1"],
    ["DATAGRAM", 0x30, "__01"],
    ["DATAGRAM with length", 0x31, "__01"],
    ["unknown 0x1f", 0x1f, "____"],
  ];
  const columns: FramePacketType[] = ["initial", "handshake", "0rtt", "1rtt"];
  for (const [name, type, pkts] of table) {
    it(`${name} (0x${type.toString(16)}): ${pkts}`, () => {
      expect(columns.map((packetType) => frameAllowedIn(type, packetType))).toEqual([...pkts].map((c) => c !== "_"));
    });
  }

  it("a permitted type in the wrong packet is PROTOCOL_VIOLATION with the frame type; an unknown one FRAME_ENCODING_ERROR", () => {
    const stream = transportErrorOf(() => decodeAll(hex("0800"), "initial"));
    expect(stream.errorCode).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
    expect(stream.frameType).toBe(0x08);
    expect(transportErrorOf(() => decodeAll(hex("02000000"), "0rtt")).errorCode).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
    expect(transportErrorOf(() => decodeAll(hex("1d0000"), "handshake")).errorCode).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
    expect(decodeAll(hex("1c000000"), "handshake")).toHaveLength(1);
    expect(transportErrorOf(() => decodeAll(hex("1f"), "1rtt")).errorCode).toBe(TransportErrorCode.FRAME_ENCODING_ERROR);
  });

  it("ACK, PADDING and CONNECTION_CLOSE are the frames that do not elicit acknowledgement (§13.2)", () => {
    expect(isAckEliciting("ack")).toBe(false);
    expect(isAckEliciting("padding")).toBe(false);
    expect(isAckEliciting("connection-close")).toBe(false);
    expect(isAckEliciting("ping")).toBe(true);
    expect(isAckEliciting("stream")).toBe(true);
  });
});

describe("fuzzing the frame parser", () => {
  const packetTypes = fc.constantFrom<FramePacketType | undefined>("initial", "handshake", "0rtt", "1rtt", undefined);

  function parseOnlyTyped(payload: Uint8Array, packetType: FramePacketType | undefined): void {
    try {
      const reader = new Reader("frame", payload);
      let frames = 0;
      while (reader.remaining > 0) {
        const before = reader.position;
        readFrame(reader, packetType);
        expect(reader.position).toBeGreaterThan(before); // progress: no frame is empty, so no endless loop
        expect(reader.position).toBeLessThanOrEqual(payload.length);
        frames++;
      }
      expect(frames).toBeLessThanOrEqual(payload.length);
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      expect([TransportErrorCode.FRAME_ENCODING_ERROR, TransportErrorCode.PROTOCOL_VIOLATION]).toContain(error.errorCode);
    }
  }

  it("random payloads decode or throw TransportError (FRAME_ENCODING_ERROR / PROTOCOL_VIOLATION)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), packetTypes, (payload, packetType) => parseOnlyTyped(payload, packetType)),
      { numRuns: 20000 },
    );
  });

  it("bit-flipped and truncated valid payloads decode or throw TransportError", () => {
    fc.assert(
      fc.property(
        fc.array(frameArbitrary, { minLength: 1, maxLength: 5 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 4 }),
        fc.nat(),
        packetTypes,
        (frames, flips, cut, packetType) => {
          const writer = new Writer(new Uint8Array(16384));
          for (const frame of frames) writeFrame(writer, frame);
          const payload = writer.written().slice();
          for (const [index, bit] of flips) payload[index % payload.length] = payload[index % payload.length]! ^ (1 << bit);
          parseOnlyTyped(payload.subarray(0, payload.length - (cut % (payload.length + 1))), packetType);
        },
      ),
      { numRuns: 10000 },
    );
  });
});
