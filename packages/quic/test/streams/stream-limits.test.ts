import { describe, expect, it } from "vitest";
import { TransportError, TransportErrorCode } from "../../src/proto/errors.js";
import {
  canReceive,
  canSend,
  MAX_STREAM_COUNT,
  makeStreamId,
  streamDirection,
  streamIndex,
  streamInitiator,
} from "../../src/proto/streams/stream-id.js";
import { StreamLimits } from "../../src/proto/streams/stream-limits.js";

function code(fn: () => unknown): number {
  try {
    fn();
  } catch (error) {
    if (error instanceof TransportError) return error.errorCode;
    throw error;
  }
  return -1;
}

describe("stream IDs (RFC 9000 §2.1)", () => {
  it("encode the initiator in bit 0 and the direction in bit 1", () => {
    expect([0, 1, 2, 3].map((id) => [streamInitiator(id), streamDirection(id)])).toEqual([
      ["client", "bidi"],
      ["server", "bidi"],
      ["client", "uni"],
      ["server", "uni"],
    ]);
    expect(makeStreamId(1, "server", "uni")).toBe(7);
    expect(streamIndex(7)).toBe(1);
    const big = makeStreamId(2 ** 50, "server", "bidi");
    expect(streamIndex(big)).toBe(2 ** 50);
    expect(streamInitiator(big)).toBe("server");
    expect(() => makeStreamId(MAX_STREAM_COUNT, "client", "bidi")).toThrow(RangeError);
  });

  it("say who may send and receive on a unidirectional stream", () => {
    expect(canSend(2, "client")).toBe(true);
    expect(canReceive(2, "client")).toBe(false);
    expect(canSend(2, "server")).toBe(false);
    expect(canReceive(2, "server")).toBe(true);
    expect(canSend(0, "server") && canReceive(0, "server")).toBe(true);
  });
});

describe("StreamLimits (RFC 9000 §4.6)", () => {
  const options = { localBidi: 4, localUni: 1, peerBidi: 2, peerUni: 0 };

  it("opens local streams up to the peer's limit, then reports STREAMS_BLOCKED once per limit", () => {
    const limits = new StreamLimits("client", options);
    expect(limits.openLocal("bidi")).toBe(0);
    expect(limits.openLocal("bidi")).toBe(4);
    expect(limits.openLocal("bidi")).toBeUndefined();
    expect(limits.streamsBlocked("bidi")).toBe(2);
    expect(limits.streamsBlocked("bidi")).toBeUndefined();
    expect(limits.openLocal("uni")).toBeUndefined();
    expect(limits.onMaxStreams("bidi", 1)).toBe(false);
    expect(limits.onMaxStreams("bidi", 3)).toBe(true);
    expect(limits.availableLocal("bidi")).toBe(1);
    expect(limits.openLocal("bidi")).toBe(8);
  });

  it("treats MAX_STREAMS or STREAMS_BLOCKED above 2^60 as FRAME_ENCODING_ERROR (§19.11, §19.14)", () => {
    const limits = new StreamLimits("server", options);
    expect(code(() => limits.onMaxStreams("uni", MAX_STREAM_COUNT * 2))).toBe(TransportErrorCode.FRAME_ENCODING_ERROR);
    expect(limits.onMaxStreams("uni", MAX_STREAM_COUNT)).toBe(true);
    expect(code(() => limits.onStreamsBlocked("bidi", MAX_STREAM_COUNT * 2))).toBe(TransportErrorCode.FRAME_ENCODING_ERROR);
  });

  it("opens a peer stream and every lower one of its type implicitly (§3.2)", () => {
    const limits = new StreamLimits("server", options);
    expect({ ...limits.onStreamReferenced(8) }).toEqual({ from: 0, to: 3 }); // client bidi 0, 4, 8
    expect({ ...limits.onStreamReferenced(4) }).toEqual({ from: 3, to: 3 }); // already open
    expect({ ...limits.onStreamReferenced(2) }).toEqual({ from: 0, to: 1 }); // client uni 0
  });

  it("treats a peer stream beyond our limit as STREAM_LIMIT_ERROR", () => {
    const limits = new StreamLimits("server", options);
    expect(code(() => limits.onStreamReferenced(makeStreamId(4, "client", "bidi")))).toBe(TransportErrorCode.STREAM_LIMIT_ERROR);
    expect(code(() => limits.onStreamReferenced(makeStreamId(1, "client", "uni")))).toBe(TransportErrorCode.STREAM_LIMIT_ERROR);
  });

  it("treats a frame for a local stream not yet opened as STREAM_STATE_ERROR (§19.8)", () => {
    const limits = new StreamLimits("server", options);
    expect(code(() => limits.onStreamReferenced(1))).toBe(TransportErrorCode.STREAM_STATE_ERROR);
    limits.openLocal("bidi");
    expect({ ...limits.onStreamReferenced(1) }).toEqual({ from: 0, to: 0 });
  });

  it("grants MAX_STREAMS credit as peer streams close, half a window at a time", () => {
    const limits = new StreamLimits("server", options);
    limits.onStreamReferenced(makeStreamId(3, "client", "bidi"));
    expect(limits.maxStreamsUpdate("bidi")).toBeUndefined();
    limits.onRemoteStreamClosed("bidi");
    expect(limits.maxStreamsUpdate("bidi")).toBeUndefined(); // +1 of a window of 4
    limits.onRemoteStreamClosed("bidi");
    expect(limits.maxStreamsUpdate("bidi")).toBe(6);
    expect(limits.remoteLimit("bidi")).toBe(6);
    expect(() => limits.onStreamReferenced(makeStreamId(5, "client", "bidi"))).not.toThrow();
  });

  it("rejects initial limits above 2^60", () => {
    expect(() => new StreamLimits("client", { ...options, peerUni: MAX_STREAM_COUNT * 2 })).toThrow(RangeError);
  });
});
