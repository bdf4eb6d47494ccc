/**
 * Per-packet costs of the codecs and packet protection (run with
 * `npx vitest bench --run test/crypto/packet-protection.bench.ts` in
 * packages/quic). Figures are for the README's profile, never asserted.
 */
import { bench, describe } from "vitest";
import {
  createPacketKeys,
  OpenedPacket,
  openPacket,
  PacketHeader,
  parsePacketHeader,
  QuicVersion,
  Reader,
  readFrame,
  sealPacket,
  Writer,
  writeShortHeader,
  writeStreamFrame,
} from "../../src/proto/index.js";
import { PROVIDERS } from "../vectors/support.js";

const DCID = new Uint8Array(8).fill(1);
const PAYLOAD = new Uint8Array(1200 - 1 - 8 - 2 - 16);

for (const provider of PROVIDERS) {
  for (const suite of ["aes-128-gcm", "chacha20-poly1305"] as const) {
    describe(`1200-byte 1-RTT packet, ${suite}, ${provider.name}`, () => {
      const keys = createPacketKeys(provider, QuicVersion.V1, suite, new Uint8Array(32).fill(9));
      const buffer = new Uint8Array(1200);
      let pn = 0;
      const seal = () => {
        const start = writeShortHeader(buffer, 0, { dcid: DCID, packetNumber: pn, packetNumberLength: 2, keyPhase: false });
        buffer.set(PAYLOAD, start);
        return sealPacket(keys, buffer, 0, start - 2, 2, pn++, start + PAYLOAD.length);
      };
      bench("seal (header + AEAD + header protection)", () => {
        seal();
      });
      const wire = buffer.slice(0, seal());
      const scratch = new Uint8Array(wire.length);
      const header = new PacketHeader();
      const opened = new OpenedPacket();
      bench("parse header + open", () => {
        scratch.set(wire);
        parsePacketHeader(scratch, 0, 8, header);
        if (!openPacket(keys, scratch, 0, header.pnOffset, header.end, pn - 2, opened)) throw new Error("open failed");
      });
    });
  }
}

describe("frame codecs", () => {
  const data = new Uint8Array(1100);
  const buffer = new Uint8Array(1200);
  const writer = new Writer(buffer);
  const reader = new Reader("frame");
  bench("write STREAM frame (1100 bytes)", () => {
    writer.reset(buffer);
    writeStreamFrame(writer, 4, 123456, data, false);
  });
  writer.reset(buffer);
  writeStreamFrame(writer, 4, 123456, data, false);
  const encoded = writer.written().slice();
  bench("read STREAM frame (view, no copy)", () => {
    reader.reset(encoded);
    readFrame(reader, "1rtt");
  });
});
