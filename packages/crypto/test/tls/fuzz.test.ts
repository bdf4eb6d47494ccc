/**
 * Property tests: garbage and mutated handshake messages and records end in
 * a clean `TlsError` (which carries the alert to send) or are accepted;
 * never another exception, a hang, or unbounded buffering.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { TlsClientEngine, TlsConnection, TlsError, TlsServerEngine } from "../../src/tls/index.js";
import {
  decodeAlpn,
  decodeClientKeyShares,
  decodeClientVersions,
  decodeOfferedPsks,
  decodeServerKeyShare,
  decodeServerName,
} from "../../src/tls/wire/extensions.js";
import {
  decodeCertificate,
  decodeCertificateRequest,
  decodeCertificateVerify,
  decodeClientHello,
  decodeKeyUpdate,
  decodeNewSessionTicket,
  decodeServerHello,
  HandshakeFramer,
} from "../../src/tls/wire/messages.js";
import { testPki } from "./support.js";

const pki = testPki();
const credentials = { certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem };

function onlyTlsErrors(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof TlsError)) throw error;
    expect(error.alert).toBeGreaterThan(0);
  }
}

const DECODERS: [string, (b: Uint8Array) => unknown][] = [
  ["ClientHello", decodeClientHello],
  ["ServerHello", decodeServerHello],
  ["Certificate", decodeCertificate],
  ["CertificateRequest", decodeCertificateRequest],
  ["CertificateVerify", decodeCertificateVerify],
  ["NewSessionTicket", decodeNewSessionTicket],
  ["KeyUpdate", decodeKeyUpdate],
  ["server_name", decodeServerName],
  ["alpn", decodeAlpn],
  ["supported_versions", decodeClientVersions],
  ["key_share (client)", decodeClientKeyShares],
  ["key_share (server)", decodeServerKeyShare],
  ["pre_shared_key", decodeOfferedPsks],
];

/** A real ClientHello and the server's first flight, to mutate. */
function realFlights(): { clientHello: Uint8Array; serverFlight: Uint8Array[] } {
  const c = new TlsConnection(
    new TlsClientEngine({ serverName: "localhost", ca: pki.ca.certificatePem, groups: ["x25519"], alpnProtocols: ["h2"] }),
  );
  const s = new TlsConnection(new TlsServerEngine({ credentials, alpnProtocols: ["h2"] }));
  c.start();
  const clientHello = Buffer.concat(c.takeOutgoing());
  s.receive(clientHello);
  return { clientHello, serverFlight: s.takeOutgoing() };
}
const flights = realFlights();

const mutation = fc.record({
  at: fc.nat(),
  xor: fc.integer({ min: 1, max: 255 }),
  cut: fc.option(fc.nat(), { nil: undefined }),
});

function mutate(data: Uint8Array, m: { at: number; xor: number; cut: number | undefined }): Uint8Array {
  const out = data.slice(0, m.cut === undefined ? data.length : m.cut % (data.length + 1));
  if (out.length > 0) out[m.at % out.length] = (out[m.at % out.length] as number) ^ m.xor;
  return out;
}

describe("fuzzing", () => {
  test.each(DECODERS)("%s decoder: garbage in, TlsError out", (_name, decode) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => onlyTlsErrors(() => decode(bytes))),
      { numRuns: 300 },
    );
  });

  test("the framer refuses an oversized length without buffering it", () => {
    const framer = new HandshakeFramer();
    framer.push(Uint8Array.of(11, 0xff, 0xff, 0xff));
    expect(() => framer.next()).toThrow(TlsError);
  });

  test("a server fed arbitrary bytes alerts or waits, never crashes", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 4 }), (chunks) => {
        const s = new TlsConnection(new TlsServerEngine({ credentials }));
        onlyTlsErrors(() => {
          for (const chunk of chunks) s.receive(chunk);
        });
        expect(s.bufferedRecordBytes).toBeLessThanOrEqual(5 + 16384 + 256);
      }),
      { numRuns: 200 },
    );
  });

  test("a server fed a mutated ClientHello alerts or completes its flight", () => {
    fc.assert(
      fc.property(mutation, (m) => {
        const s = new TlsConnection(new TlsServerEngine({ credentials, alpnProtocols: ["h2"] }));
        onlyTlsErrors(() => s.receive(mutate(flights.clientHello, m)));
      }),
      { numRuns: 300 },
    );
  });

  test("a client fed a mutated server flight alerts, never crashes", () => {
    fc.assert(
      fc.property(fc.nat({ max: flights.serverFlight.length - 1 }), mutation, (which, m) => {
        const c = new TlsConnection(
          new TlsClientEngine({ serverName: "localhost", ca: pki.ca.certificatePem, groups: ["x25519"], alpnProtocols: ["h2"] }),
        );
        c.start();
        // Mutating a real flight only makes sense against the hello it answers; this client's differs,
        // so every path must end in an alert (bad key share, bad Finished, bad record MAC, ...).
        onlyTlsErrors(() => {
          for (const [i, record] of flights.serverFlight.entries()) c.receive(i === which ? mutate(record, m) : record);
        });
        expect(c.handshakeComplete).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
