/**
 * The client and server engines against each other in memory, through
 * `TlsConnection` (record layer included), with no sockets: negotiation,
 * resumption, 0-RTT, KeyUpdate, client authentication, and failures.
 */
import { describe, expect, test } from "vitest";
import { getProvider, nobleProvider } from "../../src/index.js";
import {
  type CipherSuiteName,
  generateCertificate,
  type NamedGroupName,
  SessionTicketer,
  TlsBadRecordMacError,
  TlsCertificateError,
  TlsClientEngine,
  type TlsClientOptions,
  TlsConnection,
  TlsNegotiationError,
  TlsPeerAlertError,
  TlsProtocolError,
  TlsServerEngine,
  type TlsServerOptions,
  type TlsSession,
} from "../../src/tls/index.js";
import { drain, pump, testPki } from "./support.js";

const pki = testPki();
const credentials = { certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem };
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

function pair(client: Partial<TlsClientOptions> = {}, server: Partial<TlsServerOptions> = {}): { c: TlsConnection; s: TlsConnection } {
  const c = new TlsConnection(new TlsClientEngine({ serverName: "localhost", ca: pki.ca.certificatePem, ...client }));
  const s = new TlsConnection(new TlsServerEngine({ credentials, ...server }));
  c.start();
  return { c, s };
}

const SUITES: CipherSuiteName[] = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"];
const GROUPS: NamedGroupName[] = ["x25519", "secp256r1", "x25519mlkem768"];

describe.each([getProvider("node"), nobleProvider])("handshakes on the $name provider", (provider) => {
  test.each(SUITES.flatMap((suite) => GROUPS.map((group) => [suite, group] as const)))("%s over %s", (suite, group) => {
    const { c, s } = pair({ provider, cipherSuites: [suite], groups: [group] }, { provider });
    pump(c, s);
    expect(c.info?.cipherSuite.name).toBe(suite);
    expect(s.info?.group).toBe(group);
    c.writeApplicationData(enc("to server"));
    s.writeApplicationData(enc("to client"));
    pump(c, s);
    expect(dec(drain(s))).toBe("to server");
    expect(dec(drain(c))).toBe("to client");
  });
});

describe("negotiation", () => {
  test("HelloRetryRequest when the server only takes a group the client did not share", () => {
    const { c, s } = pair({ groups: ["x25519", "secp256r1"] }, { groups: ["secp256r1"] });
    pump(c, s);
    expect(c.info?.helloRetried).toBe(true);
    expect(s.info?.group).toBe("secp256r1");
  });

  test("ALPN: the server's first preference the client offers; none in common is no_application_protocol", () => {
    const ok = pair({ alpnProtocols: ["http/1.1", "h2"] }, { alpnProtocols: ["h2", "http/1.1"] });
    pump(ok.c, ok.s);
    expect(ok.c.info?.alpnProtocol).toBe("h2");
    const bad = pair({ alpnProtocols: ["h3"] }, { alpnProtocols: ["h2"] });
    expect(() => pump(bad.c, bad.s)).toThrow(TlsNegotiationError);
    expect(bad.s.error?.alertName).toBe("no_application_protocol");
    expect(() => pump(bad.c, bad.s)).toThrow(TlsPeerAlertError);
    expect(bad.c.error?.alertName).toBe("no_application_protocol");
  });

  test("no common cipher suite is handshake_failure on both sides", () => {
    const { c, s } = pair({ cipherSuites: ["TLS_AES_128_GCM_SHA256"] }, { cipherSuites: ["TLS_CHACHA20_POLY1305_SHA256"] });
    expect(() => pump(c, s)).toThrow(TlsNegotiationError);
    expect(() => pump(c, s)).toThrow(TlsPeerAlertError);
    expect(c.error?.alertName).toBe("handshake_failure");
  });

  test("an Ed25519 server certificate signs with ed25519", () => {
    const edLeaf = generateCertificate({ issuer: pki.ca, keyType: "ed25519" });
    const { c, s } = pair({}, { credentials: { certificate: edLeaf.certificatePem, privateKey: edLeaf.privateKeyPem } });
    pump(c, s);
    expect(c.handshakeComplete).toBe(true);
  });

  test("the QUIC transport parameters extension is carried opaquely both ways", () => {
    const { c, s } = pair(
      { transportParameters: Uint8Array.of(1, 2, 3), middleboxCompatibility: false },
      { transportParameters: Uint8Array.of(9) },
    );
    pump(c, s);
    expect([...(s.peerTransportParameters ?? [])]).toEqual([1, 2, 3]);
    expect([...(c.peerTransportParameters ?? [])]).toEqual([9]);
  });
});

describe("certificates", () => {
  test.each([
    ["wrong host name", { serverName: "example.com" }, "hostname-mismatch", "bad_certificate"],
    ["unknown CA", { ca: pki.otherCa.certificatePem }, "unknown-ca", "unknown_ca"],
  ] as const)("%s is refused with the right alert", (_name, client, reason, alert) => {
    const { c, s } = pair(client);
    expect(() => pump(c, s)).toThrow(TlsCertificateError);
    expect((c.error as TlsCertificateError).reason).toBe(reason);
    expect(() => pump(c, s)).toThrow(TlsPeerAlertError);
    expect(s.error?.alertName).toBe(alert);
  });

  test("an expired certificate is refused with certificate_expired", () => {
    const { c, s } = pair({}, { credentials: { certificate: pki.expired.certificatePem, privateKey: pki.expired.privateKeyPem } });
    expect(() => pump(c, s)).toThrow(TlsCertificateError);
    expect(c.error?.alertName).toBe("certificate_expired");
  });

  test("an IP address is checked against IP SANs", () => {
    const { c, s } = pair({ serverName: "127.0.0.1" });
    pump(c, s);
    expect(s.info?.serverName).toBeUndefined(); // IP addresses are not sent as SNI
  });

  test("client certificates: required and presented, required and missing", () => {
    const clientLeaf = generateCertificate({ issuer: pki.ca, commonName: "client" });
    const ok = pair(
      { clientCertificate: { certificate: clientLeaf.certificatePem, privateKey: clientLeaf.privateKeyPem } },
      { clientAuthentication: "require", clientCa: pki.ca.certificatePem },
    );
    pump(ok.c, ok.s);
    expect(ok.s.info?.peerCertificates).toHaveLength(1);
    const missing = pair({}, { clientAuthentication: "require", clientCa: pki.ca.certificatePem });
    expect(() => pump(missing.c, missing.s)).toThrow(TlsCertificateError);
    expect(missing.s.error?.alertName).toBe("certificate_required");
  });
});

function firstSession(client: Partial<TlsClientOptions>, server: Partial<TlsServerOptions>): TlsSession {
  const { c, s } = pair(client, server);
  pump(c, s);
  const [session] = c.takeSessions();
  if (session === undefined) throw new Error("no ticket");
  return session;
}

describe("resumption and 0-RTT", () => {
  test("a ticket resumes with psk_dhe_ke and no certificate", () => {
    const tickets = new SessionTicketer(getProvider());
    const session = firstSession({}, { sessionTickets: tickets });
    const { c, s } = pair({ session }, { sessionTickets: tickets });
    pump(c, s);
    expect(c.info?.resumed).toBe(true);
    expect(s.info?.resumed).toBe(true);
    expect(c.info?.peerCertificates).toHaveLength(0);
  });

  test("a ticket from another server key is ignored: full handshake", () => {
    const session = firstSession({}, { sessionTickets: new SessionTicketer(getProvider()) });
    const { c, s } = pair({ session }, { sessionTickets: new SessionTicketer(getProvider()) });
    pump(c, s);
    expect(c.info?.resumed).toBe(false);
  });

  test("0-RTT is accepted once per ticket; a replay is refused and the data re-sent after the handshake", () => {
    const tickets = new SessionTicketer(getProvider());
    const server = { sessionTickets: tickets, maxEarlyData: 16384 };
    const session = firstSession({}, server);
    expect(session.maxEarlyData).toBe(16384);
    const first = pair({ session, earlyData: true }, server);
    first.c.writeApplicationData(enc("early hello"));
    pump(first.c, first.s);
    expect(first.s.info?.earlyDataAccepted).toBe(true);
    expect(dec(drain(first.s))).toBe("early hello");

    const replay = pair({ session, earlyData: true }, server);
    replay.c.writeApplicationData(enc("early again"));
    pump(replay.c, replay.s);
    expect(replay.s.info?.earlyDataAccepted).toBe(false);
    expect(replay.c.earlyDataRejected).toBe(true);
    expect(dec(drain(replay.s))).toBe("early again");
  });

  test("a server configured without early data refuses it; the client re-sends", () => {
    const tickets = new SessionTicketer(getProvider());
    const session = firstSession({}, { sessionTickets: tickets, maxEarlyData: 1024 });
    const { c, s } = pair({ session, earlyData: true }, { sessionTickets: tickets, maxEarlyData: 0 });
    c.writeApplicationData(enc("0-rtt"));
    pump(c, s);
    expect(s.info?.resumed).toBe(true);
    expect(s.info?.earlyDataAccepted).toBe(false);
    expect(dec(drain(s))).toBe("0-rtt");
  });
});

describe("records, KeyUpdate and closure", () => {
  test("the write key is updated after the configured number of records, and the peer keeps up", () => {
    const labels: string[] = [];
    const c = new TlsConnection(
      new TlsClientEngine({ serverName: "localhost", ca: pki.ca.certificatePem, keyLog: (l) => labels.push(l) }),
      { keyUpdateAfterRecords: 4 },
    );
    const s = new TlsConnection(new TlsServerEngine({ credentials }));
    c.start();
    pump(c, s);
    const big = new Uint8Array(16384 * 10).fill(7);
    c.writeApplicationData(big);
    pump(c, s);
    expect(drain(s).length).toBe(big.length);
    expect(labels.filter((l) => l.startsWith("CLIENT_TRAFFIC_SECRET_")).length).toBeGreaterThanOrEqual(3);
  });

  test("KeyUpdate with update_requested makes the peer update too", () => {
    const { c, s } = pair();
    pump(c, s);
    s.updateKeys(true);
    pump(c, s);
    c.writeApplicationData(enc("after"));
    s.writeApplicationData(enc("both"));
    pump(c, s);
    expect(dec(drain(s))).toBe("after");
    expect(dec(drain(c))).toBe("both");
  });

  test("a flipped bit is bad_record_mac; the peer sees the alert", () => {
    const { c, s } = pair();
    pump(c, s);
    c.writeApplicationData(enc("secret"));
    const [record] = c.takeOutgoing();
    const tampered = (record as Uint8Array).slice();
    tampered[10] = (tampered[10] as number) ^ 0x80;
    expect(() => s.receive(tampered)).toThrow(TlsBadRecordMacError);
    expect(() => pump(c, s)).toThrow(TlsPeerAlertError);
    expect(c.error?.alertName).toBe("bad_record_mac");
  });

  test("close_notify ends the peer's reading; writing after our own close fails", () => {
    const { c, s } = pair();
    pump(c, s);
    c.close();
    pump(c, s);
    expect(s.peerClosed).toBe(true);
    expect(() => c.writeApplicationData(enc("late"))).toThrow(/close_notify/);
  });

  test("a handshake message out of order is unexpected_message", () => {
    const s = new TlsConnection(new TlsServerEngine({ credentials }));
    // A Finished record where a ClientHello belongs.
    expect(() => s.receive(Uint8Array.of(22, 3, 3, 0, 8, 20, 0, 0, 4, 1, 2, 3, 4))).toThrow(TlsProtocolError);
    expect(s.error?.alertName).toBe("unexpected_message");
    expect(s.takeOutgoing()).toEqual([Uint8Array.of(21, 3, 3, 0, 2, 2, 10)]);
  });
});
