/**
 * What each engine hands its key log over a whole connection: the secrets of
 * the RFC 9846 §7.1 key schedule, each under its NSS label, in the order they
 * come into use, with client and server agreeing on every one; and the
 * KeyUpdate chain (§7.2), checked against HKDF-Expand-Label computed here
 * with node:crypto's HMAC rather than the package's own HKDF.
 */
import { createHmac } from "node:crypto";
import { expect, test } from "vitest";
import { generateCertificate, TlsClientEngine, TlsConnection, TlsProtocolError, TlsServerEngine } from "../../src/tls/index.js";
import { pump, testPki } from "./support.js";

const pki = testPki();

/** HKDF-Expand-Label(secret, label, "", 32) with SHA-256: one HMAC block is enough for 32 bytes. */
function expandLabel32(secret: Uint8Array, label: string): Uint8Array {
  const full = Buffer.from(`tls13 ${label}`);
  const info = Buffer.concat([Buffer.from([0, 32, full.length]), full, Buffer.from([0])]);
  return new Uint8Array(
    createHmac("sha256", secret)
      .update(info)
      .update(Buffer.from([1]))
      .digest(),
  );
}

function connect(): { c: TlsConnection; s: TlsConnection; clientLog: [string, Uint8Array][]; serverLog: [string, Uint8Array][] } {
  const clientLeaf = generateCertificate({ issuer: pki.ca, commonName: "client", subjectAltNames: [] });
  const clientLog: [string, Uint8Array][] = [];
  const serverLog: [string, Uint8Array][] = [];
  const c = new TlsConnection(
    new TlsClientEngine({
      serverName: "localhost",
      ca: pki.ca.certificatePem,
      cipherSuites: ["TLS_AES_128_GCM_SHA256"],
      clientCertificate: { certificate: clientLeaf.certificatePem, privateKey: clientLeaf.privateKeyPem },
      keyLog: (label, _random, secret) => clientLog.push([label, secret.slice()]),
    }),
  );
  const s = new TlsConnection(
    new TlsServerEngine({
      credentials: { certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem },
      clientAuthentication: "require",
      clientCa: pki.ca.certificatePem,
      keyLog: (label, _random, secret) => serverLog.push([label, secret.slice()]),
    }),
  );
  c.start();
  pump(c, s);
  return { c, s, clientLog, serverLog };
}

const HANDSHAKE_LABELS = [
  "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
  "SERVER_HANDSHAKE_TRAFFIC_SECRET",
  "CLIENT_TRAFFIC_SECRET_0",
  "SERVER_TRAFFIC_SECRET_0",
  "EXPORTER_SECRET",
];

test("a full handshake with client authentication: both sides log the same five secrets, in schedule order", () => {
  const { c, s, clientLog, serverLog } = connect();
  expect(c.info?.peerCertificates).toHaveLength(1);
  expect(s.info?.peerCertificates).toHaveLength(1);
  expect(clientLog.map(([label]) => label)).toEqual(HANDSHAKE_LABELS);
  expect(serverLog).toEqual(clientLog);
  expect(new Set(clientLog.map(([, secret]) => Buffer.from(secret).toString("hex"))).size).toBe(5);
});

test("KeyUpdates in both directions extend each side's chain by one traffic upd step, logged under the next index", () => {
  const { c, s, clientLog, serverLog } = connect();
  s.updateKeys(true); // the server moves to SERVER_1 and asks the client to follow with CLIENT_1
  pump(c, s);
  c.updateKeys(false); // CLIENT_2, with no request back
  pump(c, s);
  expect(clientLog.slice(5).map(([label]) => label)).toEqual([
    "SERVER_TRAFFIC_SECRET_1",
    "CLIENT_TRAFFIC_SECRET_1",
    "CLIENT_TRAFFIC_SECRET_2",
  ]);
  expect(serverLog.slice(5).map(([label]) => label)).toEqual([
    "SERVER_TRAFFIC_SECRET_1",
    "CLIENT_TRAFFIC_SECRET_1",
    "CLIENT_TRAFFIC_SECRET_2",
  ]);
  const secret = new Map(clientLog);
  expect(new Map(serverLog)).toEqual(secret);
  const at = (label: string): Uint8Array => secret.get(label) as Uint8Array;
  expect(at("SERVER_TRAFFIC_SECRET_1")).toEqual(expandLabel32(at("SERVER_TRAFFIC_SECRET_0"), "traffic upd"));
  expect(at("CLIENT_TRAFFIC_SECRET_1")).toEqual(expandLabel32(at("CLIENT_TRAFFIC_SECRET_0"), "traffic upd"));
  expect(at("CLIENT_TRAFFIC_SECRET_2")).toEqual(expandLabel32(at("CLIENT_TRAFFIC_SECRET_1"), "traffic upd"));
});

test("neither side sends a KeyUpdate before its handshake completes, even with handshake secrets in place", () => {
  const credentials = { certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem };
  const client = new TlsClientEngine({ serverName: "localhost", ca: pki.ca.certificatePem });
  const server = new TlsServerEngine({ credentials });
  expect(() => server.updateKeys(false)).toThrow(TlsProtocolError);
  client.start();
  expect(() => client.updateKeys(true)).toThrow("KeyUpdate before the handshake completed");
  for (const event of client.takeEvents()) if (event.type === "send") server.handle(event.level, event.data);
  const flight = server.takeEvents();
  // The server has sent its Finished and holds application keys, but has not seen the client's Finished.
  expect(flight.some((event) => event.type === "secret" && event.level === "application")).toBe(true);
  expect(() => server.updateKeys(false)).toThrow("KeyUpdate before the handshake completed");
  const serverHello = flight.find((event) => event.type === "send" && event.level === "initial");
  if (serverHello?.type !== "send") throw new Error("no ServerHello");
  client.handle("initial", serverHello.data);
  expect(client.takeEvents().some((event) => event.type === "secret" && event.level === "handshake")).toBe(true);
  expect(() => client.updateKeys(false)).toThrow("KeyUpdate before the handshake completed");
  expect(client.takeEvents()).toEqual([]);
});
