/**
 * Client migration over real UDP sockets (RFC 9000 §9): `QuicConnection.migrate()` binds a new socket, validates
 * the path from it, switches, and the server follows; a transfer running across the switch arrives intact.
 */
import { describe, expect, it } from "vitest";
import { MigrationError, type QuicStream } from "../../src/index.js";
import { connectTo, pattern, startServer } from "./support.js";

describe("QuicConnection.migrate", () => {
  it("moves a client to a new local port mid-transfer; 2 MiB each way arrive intact and the server follows", async () => {
    const server = await startServer();
    const size = 2 * 1024 * 1024;
    const up = pattern(size, 21);
    const down = pattern(size, 22);
    let serverSide: { received: Uint8Array; remotePort: number } | undefined;
    const serverDone = new Promise<void>((resolve) => {
      void server.run(async (conn) => {
        const stream = await conn.acceptStream();
        const reading = stream.readAll(size);
        await stream.write(down);
        stream.end();
        const received = await reading;
        await conn.flush();
        serverSide = { received, remotePort: conn.remoteAddress.port };
        resolve();
      });
    });
    const client = await connectTo(server);
    const firstPort = client.driver.localAddress.port;
    const stream = await client.openBidirectionalStream();
    const reading = readCounting(stream, size);
    // Write the first half, migrate while the rest is in flight, then write the second half.
    await stream.write(up.subarray(0, size / 2));
    await reading.reached(size / 8);
    await client.migrate();
    const newPort = client.core.localAddress?.port;
    expect(newPort).toBeDefined();
    expect(newPort).not.toBe(firstPort);
    await stream.write(up.subarray(size / 2));
    stream.end();
    const received = await reading.done;
    await serverDone;
    expect(Buffer.compare(received, down)).toBe(0);
    expect(Buffer.compare(serverSide!.received, up)).toBe(0);
    expect(serverSide!.remotePort).toBe(newPort); // the server followed the client to its new socket
    expect(client.remoteAddress.port).toBe(server.port);
  }, 60_000);

  it("refuses on the server side and rejects a second migration while one is validating", async () => {
    const server = await startServer();
    const accepted = new Promise<void>((resolve, reject) => {
      void server.run(async (conn) => {
        try {
          await conn.migrate();
          reject(new Error("a server migrated"));
        } catch (error) {
          expect(error).toBeInstanceOf(MigrationError);
          expect((error as MigrationError).reason).toBe("server");
          resolve();
        }
        await conn.closed; // keep the connection up for the client's part
      });
    });
    const client = await connectTo(server);
    const stream = await client.openBidirectionalStream(); // makes the server accept the connection
    await stream.write(new Uint8Array([1]));
    await accepted;
    await handshakeConfirmed(client);
    const first = client.migrate();
    await expect(client.migrate()).rejects.toMatchObject({ code: "ZSYNC_QUIC_MIGRATION", reason: "in-progress" });
    await first;
  }, 30_000);
});

/** Waits until the client's handshake is confirmed (HANDSHAKE_DONE arrived), which migration needs (§9). */
async function handshakeConfirmed(conn: { core: { isHandshakeConfirmed: boolean } }): Promise<void> {
  while (!conn.core.isHandshakeConfirmed) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** Reads `size` bytes of `stream`, letting a test wait until some count was reached. */
function readCounting(stream: QuicStream, size: number): { done: Promise<Uint8Array>; reached: (n: number) => Promise<void> } {
  const out = new Uint8Array(size);
  let count = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const done = (async () => {
    const scratch = new Uint8Array(1);
    for (;;) {
      const n = await stream.read(count < size ? out.subarray(count) : scratch);
      if (n === null) break;
      if (count + n > size) throw new Error("more bytes than expected");
      count += n;
      for (const w of waiters.splice(0))
        if (count >= w.n) w.resolve();
        else waiters.push(w);
    }
    return out.subarray(0, count);
  })();
  return {
    done,
    reached: (n) => (count >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }))),
  };
}
