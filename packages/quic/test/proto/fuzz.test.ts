/**
 * Hostile input (the quality bar of RFC 9000 §12.2 and §21): random and
 * mutated datagrams into an endpoint, and authenticated-but-hostile Initial
 * packets (anyone can compute Initial keys, RFC 9001 §5.2) into a server
 * connection, end in a silent drop or a CONNECTION_CLOSE with a transport
 * error code: never an exception, a hang or unbounded state.
 */
import { getProvider } from "@zsync/crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resolveEndpointConfig } from "../../src/proto/config.js";
import { createPacketKeys, initialSecrets } from "../../src/proto/crypto/packet-keys.js";
import { sealPacket, TAG_LENGTH } from "../../src/proto/crypto/packet-protection.js";
import { Endpoint } from "../../src/proto/endpoint.js";
import { type Frame, writeFrame } from "../../src/proto/wire/frame.js";
import { writeLongHeader } from "../../src/proto/wire/packet-header.js";
import { RangeSet } from "../../src/proto/wire/range-set.js";
import { QuicVersion } from "../../src/proto/wire/version.js";
import { Writer } from "../../src/proto/wire/writer.js";
import { pair, seededRandom, serverConfig } from "./support.js";

const provider = getProvider();
const FROM = { address: "203.0.113.7", port: 4242 };
const RUNS = Number(process.env.QUIC_FUZZ_RUNS ?? 150);
/** Each run builds an endpoint and may run a handshake's worth of crypto: scale the timeout with the runs. */
const FUZZ_TIMEOUT = 30_000 + RUNS * 50;

/** Captured first flights of real clients, to mutate. */
const captured: Uint8Array[] = (() => {
  const out: Uint8Array[] = [];
  const buffer = new Uint8Array(1500);
  for (const seed of [1, 2]) {
    const { client } = pair({ seed });
    for (let t = client.pollTransmit(0, buffer); t !== undefined; t = client.pollTransmit(0, buffer)) out.push(buffer.slice(0, t.length));
  }
  return out;
})();

/** Drives an endpoint's timers until it holds no connection (or a bound of virtual time passes). */
function settle(endpoint: Endpoint, now: number): void {
  const buffer = new Uint8Array(1500);
  for (let i = 0; i < 1000; i++) {
    while (endpoint.pollTransmit(now, buffer) !== undefined);
    const t = endpoint.pollTimeout();
    if (t === undefined) return;
    now = Math.max(now, t);
    endpoint.handleTimeout(now);
  }
  throw new Error("endpoint did not settle in 1000 timer rounds");
}

function serverEndpoint(seed: number): Endpoint {
  return new Endpoint(resolveEndpointConfig({ random: seededRandom(seed) }), serverConfig(provider));
}

describe("random and mutated datagrams into a server endpoint", () => {
  it("keeps no connection for an Initial-shaped datagram that does not authenticate", () => {
    const endpoint = serverEndpoint(9);
    const forged = captured[0]!.slice();
    forged[forged.length - 1]! ^= 1; // inside the padding of the (only) packet: its tag no longer verifies
    endpoint.handleDatagram(0, forged, FROM);
    expect(endpoint.connectionCount).toBe(0);
    expect(endpoint.stats.unauthenticated).toBe(1);
    expect(endpoint.pollEvent()).toBeUndefined();
  });

  it(
    "random bytes are dropped without state",
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 0, maxLength: 1500 }), (datagram) => {
          const endpoint = serverEndpoint(1);
          endpoint.handleDatagram(0, datagram, FROM);
          settle(endpoint, 0);
          expect(endpoint.connectionCount).toBe(0);
        }),
        { numRuns: RUNS },
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    "mutated real client Initials end in a drop or a closed connection",
    () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...captured),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }),
          fc.option(fc.nat({ max: 1500 }), { nil: undefined }),
          (original, flips, cut) => {
            const datagram = original.slice(0, cut ?? original.length);
            for (const [at, xor] of flips) if (datagram.length > 0) datagram[at % datagram.length]! ^= xor;
            const endpoint = serverEndpoint(2);
            endpoint.handleDatagram(0, datagram, FROM);
            // A mutation outside the protected payload may still authenticate (e.g. in padding after the packet).
            expect(endpoint.connectionCount).toBe(endpoint.stats.accepted);
            settle(endpoint, 0);
            expect(endpoint.connectionCount).toBe(0);
          },
        ),
        { numRuns: RUNS },
      );
    },
    FUZZ_TIMEOUT,
  );
});

/** Frames a hostile client may put in an Initial (RFC 9000 §12.4 allows these, and the parser must survive others). */
const initialFrame: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({ kind: fc.constant("ping" as const) }),
  fc.record({ kind: fc.constant("padding" as const), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    kind: fc.constant("crypto" as const),
    offset: fc.oneof(fc.nat({ max: 100 }), fc.nat({ max: 2 ** 30 })),
    data: fc.uint8Array({ maxLength: 200 }),
  }),
  fc.record({ kind: fc.constant("handshake-done" as const) }),
  fc.record({ kind: fc.constant("max-data" as const), maximum: fc.nat() }),
  fc.record({
    kind: fc.constant("connection-close" as const),
    application: fc.boolean(),
    errorCode: fc.nat(),
    frameType: fc.nat({ max: 0x1e }),
    reason: fc.uint8Array({ maxLength: 20 }),
  }),
);

function hostileInitial(
  dcid: Uint8Array,
  pn: number,
  frames: readonly Frame[],
  ackLargest: number | undefined,
  junk: Uint8Array,
): Uint8Array {
  const buffer = new Uint8Array(1400);
  const payloadStart = writeLongHeader(buffer, 0, {
    type: "initial",
    version: QuicVersion.V1,
    dcid,
    scid: new Uint8Array([1, 2, 3, 4]),
    packetNumber: pn,
    packetNumberLength: 4,
    length: 0,
    lengthFieldSize: 2,
  });
  const w = new Writer(buffer, payloadStart, 1400 - TAG_LENGTH);
  try {
    if (ackLargest !== undefined) {
      const ranges = new RangeSet();
      ranges.insert(0, ackLargest + 1);
      writeFrame(w, { kind: "ack", largest: ackLargest, ackDelay: 0, ranges: ranges as never, ecn: undefined });
    }
    for (const frame of frames) writeFrame(w, frame);
    w.bytes(junk.subarray(0, Math.min(junk.length, w.remaining)));
  } catch {
    // out of room: send what fits
  }
  const end = Math.max(w.position, 1200 - TAG_LENGTH);
  buffer.fill(0, w.position, end);
  const length = end + TAG_LENGTH - (payloadStart - 4);
  buffer[payloadStart - 6] = 0x40 | (length >> 8);
  buffer[payloadStart - 5] = length & 0xff;
  const keys = createPacketKeys(provider, QuicVersion.V1, "aes-128-gcm", initialSecrets(provider, QuicVersion.V1, dcid).client);
  return buffer.slice(0, sealPacket(keys, buffer, 0, payloadStart - 4, 4, pn, end));
}

describe("authenticated hostile Initials into a server connection", () => {
  it(
    "end in a silent drop, a live handshake or a transport CONNECTION_CLOSE, never an exception",
    () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 8, maxLength: 20 }),
          fc.array(
            fc.tuple(
              fc.array(initialFrame, { maxLength: 6 }),
              fc.option(fc.nat({ max: 50 }), { nil: undefined }),
              fc.uint8Array({ maxLength: 30 }),
            ),
            {
              minLength: 1,
              maxLength: 4,
            },
          ),
          (dcid, packets) => {
            const endpoint = serverEndpoint(3);
            let now = 0;
            for (const [i, [frames, ack, junk]] of packets.entries()) {
              endpoint.handleDatagram(now, hostileInitial(dcid, i, frames, ack, junk), FROM);
              now += 1;
            }
            const conn = endpoint.pollEvent()?.connection;
            expect(endpoint.connectionCount).toBeLessThanOrEqual(1);
            if (conn !== undefined) {
              const reason = conn.closeReason;
              if (reason !== undefined)
                expect(reason.kind === "transport" || reason.kind === "application" || reason.kind === "idle-timeout").toBe(true);
              // INTERNAL_ERROR means an exception of ours was caught: a bug, whatever the input.
              if (reason?.kind === "transport") expect(reason.errorCode, reason.reason).not.toBe(0x01);
            }
            settle(endpoint, now);
            expect(endpoint.connectionCount).toBe(0);
          },
        ),
        { numRuns: RUNS },
      );
    },
    FUZZ_TIMEOUT,
  );

  it("a CRYPTO offset beyond 2^53 is CRYPTO_BUFFER_EXCEEDED, not an internal error (regression, found by this fuzzer)", () => {
    const endpoint = serverEndpoint(7);
    const dcid = new Uint8Array(8);
    // A CRYPTO frame (0x06) whose 8-byte varint offset is 2^56 + 4: it parses (< 2^62) but is no exact JavaScript number.
    const junk = Uint8Array.from([0x06, 0xc1, 0, 0, 0, 0, 0, 0, 4, 1, 0xaa]);
    endpoint.handleDatagram(0, hostileInitial(dcid, 0, [], undefined, junk), FROM);
    const conn = endpoint.pollEvent()!.connection;
    expect(conn.closeReason).toMatchObject({ kind: "transport", remote: false, errorCode: 0x0d });
  });

  it("CRYPTO data far beyond the buffer is CRYPTO_BUFFER_EXCEEDED (RFC 9000 §7.5)", () => {
    const endpoint = serverEndpoint(4);
    const dcid = new Uint8Array(8).fill(9);
    endpoint.handleDatagram(
      0,
      hostileInitial(dcid, 0, [{ kind: "crypto", offset: 10_000_000, data: new Uint8Array(10) }], undefined, new Uint8Array(0)),
      FROM,
    );
    const conn = endpoint.pollEvent()!.connection;
    expect(conn.closeReason).toMatchObject({ kind: "transport", remote: false, errorCode: 0x0d });
  });

  it("HANDSHAKE_DONE in an Initial is PROTOCOL_VIOLATION naming the frame type (RFC 9000 §12.4)", () => {
    const endpoint = serverEndpoint(5);
    const dcid = new Uint8Array(8).fill(5);
    endpoint.handleDatagram(0, hostileInitial(dcid, 0, [{ kind: "handshake-done" }], undefined, new Uint8Array(0)), FROM);
    const conn = endpoint.pollEvent()!.connection;
    expect(conn.closeReason).toMatchObject({ kind: "transport", errorCode: 0x0a, frameType: 0x1e });
  });

  it("an ACK of a packet never sent is PROTOCOL_VIOLATION (RFC 9000 §13.1)", () => {
    const endpoint = serverEndpoint(6);
    const dcid = new Uint8Array(8).fill(6);
    endpoint.handleDatagram(0, hostileInitial(dcid, 0, [{ kind: "ping" }], 40, new Uint8Array(0)), FROM);
    const conn = endpoint.pollEvent()!.connection;
    expect(conn.closeReason).toMatchObject({ kind: "transport", errorCode: 0x0a });
  });
});
