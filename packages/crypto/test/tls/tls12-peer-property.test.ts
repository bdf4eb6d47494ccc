/**
 * Property: TLS 1.3 only, no fallback. A peer that speaks nothing newer than
 * TLS 1.2 gets no connection: our client refuses a TLS 1.2 ServerHello with
 * protocol_version, our server refuses a ClientHello that does not offer TLS
 * 1.3 with protocol_version, each raising `TlsNegotiationError` after sending
 * the alert; against node:tls limited to TLS 1.2 (OpenSSL), both directions
 * end in protocol_version on both sides.
 */
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import * as tls from "node:tls";
import { TcpListener } from "@zsync/runtime/node";
import { describe, expect, test } from "vitest";
import {
  TlsClientEngine,
  TlsConnection,
  TlsError,
  TlsNegotiationError,
  TlsPeerAlertError,
  TlsServerEngine,
  TlsStream,
} from "../../src/tls/index.js";
import { ExtensionType } from "../../src/tls/wire/constants.js";
import { encodeClientVersions, encodeU16List } from "../../src/tls/wire/extensions.js";
import { encodeClientHello, encodeServerHello } from "../../src/tls/wire/messages.js";
import { testPki } from "./support.js";

const pki = testPki();
const credentials = { certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem };
/** The plaintext fatal protocol_version alert record. */
const PROTOCOL_VERSION_ALERT = [21, 3, 3, 0, 2, 2, 70];
const TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xc02f;

function record(type: number, body: Uint8Array): Uint8Array {
  return Uint8Array.of(type, 3, 3, body.length >> 8, body.length & 0xff, ...body);
}

function refusal(fn: () => unknown): TlsError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TlsError) return error;
    throw error;
  }
  throw new Error("accepted");
}

describe("our client and a TLS 1.2 server", () => {
  test("a TLS 1.2 ServerHello (no supported_versions) is protocol_version, and the alert is sent", () => {
    const c = new TlsConnection(new TlsClientEngine({ serverName: "localhost", ca: pki.ca.certificatePem }));
    c.start();
    c.takeOutgoing();
    const hello = encodeServerHello(new Uint8Array(32).fill(7), new Uint8Array(0), TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, [
      { type: 0xff01, data: Uint8Array.of(0) }, // renegotiation_info, as TLS 1.2 servers send it
    ]);
    const error = refusal(() => c.receive(record(22, hello)));
    expect(error).toBeInstanceOf(TlsNegotiationError);
    expect(error.alertName).toBe("protocol_version");
    expect(Buffer.concat(c.takeOutgoing()).toJSON().data).toEqual(PROTOCOL_VERSION_ALERT);
  });

  test("node:tls limited to TLS 1.2: the handshake fails with protocol_version and nothing is returned", async () => {
    const server = tls.createServer({
      key: pki.leaf.privateKeyPem,
      cert: pki.leaf.certificatePem,
      minVersion: "TLSv1.2",
      maxVersion: "TLSv1.2",
    });
    const serverErrors: Error[] = [];
    server.on("tlsClientError", (error) => serverErrors.push(error));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const port = (server.address() as AddressInfo).port;
      const error = await TlsStream.connect({ port, serverName: "localhost", ca: pki.ca.certificatePem }).then(
        () => undefined,
        (e: unknown) => e,
      );
      // OpenSSL refuses our ClientHello first, so the alert is its own.
      expect(error).toBeInstanceOf(TlsPeerAlertError);
      expect((error as TlsError).alertName).toBe("protocol_version");
      await expect.poll(() => serverErrors.length).toBe(1);
      expect(serverErrors[0]?.message).toMatch(/unsupported protocol|version/i);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe("our server and a TLS 1.2 client", () => {
  const base = (extensions: { type: number; data: Uint8Array }[]): Uint8Array =>
    encodeClientHello(new Uint8Array(32).fill(3), new Uint8Array(0), [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, 0x1301], extensions);
  const groups = { type: ExtensionType.SupportedGroups, data: encodeU16List([0x1d]) };

  test.each([
    ["no supported_versions", [groups]],
    [
      "supported_versions listing only TLS 1.2 and 1.1",
      [groups, { type: ExtensionType.SupportedVersions, data: encodeClientVersions([0x0303, 0x0302]) }],
    ],
  ])("a ClientHello with %s is protocol_version, and the alert is sent", (_name, extensions) => {
    const s = new TlsConnection(new TlsServerEngine({ credentials }));
    const error = refusal(() => s.receive(record(22, base(extensions))));
    expect(error).toBeInstanceOf(TlsNegotiationError);
    expect(error.alertName).toBe("protocol_version");
    expect(Buffer.concat(s.takeOutgoing()).toJSON().data).toEqual(PROTOCOL_VERSION_ALERT);
  });

  test("node:tls limited to TLS 1.2: our server refuses it with protocol_version, the client sees that alert", async () => {
    await using listener = await TcpListener.bind({ port: 0 });
    const client = tls.connect({
      port: listener.port,
      host: "127.0.0.1",
      servername: "localhost",
      ca: pki.ca.certificatePem,
      maxVersion: "TLSv1.2",
    });
    const clientError = once(client, "error").then(([e]) => e as NodeJS.ErrnoException);
    const tcp = await listener.accept();
    const serverError = await TlsStream.accept(tcp, { credentials }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(serverError).toBeInstanceOf(TlsNegotiationError);
    expect((serverError as TlsError).alertName).toBe("protocol_version");
    expect((await clientError).code).toBe("ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION");
    client.destroy();
  });

  test("the same node:tls client allowed TLS 1.3 connects (the control)", async () => {
    await using listener = await TcpListener.bind({ port: 0 });
    const client = tls.connect({
      port: listener.port,
      host: "127.0.0.1",
      servername: "localhost",
      ca: pki.ca.certificatePem,
      maxVersion: "TLSv1.3",
    });
    const connected = once(client, "secureConnect");
    await using server = await TlsStream.accept(await listener.accept(), { credentials });
    await connected;
    expect(client.getProtocol()).toBe("TLSv1.3");
    expect(server.info.cipherSuite.name).toMatch(/^TLS_/);
    client.destroy();
  });
});
