/**
 * The receive path end to end on untrusted input: split a datagram
 * (RFC 9000 §12.2), remove protection (RFC 9001 §5), parse every frame
 * with the packet type's rules (§12.4). Starting from the RFC 9001 A.2
 * client Initial, frames are mutated *inside* a correctly sealed packet,
 * so the frame parser sees authenticated garbage; whole datagrams are
 * mutated too. Only PacketDecodeError (drop), a failed open (drop) or
 * TransportError (close) may come out.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createPacketKeys,
  type FramePacketType,
  initialSecrets,
  OpenedPacket,
  openPacket,
  PacketDecodeError,
  QuicVersion,
  Reader,
  readFrame,
  sealPacket,
  splitDatagram,
  TransportError,
  writeLongHeader,
} from "../../src/proto/index.js";
import { type AppendixA, hex, PROVIDERS, vectors } from "../vectors/support.js";

const V = vectors<AppendixA>("rfc9001");
const provider = PROVIDERS[0]!;
const DCID = hex(V.dcid);
const SECRETS = initialSecrets(provider, QuicVersion.V1, DCID);

type Outcome = "frames" | "dropped" | "closed";

/** What a server does with one datagram: returns how it ended. */
function receive(datagram: Uint8Array): Outcome {
  let headers: ReturnType<typeof splitDatagram>;
  try {
    headers = splitDatagram(datagram, DCID.length);
  } catch (error) {
    if (error instanceof PacketDecodeError) return "dropped";
    throw error;
  }
  let outcome: Outcome = "dropped";
  for (const header of headers) {
    if (header.type !== "initial") continue;
    const keys = createPacketKeys(provider, header.version, "aes-128-gcm", initialSecrets(provider, header.version, header.dcid).client);
    const opened = new OpenedPacket();
    if (!openPacket(keys, datagram, header.start, header.pnOffset, header.end, -1, opened)) continue;
    const reader = new Reader("frame", datagram, opened.payloadStart, opened.payloadEnd);
    try {
      while (reader.remaining > 0) readFrame(reader, header.type as FramePacketType);
      outcome = "frames";
    } catch (error) {
      if (error instanceof TransportError) return "closed";
      throw error;
    }
  }
  return outcome;
}

/** Seals `payload` (1162 bytes, as in A.2) as the client's Initial with packet number 2. */
function sealInitial(payload: Uint8Array): Uint8Array {
  const buffer = new Uint8Array(1200);
  const keys = createPacketKeys(provider, QuicVersion.V1, "aes-128-gcm", SECRETS.client);
  const start = writeLongHeader(buffer, 0, {
    type: "initial",
    version: QuicVersion.V1,
    dcid: DCID,
    scid: new Uint8Array(0),
    packetNumber: 2,
    packetNumberLength: 4,
    length: 4 + payload.length + 16,
  });
  buffer.set(payload, start);
  sealPacket(keys, buffer, 0, start - 4, 4, 2, start + payload.length);
  return buffer;
}

const PLAINTEXT = new Uint8Array(V.clientInitial.payloadLength);
PLAINTEXT.set(hex(V.clientInitial.payloadPrefix));

describe("the receive pipeline on hostile input", () => {
  it("the unmodified A.2 datagram yields its frames", () => {
    expect(receive(hex(V.clientInitial.packet))).toBe("frames");
    expect(receive(sealInitial(PLAINTEXT))).toBe("frames");
  });

  it("authenticated but mutated frames end in frames or a TransportError, never anything else", () => {
    const outcomes = new Set<Outcome>();
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(300), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (edits) => {
        const payload = PLAINTEXT.slice();
        for (const [index, value] of edits) payload[index] = value;
        const outcome = receive(sealInitial(payload));
        expect(outcome).not.toBe("dropped"); // it authenticates, so it is parsed
        outcomes.add(outcome);
      }),
      { numRuns: 2000 },
    );
    expect(outcomes).toContain("closed");
  });

  it("a bit flip anywhere in the protected datagram gets it dropped: no bit escapes authentication", () => {
    const datagram = hex(V.clientInitial.packet);
    fc.assert(
      fc.property(
        // Distinct bits: flipping the same bit twice would restore the genuine datagram.
        fc.uniqueArray(fc.tuple(fc.nat(datagram.length - 1), fc.integer({ min: 0, max: 7 })), {
          minLength: 1,
          maxLength: 3,
          selector: ([index, bit]) => index * 8 + bit,
        }),
        (flips) => {
          const mutated = datagram.slice();
          for (const [index, bit] of flips) mutated[index] = mutated[index]! ^ (1 << bit);
          expect(receive(mutated)).toBe("dropped");
        },
      ),
      { numRuns: 1000 },
    );
  });
});
