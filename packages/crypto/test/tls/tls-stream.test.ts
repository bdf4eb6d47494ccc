/** `TlsStream` and `TlsListener` over real loopback TCP: our client with our server. */

import { CancelledError, TimeoutError } from "@zsync/runtime";
import { TcpListener } from "@zsync/runtime/node";
import { describe, expect, test } from "vitest";
import { TlsClosedError, TlsListener, TlsStream, TlsTruncatedError } from "../../src/tls/index.js";
import { testPki } from "./support.js";

const pki = testPki();
const credentials = { certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem };
const client = { serverName: "localhost", ca: pki.ca.certificatePem } as const;

async function connected(): Promise<{ listener: TlsListener; c: TlsStream; s: TlsStream }> {
  const listener = await TlsListener.bind({ credentials });
  const connecting = TlsStream.connect({ port: listener.port, ...client });
  const s = await listener.accept();
  return { listener, c: await connecting, s };
}

describe("TlsStream", () => {
  test("small writes issued together are coalesced into few records", async () => {
    const { listener, c, s } = await connected();
    const before = c.connection.recordsSent;
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 1000; i++) writes.push(c.write(`line ${i}\n`));
    await Promise.all(writes);
    expect(c.connection.recordsSent - before).toBeLessThanOrEqual(2);
    let text = "";
    while (!text.endsWith("line 999\n")) text += new TextDecoder().decode((await s.read()) ?? new Uint8Array());
    expect(text.split("\n")).toHaveLength(1001);
    await c.close();
    await s.close();
    await listener.close();
  });

  test("for await ends at close_notify; writing after end() is refused", async () => {
    const { listener, c, s } = await connected();
    await c.write("a");
    await c.end();
    const chunks: string[] = [];
    for await (const chunk of s) chunks.push(new TextDecoder().decode(chunk));
    expect(chunks.join("")).toBe("a");
    await expect(c.write("b")).rejects.toBeInstanceOf(TlsClosedError);
    await s.close();
    await c.close();
    await listener.close();
  });

  test("a read can be cancelled and times out without consuming data", async () => {
    const { listener, c, s } = await connected();
    const controller = new AbortController();
    const reading = s.read({ signal: controller.signal });
    controller.abort();
    await expect(reading).rejects.toBeInstanceOf(CancelledError);
    await expect(s.read({ timeoutMs: 20 })).rejects.toBeInstanceOf(TimeoutError);
    await c.write("still here");
    expect(new TextDecoder().decode((await s.read()) ?? new Uint8Array())).toBe("still here");
    await c.close();
    await s.close();
    await listener.close();
  });

  test("a handshake against a silent peer times out and closes the socket", async () => {
    await using tcp = await TcpListener.bind({ port: 0 });
    const connecting = TlsStream.connect({ port: tcp.port, ...client, timeoutMs: 50 });
    await using raw = await tcp.accept();
    await expect(connecting).rejects.toBeInstanceOf(TimeoutError);
    expect(await raw.read()).not.toBeNull(); // the ClientHello arrived
    // ...and then the end of the stream: the timed-out client closed its socket (a generous bound, not a timing check).
    expect(await raw.read({ timeoutMs: 3000 })).toBeNull();
  });

  test("0-RTT through TlsStream with a session from the same listener", async () => {
    await using listener = await TlsListener.bind({ credentials, maxEarlyData: 4096 });
    const first = TlsStream.connect({ port: listener.port, ...client });
    const s1 = await listener.accept();
    const c1 = await first;
    const session = await c1.waitForSession({ timeoutMs: 5000 });
    await c1.close();
    await s1.close();
    const second = TlsStream.connect({
      port: listener.port,
      ...client,
      session,
      earlyData: true,
      earlyDataBytes: new TextEncoder().encode("GET /early"),
    });
    await using s2 = await listener.accept();
    await using c2 = await second;
    expect(s2.info.earlyDataAccepted).toBe(true);
    expect(c2.info.resumed).toBe(true);
    expect(new TextDecoder().decode((await s2.read()) ?? new Uint8Array())).toBe("GET /early");
  });

  test("TCP closing without close_notify surfaces TlsTruncatedError", async () => {
    await using tcpListener = await TcpListener.bind({ port: 0 });
    const connecting = TlsStream.connect({ port: tcpListener.port, ...client });
    const raw = await tcpListener.accept();
    const s = await TlsStream.accept(raw, { credentials });
    const c = await connecting;
    await raw.close(); // TCP goes away under the server's TlsStream, no close_notify
    await expect(c.read()).rejects.toBeInstanceOf(TlsTruncatedError);
    await c.close();
    await s.close();
  });
});
