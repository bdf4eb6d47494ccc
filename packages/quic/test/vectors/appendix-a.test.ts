/**
 * RFC 9001 Appendix A and RFC 9369 Appendix A, byte for byte, on both
 * crypto providers: key derivation (A.1), the client Initial (A.2), the
 * server Initial (A.3), Retry (A.4) and the ChaCha20-Poly1305 short-header
 * packet (A.5), each sealed from its parts and opened from the wire bytes.
 */
import { recordNonce } from "@zsync/crypto";
import { describe, expect, it } from "vitest";
import { versionConstants } from "../../src/proto/crypto/labels.js";
import {
  createPacketKeys,
  derivePacketKeyMaterial,
  initialSecrets,
  nextTrafficSecret,
  OpenedPacket,
  openPacket,
  PacketHeader,
  parsePacketHeader,
  QuicVersion,
  retryIntegrityTag,
  sealPacket,
  verifyRetryIntegrity,
  writeLongHeader,
  writeRetryHeader,
  writeShortHeader,
} from "../../src/proto/index.js";
import { type AppendixA, hex, PROVIDERS, toHex, vectors } from "./support.js";

const SUITES: readonly AppendixA[] = [vectors<AppendixA>("rfc9001"), vectors<AppendixA>("rfc9369")];

for (const v of SUITES) {
  const version = v.version;
  const dcid = hex(v.dcid);
  for (const provider of PROVIDERS) {
    describe(`${v.source} (version 0x${version.toString(16)}) on the ${provider.name} provider`, () => {
      it("A.1: derives the initial secrets, keys, IVs and header-protection keys", () => {
        expect(toHex(provider.hkdfExtract("sha256", versionConstants(version).initialSalt, dcid))).toBe(v.initialSecret);
        const secrets = initialSecrets(provider, version, dcid);
        expect(toHex(secrets.client)).toBe(v.client.secret);
        expect(toHex(secrets.server)).toBe(v.server.secret);
        for (const [side, expected] of [
          [secrets.client, v.client],
          [secrets.server, v.server],
        ] as const) {
          const material = derivePacketKeyMaterial(provider, version, "aes-128-gcm", side);
          expect(toHex(material.key)).toBe(expected.key);
          expect(toHex(material.iv)).toBe(expected.iv);
          expect(toHex(material.hp)).toBe(expected.hp);
        }
      });

      it("A.2: seals the client Initial (1162-byte padded CRYPTO payload, packet number 2) to the published 1200 bytes", () => {
        const c = v.clientInitial;
        const keys = createPacketKeys(provider, version, "aes-128-gcm", initialSecrets(provider, version, dcid).client);
        const buffer = new Uint8Array(1200);
        const payloadStart = writeLongHeader(buffer, 0, {
          type: "initial",
          version,
          dcid,
          scid: new Uint8Array(0),
          packetNumber: c.packetNumber,
          packetNumberLength: 4,
          length: 4 + c.payloadLength + 16,
        });
        expect(toHex(buffer.subarray(0, payloadStart))).toBe(c.header);
        buffer.set(hex(c.payloadPrefix), payloadStart); // the rest stays zero: PADDING frames
        const end = sealPacket(keys, buffer, 0, payloadStart - 4, 4, c.packetNumber, payloadStart + c.payloadLength);
        expect(end).toBe(1200);
        expect(toHex(buffer.subarray(payloadStart, payloadStart + 16))).toBe(c.sample);
        expect(toHex(keys.headerProtection.mask(hex(c.sample)))).toBe(c.mask);
        expect(toHex(buffer.subarray(0, payloadStart))).toBe(c.protectedHeader);
        expect(toHex(buffer)).toBe(c.packet);
      });

      it("A.2: the server opens the client Initial from the wire and recovers the CRYPTO frame", () => {
        const c = v.clientInitial;
        const datagram = hex(c.packet);
        const header = parsePacketHeader(datagram, 0, 8, new PacketHeader());
        expect(header.type).toBe("initial");
        expect(header.version).toBe(version);
        expect(toHex(header.dcid)).toBe(v.dcid);
        expect(header.end).toBe(1200);
        const secrets = initialSecrets(provider, version, header.dcid);
        const keys = createPacketKeys(provider, version, "aes-128-gcm", secrets.client);
        const opened = new OpenedPacket();
        expect(openPacket(keys, datagram, 0, header.pnOffset, header.end, -1, opened)).toBe(true);
        expect(opened.packetNumber).toBe(2);
        expect(opened.reservedBits).toBe(0);
        expect(toHex(datagram.subarray(0, opened.payloadStart))).toBe(c.header);
        const payload = datagram.subarray(opened.payloadStart, opened.payloadEnd);
        expect(payload.length).toBe(c.payloadLength);
        expect(toHex(payload.subarray(0, c.payloadPrefix.length / 2))).toBe(c.payloadPrefix);
        expect(payload.subarray(c.payloadPrefix.length / 2).every((byte) => byte === 0)).toBe(true);
      });

      it("A.3: seals the server Initial (ACK + CRYPTO, 2-byte packet number 1) and opens it back", () => {
        const s = v.serverInitial;
        const keys = createPacketKeys(provider, version, "aes-128-gcm", initialSecrets(provider, version, dcid).server);
        const payload = hex(s.payload);
        const buffer = new Uint8Array(s.packet.length / 2);
        const payloadStart = writeLongHeader(buffer, 0, {
          type: "initial",
          version,
          dcid: new Uint8Array(0),
          scid: hex("f067a5502a4262b5"),
          packetNumber: s.packetNumber,
          packetNumberLength: 2,
          length: 2 + payload.length + 16,
        });
        expect(toHex(buffer.subarray(0, payloadStart))).toBe(s.header);
        buffer.set(payload, payloadStart);
        const end = sealPacket(keys, buffer, 0, payloadStart - 2, 2, s.packetNumber, payloadStart + payload.length);
        expect(end).toBe(buffer.length);
        expect(toHex(buffer.subarray(payloadStart - 2 + 4, payloadStart + 2 + 16))).toBe(s.sample);
        expect(toHex(keys.headerProtection.mask(hex(s.sample)))).toBe(s.mask);
        expect(toHex(buffer.subarray(0, payloadStart))).toBe(s.protectedHeader);
        expect(toHex(buffer)).toBe(s.packet);

        const header = parsePacketHeader(buffer, 0, 0);
        const opened = new OpenedPacket();
        expect(openPacket(keys, buffer, 0, header.pnOffset, header.end, 0, opened)).toBe(true);
        expect(opened.packetNumber).toBe(1);
        expect(toHex(buffer.subarray(opened.payloadStart, opened.payloadEnd))).toBe(s.payload);
      });

      it("A.4: builds the Retry packet with its integrity tag and verifies it", () => {
        const r = v.retry;
        const packet = hex(r.packet);
        const header = parsePacketHeader(packet, 0, 0);
        expect(header.type).toBe("retry");
        expect(new TextDecoder().decode(header.token)).toBe("token");
        const buffer = new Uint8Array(packet.length);
        const tagOffset = writeRetryHeader(buffer, 0, version, header.dcid, header.scid, header.token, packet[0]! & 0x0f);
        expect(tagOffset).toBe(packet.length - 16);
        buffer.set(retryIntegrityTag(provider, version, hex(r.originalDcid), buffer.subarray(0, tagOffset)), tagOffset);
        expect(toHex(buffer)).toBe(r.packet);
        expect(verifyRetryIntegrity(provider, version, hex(r.originalDcid), packet)).toBe(true);
        // The tag binds the original Destination Connection ID and every byte of the packet.
        expect(verifyRetryIntegrity(provider, version, hex("8394c8f03e515709"), packet)).toBe(false);
        const flipped = packet.slice();
        flipped[10] = flipped[10]! ^ 1;
        expect(verifyRetryIntegrity(provider, version, hex(r.originalDcid), flipped)).toBe(false);
      });

      it("A.5: seals the ChaCha20-Poly1305 short-header PING (packet number 654360564, 3-byte encoding) into 21 bytes", () => {
        const c = v.chacha20ShortHeader;
        const secret = hex(c.secret);
        const material = derivePacketKeyMaterial(provider, version, "chacha20-poly1305", secret);
        expect(toHex(material.key)).toBe(c.key);
        expect(toHex(material.iv)).toBe(c.iv);
        expect(toHex(material.hp)).toBe(c.hp);
        expect(toHex(nextTrafficSecret(provider, version, "chacha20-poly1305", secret))).toBe(c.ku);
        expect(toHex(recordNonce(material.iv, c.packetNumber))).toBe(c.nonce);

        const keys = createPacketKeys(provider, version, "chacha20-poly1305", secret);
        const buffer = new Uint8Array(21);
        const payloadStart = writeShortHeader(buffer, 0, {
          dcid: new Uint8Array(0),
          packetNumber: c.packetNumber,
          packetNumberLength: 3,
          keyPhase: false,
        });
        expect(toHex(buffer.subarray(0, payloadStart))).toBe(c.header);
        buffer.set(hex(c.plaintext), payloadStart);
        const end = sealPacket(keys, buffer, 0, 1, 3, c.packetNumber, payloadStart + 1);
        expect(end).toBe(21);
        expect(toHex(buffer.subarray(payloadStart))).toBe(c.ciphertext);
        expect(toHex(buffer.subarray(5, 21))).toBe(c.sample);
        expect(toHex(keys.headerProtection.mask(hex(c.sample)))).toBe(c.mask);
        expect(toHex(buffer.subarray(0, payloadStart))).toBe(c.protectedHeader);
        expect(toHex(buffer)).toBe(c.packet);

        const wire = hex(c.packet);
        const header = parsePacketHeader(wire, 0, 0);
        expect(header.type).toBe("1rtt");
        const opened = new OpenedPacket();
        // The receiver has processed packet 654360563 (any number within half a 3-byte window works).
        expect(openPacket(keys, wire, 0, header.pnOffset, header.end, c.packetNumber - 1, opened)).toBe(true);
        expect(opened.packetNumber).toBe(c.packetNumber);
        expect(opened.keyPhase).toBe(false);
        expect(toHex(wire.subarray(opened.payloadStart, opened.payloadEnd))).toBe(c.plaintext);
      });
    });
  }
}

describe("the published Retry integrity keys are the ones their secrets derive", () => {
  // RFC 9001 §5.8 and RFC 9369 §3.3.3 give both the secret and the derived key and nonce.
  const cases = [
    { version: QuicVersion.V1, secret: "d9c9943e6101fd200021506bcc02814c73030f25c79d71ce876eca876e6fca8e" },
    { version: QuicVersion.V2, secret: "c4dd2484d681aefa4ff4d69c2c20299984a765a5d3c31982f38fc74162155e9f" },
  ];
  for (const { version, secret } of cases) {
    it(`version 0x${version.toString(16)}`, () => {
      const provider = PROVIDERS[0]!;
      const material = derivePacketKeyMaterial(provider, version, "aes-128-gcm", hex(secret));
      const constants = versionConstants(version);
      expect(toHex(material.key)).toBe(toHex(constants.retryKey));
      expect(toHex(material.iv)).toBe(toHex(constants.retryNonce));
    });
  }
});
