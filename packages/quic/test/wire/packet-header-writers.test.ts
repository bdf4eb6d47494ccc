/**
 * Writing packet headers at their limits (RFC 9000 §17.2, §17.2.1, §17.2.5,
 * §17.3.1): each writer fits a buffer of exactly its size, refuses one byte
 * less or a negative offset saying how many bytes it needs, sizes the
 * Initial token's length field at the varint boundaries, and names the
 * argument it refuses.
 */
import { describe, expect, it } from "vitest";
import {
  parsePacketHeader,
  QuicVersion,
  writeLongHeader,
  writeRetryHeader,
  writeShortHeader,
  writeVersionNegotiation,
} from "../../src/proto/index.js";
import { hex } from "../vectors/support.js";

const DCID = hex("8394c8f03e515708");
const SCID = hex("f067a5502a4262b5");
const CID20 = new Uint8Array(20).fill(1);
const CID21 = new Uint8Array(21).fill(1);

function initial(token: Uint8Array, dcid = DCID, scid = SCID) {
  return {
    type: "initial" as const,
    version: QuicVersion.V1,
    dcid,
    scid,
    token,
    packetNumber: 0x0102,
    packetNumberLength: 2 as const,
    length: 2,
  };
}

describe("writeLongHeader limits", () => {
  it("fits a buffer of exactly its size (Initial: 7 + 8 + 8 + 1 + 3 token + 2 Length + 2 packet number = 31 bytes) and refuses one byte less", () => {
    const fields = initial(hex("aabbcc"));
    expect(writeLongHeader(new Uint8Array(31), 0, fields)).toBe(31);
    expect(writeLongHeader(new Uint8Array(32), 1, fields)).toBe(32);
    expect(() => writeLongHeader(new Uint8Array(30), 0, fields)).toThrow("buffer too short for a 31-byte long header");
    expect(() => writeLongHeader(new Uint8Array(31), 1, fields)).toThrow("buffer too short for a 31-byte long header");
    expect(() => writeLongHeader(new Uint8Array(100), -1, fields)).toThrow("buffer too short for a 31-byte long header");
  });

  it("counts no token length field outside Initial packets (Handshake: 27 bytes)", () => {
    const fields = { ...initial(new Uint8Array(0)), type: "handshake" as const, token: undefined };
    expect(writeLongHeader(new Uint8Array(27), 0, fields)).toBe(27);
    expect(() => writeLongHeader(new Uint8Array(26), 0, fields)).toThrow("buffer too short for a 27-byte long header");
  });

  it("sizes the token length field at the varint boundaries: 1 byte up to 63, 2 up to 16383, then 4", () => {
    for (const [tokenLength, fieldSize] of [
      [63, 1],
      [64, 2],
      [16383, 2],
      [16384, 4],
    ] as const) {
      const token = new Uint8Array(tokenLength).fill(0x5a);
      const buffer = new Uint8Array(tokenLength + 40);
      const payload = writeLongHeader(buffer, 0, initial(token));
      expect(payload, `token of ${tokenLength} bytes`).toBe(7 + 16 + fieldSize + tokenLength + 2 + 2);
      const header = parsePacketHeader(buffer.subarray(0, payload), 0, 0);
      expect(header.token.length).toBe(tokenLength);
      expect(header.pnOffset).toBe(payload - 2);
    }
  });

  it("accepts 20-byte connection IDs and names the argument that exceeds them, a version it cannot write and a misplaced token", () => {
    expect(writeLongHeader(new Uint8Array(100), 0, initial(new Uint8Array(0), CID20, CID20))).toBe(7 + 40 + 1 + 2 + 2);
    expect(() => writeLongHeader(new Uint8Array(100), 0, initial(new Uint8Array(0), CID21, SCID))).toThrow(
      "dcid must be at most 20 bytes, got 21",
    );
    expect(() => writeLongHeader(new Uint8Array(100), 0, initial(new Uint8Array(0), DCID, CID21))).toThrow(
      "scid must be at most 20 bytes, got 21",
    );
    expect(() => writeLongHeader(new Uint8Array(100), 0, { ...initial(new Uint8Array(0)), version: 0x1a2a3a4a })).toThrow(
      "version 0x1a2a3a4a is not supported",
    );
    expect(() => writeLongHeader(new Uint8Array(100), 0, { ...initial(hex("01")), type: "0rtt" })).toThrow(
      "only Initial packets carry a token",
    );
  });
});

describe("writeShortHeader limits", () => {
  const fields = { dcid: DCID, packetNumber: 0x0102, packetNumberLength: 2 as const, keyPhase: false };

  it("fits a buffer of exactly 1 + 8 + 2 bytes and refuses one byte less or a negative offset", () => {
    expect(writeShortHeader(new Uint8Array(11), 0, fields)).toBe(11);
    expect(() => writeShortHeader(new Uint8Array(10), 0, fields)).toThrow("buffer too short for a 11-byte short header");
    expect(() => writeShortHeader(new Uint8Array(40), -1, fields)).toThrow("buffer too short for a 11-byte short header");
  });

  it("accepts a 20-byte connection ID and names a longer one", () => {
    expect(writeShortHeader(new Uint8Array(23), 0, { ...fields, dcid: CID20 })).toBe(23);
    expect(() => writeShortHeader(new Uint8Array(40), 0, { ...fields, dcid: CID21 })).toThrow("dcid must be at most 20 bytes, got 21");
  });
});

describe("writeRetryHeader limits", () => {
  const token = hex("746f6b656e");

  it("needs room for the header and the 16-byte tag (7 + 8 + 8 + 5 + 16 = 44 bytes), refusing one byte less or a negative offset", () => {
    expect(writeRetryHeader(new Uint8Array(44), 0, QuicVersion.V1, DCID, SCID, token)).toBe(28);
    expect(() => writeRetryHeader(new Uint8Array(43), 0, QuicVersion.V1, DCID, SCID, token)).toThrow(
      "buffer too short for a 44-byte Retry packet",
    );
    expect(() => writeRetryHeader(new Uint8Array(100), -1, QuicVersion.V1, DCID, SCID, token)).toThrow(
      "buffer too short for a 44-byte Retry packet",
    );
  });

  it("names the connection ID that exceeds 20 bytes and a version it cannot write", () => {
    expect(writeRetryHeader(new Uint8Array(100), 0, QuicVersion.V2, CID20, CID20, token)).toBe(7 + 40 + 5);
    expect(() => writeRetryHeader(new Uint8Array(100), 0, QuicVersion.V1, CID21, SCID, token)).toThrow(
      "dcid must be at most 20 bytes, got 21",
    );
    expect(() => writeRetryHeader(new Uint8Array(100), 0, QuicVersion.V1, DCID, CID21, token)).toThrow(
      "scid must be at most 20 bytes, got 21",
    );
    expect(() => writeRetryHeader(new Uint8Array(100), 0, 0x1a2a3a4a, DCID, SCID, token)).toThrow("version 0x1a2a3a4a is not supported");
  });
});

describe("writeVersionNegotiation limits", () => {
  const versions = [QuicVersion.V1, QuicVersion.V2, 0x0a0a0a0a];

  it("fits a buffer of exactly 7 + 8 + 8 + 4 * 3 bytes and refuses one byte less or a negative offset", () => {
    expect(writeVersionNegotiation(new Uint8Array(35), 0, DCID, SCID, versions)).toBe(35);
    expect(() => writeVersionNegotiation(new Uint8Array(34), 0, DCID, SCID, versions)).toThrow(
      "buffer too short for a 35-byte Version Negotiation packet",
    );
    expect(() => writeVersionNegotiation(new Uint8Array(100), -1, DCID, SCID, versions)).toThrow(
      "buffer too short for a 35-byte Version Negotiation packet",
    );
  });

  it("echoes connection IDs of up to 255 bytes (RFC 8999), refuses longer ones and an empty version list", () => {
    const cid255 = new Uint8Array(255).fill(3);
    const cid256 = new Uint8Array(256).fill(3);
    const buffer = new Uint8Array(600);
    const end = writeVersionNegotiation(buffer, 0, cid255, cid255, [QuicVersion.V1]);
    expect(end).toBe(7 + 510 + 4);
    expect(parsePacketHeader(buffer.subarray(0, end), 0, 0).dcid.length).toBe(255);
    expect(() => writeVersionNegotiation(buffer, 0, cid256, SCID, [QuicVersion.V1])).toThrow("connection IDs must be at most 255 bytes");
    expect(() => writeVersionNegotiation(buffer, 0, DCID, cid256, [QuicVersion.V1])).toThrow("connection IDs must be at most 255 bytes");
    expect(() => writeVersionNegotiation(buffer, 0, DCID, SCID, [])).toThrow("versions must not be empty");
  });
});
