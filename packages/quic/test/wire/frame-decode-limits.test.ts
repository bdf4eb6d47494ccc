/**
 * Decoding frames at their limits (RFC 9000 §12.4, §19; RFC 9221 §4): each
 * refusal says what was wrong, values exactly at a limit decode, the frame
 * types without optional fields (bare STREAM 0x08, DATAGRAM 0x30) read to the
 * end of the packet, PADDING stops at the reader's end, and an ACK decodes
 * into the caller's range list.
 */
import { describe, expect, it } from "vitest";
import { AckRangeList, type Frame, type FramePacketType, Reader, readFrame, TransportErrorCode } from "../../src/proto/index.js";
import { hex, toHex, transportErrorOf } from "../vectors/support.js";

function decodeOne(payload: Uint8Array, packetType?: FramePacketType): Frame {
  const reader = new Reader("frame", payload);
  const frame = readFrame(reader, packetType);
  expect(reader.remaining).toBe(0);
  return frame;
}

describe("frame refusals name what was wrong", () => {
  it("says which limit or field a malformed frame broke (FRAME_ENCODING_ERROR)", () => {
    const cases: [string, string][] = [
      ["1f", "unknown frame type 0x1f"],
      ["0700", "NEW_TOKEN with an empty token"],
      ["12d000000000000001", "MAX_STREAMS of 1152921504606846977 exceeds 2^60"],
      ["17d000000000000001", "STREAMS_BLOCKED of 1152921504606846977 exceeds 2^60"],
      [`18010000${"00".repeat(16)}`, "connection ID length 0 is outside 1..20"],
      [`180100 15${"00".repeat(37)}`.replace(" ", ""), "connection ID length 21 is outside 1..20"],
      [`18010208${"00".repeat(24)}`, "Retire Prior To 2 exceeds Sequence Number 1"],
      ["0e00fffffffffffffffe02aabb", "STREAM frame ends beyond 2^62-1"],
      ["06fffffffffffffffe02aabb", "CRYPTO frame ends beyond 2^62-1"],
    ];
    for (const [payload, reason] of cases) {
      const error = transportErrorOf(() => decodeOne(hex(payload)));
      expect([payload, error.errorCode, error.message]).toEqual([
        payload,
        TransportErrorCode.FRAME_ENCODING_ERROR,
        expect.stringContaining(reason),
      ]);
    }
  });

  it("refuses known frame types a packet type does not permit with PROTOCOL_VIOLATION, the last known type and DATAGRAM included", () => {
    for (const [payload, packetType, type] of [
      ["1e", "initial", 0x1e],
      ["30aa", "handshake", 0x30],
      ["3101aa", "initial", 0x31],
    ] as const) {
      const error = transportErrorOf(() => decodeOne(hex(payload), packetType));
      expect(error.errorCode).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
      expect(error.frameType).toBe(type);
      expect(error.message).toContain(`frame type 0x${type.toString(16)} is not allowed in ${packetType} packets`);
    }
    const unknown = transportErrorOf(() => decodeOne(hex("1f"), "1rtt"));
    expect(unknown.errorCode).toBe(TransportErrorCode.FRAME_ENCODING_ERROR);
    expect(unknown.message).toContain("unknown frame type 0x1f");
  });
});

describe("frames exactly at their limits", () => {
  it("decodes STREAMS_BLOCKED of exactly 2^60 and a NEW_CONNECTION_ID with a 20-byte connection ID", () => {
    expect(decodeOne(hex("17d000000000000000"))).toEqual({ kind: "streams-blocked", bidirectional: false, limit: 2 ** 60 });
    const frame = decodeOne(hex(`180100 14${"07".repeat(20)}${"00".repeat(16)}`.replace(" ", "")));
    if (frame.kind !== "new-connection-id") throw new Error(frame.kind);
    expect(frame.connectionId.length).toBe(20);
  });
});

describe("frames without optional fields", () => {
  it("reads a bare STREAM frame (0x08: no offset, no length, no FIN) to the end of the packet", () => {
    const frame = decodeOne(hex("0804aabbcc"), "1rtt");
    if (frame.kind !== "stream") throw new Error(frame.kind);
    expect([frame.streamId, frame.offset, toHex(frame.data), frame.fin]).toEqual([4, 0, "aabbcc", false]);
  });

  it("reads a DATAGRAM without Length (0x30) to the end of the packet", () => {
    const frame = decodeOne(hex("30aabbcc"), "1rtt");
    expect(frame.kind).toBe("datagram");
    if (frame.kind !== "datagram") throw new Error(frame.kind);
    expect(toHex(frame.data)).toBe("aabbcc");
  });

  it("ends a PADDING run at the reader's end even when zeros follow in the buffer", () => {
    const buffer = new Uint8Array(8);
    const reader = new Reader("frame", buffer, 0, 3);
    expect(readFrame(reader, "initial")).toEqual({ kind: "padding", length: 3 });
    expect(reader.position).toBe(3);
  });
});

describe("ACK decoding into the caller's range list", () => {
  it("fills and returns the list it is given, and allocates one otherwise", () => {
    const list = new AckRangeList();
    const frame = readFrame(new Reader("frame", hex("020a000002")), "1rtt", list);
    if (frame.kind !== "ack") throw new Error(frame.kind);
    expect(frame.ranges).toBe(list);
    expect(list.rangeCount).toBe(1);
    expect([list.startAt(0), list.endAt(0)]).toEqual([8, 11]);
    const own = readFrame(new Reader("frame", hex("020a000002")), "1rtt");
    if (own.kind !== "ack") throw new Error(own.kind);
    expect(own.ranges).not.toBe(list);
    expect(own.ranges.rangeCount).toBe(1);
  });
});
