/**
 * Fixtures of the Node API tests: a CA and a localhost leaf (made once per
 * file), a server bound to an ephemeral loopback port, and a client
 * connected to it, both closed after the test.
 */
import { type GeneratedCertificate, generateCertificate } from "@zsync/crypto/tls";
import { onTestFinished } from "vitest";
import { connect, type QuicConnection, type QuicConnectOptions, QuicServer, type QuicServerOptions } from "../../src/index.js";

export const ALPN = "zq-node-test";

let pki: { ca: GeneratedCertificate; leaf: GeneratedCertificate } | undefined;

/** A CA and a leaf for localhost issued by it. */
export function testPki(): { ca: GeneratedCertificate; leaf: GeneratedCertificate } {
  pki ??= (() => {
    const ca = generateCertificate({ commonName: "zsync quic node test CA", isCa: true, subjectAltNames: [] });
    return { ca, leaf: generateCertificate({ issuer: ca }) };
  })();
  return pki;
}

/** A server on 127.0.0.1:0, closed when the test ends. */
export async function startServer(options: Partial<QuicServerOptions> = {}): Promise<QuicServer> {
  const { leaf } = testPki();
  const server = await QuicServer.bind({ certificate: leaf.certificatePem, key: leaf.privateKeyPem, alpn: ALPN, ...options });
  onTestFinished(() => server.close());
  return server;
}

/** A client connected to `server`, closed when the test ends. */
export async function connectTo(server: QuicServer, options: Partial<QuicConnectOptions> = {}): Promise<QuicConnection> {
  const conn = await connect("127.0.0.1", server.port, {
    alpn: ALPN,
    serverName: "localhost",
    ca: testPki().ca.certificatePem,
    ...options,
  });
  onTestFinished(() => conn.close());
  return conn;
}

/** `length` bytes of a pattern that a shifted or repeated chunk cannot match. */
export function pattern(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A promise with its resolve function (Promise.withResolvers is Node 22+). */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
