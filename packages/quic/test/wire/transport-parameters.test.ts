/**
 * Transport parameters (RFC 9000 §7.4, §18; RFC 9221 §3; RFC 9368 §3):
 * round trips, defaults, and every TRANSPORT_PARAMETER_ERROR the bytes and
 * the sender's role can reveal. Fuzzed: only TransportError escapes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_TRANSPORT_PARAMETERS,
  decodeTransportParameters,
  encodeTransportParameters,
  TransportError,
  TransportErrorCode,
  TransportParameterId,
  type TransportParameters,
  type TransportParametersInput,
  transportParametersLength,
  Writer,
} from "../../src/proto/index.js";
import { type AppendixA, hex, toHex, transportErrorOf, vectors } from "../vectors/support.js";

/** Encodes raw (id, value) pairs, bypassing the encoder's validation. */
function raw(...params: [number, Uint8Array][]): Uint8Array {
  const writer = new Writer(new Uint8Array(1024));
  for (const [id, value] of params) writer.varint(id).varint(value.length).bytes(value);
  return writer.written().slice();
}

function varintBytes(value: number): Uint8Array {
  return new Writer(new Uint8Array(8)).varint(value).written();
}

function errorFor(bytes: Uint8Array, sender: "client" | "server" = "server"): number {
  return transportErrorOf(() => decodeTransportParameters(bytes, sender)).errorCode;
}

const SERVER_PARAMS: TransportParametersInput = {
  originalDestinationConnectionId: hex("8394c8f03e515708"),
  maxIdleTimeout: 30_000,
  statelessResetToken: hex("00112233445566778899aabbccddeeff"),
  maxUdpPayloadSize: 1472,
  initialMaxData: 1 << 24,
  initialMaxStreamDataBidiLocal: 1 << 20,
  initialMaxStreamDataBidiRemote: 1 << 20,
  initialMaxStreamDataUni: 1 << 20,
  initialMaxStreamsBidi: 100,
  initialMaxStreamsUni: 3,
  ackDelayExponent: 8,
  maxAckDelay: 20,
  disableActiveMigration: true,
  preferredAddress: {
    ipv4Address: hex("c0000201"),
    ipv4Port: 4433,
    ipv6Address: hex("20010db8000000000000000000000001"),
    ipv6Port: 4433,
    connectionId: hex("0102030405060708"),
    statelessResetToken: hex("ffeeddccbbaa99887766554433221100"),
  },
  activeConnectionIdLimit: 4,
  initialSourceConnectionId: hex("f067a5502a4262b5"),
  retrySourceConnectionId: hex("aabbccdd"),
  maxDatagramFrameSize: 65535,
  versionInformation: { chosenVersion: 1, availableVersions: [1, 0x6b3343cf] },
};

function comparable(params: TransportParameters | TransportParametersInput): unknown {
  return JSON.parse(JSON.stringify(params, (_key, value) => (value instanceof Uint8Array ? toHex(value) : value)));
}

describe("transport parameters (RFC 9000 §18)", () => {
  it("round-trips every parameter a server may send", () => {
    const bytes = encodeTransportParameters(SERVER_PARAMS);
    expect(bytes.length).toBe(transportParametersLength(SERVER_PARAMS));
    expect(comparable(decodeTransportParameters(bytes, "server"))).toEqual(comparable(SERVER_PARAMS));
  });

  it("absent parameters take the §18.2 defaults; an empty extension is valid", () => {
    expect(decodeTransportParameters(new Uint8Array(0), "client")).toEqual(DEFAULT_TRANSPORT_PARAMETERS);
    expect(DEFAULT_TRANSPORT_PARAMETERS.maxUdpPayloadSize).toBe(65527);
    expect(DEFAULT_TRANSPORT_PARAMETERS.ackDelayExponent).toBe(3);
    expect(DEFAULT_TRANSPORT_PARAMETERS.maxAckDelay).toBe(25);
    expect(DEFAULT_TRANSPORT_PARAMETERS.activeConnectionIdLimit).toBe(2);
  });

  it("decodes the transport parameters of the RFC 9001 A.2 ClientHello", () => {
    // The quic_transport_parameters extension (type 0x0039, length 0x0032) in the client Initial's CRYPTO frame.
    const crypto = vectors<AppendixA>("rfc9001").clientInitial.payloadPrefix;
    const at = crypto.indexOf("00390032") + 8;
    expect(at).toBeGreaterThan(8);
    const params = decodeTransportParameters(hex(crypto.slice(at, at + 2 * 0x32)), "client");
    expect(params.initialMaxData).toBe(2 ** 62 - 512); // 2^62-1, as the nearest number that still encodes
    expect(params.initialMaxStreamDataBidiLocal).toBe(0xffff);
    expect(params.initialMaxStreamDataUni).toBe(0xffff);
    expect(params.initialMaxStreamsBidi).toBe(16);
    expect(params.maxIdleTimeout).toBe(30000);
    expect(params.initialMaxStreamsUni).toBe(16);
    expect(toHex(params.initialSourceConnectionId!)).toBe("8394c8f03e515708");
    expect(params.initialMaxStreamDataBidiRemote).toBe(0xffff);
  });

  it("ignores unknown and reserved (31*N+27) parameters, which the encoder can add (§18.1)", () => {
    const bytes = encodeTransportParameters({ initialMaxData: 10 }, [{ id: 31 * 5 + 27, value: hex("deadbeef") }]);
    expect(decodeTransportParameters(bytes, "client").initialMaxData).toBe(10);
    expect(decodeTransportParameters(raw([0x3fff, hex("00")], [0x2ab2, new Uint8Array(0)]), "server")).toEqual(
      DEFAULT_TRANSPORT_PARAMETERS,
    );
    expect(() => encodeTransportParameters({}, [{ id: 28, value: new Uint8Array(0) }])).toThrow(RangeError);
  });

  it("a duplicate parameter is TRANSPORT_PARAMETER_ERROR (§7.4), known or not", () => {
    expect(errorFor(raw([0x04, varintBytes(1)], [0x04, varintBytes(2)]))).toBe(TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
    expect(errorFor(raw([0x3fff, hex("00")], [0x3fff, hex("00")]))).toBe(TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
  });

  it("a client may not send original_destination_connection_id, preferred_address, retry_source_connection_id or stateless_reset_token", () => {
    const serverOnly: [number, Uint8Array][] = [
      [TransportParameterId.ORIGINAL_DESTINATION_CONNECTION_ID, hex("01")],
      [TransportParameterId.PREFERRED_ADDRESS, encodeTransportParameters({ preferredAddress: SERVER_PARAMS.preferredAddress }).subarray(2)],
      [TransportParameterId.RETRY_SOURCE_CONNECTION_ID, hex("01")],
      [TransportParameterId.STATELESS_RESET_TOKEN, new Uint8Array(16)],
    ];
    for (const param of serverOnly) {
      expect(errorFor(raw(param), "client")).toBe(TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
      expect(() => decodeTransportParameters(raw(param), "server")).not.toThrow();
    }
  });

  it("rejects the values §18.2 calls invalid", () => {
    const P = TransportParameterId;
    const invalid: [string, [number, Uint8Array]][] = [
      ["max_udp_payload_size 1199", [P.MAX_UDP_PAYLOAD_SIZE, varintBytes(1199)]],
      ["ack_delay_exponent 21", [P.ACK_DELAY_EXPONENT, varintBytes(21)]],
      ["max_ack_delay 2^14", [P.MAX_ACK_DELAY, varintBytes(2 ** 14)]],
      ["active_connection_id_limit 1", [P.ACTIVE_CONNECTION_ID_LIMIT, varintBytes(1)]],
      ["initial_max_streams_bidi 2^60+1", [P.INITIAL_MAX_STREAMS_BIDI, hex("d000000000000001")]],
      ["initial_max_streams_uni 2^60+1", [P.INITIAL_MAX_STREAMS_UNI, hex("d000000000000001")]],
      ["stateless_reset_token of 15 bytes", [P.STATELESS_RESET_TOKEN, new Uint8Array(15)]],
      ["initial_source_connection_id of 21 bytes", [P.INITIAL_SOURCE_CONNECTION_ID, new Uint8Array(21)]],
      ["disable_active_migration with a value", [P.DISABLE_ACTIVE_MIGRATION, hex("00")]],
      ["integer with trailing bytes", [P.INITIAL_MAX_DATA, hex("0102")]],
      ["integer with a truncated varint", [P.INITIAL_MAX_DATA, hex("40")]],
      ["version_information of 6 bytes", [P.VERSION_INFORMATION, hex("000000010000")]],
      ["version_information choosing version 0", [P.VERSION_INFORMATION, hex("00000000")]],
      ["preferred_address with a zero-length connection ID", [P.PREFERRED_ADDRESS, new Uint8Array(4 + 2 + 16 + 2 + 1 + 16)]],
      ["preferred_address too short", [P.PREFERRED_ADDRESS, new Uint8Array(20)]],
    ];
    for (const [name, param] of invalid) {
      expect([name, errorFor(raw(param))]).toEqual([name, TransportErrorCode.TRANSPORT_PARAMETER_ERROR]);
    }
    // The boundaries themselves are valid.
    expect(decodeTransportParameters(raw([P.INITIAL_MAX_STREAMS_BIDI, hex("d000000000000000")]), "server").initialMaxStreamsBidi).toBe(
      2 ** 60,
    );
    expect(decodeTransportParameters(raw([P.MAX_UDP_PAYLOAD_SIZE, varintBytes(1200)]), "server").maxUdpPayloadSize).toBe(1200);
    expect(decodeTransportParameters(raw([P.ACK_DELAY_EXPONENT, varintBytes(20)]), "server").ackDelayExponent).toBe(20);
    expect(decodeTransportParameters(raw([P.INITIAL_MAX_DATA, hex("4001")]), "server").initialMaxData).toBe(1); // non-minimal is fine
  });

  it("a length running past the end is TRANSPORT_PARAMETER_ERROR", () => {
    expect(errorFor(hex("0405"))).toBe(TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
    expect(errorFor(hex("04"))).toBe(TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
  });

  it("the encoder refuses what the decoder would reject", () => {
    expect(() => encodeTransportParameters({ maxUdpPayloadSize: 1000 })).toThrow(RangeError);
    expect(() => encodeTransportParameters({ initialSourceConnectionId: new Uint8Array(21) })).toThrow(RangeError);
    expect(() => encodeTransportParameters({ activeConnectionIdLimit: 1 })).toThrow(RangeError);
  });

  it("round-trips random valid parameter sets (property)", () => {
    const cid = fc.uint8Array({ maxLength: 20 });
    const n = fc.integer({ min: 0, max: 2 ** 40 });
    const arbitrary = fc.record(
      {
        maxIdleTimeout: n,
        maxUdpPayloadSize: fc.integer({ min: 1200, max: 65527 }),
        initialMaxData: n,
        initialMaxStreamDataBidiLocal: n,
        initialMaxStreamsBidi: fc.integer({ min: 0, max: 2 ** 50 }),
        ackDelayExponent: fc.integer({ min: 0, max: 20 }),
        maxAckDelay: fc.integer({ min: 0, max: 2 ** 14 - 1 }),
        disableActiveMigration: fc.boolean(),
        activeConnectionIdLimit: fc.integer({ min: 2, max: 100 }),
        initialSourceConnectionId: cid,
        maxDatagramFrameSize: n,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(arbitrary, (params) => {
        const decoded = decodeTransportParameters(encodeTransportParameters(params), "client");
        const expected = { ...DEFAULT_TRANSPORT_PARAMETERS, ...params };
        expect(comparable(decoded)).toEqual(comparable(expected));
      }),
      { numRuns: 2000 },
    );
  });

  it("random and mutated extensions decode or throw TRANSPORT_PARAMETER_ERROR only", () => {
    const valid = encodeTransportParameters(SERVER_PARAMS);
    const check = (bytes: Uint8Array, sender: "client" | "server") => {
      try {
        decodeTransportParameters(bytes, sender);
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
        expect(error.errorCode).toBe(TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), fc.constantFrom("client" as const, "server" as const), check), {
      numRuns: 10000,
    });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 }),
        fc.nat(valid.length),
        (flips, cut) => {
          const mutated = valid.slice(0, valid.length - cut);
          for (const [index, bit] of flips) if (index < mutated.length) mutated[index] = mutated[index]! ^ (1 << bit);
          check(mutated, "server");
        },
      ),
      { numRuns: 10000 },
    );
  });
});
