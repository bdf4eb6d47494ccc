/**
 * Parsing packet headers cut short or stretched to their limits (RFC 9000
 * §17.2, §17.3.1, §12.2; RFC 8999): every prefix of a valid packet is
 * dropped with the reason naming the field the cut falls in, fields exactly
 * at their limits parse, and a reused header forgets what the previous
 * packet set.
 */
import { describe, expect, it } from "vitest";
import {
  longTypeBits,
  MAX_CID_LENGTH,
  PacketDecodeError,
  PacketHeader,
  parsePacketHeader,
  QuicVersion,
  splitDatagram,
  writeLongHeader,
  writeRetryHeader,
  writeVersionNegotiation,
} from "../../src/proto/index.js";
import { hex, toHex } from "../vectors/support.js";

const DCID = hex("8394c8f03e515708");
const SCID = hex("f067a5502a4262b5");

/** A v1 long-header packet with 8-byte connection IDs, a 2-byte Length, a 1-byte packet number and 20 payload bytes. */
function longPacket(type: "initial" | "handshake", token: Uint8Array = new Uint8Array(0), dcid: Uint8Array = DCID): Uint8Array {
  const buffer = new Uint8Array(200);
  const payload = writeLongHeader(buffer, 0, {
    type,
    version: QuicVersion.V1,
    dcid,
    scid: SCID,
    token,
    packetNumber: 7,
    packetNumberLength: 1,
    length: 21,
  });
  return buffer.slice(0, payload + 20);
}

/** The reason a prefix of `n` bytes is dropped with, or undefined when it parses. */
function reasonFor(packet: Uint8Array, n: number): string | undefined {
  try {
    parsePacketHeader(packet.subarray(0, n), 0, 8);
  } catch (error) {
    expect(error).toBeInstanceOf(PacketDecodeError);
    return (error as Error).message;
  }
  return undefined;
}

describe("long header prefixes (RFC 9000 §17.2)", () => {
  it("drops every prefix of a Handshake packet with the field the cut falls in", () => {
    const packet = longPacket("handshake"); // first, version 1-4, DCID length 5, DCID 6-13, SCID length 14, SCID 15-22, Length 23-24
    expect(packet.length).toBe(46);
    const expected = (n: number): string => {
      if (n === 0) return "empty packet";
      if (n < 6) return "long header truncated";
      if (n < 15) return "long header truncated in the destination connection ID";
      if (n < 23) return "long header truncated in the source connection ID";
      if (n < 25) return "long header truncated in the length field";
      return `length field 21 runs past the datagram (${n - 25} bytes left)`;
    };
    for (let n = 0; n < packet.length; n++) expect(reasonFor(packet, n), `prefix of ${n} bytes`).toBe(expected(n));
    expect(reasonFor(packet, packet.length)).toBeUndefined();
  });

  it("drops every prefix of an Initial packet cut in its token fields with the reason naming them", () => {
    const packet = longPacket("initial", hex("aabbcc")); // token length 23, token 24-26, Length 27-28
    const expected = (n: number): string => {
      if (n === 23) return "initial header truncated in the token length";
      if (n < 27) return "initial token runs past the datagram";
      if (n < 29) return "long header truncated in the length field";
      return `length field 21 runs past the datagram (${n - 29} bytes left)`;
    };
    for (let n = 23; n < packet.length; n++) expect(reasonFor(packet, n), `prefix of ${n} bytes`).toBe(expected(n));
    expect(reasonFor(packet, packet.length)).toBeUndefined();
  });

  it("parses a Length of 0 as a packet ending at its packet number offset (header protection then drops it)", () => {
    const packet = longPacket("handshake").subarray(0, 25);
    packet[23] = 0x40; // the 2-byte varint 0
    packet[24] = 0;
    const header = parsePacketHeader(packet, 0, 8);
    expect(header.pnOffset).toBe(25);
    expect(header.end).toBe(25);
  });

  it("accepts connection IDs of exactly 20 bytes in v1 and names the one that exceeds the limit", () => {
    const cid20 = new Uint8Array(MAX_CID_LENGTH).fill(7);
    const buffer = new Uint8Array(100);
    const payload = writeLongHeader(buffer, 0, {
      type: "handshake",
      version: QuicVersion.V1,
      dcid: cid20,
      scid: cid20,
      packetNumber: 0,
      packetNumberLength: 1,
      length: 1,
    });
    const header = parsePacketHeader(buffer.subarray(0, payload), 0, 0);
    expect(header.dcid.length).toBe(20);
    expect(header.scid.length).toBe(20);
    const dcid21 = new Uint8Array([0xe0, 0, 0, 0, 1, 21, ...new Uint8Array(21), 0, 0x40, 1, 0]);
    expect(() => parsePacketHeader(dcid21, 0, 0)).toThrow("destination connection ID of 21 bytes exceeds 20");
    const scid21 = new Uint8Array([0xe0, 0, 0, 0, 1, 0, 21, ...new Uint8Array(21), 0x40, 1, 0]);
    expect(() => parsePacketHeader(scid21, 0, 0)).toThrow("source connection ID of 21 bytes exceeds 20");
  });

  it("drops a v1 long header with the fixed bit 0, saying so", () => {
    const packet = longPacket("handshake");
    packet[0] = (packet[0] as number) & ~0x40;
    expect(() => parsePacketHeader(packet, 0, 8)).toThrow("fixed bit is 0");
  });

  it("parses a Retry packet whose token is empty (only the integrity tag follows the connection IDs)", () => {
    const buffer = new Uint8Array(64);
    const tagOffset = writeRetryHeader(buffer, 0, QuicVersion.V1, DCID, SCID, new Uint8Array(0));
    const header = parsePacketHeader(buffer.subarray(0, tagOffset + 16), 0, 0);
    expect(header.type).toBe("retry");
    expect(header.token.length).toBe(0);
    expect(() => parsePacketHeader(buffer.subarray(0, tagOffset + 15), 0, 0)).toThrow("retry packet shorter than its integrity tag");
  });

  it("names the size of a Version Negotiation list that is not a multiple of 4", () => {
    const buffer = new Uint8Array(64);
    const end = writeVersionNegotiation(buffer, 0, DCID, SCID, [QuicVersion.V1]);
    expect(() => parsePacketHeader(buffer.subarray(0, end - 1), 0, 0)).toThrow(
      "version negotiation list of 3 bytes is not a non-empty multiple of 4",
    );
  });
});

describe("short header limits (RFC 9000 §17.3.1)", () => {
  it("parses a short header that ends right after the connection ID (the protection layer checks the rest)", () => {
    const packet = new Uint8Array([0x40, ...DCID]);
    const header = parsePacketHeader(packet, 0, 8);
    expect(header.pnOffset).toBe(9);
    expect(header.end).toBe(9);
    expect(() => parsePacketHeader(packet.subarray(0, 8), 0, 8)).toThrow("short header truncated in the connection ID");
  });

  it("says why it drops a short header with the fixed bit 0, and a packet starting at the datagram's end", () => {
    expect(() => parsePacketHeader(new Uint8Array([0x00, ...DCID]), 0, 8)).toThrow("fixed bit is 0");
    const packet = new Uint8Array([0x40, ...DCID]);
    expect(() => parsePacketHeader(packet, packet.length, 8)).toThrow("empty packet");
  });
});

describe("a reused PacketHeader", () => {
  it("starts as an empty short header with no packet number", () => {
    const header = new PacketHeader();
    expect(header.type).toBe("1rtt");
    expect(header.long).toBe(false);
    expect(header.pnOffset).toBe(-1);
  });

  it("forgets the packet number offset of the previous packet when the next has none", () => {
    const header = new PacketHeader();
    const short = new Uint8Array([0x40, ...DCID, 0]);
    parsePacketHeader(short, 0, 8, header);
    expect(header.pnOffset).toBe(9);
    const buffer = new Uint8Array(64);
    const end = writeVersionNegotiation(buffer, 0, DCID, SCID, [QuicVersion.V1]);
    parsePacketHeader(buffer.subarray(0, end), 0, 0, header);
    expect(header.type).toBe("version-negotiation");
    expect(header.pnOffset).toBe(-1);
  });
});

describe("splitting a datagram (RFC 9000 §12.2)", () => {
  it("splits an empty datagram into no packets", () => {
    expect(splitDatagram(new Uint8Array(0), 8)).toEqual([]);
  });

  it("stops at a packet whose Destination Connection ID is longer, even when it starts with the first one's", () => {
    const first = longPacket("initial");
    const second = longPacket("handshake", new Uint8Array(0), new Uint8Array([...DCID, 9]));
    const headers = splitDatagram(new Uint8Array([...first, ...second]), 8);
    expect(headers.map((h) => h.type)).toEqual(["initial"]);
    const same = longPacket("handshake");
    expect(splitDatagram(new Uint8Array([...first, ...same]), 8).map((h) => toHex(h.dcid))).toEqual([toHex(DCID), toHex(DCID)]);
  });
});

describe("long packet type bits", () => {
  it("refuses a type that has no long header", () => {
    expect(() => longTypeBits("1rtt" as never, QuicVersion.V1)).toThrow("not a long packet type: 1rtt");
  });
});
