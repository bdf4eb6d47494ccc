/**
 * Encoding frames at their limits (RFC 9000 §19, §9.1; RFC 9221 §4): writers
 * refuse values the wire cannot carry, saying which, and accept values
 * exactly at the limit; the CRYPTO header size matches what is written; a
 * DATAGRAM without Length ends the packet; the probing frames are the four
 * of §9.1.
 */
import { describe, expect, it } from "vitest";
import {
  cryptoFrameOverhead,
  type Frame,
  type FrameKind,
  isProbingFrame,
  MAX_VARINT,
  Reader,
  readFrame,
  Writer,
  writeCryptoFrame,
  writeDatagramFrame,
  writeFrame,
  writeStreamFrame,
} from "../../src/proto/index.js";
import { toHex } from "../vectors/support.js";

function written(frame: Frame): Uint8Array {
  const writer = new Writer(new Uint8Array(200));
  writeFrame(writer, frame);
  return writer.buffer.subarray(0, writer.position);
}

const token16 = new Uint8Array(16);

describe("writeFrame refusals", () => {
  it("names each value the wire cannot carry", () => {
    const cases: [Frame, string][] = [
      [{ kind: "padding", length: 0 }, "padding length must be at least 1"],
      [{ kind: "new-token", token: new Uint8Array(0) }, "NEW_TOKEN token must not be empty"],
      [{ kind: "max-streams", bidirectional: true, maximum: 2 ** 60 + 256 }, "MAX_STREAMS maximum must be at most 2^60"],
      [{ kind: "streams-blocked", bidirectional: false, limit: 2 ** 60 + 256 }, "STREAMS_BLOCKED limit must be at most 2^60"],
      [
        { kind: "new-connection-id", sequenceNumber: 1, retirePriorTo: 0, connectionId: new Uint8Array(0), statelessResetToken: token16 },
        "connectionId must be 1..20 bytes",
      ],
      [
        { kind: "new-connection-id", sequenceNumber: 1, retirePriorTo: 0, connectionId: new Uint8Array(21), statelessResetToken: token16 },
        "connectionId must be 1..20 bytes",
      ],
      [
        { kind: "new-connection-id", sequenceNumber: 1, retirePriorTo: 2, connectionId: new Uint8Array(8), statelessResetToken: token16 },
        "retirePriorTo must not exceed sequenceNumber",
      ],
      [
        {
          kind: "new-connection-id",
          sequenceNumber: 1,
          retirePriorTo: 0,
          connectionId: new Uint8Array(8),
          statelessResetToken: new Uint8Array(15),
        },
        "statelessResetToken must be 16 bytes, got 15",
      ],
      [{ kind: "path-challenge", data: new Uint8Array(7) }, "PATH_CHALLENGE data must be 8 bytes, got 7"],
      [{ kind: "path-response", data: new Uint8Array(9) }, "PATH_RESPONSE data must be 8 bytes, got 9"],
    ];
    for (const [frame, reason] of cases) expect(() => written(frame), frame.kind).toThrow(reason);
    expect(() => written({ kind: "bogus" } as unknown as Frame)).toThrow(new TypeError("unknown frame kind bogus"));
  });

  it("writes the values exactly at the limits, and they decode back", () => {
    const frames: Frame[] = [
      { kind: "padding", length: 1 },
      { kind: "max-streams", bidirectional: true, maximum: 2 ** 60 },
      { kind: "streams-blocked", bidirectional: false, limit: 2 ** 60 },
      {
        kind: "new-connection-id",
        sequenceNumber: 3,
        retirePriorTo: 3,
        connectionId: new Uint8Array(20).fill(1),
        statelessResetToken: token16,
      },
      { kind: "new-connection-id", sequenceNumber: 3, retirePriorTo: 0, connectionId: Uint8Array.of(1), statelessResetToken: token16 },
    ];
    for (const frame of frames) expect(readFrame(new Reader("frame", written(frame)))).toEqual(frame);
  });
});

describe("STREAM and CRYPTO sizes", () => {
  it("writes a STREAM frame ending exactly at the largest offset a number carries, and refuses one ending at 2^62", () => {
    const writer = new Writer(new Uint8Array(2000));
    writeStreamFrame(writer, 0, MAX_VARINT - 1024, new Uint8Array(1024), true);
    const frame = readFrame(new Reader("frame", writer.buffer.subarray(0, writer.position)));
    if (frame.kind !== "stream") throw new Error(frame.kind);
    expect(frame.offset + frame.data.length).toBe(MAX_VARINT);
    expect(() => writeStreamFrame(new Writer(new Uint8Array(2000)), 0, MAX_VARINT - 1024, new Uint8Array(1536), false)).toThrow(
      "STREAM frame would end beyond 2^62-1",
    );
  });

  it("sizes a CRYPTO frame header as written, at the varint boundaries", () => {
    for (const offset of [0, 63, 64, 16383, 16384, 2 ** 30 - 1, 2 ** 30]) {
      for (const length of [0, 63, 64, 300]) {
        const writer = new Writer(new Uint8Array(400));
        writeCryptoFrame(writer, offset, new Uint8Array(length));
        expect(cryptoFrameOverhead(offset, length), `offset ${offset}, length ${length}`).toBe(writer.position - length);
      }
    }
  });
});

describe("DATAGRAM without Length (RFC 9221 §4)", () => {
  it("writes type 0x30 and the data, which then runs to the end of the packet", () => {
    const writer = new Writer(new Uint8Array(10));
    writeDatagramFrame(writer, Uint8Array.of(0xaa, 0xbb), false);
    expect(toHex(writer.buffer.subarray(0, writer.position))).toBe("30aabb");
  });
});

describe("probing frames (RFC 9000 §9.1)", () => {
  it("are PATH_CHALLENGE, PATH_RESPONSE, NEW_CONNECTION_ID and PADDING only", () => {
    const kinds: FrameKind[] = [
      "padding",
      "ping",
      "ack",
      "reset-stream",
      "stop-sending",
      "crypto",
      "new-token",
      "stream",
      "max-data",
      "max-stream-data",
      "max-streams",
      "data-blocked",
      "stream-data-blocked",
      "streams-blocked",
      "new-connection-id",
      "retire-connection-id",
      "path-challenge",
      "path-response",
      "connection-close",
      "handshake-done",
      "datagram",
    ];
    expect(kinds.filter(isProbingFrame)).toEqual(["padding", "new-connection-id", "path-challenge", "path-response"]);
  });
});
