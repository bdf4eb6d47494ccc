/**
 * Fixtures of the on-path tests (test/node/on-path-*.test.ts): our server
 * and client over real loopback sockets with a {@link UdpRelay} between
 * them, the relay's seed printed when a test fails, and a transfer both
 * ways whose bytes are compared by hash.
 *
 * Seeds: `QUIC_RELAY_SEED` fixes one (to replay a failure); otherwise each
 * test draws its own, so CI explores new impairment schedules on every run.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { onTestFailed, onTestFinished } from "vitest";
import { connect, type QuicConnection, type QuicConnectOptions, type QuicServer, type QuicServerOptions } from "../../src/index.js";
import { ALPN, pattern, startServer, testPki } from "../node/support.js";
import { type LinkPolicy, UdpRelay } from "./udp-relay.js";

/** The seed of this run's relays: `QUIC_RELAY_SEED`, or random. */
export function relaySeed(): number {
  const fixed = process.env.QUIC_RELAY_SEED;
  return fixed === undefined || fixed === "" ? Math.floor(Math.random() * 0x7fffffff) : Number(fixed) >>> 0;
}

/** A relay in front of `server`, closed after the test; its seed and counters are printed if the test fails. */
export async function startRelay(server: QuicServer, policies: { toServer?: LinkPolicy; toClient?: LinkPolicy }): Promise<UdpRelay> {
  const relay = await UdpRelay.start({ server: { address: "127.0.0.1", port: server.port }, seed: relaySeed(), ...policies });
  onTestFailed(() => {
    console.error(
      `relay seed ${relay.seed} (replay with QUIC_RELAY_SEED=${relay.seed}); toServer ${JSON.stringify(relay.stats("toServer"))}; toClient ${JSON.stringify(relay.stats("toClient"))}`,
    );
  });
  onTestFinished(() => relay.close());
  return relay;
}

/** A server, a relay in front of it, and a client connected through the relay. */
export interface Relayed {
  readonly server: QuicServer;
  readonly relay: UdpRelay;
  readonly client: QuicConnection;
  /** The server's side of the client's connection. */
  readonly accepted: QuicConnection;
}

/** A client connected to the server behind `relay`, closed after the test. */
export async function connectThrough(relay: UdpRelay, options: Partial<QuicConnectOptions> = {}): Promise<QuicConnection> {
  const conn = await connect("127.0.0.1", relay.port, { alpn: ALPN, serverName: "localhost", ca: testPki().ca.certificatePem, ...options });
  onTestFinished(() => conn.close());
  return conn;
}

/** Starts a server, a relay with `policies`, and connects a client through it. */
export async function relayed(
  policies: { toServer?: LinkPolicy; toClient?: LinkPolicy },
  options: { server?: Partial<QuicServerOptions>; client?: Partial<QuicConnectOptions> } = {},
): Promise<Relayed> {
  const server = await startServer(options.server);
  const relay = await startRelay(server, policies);
  const accepting = server.accept();
  accepting.catch(() => undefined); // the server closing at the end of a failed test rejects it
  const client = await connectThrough(relay, options.client);
  return { server, relay, client, accepted: await accepting };
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** What {@link transferBothWays} saw. */
export interface TransferResult {
  /** Hashes of what each side received, and of what was sent to it. */
  readonly up: { readonly received: string; readonly sent: string };
  readonly down: { readonly received: string; readonly sent: string };
}

/**
 * `size` bytes up and `size` bytes down one bidirectional stream, both
 * directions at once: the client writes its pattern and ends, the server
 * answers with another pattern as it reads. `midway` runs once the server
 * has read half of the upload (a rebinding, say).
 */
export async function transferBothWays(r: Relayed, size: number, midway?: () => Promise<void>): Promise<TransferResult> {
  const up = pattern(size, 0x5157);
  const down = pattern(size, 0xd0e);
  const serving = (async () => {
    const stream = await r.accepted.acceptStream();
    const writing = (async () => {
      await stream.write(down);
      stream.end();
    })();
    const received = new Uint8Array(size + 1);
    let at = 0;
    let fired = midway === undefined;
    for (;;) {
      const n = await stream.read(received.subarray(at));
      if (n === null) break;
      at += n;
      if (!fired && at >= size / 2) {
        fired = true;
        await midway?.();
      }
      if (at > size) throw new Error(`server read more than the ${size} bytes sent`);
    }
    await writing;
    return received.subarray(0, at);
  })();
  const stream = await r.client.openBidirectionalStream();
  const reading = stream.readAll(size + 1);
  await stream.write(up);
  stream.end();
  const [downReceived, upReceived] = await Promise.all([reading, serving]);
  return {
    up: { received: sha256(upReceived), sent: sha256(up) },
    down: { received: sha256(downReceived), sent: sha256(down) },
  };
}

/**
 * Closes the client with `code` and returns what the server's side saw.
 * The server pings every 50 ms until then (an application keep-alive,
 * RFC 9000 §10.1.2): a closing endpoint repeats its CONNECTION_CLOSE only
 * in answer to packets (§10.2.1), so without traffic from the server a lost
 * close would end the server's side by idle timeout instead, which the
 * blackhole test covers on its own.
 */
export async function closeFromClient(r: Relayed, code: number, reason: string) {
  const keepAlive = setInterval(() => {
    r.accepted.core.ping();
    r.accepted.driver.wake();
  }, 50);
  try {
    const closing = r.client.close(code, reason);
    const seen = await r.accepted.closed;
    await closing;
    return { client: await r.client.closed, server: seen };
  } finally {
    clearInterval(keepAlive);
  }
}
