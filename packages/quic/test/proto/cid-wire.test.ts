/**
 * The connection-ID and DATAGRAM rules through a real connection: hostile
 * but authenticated 1-RTT packets (forged with the client's 1-RTT secret
 * from the TLS key log) into an established server connection close it with
 * the RFC's error code, and random frame sequences against cid-state.ts
 * never raise anything but a TransportError nor break its invariants.
 */
import { getProvider } from "@zsync/crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LocalConnectionIds, RemoteConnectionIds } from "../../src/proto/connection/cid-state.js";
import { createPacketKeys, type PacketKeys } from "../../src/proto/crypto/packet-keys.js";
import { sealPacket, TAG_LENGTH } from "../../src/proto/crypto/packet-protection.js";
import { TransportError, TransportErrorCode } from "../../src/proto/errors.js";
import { type Frame, writeFrame } from "../../src/proto/wire/frame.js";
import { writeShortHeader } from "../../src/proto/wire/packet-header.js";
import { QuicVersion } from "../../src/proto/wire/version.js";
import { Writer } from "../../src/proto/wire/writer.js";
import { CLIENT_ADDRESS, pair, seededRandom } from "./support.js";

const RUNS = Number(process.env.QUIC_FUZZ_RUNS ?? 200);

function established(seed: number, serverTransport = {}) {
  let secret: Uint8Array | undefined;
  const setup = pair({
    seed,
    serverTransport,
    clientTls: {
      cipherSuites: ["TLS_AES_128_GCM_SHA256"],
      keyLog: (label, _random, s) => {
        if (label === "CLIENT_TRAFFIC_SECRET_0") secret = s.slice();
      },
    },
  });
  setup.net.run(() => setup.conn.isHandshakeConfirmed && setup.server.connections[0]?.isHandshakeConfirmed === true);
  setup.net.runFor(100);
  const keys = createPacketKeys(getProvider(), QuicVersion.V1, "aes-128-gcm", secret!);
  return { ...setup, accepted: setup.server.connections[0]!, keys };
}

function forge(keys: PacketKeys, dcid: Uint8Array, pn: number, frames: readonly Frame[]): Uint8Array {
  const buffer = new Uint8Array(1400);
  const payloadStart = writeShortHeader(buffer, 0, { dcid, packetNumber: pn, packetNumberLength: 4, keyPhase: false });
  const w = new Writer(buffer, payloadStart, 1400 - TAG_LENGTH);
  for (const frame of frames) writeFrame(w, frame);
  return buffer.slice(0, sealPacket(keys, buffer, 0, payloadStart - 4, 4, pn, w.position));
}

const ncid = (sequenceNumber: number, retirePriorTo = 0): Frame => ({
  kind: "new-connection-id",
  sequenceNumber,
  retirePriorTo,
  connectionId: new Uint8Array(8).fill(sequenceNumber + 1),
  statelessResetToken: new Uint8Array(16).fill(sequenceNumber + 100),
});

describe("hostile connection-ID and DATAGRAM frames close the connection with the RFC's code", () => {
  it("more NEW_CONNECTION_IDs than our active_connection_id_limit: CONNECTION_ID_LIMIT_ERROR (§5.1.1)", () => {
    const { server, accepted, keys, net } = established(121, { activeConnectionIdLimit: 2 });
    const send = (pn: number, frame: Frame): void =>
      server.handleDatagram(net.now, forge(keys, accepted.localCid, 1_000_000 + pn, [frame]), CLIENT_ADDRESS);
    // The real client already filled our limit (sequences 0 and 1); Retire Prior To 5 frees it (§5.1.2).
    send(0, ncid(5, 5));
    send(1, ncid(6));
    expect(accepted.closeReason).toBeUndefined();
    send(2, ncid(7));
    expect(accepted.closeReason).toMatchObject({ kind: "transport", errorCode: TransportErrorCode.CONNECTION_ID_LIMIT_ERROR });
  });

  it("a NEW_CONNECTION_ID contradicting an earlier one: PROTOCOL_VIOLATION (§19.15)", () => {
    const { server, accepted, keys, net } = established(125);
    // Sequence 1 was issued by the real client with a random ID; this one differs.
    server.handleDatagram(net.now, forge(keys, accepted.localCid, 1_000_000, [ncid(1)]), CLIENT_ADDRESS);
    expect(accepted.closeReason).toMatchObject({ kind: "transport", errorCode: TransportErrorCode.PROTOCOL_VIOLATION });
  });

  it("RETIRE_CONNECTION_ID of the ID the packet was sent to: PROTOCOL_VIOLATION (§19.16)", () => {
    const { server, accepted, keys, net } = established(122);
    // Sequence 0 is the server's handshake ID, which this packet is sent to.
    server.handleDatagram(
      net.now,
      forge(keys, accepted.localCid, 1_000_000, [{ kind: "retire-connection-id", sequenceNumber: 0 }]),
      CLIENT_ADDRESS,
    );
    expect(accepted.closeReason).toMatchObject({ kind: "transport", errorCode: TransportErrorCode.PROTOCOL_VIOLATION });
  });

  it("a DATAGRAM frame to a server that did not advertise max_datagram_frame_size: PROTOCOL_VIOLATION (RFC 9221 §3)", () => {
    const { server, accepted, keys, net } = established(123);
    server.handleDatagram(
      net.now,
      forge(keys, accepted.localCid, 1_000_000, [{ kind: "datagram", data: new Uint8Array(5) }]),
      CLIENT_ADDRESS,
    );
    expect(accepted.closeReason).toMatchObject({ kind: "transport", errorCode: TransportErrorCode.PROTOCOL_VIOLATION });
  });

  it("a DATAGRAM frame larger than the advertised max_datagram_frame_size: PROTOCOL_VIOLATION; one at the limit is taken", () => {
    const { server, accepted, keys, net } = established(124, { maxDatagramFrameSize: 100 });
    // Type (1) + 2-byte length varint (2) + 97 bytes = 100.
    server.handleDatagram(
      net.now,
      forge(keys, accepted.localCid, 1_000_000, [{ kind: "datagram", data: new Uint8Array(97) }]),
      CLIENT_ADDRESS,
    );
    expect(accepted.closeReason).toBeUndefined();
    expect(server.eventsOf(accepted, "datagram")).toHaveLength(1);
    server.handleDatagram(
      net.now,
      forge(keys, accepted.localCid, 1_000_001, [{ kind: "datagram", data: new Uint8Array(98) }]),
      CLIENT_ADDRESS,
    );
    expect(accepted.closeReason).toMatchObject({ kind: "transport", errorCode: TransportErrorCode.PROTOCOL_VIOLATION });
  });
});

describe("cid-state under random frame sequences (fast-check)", () => {
  const op = fc.oneof(
    fc.record({
      kind: fc.constant("new" as const),
      sequence: fc.nat({ max: 40 }),
      back: fc.nat({ max: 40 }),
      cid: fc.nat({ max: 12 }),
      token: fc.nat({ max: 3 }),
    }),
    fc.record({ kind: fc.constant("rotate" as const) }),
    fc.record({ kind: fc.constant("lost" as const), sequence: fc.nat({ max: 40 }) }),
    fc.record({ kind: fc.constant("fill" as const), room: fc.nat({ max: 40 }) }),
  );

  it("RemoteConnectionIds: only TransportErrors; the active count stays within the limit; the current ID is never a retired one", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 6 }), fc.array(op, { maxLength: 60 }), (limit, ops) => {
        const ids = new RemoteConnectionIds(new Uint8Array(8).fill(200), limit);
        const retired = new Set<number>();
        try {
          for (const o of ops) {
            if (o.kind === "new") {
              const retirePriorTo = Math.max(0, o.sequence - o.back);
              ids.onNewConnectionId(o.sequence, retirePriorTo, new Uint8Array(8).fill(o.cid), new Uint8Array(16).fill(o.token));
            } else if (o.kind === "rotate") ids.rotate();
            else if (o.kind === "lost") {
              // Only sequences whose RETIRE_CONNECTION_ID we sent can be reported lost.
              const sent = [...retired];
              if (sent.length > 0) ids.onLost([sent[o.sequence % sent.length]!]);
            } else {
              const buffer = new Uint8Array(o.room);
              const sent = ids.fill(new Writer(buffer));
              for (const s of sent ?? []) retired.add(s);
            }
            expect(retired.has(ids.currentSequence)).toBe(false);
            expect(ids.activeCount).toBeLessThanOrEqual(limit);
            expect(ids.activeCount).toBeGreaterThan(0);
          }
        } catch (error) {
          if (!(error instanceof TransportError)) throw error;
          expect([TransportErrorCode.PROTOCOL_VIOLATION, TransportErrorCode.CONNECTION_ID_LIMIT_ERROR]).toContain(error.errorCode);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("LocalConnectionIds: only TransportErrors; always exactly min(limit, cap) IDs after start; no ID routed twice", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 12 }),
        fc.array(fc.record({ sequence: fc.nat({ max: 30 }), self: fc.boolean() }), { maxLength: 40 }),
        (limit, retires) => {
          const initial = new Uint8Array(8).fill(9);
          const ids = new LocalConnectionIds(initial, seededRandom(limit), () => new Uint8Array(16));
          ids.start(limit);
          const routed = new Set<string>([Buffer.from(initial).toString("hex")]);
          const apply = (): void => {
            for (const c of ids.takeRoutingChanges() ?? []) {
              const k = Buffer.from(c.cid).toString("hex");
              if (c.kind === "add") {
                expect(routed.has(k)).toBe(false);
                routed.add(k);
              } else expect(routed.delete(k)).toBe(true);
            }
          };
          apply();
          for (const r of retires) {
            try {
              ids.onRetire(r.sequence, r.self ? initial : new Uint8Array(8).fill(1));
            } catch (error) {
              if (!(error instanceof TransportError)) throw error;
              expect(error.errorCode).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
            }
            apply();
            expect(ids.activeCount).toBe(Math.min(limit, 8));
            expect(routed.size).toBe(ids.activeCount);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});
