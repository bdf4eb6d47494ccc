/**
 * The server half of the TLS bulk benchmark, run in a child process
 * (`child_process.fork`) so each side has its own event loop, as two real
 * peers would, and its CPU time can be read separately with
 * `process.cpuUsage()`. The parent (`bench/tls.ts`) is the client.
 *
 * Protocol over the IPC channel, one transfer at a time:
 * - parent → `{ cmd: "listen", stack, offload }`, child → `{ port }`;
 * - parent → `{ cmd: "transfer", mode, bytes }` and connects; the child
 *   accepts, then either reads `bytes` ("sink") or writes them in 1 MiB
 *   writes ("source"), and replies `{ cpuMs, fullGcs }`: its process CPU
 *   time (user + system) from the end of the handshake to the last byte and
 *   the full collections it ran meanwhile, then closes politely;
 * - parent → `{ cmd: "exit" }`.
 *
 * @example
 * ```ts
 * import { fork } from "node:child_process";
 * const peer = fork(new URL("./tls-peer.js", import.meta.url));
 * peer.send({ cmd: "listen", stack: "ours" });
 * ```
 * @module
 */
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import * as tls from "node:tls";
import { TlsListener } from "../src/tls/stream/tls-stream.js";
import { countFullCollections } from "./tls-gc-count.js";

export type Stack = "ours" | "node";
export type Mode = "sink" | "source";

export type PeerCommand =
  | { readonly cmd: "listen"; readonly stack: Stack; readonly certificatePem: string; readonly privateKeyPem: string }
  | { readonly cmd: "transfer"; readonly mode: Mode; readonly bytes: number }
  | { readonly cmd: "exit" };

export type PeerReply = { readonly port: number } | { readonly cpuMs: number; readonly fullGcs: number } | { readonly error: string };

/** What a side measured over one transfer. */
export interface TransferCost {
  readonly cpuMs: number;
  readonly fullGcs: number;
}

const SUITE = "TLS_AES_128_GCM_SHA256";
const MiB = 1024 * 1024;

function chunkOf(size: number): Uint8Array {
  const chunk = new Uint8Array(size);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 131 + (i >>> 9)) & 0xff;
  return chunk;
}

/** Process CPU time (user + system) in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

interface Side {
  readonly port: number;
  transfer(mode: Mode, bytes: number): Promise<TransferCost>;
  close(): Promise<void>;
}

async function oursSide(certificatePem: string, privateKeyPem: string): Promise<Side> {
  const listener = await TlsListener.bind({
    credentials: { certificate: certificatePem, privateKey: privateKeyPem },
    cipherSuites: [SUITE],
    groups: ["x25519"],
    recordWorker: process.env.BENCH_TLS_WORKER === "1",
  });
  const chunk = chunkOf(MiB);
  return {
    port: listener.port,
    async transfer(mode, bytes) {
      const stream = await listener.accept();
      const cpu0 = cpuMs();
      const fullGcs = countFullCollections();
      if (mode === "sink") {
        let got = 0;
        while (got < bytes) {
          const data = await stream.read();
          if (data === null) throw new RangeError(`stream ended after ${got} of ${bytes} bytes`);
          got += data.length;
        }
      } else {
        for (let sent = 0; sent < bytes; sent += chunk.length) await stream.write(chunk);
      }
      const used = cpuMs() - cpu0;
      const gcs = await fullGcs();
      // Wait for the client's close_notify, then close (a sink's client closes first).
      void (async () => {
        while ((await stream.read().catch(() => null)) !== null);
        await stream.close();
      })();
      return { cpuMs: used, fullGcs: gcs };
    },
    close: () => listener.close(),
  };
}

async function nodeSide(certificatePem: string, privateKeyPem: string): Promise<Side> {
  const waiting: tls.TLSSocket[] = [];
  const waiters: ((s: tls.TLSSocket) => void)[] = [];
  const server = tls.createServer(
    { key: privateKeyPem, cert: certificatePem, minVersion: "TLSv1.3", ciphers: SUITE, ecdhCurve: "X25519" },
    (socket) => {
      const waiter = waiters.shift();
      if (waiter) waiter(socket);
      else waiting.push(socket);
    },
  );
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const chunk = chunkOf(MiB);
  const accept = (): Promise<tls.TLSSocket> => {
    const ready = waiting.shift();
    return ready ? Promise.resolve(ready) : new Promise((resolve) => waiters.push(resolve));
  };
  return {
    port: (server.address() as AddressInfo).port,
    async transfer(mode, bytes) {
      const socket = await accept();
      const cpu0 = cpuMs();
      const fullGcs = countFullCollections();
      if (mode === "sink") {
        await new Promise<void>((resolve, reject) => {
          let got = 0;
          const onData = (data: Buffer): void => {
            got += data.length;
            if (got >= bytes) {
              socket.off("data", onData);
              resolve();
            }
          };
          socket.on("data", onData);
          socket.once("error", reject);
          socket.once("end", () => {
            if (got < bytes) reject(new RangeError(`stream ended after ${got} of ${bytes} bytes`));
          });
        });
      } else {
        // `close` too: a socket closed with a write still queued emits no `drain`.
        for (let sent = 0; sent < bytes; sent += chunk.length)
          if (!socket.write(chunk)) {
            const lost = new AbortController(); // removes the listener that lost the race
            await Promise.race([once(socket, "drain", { signal: lost.signal }), once(socket, "close", { signal: lost.signal })]).finally(
              () => lost.abort(),
            );
          }
      }
      const used = cpuMs() - cpu0;
      const gcs = await fullGcs();
      socket.resume();
      socket.end();
      return { cpuMs: used, fullGcs: gcs };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let side: Side | undefined;
process.on("message", (message: PeerCommand) => {
  const reply = (r: PeerReply): void => {
    process.send?.(r);
  };
  void (async () => {
    try {
      switch (message.cmd) {
        case "listen":
          await side?.close();
          side =
            message.stack === "ours"
              ? await oursSide(message.certificatePem, message.privateKeyPem)
              : await nodeSide(message.certificatePem, message.privateKeyPem);
          reply({ port: side.port });
          return;
        case "transfer":
          if (side === undefined) throw new Error("transfer before listen");
          reply(await side.transfer(message.mode, message.bytes));
          return;
        case "exit":
          await side?.close();
          process.exit(0);
      }
    } catch (error) {
      reply({ error: String(error) });
    }
  })();
});
