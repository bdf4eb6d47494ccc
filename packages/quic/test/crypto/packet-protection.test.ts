/**
 * Packet protection beyond the RFC vectors (RFC 9001 §5.3, §5.4, §6): every
 * suite, both versions and both providers seal and open in place; a packet
 * sealed by one provider opens on the other; any flipped bit makes opening
 * fail with `false` (never a throw); key updates change the AEAD key and IV
 * but not the header-protection key.
 */
import type { CryptoProvider } from "@zsync/crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createPacketKeys,
  derivePacketKeyMaterial,
  minimumPayloadLength,
  OpenedPacket,
  openPacket,
  type PacketProtectionSuite,
  parsePacketHeader,
  QuicVersion,
  removeHeaderProtection,
  SUITES,
  sealPacket,
  updatePacketKeys,
  writeLongHeader,
  writeShortHeader,
} from "../../src/proto/index.js";
import { PROVIDERS, toHex } from "../vectors/support.js";

const SUITE_NAMES = Object.keys(SUITES) as PacketProtectionSuite[];
const VERSIONS = [QuicVersion.V1, QuicVersion.V2];
const DCID = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);

interface Built {
  readonly packet: Uint8Array;
  readonly pnOffset: number;
  readonly payloadStart: number;
}

/** Seals `payload` as a Handshake (long) or 1-RTT (short) packet; returns the wire bytes. */
function build(
  provider: CryptoProvider,
  version: number,
  suite: PacketProtectionSuite,
  secret: Uint8Array,
  long: boolean,
  packetNumber: number,
  pnLength: 1 | 2 | 3 | 4,
  payload: Uint8Array,
  keyPhase = false,
): Built {
  const keys = createPacketKeys(provider, version, suite, secret);
  const buffer = new Uint8Array(64 + payload.length + 16);
  const payloadStart = long
    ? writeLongHeader(buffer, 0, {
        type: "handshake",
        version,
        dcid: DCID,
        scid: DCID,
        packetNumber,
        packetNumberLength: pnLength,
        length: pnLength + payload.length + 16,
      })
    : writeShortHeader(buffer, 0, { dcid: DCID, packetNumber, packetNumberLength: pnLength, keyPhase });
  buffer.set(payload, payloadStart);
  const end = sealPacket(keys, buffer, 0, payloadStart - pnLength, pnLength, packetNumber, payloadStart + payload.length);
  return { packet: buffer.slice(0, end), pnOffset: payloadStart - pnLength, payloadStart };
}

function open(
  provider: CryptoProvider,
  version: number,
  suite: PacketProtectionSuite,
  secret: Uint8Array,
  packet: Uint8Array,
  largest: number,
): OpenedPacket | undefined {
  const keys = createPacketKeys(provider, version, suite, secret);
  const header = parsePacketHeader(packet, 0, DCID.length);
  const opened = new OpenedPacket();
  return openPacket(keys, packet, 0, header.pnOffset, header.end, largest, opened) ? opened : undefined;
}

describe("packet protection round trips (RFC 9001 §5)", () => {
  for (const suite of SUITE_NAMES) {
    for (const version of VERSIONS) {
      for (const [sealer, opener] of [
        [PROVIDERS[0]!, PROVIDERS[0]!],
        [PROVIDERS[1]!, PROVIDERS[1]!],
        [PROVIDERS[0]!, PROVIDERS[1]!],
        [PROVIDERS[1]!, PROVIDERS[0]!],
      ] as const) {
        it(`${suite}, version 0x${version.toString(16)}: sealed on ${sealer.name}, opened on ${opener.name} (property)`, () => {
          fc.assert(
            fc.property(
              fc.uint8Array({ minLength: SUITES[suite].secretLength, maxLength: SUITES[suite].secretLength }),
              fc.boolean(),
              fc.integer({ min: 0, max: 2 ** 40 }),
              fc.constantFrom<1 | 2 | 3 | 4>(1, 2, 3, 4),
              fc.uint8Array({ minLength: 3, maxLength: 300 }),
              (secret, long, packetNumber, pnLength, payload) => {
                const { packet, payloadStart } = build(sealer, version, suite, secret, long, packetNumber, pnLength, payload);
                expect(packet.length).toBe(payloadStart + payload.length + 16);
                const opened = open(opener, version, suite, secret, packet, packetNumber - 1);
                expect(opened).toBeDefined();
                expect(opened!.packetNumber).toBe(packetNumber);
                expect(opened!.reservedBits).toBe(0);
                expect(toHex(packet.subarray(opened!.payloadStart, opened!.payloadEnd))).toBe(toHex(payload));
              },
            ),
            { numRuns: 60 },
          );
        });
      }
    }
  }
});

describe("tampering and garbage (RFC 9001 §5.3: discard what does not authenticate)", () => {
  for (const provider of PROVIDERS) {
    it(`any flipped bit makes openPacket return false, never throw (${provider.name})`, () => {
      const secret = new Uint8Array(32).fill(7);
      const { packet } = build(provider, QuicVersion.V1, "aes-128-gcm", secret, true, 1234, 2, new Uint8Array(40).fill(0xab));
      fc.assert(
        fc.property(fc.nat(packet.length * 8 - 1), (bit) => {
          const mutated = packet.slice();
          mutated[bit >>> 3] = mutated[bit >>> 3]! ^ (1 << (bit & 7));
          let header: ReturnType<typeof parsePacketHeader>;
          try {
            header = parsePacketHeader(mutated, 0, DCID.length);
          } catch {
            return; // a damaged header is dropped before any cryptography
          }
          const keys = createPacketKeys(provider, QuicVersion.V1, "aes-128-gcm", secret);
          expect(openPacket(keys, mutated, 0, header.pnOffset, header.end, 1233, new OpenedPacket())).toBe(false);
        }),
        { numRuns: 500 },
      );
    });

    it(`random bytes as a 1-RTT packet open to false or a packet, never a throw (${provider.name})`, () => {
      const keys = createPacketKeys(provider, QuicVersion.V1, "chacha20-poly1305", new Uint8Array(32));
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 80 }), fc.integer({ min: 0, max: 40 }), (bytes, end) => {
          const stop = Math.min(end, bytes.length);
          expect(openPacket(keys, bytes, 0, 1, stop, -1, new OpenedPacket())).toBe(false);
        }),
        { numRuns: 2000 },
      );
    });
  }

  it("a packet too short to sample cannot be sealed, and is dropped when received", () => {
    const provider = PROVIDERS[0]!;
    const keys = createPacketKeys(provider, QuicVersion.V1, "aes-128-gcm", new Uint8Array(32));
    expect(minimumPayloadLength(1)).toBe(3);
    expect(minimumPayloadLength(4)).toBe(0);
    const buffer = new Uint8Array(64);
    const start = writeShortHeader(buffer, 0, { dcid: DCID, packetNumber: 1, packetNumberLength: 1, keyPhase: false });
    expect(() => sealPacket(keys, buffer, 0, start - 1, 1, 1, start + 2)).toThrow(RangeError);
    expect(sealPacket(keys, buffer, 0, start - 1, 1, 1, start + 3)).toBe(start + 3 + 16);
    expect(removeHeaderProtection(keys, buffer, 0, start - 1, start + 2 + 16)).toBe(-1);
  });
});

describe("key update (RFC 9001 §6)", () => {
  for (const provider of PROVIDERS) {
    for (const version of VERSIONS) {
      it(`next-phase keys: new AEAD key and IV, same header protection (${provider.name}, 0x${version.toString(16)})`, () => {
        const secret = new Uint8Array(32).fill(3);
        const current = createPacketKeys(provider, version, "aes-128-gcm", secret);
        const next = updatePacketKeys(provider, current);
        expect(toHex(next.secret)).not.toBe(toHex(secret));
        expect(next.headerProtection).toBe(current.headerProtection);
        const before = derivePacketKeyMaterial(provider, version, "aes-128-gcm", secret);
        const after = derivePacketKeyMaterial(provider, version, "aes-128-gcm", next.secret);
        expect(toHex(after.key)).not.toBe(toHex(before.key));
        expect(toHex(after.iv)).not.toBe(toHex(before.iv));

        // A packet sealed with the next keys (key phase 1): header protection comes off with either
        // generation, the payload opens only with the next one.
        const buffer = new Uint8Array(64);
        const start = writeShortHeader(buffer, 0, { dcid: DCID, packetNumber: 9, packetNumberLength: 2, keyPhase: true });
        buffer.set([1, 0, 0, 0], start);
        const end = sealPacket(next, buffer, 0, start - 2, 2, 9, start + 4);
        const packet = buffer.subarray(0, end);
        const opened = new OpenedPacket();
        expect(openPacket(current, packet.slice(), 0, start - 2, end, 8, opened)).toBe(false);
        expect(openPacket(next, packet.slice(), 0, start - 2, end, 8, opened)).toBe(true);
        expect(opened.keyPhase).toBe(true);
        expect(opened.packetNumber).toBe(9);
      });
    }
  }
});
