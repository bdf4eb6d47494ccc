/**
 * Fuzzing the path, migration and connection ID frames (RFC 9000 §5.1, §8.2,
 * §9, §19.12-19.18) of an established connection, with packets that
 * authenticate (the peer's 1-RTT keys come from the key log) and arrive
 * from random source addresses and local sockets. Whatever the sequence,
 * the connection stays established or closes with a transport error code
 * (never INTERNAL_ERROR, never an exception), its path table stays within
 * {@link MAX_PATHS}, and an address that never proved it receives (no
 * challenge sent to it was echoed) gets at most 3x what came from it.
 */
import { getProvider } from "@zsync/crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Connection } from "../../src/proto/connection/connection.js";
import { MAX_PATHS, MigrationError } from "../../src/proto/connection/path.js";
import { createPacketKeys, type PacketKeys } from "../../src/proto/crypto/packet-keys.js";
import { OpenedPacket, openPacket, sealPacket, TAG_LENGTH } from "../../src/proto/crypto/packet-protection.js";
import { type Frame, readFrame, writeFrame } from "../../src/proto/wire/frame.js";
import { writeShortHeader } from "../../src/proto/wire/packet-header.js";
import { Reader } from "../../src/proto/wire/reader.js";
import { QuicVersion } from "../../src/proto/wire/version.js";
import { Writer } from "../../src/proto/wire/writer.js";
import type { SimAddress } from "./sim-network.js";
import { CLIENT_ADDRESS, type EndpointHost, pair, SERVER_ADDRESS } from "./support.js";

const RUNS = Number(process.env.QUIC_FUZZ_RUNS ?? 40);
const provider = getProvider();
const key = (a: SimAddress): string => `${a.address}:${a.port}`;

/** The real peer address first, then addresses the peer does not own (some share its IP: port-only changes). */
const SOURCES: readonly SimAddress[] = [
  CLIENT_ADDRESS,
  { address: CLIENT_ADDRESS.address, port: 50_100 },
  { address: CLIENT_ADDRESS.address, port: 50_101 },
  { address: "203.0.113.1", port: 1000 },
  { address: "203.0.113.2", port: 1000 },
  { address: "203.0.113.3", port: 2000 },
  { address: "198.18.0.9", port: 443 },
];
/** The client's local sockets: the endpoint's own (undefined) and two it could migrate to. */
const LOCALS: readonly (SimAddress | undefined)[] = [
  undefined,
  { address: CLIENT_ADDRESS.address, port: 50_200 },
  { address: CLIENT_ADDRESS.address, port: 50_201 },
];

const small = fc.oneof(fc.nat({ max: 12 }), fc.nat({ max: 2 ** 20 }), fc.constant(2 ** 62 - 1));
/** Frames that are legal in any state weigh most, so that sequences get far before a violation closes the connection. */
const pathFrame: fc.Arbitrary<Frame | "echo"> = fc.oneof(
  { weight: 6, arbitrary: fc.constant("echo" as const) }, // a PATH_RESPONSE echoing a challenge the connection sent
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("ping" as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("padding" as const), length: fc.integer({ min: 1, max: 300 }) }) },
  {
    weight: 8,
    arbitrary: fc.record({ kind: fc.constant("path-challenge" as const), data: fc.uint8Array({ minLength: 8, maxLength: 8 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("path-response" as const), data: fc.uint8Array({ minLength: 8, maxLength: 8 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("new-connection-id" as const),
      sequenceNumber: small,
      retirePriorTo: fc.nat({ max: 14 }),
      connectionId: fc.uint8Array({ minLength: 1, maxLength: 20 }),
      statelessResetToken: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("retire-connection-id" as const), sequenceNumber: small }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("data-blocked" as const), limit: small }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("stream-data-blocked" as const), streamId: fc.nat({ max: 50 }), limit: small }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("streams-blocked" as const), bidirectional: fc.boolean(), limit: fc.nat({ max: 2 ** 40 }) }),
  },
);

interface Step {
  readonly source: number;
  readonly local: number;
  readonly frames: readonly (Frame | "echo")[];
  readonly advance: number;
  readonly migrate: number | undefined;
}

const step: fc.Arbitrary<Step> = fc.record({
  source: fc.nat({ max: SOURCES.length - 1 }),
  local: fc.nat({ max: LOCALS.length - 1 }),
  frames: fc.array(pathFrame, { minLength: 1, maxLength: 6 }),
  advance: fc.oneof(fc.constant(0), fc.nat({ max: 50 }), fc.nat({ max: 3000 })),
  migrate: fc.option(fc.nat({ max: LOCALS.length - 1 }), { nil: undefined }),
});

/** An established pair and both 1-RTT keys from the key log. */
function established(seed: number) {
  const secrets: Record<string, Uint8Array> = {};
  const setup = pair({
    seed,
    clientTls: {
      cipherSuites: ["TLS_AES_128_GCM_SHA256"],
      keyLog: (label, _random, s) => {
        secrets[label] = s.slice();
      },
    },
  });
  setup.net.run(() => setup.conn.isHandshakeConfirmed && setup.server.connections[0]?.isHandshakeConfirmed === true);
  setup.net.runFor(100);
  const clientKeys = createPacketKeys(provider, QuicVersion.V1, "aes-128-gcm", secrets.CLIENT_TRAFFIC_SECRET_0!);
  const serverKeys = createPacketKeys(provider, QuicVersion.V1, "aes-128-gcm", secrets.SERVER_TRAFFIC_SECRET_0!);
  return { ...setup, accepted: setup.server.connections[0]!, clientKeys, serverKeys };
}

function forge(keys: PacketKeys, dcid: Uint8Array, pn: number, frames: readonly Frame[]): Uint8Array {
  const buffer = new Uint8Array(1500);
  const payloadStart = writeShortHeader(buffer, 0, { dcid, packetNumber: pn, packetNumberLength: 4, keyPhase: false });
  const w = new Writer(buffer, payloadStart, 1500 - TAG_LENGTH);
  for (const frame of frames) {
    const before = w.position;
    try {
      if (frame.kind === "padding") for (let i = 0; i < frame.length && w.remaining > 0; i++) w.u8(0);
      else writeFrame(w, frame);
    } catch {
      buffer.fill(0, before, w.position); // out of room: what was written of it becomes PADDING
      break;
    }
  }
  if (w.position === payloadStart) w.u8(0x01);
  const end = Math.max(w.position, payloadStart + 4);
  buffer.fill(0, w.position, end);
  return buffer.slice(0, sealPacket(keys, buffer, 0, payloadStart - 4, 4, pn, end));
}

/**
 * Drives one side of the pair by hand (nothing it sends is delivered): feeds it the steps, reads what it sends with
 * the other side's keys (PATH_CHALLENGE data to echo, bytes per destination) and checks the invariants after each.
 */
function drive(side: "server" | "client", seed: number, steps: readonly Step[]): void {
  const { net, server, client, conn, accepted, clientKeys, serverKeys } = established(seed);
  const host: EndpointHost = side === "server" ? server : client;
  const target: Connection = side === "server" ? accepted : conn;
  const inKeys = side === "server" ? clientKeys : serverKeys; // what the peer seals with
  const outKeys = side === "server" ? serverKeys : clientKeys; // what the target seals with
  const outDcidLength = (side === "server" ? conn : accepted).localCid.length;
  const received = new Map<string, number>();
  const sent = new Map<string, number>();
  const challenges: { to: string; data: Uint8Array }[] = [];
  const proven = new Set<string>([key(side === "server" ? CLIENT_ADDRESS : SERVER_ADDRESS)]);
  const buffer = new Uint8Array(1500);
  const opened = new OpenedPacket();
  let largestOut = 0;
  const drain = (): void => {
    for (let t = host.pollTransmit(net.now, buffer); t !== undefined; t = host.pollTransmit(net.now, buffer)) {
      const to = key(t.to);
      sent.set(to, (sent.get(to) ?? 0) + t.length);
      const datagram = buffer.slice(0, t.length);
      if ((datagram[0]! & 0x80) !== 0) continue;
      if (!openPacket(outKeys, datagram, 0, 1 + outDcidLength, datagram.length, largestOut, opened)) continue;
      largestOut = Math.max(largestOut, opened.packetNumber);
      const reader = new Reader("frame", datagram, opened.payloadStart, opened.payloadEnd);
      try {
        while (reader.remaining > 0) {
          const frame = readFrame(reader, "1rtt");
          if (frame.kind === "path-challenge") challenges.push({ to, data: frame.data.slice() });
        }
      } catch {
        // a frame this reader does not take apart (ACK ranges without a scratch list): the rest is not needed
      }
    }
  };
  const check = (): void => {
    expect(target.pathStats.tracked).toBeLessThanOrEqual(MAX_PATHS);
    // A deadline at or before now is fired again at once (a PTO re-armed from the last send can land in the past
    // after a timer jump); it must move past now within a few rounds, or the driver's timer would spin.
    let rounds = 0;
    for (let next = host.pollTimeout(); next !== undefined && next <= net.now; next = host.pollTimeout()) {
      expect(++rounds, `busy timer at ${next}`).toBeLessThan(20);
      host.handleTimeout(net.now);
      drain();
    }
    const reason = target.closeReason;
    if (reason !== undefined && reason.kind === "transport") expect(reason.errorCode, reason.reason).not.toBe(0x01);
    else if (reason === undefined) expect(target.state).toBe("established");
  };
  let pn = 1_000_000;
  for (const s of steps) {
    if (s.migrate !== undefined && side === "client") {
      const local = LOCALS[s.migrate];
      if (local !== undefined)
        try {
          conn.migrate(net.now, local);
        } catch (error) {
          expect(error).toBeInstanceOf(MigrationError);
        }
    }
    const frames: Frame[] = [];
    for (const f of s.frames) {
      if (f !== "echo") frames.push(f);
      else if (challenges.length > 0) {
        const c = challenges[pn % challenges.length]!;
        proven.add(c.to);
        frames.push({ kind: "path-response", data: c.data });
      }
    }
    const from = side === "server" ? SOURCES[s.source]! : s.source % 2 === 0 ? SERVER_ADDRESS : SOURCES[s.source]!;
    const local = side === "client" ? LOCALS[s.local] : undefined;
    const datagram = forge(inKeys, target.localCid, pn++, frames);
    received.set(key(from), (received.get(key(from)) ?? 0) + datagram.length);
    host.handleDatagram(net.now, datagram, from, local);
    drain();
    check();
    net.now += s.advance;
    host.handleTimeout(net.now);
    drain();
    check();
  }
  for (let t = 0; t < 100; t++) {
    net.now += 100;
    host.handleTimeout(net.now);
    drain();
    check();
  }
  if (side === "server")
    for (const [to, bytes] of sent) if (!proven.has(to)) expect(bytes, to).toBeLessThanOrEqual(3 * (received.get(to) ?? 0));
}

describe("path and connection ID frames from random addresses (§8.2, §9, §19.15-19.18)", () => {
  for (const side of ["server", "client"] as const)
    it(
      `into an established ${side}: a typed close or nothing, bounded paths, 3x toward unproven addresses`,
      () => {
        fc.assert(
          fc.property(fc.integer({ min: 1, max: 1000 }), fc.array(step, { minLength: 1, maxLength: 25 }), (seed, steps) =>
            drive(side, seed, steps),
          ),
          { numRuns: RUNS },
        );
      },
      60_000 + RUNS * 1000,
    );
});
