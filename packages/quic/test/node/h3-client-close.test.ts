/**
 * `Http3Client.close()`: GOAWAY, then CONNECTION_CLOSE once nothing is in
 * flight, without making the caller wait out QUIC's closing period (RFC 9000
 * §10.2), which goes on in the background until the socket is closed.
 */
import { createSocket } from "node:dgram";
import { describe, expect, it } from "vitest";
import { h3Client, startH3Server, urlOf } from "./h3-support.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** True while something holds `port` on `address` (binding it fails with EADDRINUSE). */
function bound(address: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(address.includes(":") ? "udp6" : "udp4");
    socket.once("error", (error: NodeJS.ErrnoException) => {
      socket.close();
      if (error.code === "EADDRINUSE") resolve(true);
      else reject(error);
    });
    socket.bind(port, address, () => socket.close(() => resolve(false)));
  });
}

describe("Http3Client.close()", () => {
  it("resolves while the closing period still runs (its socket still bound), and the socket is released at its end", async () => {
    let client: { address: string; port: number } | undefined;
    // The server's max_ack_delay (1 s) is part of the client's PTO: the closing period lasts over 3 s.
    const server = await startH3Server({
      maxAckDelay: 1000,
      handler: (_request, info) => {
        client = info.remoteAddress;
        return new Response("done");
      },
    });
    const h3 = h3Client();
    expect(await (await h3.fetch(urlOf(server, "/"))).text()).toBe("done");
    expect(await bound(client!.address, client!.port)).toBe(true);
    await h3.close();
    // Before the fix close() waited for the end of the closing period, so the socket was gone by now.
    expect(await bound(client!.address, client!.port)).toBe(true);
    await expect.poll(() => bound(client!.address, client!.port), { timeout: 20_000, interval: 200 }).toBe(false);
  }, 30_000);
  it("waits for a response body still to be read: one read alongside close() arrives whole", async () => {
    const body = new Uint8Array(1 << 20).map((_, i) => i % 251);
    const server = await startH3Server({ handler: () => new Response(body) });
    // A 60 s idle timeout: if anything here waited for it, the test's own timeout would fail it first.
    const client = h3Client({ maxIdleTimeout: 60_000 });
    const response = await client.fetch(urlOf(server, "/big"));
    const [, read] = await Promise.all([client.close(), response.bytes()]);
    expect(read).toEqual(body);
  }, 20_000);

  it("a body left unread holds close() until it is cancelled (by design, as in undici); cancelling it lets close() finish", async () => {
    const server = await startH3Server({ handler: () => new Response("never read") });
    const client = h3Client({ maxIdleTimeout: 60_000 });
    const response = await client.fetch(urlOf(server, "/unread"));
    let closed = false;
    const closing = client.close().then(() => {
      closed = true;
    });
    await sleep(300);
    expect(closed).toBe(false);
    await response.body!.cancel();
    await closing;
    expect(closed).toBe(true);
  }, 20_000);
});
