/** Packet number encoding and decoding (RFC 9000 §17.1, Appendix A.2 and A.3 with their examples). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodePacketNumber, packetNumberLength, readTruncatedPacketNumber, writePacketNumber } from "../../src/proto/index.js";
import { toHex } from "../vectors/support.js";

describe("packet numbers (RFC 9000 §17.1)", () => {
  it("A.2: 0xac5c02 with 0xabe8b3 acknowledged needs 16 bits; 0xace8fe needs 24", () => {
    expect(packetNumberLength(0xac5c02, 0xabe8b3)).toBe(2);
    expect(packetNumberLength(0xace8fe, 0xabe8b3)).toBe(3);
  });

  it("A.2: with nothing acknowledged the range counts from packet 0", () => {
    expect(packetNumberLength(0, -1)).toBe(1);
    expect(packetNumberLength(127, -1)).toBe(1);
    expect(packetNumberLength(128, -1)).toBe(2);
  });

  it("refuses more unacknowledged packets than 4 bytes can disambiguate", () => {
    expect(packetNumberLength(2 ** 31 - 1, -1)).toBe(4);
    expect(() => packetNumberLength(2 ** 31 + 5, 0)).toThrow(RangeError);
    expect(() => packetNumberLength(5, 5)).toThrow(RangeError);
  });

  it("A.3: 0x9b32 (16 bits) after 0xa82f30ea decodes to 0xa82f9b32", () => {
    expect(decodePacketNumber(0xa82f30ea, 0x9b32, 2)).toBe(0xa82f9b32);
  });

  it("A.3: wraps forwards and backwards across the window", () => {
    // Largest 0xff, 1-byte 0x00: the next packet is 0x100, not 0x000.
    expect(decodePacketNumber(0xff, 0x00, 1)).toBe(0x100);
    // Largest 0x100, 1-byte 0xff: a slightly late packet 0xff, not 0x1ff.
    expect(decodePacketNumber(0x100, 0xff, 1)).toBe(0xff);
    // Nothing received yet: small numbers decode as themselves.
    expect(decodePacketNumber(-1, 2, 4)).toBe(2);
  });

  it("writes the low bytes big-endian", () => {
    const buffer = new Uint8Array(4);
    writePacketNumber(buffer, 0, 0xa82f9b32, 4);
    expect(toHex(buffer)).toBe("a82f9b32");
    writePacketNumber(buffer, 0, 0x1_2345_6789, 3);
    expect(toHex(buffer.subarray(0, 3))).toBe("456789");
    expect(readTruncatedPacketNumber(buffer, 0, 3)).toBe(0x456789);
  });

  it("encode then decode recovers the full number whenever the receiver is within the sender's window (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 }), fc.integer({ min: 1, max: 2 ** 30 }), fc.nat(), (largestAcked, ahead, seed) => {
        const packetNumber = largestAcked + ahead;
        const length = packetNumberLength(packetNumber, largestAcked);
        const buffer = new Uint8Array(4);
        writePacketNumber(buffer, 0, packetNumber, length);
        // The receiver has processed something between largestAcked and packetNumber - 1.
        const largestReceived = largestAcked + (seed % ahead);
        expect(decodePacketNumber(largestReceived, readTruncatedPacketNumber(buffer, 0, length), length)).toBe(packetNumber);
      }),
      { numRuns: 3000 },
    );
  });
});
