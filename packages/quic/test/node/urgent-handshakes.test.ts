/**
 * Handshakes on urgent runtime tasks (the seeds' `spawnUrgent`): each server
 * connection's handshake, and the client's wait in `connect`, is a task that
 * starts ahead of queued normal tasks, so a busy application (many tasks
 * ready to run) does not delay accepting or connecting. The server's task
 * also bounds the handshake (`handshakeTimeout`), and the client's is a
 * child of the caller's task, so cancelling that task abandons the connect.
 *
 * No timing is asserted: the ordering comes from the scheduler's queues,
 * observed by counting how many queued normal tasks ran first.
 */
import { CancelledError, Runtime, spawn } from "@zsync/runtime";
import { describe, expect, it, onTestFinished } from "vitest";
import { connect, QuicServer } from "../../src/index.js";
import { QuicConfigError } from "../../src/proto/index.js";
import { UdpRelay } from "../support/udp-relay.js";
import { ALPN, connectTo, startServer, testPki } from "./support.js";

/** Busy work that keeps a task on the CPU without yielding. */
function burn(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

describe("handshakes on urgent tasks", () => {
  it("accept() and connect() resolve while normal tasks queued before the handshake still wait, and each handshake is a task", async () => {
    const runtime = new Runtime(); // for its task counters
    onTestFinished(() => runtime.shutdown());
    const server = await startServer();
    // A flood of normal tasks: the scheduler runs them 2 ms at a time and lets socket callbacks in between, so the
    // handshake's packets are processed while most of them still wait. A handshake task queued at normal priority
    // would start after all of them.
    const flood = 1000;
    let ran = 0;
    const spawnedBefore = runtime.stats().spawned;
    const tasks = Array.from({ length: flood }, () =>
      spawn(() => {
        burn(0.5);
        ran++;
      }),
    );
    let acceptedAfter = -1;
    let connectedAfter = -1;
    const accepted = server.accept().then((conn) => {
      acceptedAfter = ran;
      return conn;
    });
    const client = await connectTo(server);
    connectedAfter = ran;
    await accepted;
    expect(connectedAfter).toBeLessThan(flood);
    expect(acceptedAfter).toBeLessThan(flood);
    // The flood, the server's handshake task and the client's.
    expect(runtime.stats().spawned - spawnedBefore).toBe(flood + 2);
    for (const task of tasks) await task;
    expect(server.stats).toMatchObject({ accepted: 1, handshakeFailures: 0, handshaking: 0 });
    await client.close();
  }, 60_000);

  it("the server closes a handshake that outlives handshakeTimeout and counts it", async () => {
    const server = await startServer({ handshakeTimeout: 300, maxIdleTimeout: 60_000 });
    // Nothing from the server reaches the client: the client keeps retransmitting its Initial, which keeps the
    // server's half-made connection alive until the handshake timeout ends it.
    const relay = await UdpRelay.start({ server: { address: "127.0.0.1", port: server.port }, toClient: { blackhole: true } });
    onTestFinished(() => relay.close());
    const abort = new AbortController();
    const connecting = connect("127.0.0.1", relay.port, {
      alpn: ALPN,
      serverName: "localhost",
      ca: testPki().ca.certificatePem,
      maxIdleTimeout: 60_000,
      signal: abort.signal,
    }).catch((error: unknown) => error);
    await expect.poll(() => server.stats.handshakeTimeouts, { timeout: 30_000 }).toBe(1);
    expect(server.stats).toMatchObject({ accepted: 0, handshakeFailures: 1, handshaking: 0 });
    abort.abort();
    expect(await connecting).toBeInstanceOf(CancelledError);
  }, 60_000);

  it("rejects a handshakeTimeout that is not a positive number", async () => {
    const { leaf } = testPki();
    const bind = (handshakeTimeout: number) =>
      QuicServer.bind({ certificate: leaf.certificatePem, key: leaf.privateKeyPem, alpn: ALPN, handshakeTimeout });
    await expect(bind(0)).rejects.toBeInstanceOf(QuicConfigError);
    await expect(bind(Number.NaN)).rejects.toThrow(/handshakeTimeout/);
  });

  it("connect() inside a task that is cancelled abandons the handshake: the server sees the connection closed before it completes", async () => {
    const server = await startServer();
    // 200 ms each way: the cancellation below lands long before the handshake could complete.
    const relay = await UdpRelay.start({
      server: { address: "127.0.0.1", port: server.port },
      toServer: { delayMs: 200 },
      toClient: { delayMs: 200 },
    });
    onTestFinished(() => relay.close());
    const task = spawn(() =>
      connect("127.0.0.1", relay.port, { alpn: ALPN, serverName: "localhost", ca: testPki().ca.certificatePem, maxIdleTimeout: 60_000 }),
    );
    await expect.poll(() => relay.stats("toServer").received, { timeout: 20_000 }).toBeGreaterThan(0); // the Initial left
    task.cancel();
    await expect(task).rejects.toBeInstanceOf(CancelledError);
    // The client's CONNECTION_CLOSE ends the server's half of the handshake: a failure, never an accepted connection.
    await expect.poll(() => server.stats.handshakeFailures, { timeout: 20_000 }).toBe(1);
    expect(server.stats.accepted).toBe(0);
  }, 60_000);
});
