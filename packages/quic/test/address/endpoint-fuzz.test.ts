/**
 * A Retry-enforcing server endpoint under hostile input (RFC 9000 §8.1):
 * a genuine retried Initial whose token is mutated anywhere is answered
 * statelessly (a Retry or CONNECTION_CLOSE(INVALID_TOKEN)) and never
 * reaches connection creation; random datagrams shaped like Initials with
 * random tokens never throw and never create a connection; the answers
 * queue stays bounded.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resolveEndpointConfig } from "../../src/proto/config.js";
import { Endpoint } from "../../src/proto/endpoint.js";
import { PacketHeader, parsePacketHeader, writeLongHeader } from "../../src/proto/wire/packet-header.js";
import { QuicVersion } from "../../src/proto/wire/version.js";
import { clientConfig, serverConfig } from "../proto/support.js";
import { seededBytes } from "./support.js";

const CLIENT = { address: "192.0.2.1", port: 50_000 };
const SERVER = { address: "198.51.100.1", port: 4433 };
const TOKEN_KEY = new Uint8Array(32).fill(0x42);

function server(seed: number): Endpoint {
  return new Endpoint(
    resolveEndpointConfig({ random: seededBytes(seed), addressValidation: { retry: true, tokenKey: TOKEN_KEY } }),
    serverConfig(),
  );
}

function drain(endpoint: Endpoint): Uint8Array[] {
  const out: Uint8Array[] = [];
  const buffer = new Uint8Array(65_536);
  for (let t = endpoint.pollTransmit(0, buffer); t !== undefined; t = endpoint.pollTransmit(0, buffer)) out.push(buffer.slice(0, t.length));
  return out;
}

/** A client's first datagram after following the server's Retry: an Initial carrying a valid Retry token. */
function retriedInitial(): { datagram: Uint8Array; tokenStart: number; tokenEnd: number } {
  const client = new Endpoint(resolveEndpointConfig({ random: seededBytes(11) }));
  const s = server(12);
  const conn = client.connect(0, clientConfig(), SERVER);
  for (const d of drain(client)) s.handleDatagram(0, d, CLIENT);
  for (const d of drain(s)) client.handleDatagram(0, d, SERVER);
  expect(s.stats.retries).toBeGreaterThan(0);
  expect(conn.state).toBe("handshake");
  const [datagram] = drain(client);
  const h = parsePacketHeader(datagram!, 0, 8, new PacketHeader());
  expect(h.token.length).toBeGreaterThan(0);
  const tokenStart = h.token.byteOffset - datagram!.byteOffset;
  return { datagram: datagram!, tokenStart, tokenEnd: tokenStart + h.token.length };
}

describe("a Retry-enforcing server under hostile Initials (§8.1)", () => {
  const genuine = retriedInitial();

  it("accepts the genuine retried Initial", () => {
    const s = server(13);
    s.handleDatagram(0, genuine.datagram.slice(), CLIENT);
    expect(s.stats.accepted).toBe(1);
    expect(s.stats.retries + s.stats.invalidTokens).toBe(0);
  });

  it("answers every token mutation statelessly and never gets as far as creating a connection", () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const s = server(14);
        const d = genuine.datagram.slice();
        const i = genuine.tokenStart + (at % (genuine.tokenEnd - genuine.tokenStart));
        d[i] = (d[i] as number) ^ xor;
        s.handleDatagram(0, d, CLIENT);
        expect(s.stats.retries + s.stats.invalidTokens).toBe(1);
        expect(s.stats.accepted).toBe(0);
        expect(s.connectionCount).toBe(0);
        expect(drain(s)).toHaveLength(1);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses the genuine token from another address (the Retry bound IP and port)", () => {
    const s = server(15);
    s.handleDatagram(0, genuine.datagram.slice(), { ...CLIENT, port: CLIENT.port + 1 });
    expect(s.stats.invalidTokens).toBe(1);
    expect(s.connectionCount).toBe(0);
  });

  it("refuses the genuine token on an Initial sent to another DCID (a Retry token is good for its Retry's CID only)", () => {
    const s = server(17);
    const d = genuine.datagram.slice();
    d[6] = (d[6] as number) ^ 0xff; // first byte of the DCID (after first byte, version, DCID length)
    s.handleDatagram(0, d, CLIENT);
    expect(s.stats.invalidTokens).toBe(1);
    expect(s.connectionCount).toBe(0);
  });

  it("never throws on random Initial-shaped datagrams with random tokens, creates nothing, and bounds its answers", () => {
    const s = server(16);
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 8, maxLength: 20 }),
        fc.uint8Array({ maxLength: 20 }),
        fc.uint8Array({ maxLength: 120 }),
        fc.constantFrom(QuicVersion.V1, QuicVersion.V2),
        (dcid, scid, token, version) => {
          const d = new Uint8Array(1200);
          seededBytes(token.length + dcid.length)(d);
          const payloadStart = writeLongHeader(d, 0, {
            type: "initial",
            version,
            dcid,
            scid,
            token,
            packetNumber: 0,
            packetNumberLength: 1,
            length: 1100,
            lengthFieldSize: 2,
          });
          expect(payloadStart).toBeLessThan(1200);
          s.handleDatagram(0, d, CLIENT);
          expect(s.connectionCount).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
    expect(s.stats.accepted).toBe(0);
    expect(drain(s).length).toBeLessThanOrEqual(64); // the stateless answers queue is bounded
  });
});
