/**
 * TLS 1.3 benchmarks: our client and server against node:tls's (OpenSSL
 * inside Node), over loopback in this process, with the same suite, group
 * and certificate on both sides so the only difference is the stack:
 *
 * - full handshakes per second (no resumption; each side sends close_notify
 *   and waits for the TCP close, as an application closing politely would);
 * - one-direction bulk transfer of 256 MiB over one connection, written in
 *   1 MiB application writes with back-pressure, timed until the receiver
 *   has every byte;
 * - handshake reassembly of a 128 KiB message cut as finely as the caps
 *   allow (`handshake-fragments.ts`).
 *
 * Run alone: `cd packages/crypto && ../../node_modules/.bin/tsc -p tsconfig.bench.json && node .bench-dist/bench/tls-run.js`
 *
 * @example
 * ```ts
 * import { runSuite } from "@zsync/bench-harness";
 * import { tlsCases } from "./tls.js";
 * await runSuite("crypto-tls", tlsCases);
 * ```
 * @module
 */
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import * as tls from "node:tls";
import { type BenchCase, batchThroughput } from "@zsync/bench-harness";
import { type GeneratedCertificate, generateSelfSignedCertificate } from "../src/tls/certificate-generator.js";
import { TlsListener, TlsStream } from "../src/tls/tls-stream.js";
import { fragmentCases } from "./handshake-fragments.js";

const SUITE = "TLS_AES_128_GCM_SHA256";
const CONFIG = `${SUITE}, X25519, ECDSA P-256 cert`;
const MiB = 1024 * 1024;
const BULK_BYTES = 256 * MiB;
const WRITE_SIZE = MiB;
const HANDSHAKES_PER_SAMPLE = 60;

interface Fixture {
  readonly cert: GeneratedCertificate;
  readonly chunk: Uint8Array;
}

let fixture: Fixture | undefined;
function getFixture(): Fixture {
  fixture ??= (() => {
    const chunk = new Uint8Array(WRITE_SIZE);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 131 + (i >>> 9)) & 0xff;
    return { cert: generateSelfSignedCertificate(), chunk };
  })();
  return fixture;
}

/* ---------------------------------------------------------------- ours */

async function oursListener(): Promise<TlsListener> {
  const { cert } = getFixture();
  return TlsListener.bind({
    credentials: { certificate: cert.certificatePem, privateKey: cert.privateKeyPem },
    cipherSuites: [SUITE],
    groups: ["x25519"],
  });
}

function oursConnect(port: number): Promise<TlsStream> {
  const { cert } = getFixture();
  return TlsStream.connect({ port, serverName: "localhost", ca: cert.certificatePem, cipherSuites: [SUITE], groups: ["x25519"] });
}

async function oursHandshakes(n: number): Promise<number> {
  const listener = await oursListener();
  try {
    return await batchThroughput(n, async () => {
      for (let i = 0; i < n; i++) {
        const [server, client] = await Promise.all([listener.accept(), oursConnect(listener.port)]);
        await Promise.all([client.close(), server.close()]);
      }
    });
  } finally {
    await listener.close();
  }
}

async function oursBulk(): Promise<number> {
  const { chunk } = getFixture();
  const listener = await oursListener();
  try {
    const [server, client] = await Promise.all([listener.accept(), oursConnect(listener.port)]);
    try {
      const start = performance.now();
      const receiving = (async () => {
        let got = 0;
        while (got < BULK_BYTES) {
          const data = await server.read();
          if (data === null) throw new RangeError(`stream ended after ${got} of ${BULK_BYTES} bytes`);
          got += data.length;
        }
      })();
      for (let sent = 0; sent < BULK_BYTES; sent += WRITE_SIZE) await client.write(chunk);
      await receiving;
      return BULK_BYTES / MiB / ((performance.now() - start) / 1000);
    } finally {
      await Promise.all([client.close(), server.close()]);
    }
  } finally {
    await listener.close();
  }
}

/* ----------------------------------------------------------- node:tls */

interface NodeServer {
  readonly server: tls.Server;
  readonly port: number;
  readonly sockets: tls.TLSSocket[];
  readonly waiters: ((s: tls.TLSSocket) => void)[];
}

async function nodeListen(): Promise<NodeServer> {
  const { cert } = getFixture();
  const sockets: tls.TLSSocket[] = [];
  const waiters: ((s: tls.TLSSocket) => void)[] = [];
  const server = tls.createServer(
    {
      key: cert.privateKeyPem,
      cert: cert.certificatePem,
      minVersion: "TLSv1.3",
      ciphers: SUITE,
      ecdhCurve: "X25519",
    },
    (socket) => {
      const waiter = waiters.shift();
      if (waiter) waiter(socket);
      else sockets.push(socket);
    },
  );
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, port: (server.address() as AddressInfo).port, sockets, waiters };
}

function nodeAccept(s: NodeServer): Promise<tls.TLSSocket> {
  const ready = s.sockets.shift();
  if (ready) return Promise.resolve(ready);
  return new Promise((resolve) => s.waiters.push(resolve));
}

async function nodeConnect(port: number): Promise<tls.TLSSocket> {
  const { cert } = getFixture();
  const socket = tls.connect({
    host: "127.0.0.1",
    port,
    servername: "localhost",
    ca: cert.certificatePem,
    minVersion: "TLSv1.3",
    ciphers: SUITE,
    ecdhCurve: "X25519",
  });
  await once(socket, "secureConnect");
  return socket;
}

async function nodeClosePolitely(socket: tls.TLSSocket): Promise<void> {
  const closed = once(socket, "close");
  socket.resume(); // read the peer's close_notify and FIN
  socket.end();
  await closed;
}

const closeNodeServer = (server: tls.Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

async function nodeHandshakes(n: number): Promise<number> {
  const s = await nodeListen();
  try {
    return await batchThroughput(n, async () => {
      for (let i = 0; i < n; i++) {
        const [server, client] = await Promise.all([nodeAccept(s), nodeConnect(s.port)]);
        await Promise.all([nodeClosePolitely(client), nodeClosePolitely(server)]);
      }
    });
  } finally {
    await closeNodeServer(s.server);
  }
}

async function nodeBulk(): Promise<number> {
  const { chunk } = getFixture();
  const s = await nodeListen();
  try {
    const [server, client] = await Promise.all([nodeAccept(s), nodeConnect(s.port)]);
    try {
      const start = performance.now();
      const receiving = new Promise<void>((resolve, reject) => {
        let got = 0;
        server.on("data", (data: Buffer) => {
          got += data.length;
          if (got >= BULK_BYTES) resolve();
        });
        server.on("error", reject);
        server.on("end", () => {
          if (got < BULK_BYTES) reject(new RangeError(`stream ended after ${got} of ${BULK_BYTES} bytes`));
        });
      });
      for (let sent = 0; sent < BULK_BYTES; sent += WRITE_SIZE) {
        if (!client.write(chunk)) await once(client, "drain");
      }
      await receiving;
      return BULK_BYTES / MiB / ((performance.now() - start) / 1000);
    } finally {
      await Promise.all([nodeClosePolitely(client), nodeClosePolitely(server)]);
    }
  } finally {
    await closeNodeServer(s.server);
  }
}

/* -------------------------------------------------------------- cases */

/** The TLS cases: handshake rate and bulk throughput, ours vs node:tls; then handshake reassembly under the worst allowed fragmenting. */
export const tlsCases: BenchCase[] = [
  {
    name: `TLS 1.3 full handshake, loopback, client+server (${CONFIG})`,
    unit: "handshakes/s",
    better: "higher",
    target: "≥ 0.5x",
    rounds: 5,
    setup: async () => {
      getFixture();
      await oursHandshakes(10); // warm up both stacks (JIT, OpenSSL contexts)
      await nodeHandshakes(10);
    },
    ours: () => oursHandshakes(HANDSHAKES_PER_SAMPLE),
    anchor: { name: "node:tls", sample: () => nodeHandshakes(HANDSHAKES_PER_SAMPLE) },
  },
  {
    name: `TLS 1.3 bulk 256 MiB one direction, 1 MiB writes, loopback (${CONFIG})`,
    unit: "MiB/s",
    better: "higher",
    target: "≥ 0.5x",
    rounds: 5,
    setup: () => {
      getFixture();
    },
    ours: oursBulk,
    anchor: { name: "node:tls", sample: nodeBulk },
  },
  ...fragmentCases(),
];
