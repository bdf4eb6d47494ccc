/**
 * Fixtures of the HTTP/3 Node API tests: a server on an ephemeral loopback
 * port with the test PKI and a client trusting its CA, both closed after the
 * test.
 */
import { onTestFinished } from "vitest";
import { Http3Client, type Http3ClientOptions, Http3Server, type Http3ServerOptions } from "../../src/index.js";
import { testPki } from "./support.js";

/** An HTTP/3 server on 127.0.0.1:0, closed when the test ends. */
export async function startH3Server(options: Partial<Http3ServerOptions> & Pick<Http3ServerOptions, "handler">): Promise<Http3Server> {
  const { leaf } = testPki();
  const server = await Http3Server.bind({ certificate: leaf.certificatePem, key: leaf.privateKeyPem, ...options });
  onTestFinished(() => server.close({ timeout: 1000 }));
  return server;
}

/** A client trusting the test CA, closed when the test ends. */
export function h3Client(options: Http3ClientOptions = {}): Http3Client {
  const client = new Http3Client({ ca: testPki().ca.certificatePem, ...options });
  onTestFinished(() => client.close());
  return client;
}

/** The URL of `path` on `server` (the leaf is issued for localhost). */
export function urlOf(server: Http3Server, path: string): string {
  return `https://localhost:${server.port}${path}`;
}
