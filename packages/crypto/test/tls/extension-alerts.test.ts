/**
 * Which alert a client sends for an extension the server should not have
 * sent (RFC 9846 §4.2): one it knows but that has no place in the message is
 * illegal_parameter; one it never offered (unknown to it) is
 * unsupported_extension. The server's EncryptedExtensions is rewritten in
 * flight, re-sealed under its handshake key from the key log.
 */
import { describe, expect, test } from "vitest";
import { getProvider } from "../../src/index.js";
import { cipherSuiteByName, TlsClientEngine, TlsConnection, TlsProtocolError, TlsServerEngine } from "../../src/tls/index.js";
import { RecordLayer } from "../../src/tls/record/record-layer.js";
import { ContentType, HandshakeType } from "../../src/tls/wire/constants.js";
import { testPki } from "./support.js";

const pki = testPki();
const SUITE = cipherSuiteByName("TLS_AES_128_GCM_SHA256");

/** Runs a handshake whose EncryptedExtensions gains an extension (`type`, `body`; none if `type` is undefined); returns the client's error. */
function withExtraExtension(type: number | undefined, body = new Uint8Array(0)): unknown {
  const secrets = new Map<string, Uint8Array>();
  const c = new TlsConnection(new TlsClientEngine({ serverName: "localhost", ca: pki.ca.certificatePem, cipherSuites: [SUITE.name] }));
  const s = new TlsConnection(
    new TlsServerEngine({
      credentials: { certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem },
      keyLog: (label, _random, secret) => secrets.set(label, secret.slice()),
    }),
  );
  c.start();
  for (const b of c.takeOutgoing()) s.receive(b);
  const flight = Buffer.concat(s.takeOutgoing());
  const provider = getProvider("node");
  const reader = new RecordLayer(provider);
  const writer = new RecordLayer(provider);
  const secret = secrets.get("SERVER_HANDSHAKE_TRAFFIC_SECRET") as Uint8Array;
  reader.setReadKey(SUITE, secret);
  writer.setWriteKey(SUITE, secret);
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < flight.length) {
    const size = 5 + flight.readUInt16BE(at + 3);
    const record = flight.subarray(at, at + size);
    at += size;
    if (record[0] !== ContentType.ApplicationData) {
      out.push(record); // ServerHello, change_cipher_spec
      continue;
    }
    reader.push(record);
    const inner = Buffer.from((reader.next() as { data: Uint8Array }).data);
    if (inner[0] === HandshakeType.EncryptedExtensions && type !== undefined) {
      const eeLength = inner.readUIntBE(1, 3);
      const extensions = inner.subarray(6, 4 + eeLength);
      const added = Buffer.concat([Uint8Array.of(type >> 8, type & 0xff, body.length >> 8, body.length & 0xff), body]);
      const block = Buffer.concat([extensions, added]);
      const ee = Buffer.concat([
        Uint8Array.of(HandshakeType.EncryptedExtensions, 0, (block.length + 2) >> 8, (block.length + 2) & 0xff),
        Uint8Array.of(block.length >> 8, block.length & 0xff),
        block,
      ]);
      out.push(writer.seal(ContentType.Handshake, Buffer.concat([ee, inner.subarray(4 + eeLength)])));
    } else out.push(writer.seal(ContentType.Handshake, inner));
  }
  try {
    c.receive(Buffer.concat(out));
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("extensions the server may not send in EncryptedExtensions", () => {
  test("a recognised extension that belongs elsewhere (supported_versions) is illegal_parameter", () => {
    const error = withExtraExtension(43, Uint8Array.of(3, 4));
    expect(error).toBeInstanceOf(TlsProtocolError);
    expect((error as TlsProtocolError).alertName).toBe("illegal_parameter");
  });

  test("a recognised extension that belongs elsewhere (key_share) is illegal_parameter", () => {
    const error = withExtraExtension(51, Uint8Array.of(0, 29, 0, 0));
    expect((error as TlsProtocolError).alertName).toBe("illegal_parameter");
  });

  test("an extension the client never offered (unknown code point) is unsupported_extension", () => {
    const error = withExtraExtension(0x7a7a, new Uint8Array(0));
    expect(error).toBeInstanceOf(TlsProtocolError);
    expect((error as TlsProtocolError).alertName).toBe("unsupported_extension");
  });

  test("the flight re-sealed without a change is accepted (the rewriting itself is sound)", () => {
    expect(withExtraExtension(undefined)).toBeUndefined();
  });
});
