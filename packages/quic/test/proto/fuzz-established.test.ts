/**
 * Hostile frames from an authenticated peer (RFC 9000 §12.4, §19, §21):
 * with the client's 1-RTT secret taken from the TLS key log, the test
 * seals its own packets of random frames and feeds them to an established
 * server connection. Whatever they say, the connection stays up or closes
 * with a transport error code (never INTERNAL_ERROR, never an exception),
 * and its streams stay within the limits it advertised.
 */
import { getProvider } from "@zsync/crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createPacketKeys, type PacketKeys } from "../../src/proto/crypto/packet-keys.js";
import { OpenedPacket, openPacket, sealPacket, TAG_LENGTH } from "../../src/proto/crypto/packet-protection.js";
import { type Frame, readFrame, writeFrame } from "../../src/proto/wire/frame.js";
import { writeShortHeader } from "../../src/proto/wire/packet-header.js";
import { RangeSet } from "../../src/proto/wire/range-set.js";
import { Reader } from "../../src/proto/wire/reader.js";
import { QuicVersion } from "../../src/proto/wire/version.js";
import { Writer } from "../../src/proto/wire/writer.js";
import { CLIENT_ADDRESS, pair } from "./support.js";

const RUNS = Number(process.env.QUIC_FUZZ_RUNS ?? 40);
const provider = getProvider();

const varint = fc.oneof(fc.nat({ max: 64 }), fc.nat({ max: 70_000 }), fc.nat({ max: 2 ** 40 }), fc.constant(2 ** 62 - 1));
/** Client-initiated bidi/uni and server-initiated stream IDs, small and huge. */
const streamId = fc.oneof(fc.nat({ max: 40 }), fc.nat({ max: 2 ** 40 }));
const bytes = fc.uint8Array({ maxLength: 300 });

const oneRttFrame: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({ kind: fc.constant("ping" as const) }),
  fc.record({ kind: fc.constant("stream" as const), streamId, offset: varint, data: bytes, fin: fc.boolean() }),
  fc.record({ kind: fc.constant("reset-stream" as const), streamId, errorCode: varint, finalSize: varint }),
  fc.record({ kind: fc.constant("stop-sending" as const), streamId, errorCode: varint }),
  fc.record({ kind: fc.constant("max-data" as const), maximum: varint }),
  fc.record({ kind: fc.constant("max-stream-data" as const), streamId, maximum: varint }),
  fc.record({ kind: fc.constant("max-streams" as const), bidirectional: fc.boolean(), maximum: fc.nat({ max: 2 ** 40 }) }),
  fc.record({ kind: fc.constant("data-blocked" as const), limit: varint }),
  fc.record({ kind: fc.constant("stream-data-blocked" as const), streamId, limit: varint }),
  fc.record({ kind: fc.constant("streams-blocked" as const), bidirectional: fc.boolean(), limit: fc.nat({ max: 2 ** 40 }) }),
  fc.record({ kind: fc.constant("retire-connection-id" as const), sequenceNumber: varint }),
  fc.record({ kind: fc.constant("path-challenge" as const), data: fc.uint8Array({ minLength: 8, maxLength: 8 }) }),
  fc.record({ kind: fc.constant("crypto" as const), offset: fc.nat({ max: 100 }), data: bytes }),
  fc.record({ kind: fc.constant("new-token" as const), token: fc.uint8Array({ minLength: 1, maxLength: 20 }) }),
  fc.record({ kind: fc.constant("handshake-done" as const) }),
  fc.record({ kind: fc.constant("datagram" as const), data: bytes }),
);

/** An established pair and both 1-RTT packet keys (from the key log), to forge and read authenticated packets. */
function established(seed: number, serverTransport: Parameters<typeof pair>[0]["serverTransport"] = {}) {
  let secret: Uint8Array | undefined;
  let serverSecret: Uint8Array | undefined;
  const setup = pair({
    seed,
    serverTransport,
    clientTls: {
      cipherSuites: ["TLS_AES_128_GCM_SHA256"],
      keyLog: (label, _random, s) => {
        if (label === "CLIENT_TRAFFIC_SECRET_0") secret = s.slice();
        if (label === "SERVER_TRAFFIC_SECRET_0") serverSecret = s.slice();
      },
    },
  });
  setup.net.run(() => setup.conn.isHandshakeConfirmed && setup.server.connections[0]?.isHandshakeConfirmed === true);
  const keys = createPacketKeys(provider, QuicVersion.V1, "aes-128-gcm", secret!);
  const serverKeys = createPacketKeys(provider, QuicVersion.V1, "aes-128-gcm", serverSecret!);
  return { ...setup, accepted: setup.server.connections[0]!, keys, serverKeys };
}

function forge(keys: PacketKeys, dcid: Uint8Array, pn: number, frames: readonly Frame[], ack: number | undefined): Uint8Array {
  const buffer = new Uint8Array(1400);
  const payloadStart = writeShortHeader(buffer, 0, { dcid, packetNumber: pn, packetNumberLength: 4, keyPhase: false });
  const w = new Writer(buffer, payloadStart, 1400 - TAG_LENGTH);
  try {
    if (ack !== undefined) {
      const ranges = new RangeSet();
      ranges.insert(0, ack + 1);
      writeFrame(w, { kind: "ack", largest: ack, ackDelay: 0, ranges: ranges as never, ecn: undefined });
    }
    for (const frame of frames) writeFrame(w, frame);
  } catch {
    // out of room or a value the wire cannot carry: send what was written
  }
  if (w.position === payloadStart) w.u8(0x01); // at least a PING
  const end = Math.max(w.position, payloadStart + 4);
  buffer.fill(0, w.position, end);
  return buffer.slice(0, sealPacket(keys, buffer, 0, payloadStart - 4, 4, pn, end));
}

describe("authenticated hostile 1-RTT frames into an established server connection", () => {
  it(
    "leave it established or closed with a transport error, never an exception or INTERNAL_ERROR",
    () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 1000 }),
          fc.array(fc.tuple(fc.array(oneRttFrame, { maxLength: 5 }), fc.option(fc.nat({ max: 30 }), { nil: undefined })), {
            minLength: 1,
            maxLength: 6,
          }),
          (seed, packets) => {
            const { net, server, accepted, keys } = established(seed);
            for (const [i, [frames, ack]] of packets.entries()) {
              server.handleDatagram(net.now, forge(keys, accepted.localCid, 1_000_000 + i, frames, ack), CLIENT_ADDRESS);
            }
            const reason = accepted.closeReason;
            if (reason !== undefined) {
              expect(reason.kind).toBe("transport");
              if (reason.kind === "transport") expect(reason.errorCode, reason.reason).not.toBe(0x01);
            } else expect(accepted.state).toBe("established");
            // Let everything play out (replies, closes, timers) without an exception.
            net.runFor(2000);
          },
        ),
        { numRuns: RUNS },
      );
    },
    60_000 + RUNS * 500,
  );

  it("a STREAM frame on a stream beyond our MAX_STREAMS is STREAM_LIMIT_ERROR (§4.6)", () => {
    const { net, server, accepted, keys } = established(5);
    const id = 4 * 100; // the 101st client bidi stream; the default limit is 100
    server.handleDatagram(
      net.now,
      forge(
        keys,
        accepted.localCid,
        1_000_000,
        [{ kind: "stream", streamId: id, offset: 0, data: new Uint8Array(1), fin: false }],
        undefined,
      ),
      CLIENT_ADDRESS,
    );
    expect(accepted.closeReason).toMatchObject({ kind: "transport", errorCode: 0x04 });
  });

  it("a STREAM frame on a server-initiated unidirectional stream is STREAM_STATE_ERROR (§19.8)", () => {
    const { net, server, accepted, keys } = established(6);
    server.handleDatagram(
      net.now,
      forge(
        keys,
        accepted.localCid,
        1_000_000,
        [{ kind: "stream", streamId: 3, offset: 0, data: new Uint8Array(1), fin: false }],
        undefined,
      ),
      CLIENT_ADDRESS,
    );
    expect(accepted.closeReason).toMatchObject({ kind: "transport", errorCode: 0x05 });
  });

  it("stream data beyond the advertised window is FLOW_CONTROL_ERROR (§4.1)", () => {
    const { net, server, accepted, keys } = established(7);
    server.handleDatagram(
      net.now,
      forge(
        keys,
        accepted.localCid,
        1_000_000,
        [{ kind: "stream", streamId: 0, offset: 50 * 1024 * 1024, data: new Uint8Array(10), fin: false }],
        undefined,
      ),
      CLIENT_ADDRESS,
    );
    expect(accepted.closeReason).toMatchObject({ kind: "transport", errorCode: 0x03 });
  });
});

describe("path validation (RFC 9000 §8.2)", () => {
  it("answers a PATH_CHALLENGE with a PATH_RESPONSE carrying the same data", () => {
    const { net, server, conn, accepted, keys, serverKeys } = established(8);
    const challenge = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    server.handleDatagram(
      net.now,
      forge(keys, accepted.localCid, 1_000_000, [{ kind: "path-challenge", data: challenge }], undefined),
      CLIENT_ADDRESS,
    );
    const buffer = new Uint8Array(1500);
    const t = server.pollTransmit(net.now, buffer)!;
    expect(t).toBeDefined();
    const datagram = buffer.slice(0, t.length);
    const opened = new OpenedPacket();
    expect(openPacket(serverKeys, datagram, 0, 1 + conn.localCid.length, datagram.length, 10, opened)).toBe(true);
    const reader = new Reader("frame", datagram, opened.payloadStart, opened.payloadEnd);
    const kinds: Frame[] = [];
    while (reader.remaining > 0) kinds.push(readFrame(reader, "1rtt"));
    const response = kinds.find((f) => f.kind === "path-response");
    expect(response).toBeDefined();
    expect([...(response as { data: Uint8Array }).data]).toEqual([...challenge]);
  });
});

describe("STREAMS_BLOCKED (RFC 9000 §4.6, §19.14)", () => {
  it("a client that hits the server's stream limit says so, once per limit", () => {
    const { net, conn, client, keys } = established(9, { initialMaxStreamsBidi: 2 });
    net.runFor(100);
    expect(conn.openStream("bidi")).toBeDefined();
    expect(conn.openStream("bidi")).toBeDefined();
    expect(conn.openStream("bidi")).toBeUndefined();
    expect(conn.openStream("bidi")).toBeUndefined(); // the same limit: no second frame
    const found: Frame[] = [];
    const buffer = new Uint8Array(1500);
    for (let t = client.pollTransmit(net.now, buffer); t !== undefined; t = client.pollTransmit(net.now, buffer)) {
      const datagram = buffer.slice(0, t.length);
      const opened = new OpenedPacket();
      if (!openPacket(keys, datagram, 0, 1 + 8, datagram.length, 10, opened)) continue;
      const reader = new Reader("frame", datagram, opened.payloadStart, opened.payloadEnd);
      while (reader.remaining > 0) found.push(readFrame(reader, "1rtt"));
    }
    const blocked = found.filter((f) => f.kind === "streams-blocked");
    expect(blocked).toEqual([{ kind: "streams-blocked", bidirectional: true, limit: 2 }]);
  });
});
