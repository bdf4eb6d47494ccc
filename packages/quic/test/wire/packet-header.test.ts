/**
 * Packet headers (RFC 9000 §17, RFC 9369 §3.2, RFC 8999): long and short
 * forms for v1 and v2, Retry and Version Negotiation, the invariants of
 * unknown versions, coalesced packets (§12.2), and malformed input dropped
 * with PacketDecodeError only.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  isGreaseVersion,
  longTypeBits,
  negotiationVersions,
  PacketDecodeError,
  PacketHeader,
  parsePacketHeader,
  QuicVersion,
  splitDatagram,
  writeLongHeader,
  writeRetryHeader,
  writeShortHeader,
  writeVersionNegotiation,
} from "../../src/proto/index.js";
import { hex, toHex } from "../vectors/support.js";

const DCID = hex("8394c8f03e515708");
const SCID = hex("f067a5502a4262b5");

function longPacket(
  version: number,
  type: "initial" | "0rtt" | "handshake",
  payloadLength: number,
  token: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const buffer = new Uint8Array(100 + payloadLength + token.length);
  const payloadStart = writeLongHeader(buffer, 0, {
    type,
    version,
    dcid: DCID,
    scid: SCID,
    token,
    packetNumber: 7,
    packetNumberLength: 1,
    length: 1 + payloadLength,
  });
  buffer.fill(0xee, payloadStart, payloadStart + payloadLength);
  return buffer.slice(0, payloadStart + payloadLength);
}

describe("long headers (RFC 9000 §17.2, RFC 9369 §3.2)", () => {
  it("v2 reassigns the type bits: Initial 0b01, 0-RTT 0b10, Handshake 0b11, Retry 0b00", () => {
    expect([
      longTypeBits("initial", QuicVersion.V1),
      longTypeBits("0rtt", QuicVersion.V1),
      longTypeBits("handshake", QuicVersion.V1),
      longTypeBits("retry", QuicVersion.V1),
    ]).toEqual([0, 1, 2, 3]);
    expect([
      longTypeBits("initial", QuicVersion.V2),
      longTypeBits("0rtt", QuicVersion.V2),
      longTypeBits("handshake", QuicVersion.V2),
      longTypeBits("retry", QuicVersion.V2),
    ]).toEqual([1, 2, 3, 0]);
  });

  for (const version of [QuicVersion.V1, QuicVersion.V2]) {
    for (const type of ["initial", "0rtt", "handshake"] as const) {
      it(`parses what it writes: ${type}, version 0x${version.toString(16)}`, () => {
        const token = type === "initial" ? hex("aabbcc") : new Uint8Array(0);
        const packet = longPacket(version, type, 30, token);
        const header = parsePacketHeader(packet, 0, 0);
        expect(header.type).toBe(type);
        expect(header.long).toBe(true);
        expect(header.version).toBe(version);
        expect(toHex(header.dcid)).toBe(toHex(DCID));
        expect(toHex(header.scid)).toBe(toHex(SCID));
        expect(toHex(header.token)).toBe(toHex(token));
        expect(packet[header.pnOffset]).toBe(7);
        expect(header.end).toBe(packet.length);
      });
    }
  }

  it("only Initial packets carry a token", () => {
    expect(() =>
      writeLongHeader(new Uint8Array(100), 0, {
        type: "handshake",
        version: 1,
        dcid: DCID,
        scid: SCID,
        token: hex("01"),
        packetNumber: 0,
        packetNumberLength: 1,
        length: 20,
      }),
    ).toThrow(RangeError);
  });

  it("drops connection IDs longer than 20 bytes in v1/v2, but accepts up to 255 for unknown versions (RFC 8999 §5.1)", () => {
    const packet = longPacket(QuicVersion.V1, "handshake", 20);
    const tooLong = new Uint8Array([packet[0]!, 0, 0, 0, 1, 21, ...new Uint8Array(21), 0, 0x41, 0]);
    expect(() => parsePacketHeader(tooLong, 0, 0)).toThrow(PacketDecodeError);
    const unknown = new Uint8Array([0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 200, ...new Uint8Array(200).fill(9), 3, 1, 2, 3, 0xde, 0xad]);
    const header = parsePacketHeader(unknown, 0, 0);
    expect(header.type).toBe("unsupported-version");
    expect(header.version).toBe(0x1a2a3a4a);
    expect(isGreaseVersion(header.version)).toBe(true);
    expect(header.dcid.length).toBe(200);
    expect(toHex(header.scid)).toBe("010203");
    expect(header.end).toBe(unknown.length);
  });

  it("drops a v1/v2 packet whose fixed bit is 0 (§17.2)", () => {
    const packet = longPacket(QuicVersion.V1, "handshake", 20);
    packet[0] = packet[0]! & ~0x40;
    expect(() => parsePacketHeader(packet, 0, 0)).toThrow(PacketDecodeError);
  });

  it("drops a packet whose Length runs past the datagram", () => {
    const packet = longPacket(QuicVersion.V1, "initial", 20);
    expect(() => parsePacketHeader(packet.subarray(0, packet.length - 1), 0, 0)).toThrow(PacketDecodeError);
  });

  it("Retry: the token runs to the 16-byte integrity tag", () => {
    const buffer = new Uint8Array(64);
    const tagOffset = writeRetryHeader(buffer, 0, QuicVersion.V2, DCID, SCID, hex("746f6b656e"), 0x0f);
    const packet = buffer.subarray(0, tagOffset + 16);
    packet.fill(0xaa, tagOffset);
    const header = parsePacketHeader(packet, 0, 0);
    expect(header.type).toBe("retry");
    expect(new TextDecoder().decode(header.token)).toBe("token");
    expect(toHex(header.retryIntegrityTag)).toBe("aa".repeat(16));
    expect(() => parsePacketHeader(packet.subarray(0, tagOffset + 15), 0, 0)).not.toThrow();
    expect(() => parsePacketHeader(packet.subarray(0, 7 + DCID.length + SCID.length + 15), 0, 0)).toThrow(PacketDecodeError);
  });
});

describe("short headers (RFC 9000 §17.3.1)", () => {
  it("carries the spin and key phase bits and a Destination Connection ID of the local length", () => {
    const buffer = new Uint8Array(40);
    const payloadStart = writeShortHeader(buffer, 0, {
      dcid: DCID,
      packetNumber: 0x1234,
      packetNumberLength: 2,
      keyPhase: true,
      spin: true,
    });
    expect(toHex(buffer.subarray(0, payloadStart))).toBe(`65${toHex(DCID)}1234`);
    const header = parsePacketHeader(buffer, 0, 8);
    expect(header.type).toBe("1rtt");
    expect(header.long).toBe(false);
    expect(toHex(header.dcid)).toBe(toHex(DCID));
    expect(header.pnOffset).toBe(9);
    expect(header.end).toBe(40);
  });

  it("drops a short header shorter than the local connection ID, or with the fixed bit 0", () => {
    expect(() => parsePacketHeader(hex("4001020304"), 0, 8)).toThrow(PacketDecodeError);
    expect(() => parsePacketHeader(hex("0001020304050607080900"), 0, 8)).toThrow(PacketDecodeError);
  });
});

describe("Version Negotiation (RFC 9000 §17.2.1, §6)", () => {
  it("echoes the peer's connection IDs swapped and lists the versions", () => {
    const buffer = new Uint8Array(64);
    const end = writeVersionNegotiation(buffer, 0, DCID, SCID, [QuicVersion.V1, QuicVersion.V2, 0x0a0a0a0a], 0x35);
    const header = parsePacketHeader(buffer.subarray(0, end), 0, 0);
    expect(header.type).toBe("version-negotiation");
    expect(buffer[0]).toBe(0x80 | 0x35);
    expect(toHex(header.dcid)).toBe(toHex(SCID));
    expect(toHex(header.scid)).toBe(toHex(DCID));
    expect(negotiationVersions(header)).toEqual([QuicVersion.V1, QuicVersion.V2, 0x0a0a0a0a]);
  });

  it("drops a list that is empty or not a multiple of 4 bytes", () => {
    const buffer = new Uint8Array(64);
    const end = writeVersionNegotiation(buffer, 0, DCID, SCID, [1]);
    expect(() => parsePacketHeader(buffer.subarray(0, end - 1), 0, 0)).toThrow(PacketDecodeError);
    expect(() => parsePacketHeader(buffer.subarray(0, end - 4), 0, 0)).toThrow(PacketDecodeError);
  });
});

describe("coalesced packets (RFC 9000 §12.2)", () => {
  it("splits Initial + Handshake + 1-RTT by their Length fields", () => {
    const initial = longPacket(QuicVersion.V1, "initial", 40);
    const handshake = longPacket(QuicVersion.V1, "handshake", 25);
    const short = new Uint8Array(30);
    writeShortHeader(short, 0, { dcid: DCID, packetNumber: 1, packetNumberLength: 1, keyPhase: false });
    const datagram = new Uint8Array([...initial, ...handshake, ...short]);
    const headers = splitDatagram(datagram, 8);
    expect(headers.map((h) => h.type)).toEqual(["initial", "handshake", "1rtt"]);
    expect(headers.map((h) => [h.start, h.end])).toEqual([
      [0, initial.length],
      [initial.length, initial.length + handshake.length],
      [initial.length + handshake.length, datagram.length],
    ]);
  });

  it("ignores a trailing packet with a different Destination Connection ID, and trailing garbage", () => {
    const first = longPacket(QuicVersion.V1, "initial", 40);
    const other = new Uint8Array(30);
    writeShortHeader(other, 0, { dcid: hex("0102030405060708"), packetNumber: 1, packetNumberLength: 1, keyPhase: false });
    expect(splitDatagram(new Uint8Array([...first, ...other]), 8)).toHaveLength(1);
    expect(splitDatagram(new Uint8Array([...first, 0, 0, 0]), 8)).toHaveLength(1);
  });

  it("a malformed first packet drops the datagram", () => {
    expect(() => splitDatagram(hex("c0000000"), 8)).toThrow(PacketDecodeError);
  });
});

describe("fuzzing the header parser", () => {
  it("random datagrams parse or throw PacketDecodeError, and a parse stays inside the datagram", () => {
    const header = new PacketHeader();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.integer({ min: 0, max: 20 }), (datagram, cidLength) => {
        try {
          parsePacketHeader(datagram, 0, cidLength, header);
        } catch (error) {
          expect(error).toBeInstanceOf(PacketDecodeError);
          return;
        }
        expect(header.end).toBeLessThanOrEqual(datagram.length);
        expect(header.pnOffset).toBeLessThanOrEqual(header.end);
      }),
      { numRuns: 10000 },
    );
  });

  it("bit-flipped valid coalesced datagrams split or throw PacketDecodeError", () => {
    const datagram = new Uint8Array([
      ...longPacket(QuicVersion.V1, "initial", 40, hex("0102")),
      ...longPacket(QuicVersion.V2, "handshake", 25),
    ]);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(datagram.length - 1), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 }),
        (flips) => {
          const mutated = datagram.slice();
          for (const [index, bit] of flips) mutated[index] = mutated[index]! ^ (1 << bit);
          try {
            for (const h of splitDatagram(mutated, 8)) expect(h.end).toBeLessThanOrEqual(mutated.length);
          } catch (error) {
            expect(error).toBeInstanceOf(PacketDecodeError);
          }
        },
      ),
      { numRuns: 5000 },
    );
  });
});
