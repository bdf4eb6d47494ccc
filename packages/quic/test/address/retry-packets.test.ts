/**
 * The stateless packets of Retry (RFC 9000 §17.2.5, §8.1.2; RFC 9001 §5.8,
 * RFC 9369 §3.3.3), on both providers: the Retry builder reproduces the
 * RFC 9001 A.4 and RFC 9369 A.4 packets byte for byte; a client accepts
 * exactly the Retries §17.2.5.2 allows (right version, non-empty token, new
 * SCID, tag over its original DCID) and never throws on mutated ones; the
 * INVALID_TOKEN answer is an Initial the client can open, carrying
 * CONNECTION_CLOSE(INVALID_TOKEN).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createPacketKeys, initialSecrets } from "../../src/proto/crypto/packet-keys.js";
import { OpenedPacket, openPacket } from "../../src/proto/crypto/packet-protection.js";
import { isAcceptableRetry, writeInvalidTokenClose, writeRetryPacket } from "../../src/proto/endpoint/retry.js";
import { TransportErrorCode } from "../../src/proto/errors.js";
import { readFrame } from "../../src/proto/wire/frame.js";
import { PacketHeader, parsePacketHeader } from "../../src/proto/wire/packet-header.js";
import { Reader } from "../../src/proto/wire/reader.js";
import { type AppendixA, hex, PROVIDERS, toHex, vectors } from "../vectors/support.js";

const APPENDICES = [vectors<AppendixA>("rfc9001"), vectors<AppendixA>("rfc9369")];

/** The client Initial a vector's Retry answers: its DCID is the original DCID, its SCID is empty (A.4). */
function clientInitial(version: number, originalDcid: Uint8Array, scid = new Uint8Array(0)): PacketHeader {
  const h = new PacketHeader();
  h.type = "initial";
  h.long = true;
  h.version = version;
  h.dcid = originalDcid;
  h.scid = scid;
  return h;
}

function parse(datagram: Uint8Array): PacketHeader {
  return parsePacketHeader(datagram, 0, 8, new PacketHeader());
}

describe.each(PROVIDERS)("Retry packets on the $name provider", (provider) => {
  describe.each(APPENDICES)("$source", (appendix) => {
    const odcid = hex(appendix.retry.originalDcid);
    const packet = hex(appendix.retry.packet);
    const vector = parse(packet);

    it("builds the published Retry byte for byte (A.4)", () => {
      const out = new Uint8Array(256);
      const n = writeRetryPacket(provider, out, clientInitial(appendix.version, odcid), vector.scid, vector.token, packet[0]! & 0x0f);
      expect(toHex(out.subarray(0, n))).toBe(appendix.retry.packet);
    });

    it("is accepted by a client whose first DCID was the original DCID", () => {
      expect(isAcceptableRetry(provider, appendix.version, odcid, packet, vector)).toBe(true);
    });

    it("is refused for another original DCID, another version, an empty token or an SCID equal to the DCID (§17.2.5.2)", () => {
      const other = odcid.slice();
      other[0] = (other[0] as number) ^ 1;
      expect(isAcceptableRetry(provider, appendix.version, other, packet, vector)).toBe(false);
      expect(isAcceptableRetry(provider, appendix.version ^ 1, odcid, packet, vector)).toBe(false);
      const out = new Uint8Array(256);
      const empty = writeRetryPacket(provider, out, clientInitial(appendix.version, odcid), vector.scid, new Uint8Array(0), 0);
      const emptyPacket = out.slice(0, empty);
      expect(isAcceptableRetry(provider, appendix.version, odcid, emptyPacket, parse(emptyPacket))).toBe(false);
      const echo = writeRetryPacket(provider, out, clientInitial(appendix.version, odcid), odcid, vector.token, 0);
      const echoPacket = out.slice(0, echo);
      expect(isAcceptableRetry(provider, appendix.version, odcid, echoPacket, parse(echoPacket))).toBe(false);
    });

    it("refuses every bit flip and never throws on mutated Retries (fuzz)", () => {
      for (let bit = 0; bit < packet.length * 8; bit++) {
        const m = packet.slice();
        m[bit >> 3] = (m[bit >> 3] as number) ^ (1 << (bit & 7));
        let h: PacketHeader;
        try {
          h = parse(m);
        } catch {
          continue; // the header no longer parses: dropped before any Retry logic
        }
        if (h.type !== "retry") continue;
        expect(isAcceptableRetry(provider, appendix.version, odcid, m, h), `bit ${bit}`).toBe(false);
      }
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 120 }), fc.nat(), (junk, at) => {
          const m = Uint8Array.from([...packet.subarray(0, 7), ...junk]);
          m[at % m.length] = (m[at % m.length] as number) ^ 0x10;
          try {
            const h = parse(m);
            expect(isAcceptableRetry(provider, appendix.version, odcid, m, h)).toBe(false);
          } catch (error) {
            expect((error as { code?: string }).code).toBe("ZSYNC_QUIC_PACKET");
          }
        }),
        { numRuns: 300 },
      );
    });

    it("answers an invalid Retry token with an Initial carrying CONNECTION_CLOSE(INVALID_TOKEN) (§8.1.2)", () => {
      const clientScid = Uint8Array.from([0xcc, 0xcc, 0xcc, 0xcc]);
      const dcid = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
      const out = new Uint8Array(256);
      const n = writeInvalidTokenClose(
        provider,
        out,
        clientInitial(appendix.version, dcid, clientScid),
        Uint8Array.from([9, 9, 9, 9, 9, 9, 9, 9]),
      );
      const datagram = out.slice(0, n);
      expect(n).toBeLessThan(1200); // well under 3x the client's 1200-byte datagram (§8.1)
      const h = parse(datagram);
      expect(h.type).toBe("initial");
      expect(h.dcid).toEqual(clientScid);
      expect(h.end).toBe(n);
      // The client opens it with the server Initial keys of the DCID it used.
      const keys = createPacketKeys(provider, appendix.version, "aes-128-gcm", initialSecrets(provider, appendix.version, dcid).server);
      const opened = new OpenedPacket();
      expect(openPacket(keys, datagram, h.start, h.pnOffset, h.end, -1, opened)).toBe(true);
      const frame = readFrame(new Reader("frame").reset(datagram, opened.payloadStart, opened.payloadEnd), "initial");
      expect(frame).toMatchObject({ kind: "connection-close", application: false, errorCode: TransportErrorCode.INVALID_TOKEN });
    });
  });
});
