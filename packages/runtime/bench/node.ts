// Node-side benchmarks: ThreadPoolIo against piscina and tinypool (trivial
// round trips with 2 threads, 100k submitted at once; one in-flight task's
// latency), and UDP echo through UdpSocket against raw node:dgram.
import { createSocket } from "node:dgram";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type BenchCase, batchThroughput, percentile } from "@zsync/bench-harness";
import { Piscina } from "piscina";
import { Tinypool } from "tinypool";
import { workerTask } from "../src/io/io.js";
import { ThreadPoolIo } from "../src/node/thread-pool.js";
import { UdpSocket } from "../src/node/udp.js";

const TASKS = 100_000;
const LATENCY_SAMPLES = 2_000;

// Workers load plain JS, so the task module is written out at startup.
const dir = mkdtempSync(join(tmpdir(), "zsync-bench-"));
const taskFile = join(dir, "tasks.mjs");
writeFileSync(taskFile, "export function echo(value) { return value; }\nexport default function (value) { return value; }\n");
const echo = workerTask<[number], number>(pathToFileURL(taskFile), "echo");

let ours: ThreadPoolIo | undefined;
let piscina: Piscina | undefined;
let tinypool: Tinypool | undefined;

const oursPool = (): ThreadPoolIo => (ours ??= new ThreadPoolIo({ minThreads: 2, maxThreads: 2 }));
const piscinaPool = (): Piscina => (piscina ??= new Piscina({ filename: taskFile, minThreads: 2, maxThreads: 2 }));
const tinyPool = (): Tinypool => (tinypool ??= new Tinypool({ filename: taskFile, minThreads: 2, maxThreads: 2 }));

function throughput(run: (i: number) => PromiseLike<unknown>): () => Promise<number> {
  return () =>
    batchThroughput(TASKS, () => {
      const all: PromiseLike<unknown>[] = new Array(TASKS);
      for (let i = 0; i < TASKS; i++) all[i] = run(i);
      return Promise.all(all);
    });
}

function latency(run: (i: number) => PromiseLike<unknown>): () => Promise<number> {
  return async () => {
    const samples: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const start = performance.now();
      await run(i);
      samples.push((performance.now() - start) * 1000);
    }
    return percentile(samples, 50);
  };
}

const warm = async (): Promise<void> => {
  await Promise.all(Array.from({ length: 2_000 }, (_, i) => oursPool().async(echo, i)));
  await Promise.all(Array.from({ length: 2_000 }, (_, i) => piscinaPool().run(i)));
  await Promise.all(Array.from({ length: 2_000 }, (_, i) => tinyPool().run(i)));
};

const teardown = async (): Promise<void> => {
  await ours?.shutdown();
  await piscina?.destroy();
  await tinypool?.destroy();
  ours = piscina = tinypool = undefined;
};

// UDP echo: a client keeps WINDOW datagrams in flight to an echo server and
// counts round trips per second.
const PACKETS = 20_000;
const WINDOW = 32;
const payload = Buffer.alloc(64, 1);

async function udpEchoOurs(): Promise<number> {
  const server = await UdpSocket.bind();
  const client = await UdpSocket.bind({ queueCapacity: 4096 });
  const echoing = (async () => {
    for await (const datagram of server) server.queueSendTo(datagram.data, datagram.port, datagram.address);
  })();
  const port = server.port;
  const rate = await batchThroughput(PACKETS, async () => {
    let sent = 0;
    let received = 0;
    for (; sent < WINDOW; sent++) client.queueSendTo(payload, port, "127.0.0.1");
    while (received < PACKETS) {
      // Drain what is already queued without a promise, then wait.
      let datagram = client.tryRecvFrom();
      if (datagram === undefined) {
        try {
          datagram = await client.recvFrom({ timeoutMs: 1000 });
        } catch {
          // Timed out: a datagram was lost, so refill the window (the raw side does the same).
        }
      }
      received++;
      if (datagram === undefined || sent < PACKETS) {
        client.queueSendTo(payload, port, "127.0.0.1");
        sent++;
      }
    }
  });
  await Promise.all([server.close(), client.close()]);
  await echoing;
  return rate;
}

async function udpEchoRaw(): Promise<number> {
  const server = createSocket("udp4");
  const client = createSocket("udp4");
  await new Promise<void>((resolve) => server.bind(0, "127.0.0.1", resolve));
  await new Promise<void>((resolve) => client.bind(0, "127.0.0.1", resolve));
  server.on("message", (data, rinfo) => server.send(data, rinfo.port, rinfo.address));
  const port = server.address().port;
  const rate = await batchThroughput(PACKETS, async () => {
    let sent = 0;
    let received = 0;
    await new Promise<void>((resolve) => {
      const onTimeout = (): void => {
        // Lost datagram: refill the window (same policy as ours).
        client.send(payload, port, "127.0.0.1");
        timer = setTimeout(onTimeout, 1000);
      };
      let timer = setTimeout(onTimeout, 1000);
      client.on("message", () => {
        received++;
        clearTimeout(timer);
        timer = setTimeout(onTimeout, 1000);
        if (received >= PACKETS) {
          clearTimeout(timer);
          resolve();
        } else if (sent < PACKETS) {
          client.send(payload, port, "127.0.0.1");
          sent++;
        }
      });
      for (; sent < WINDOW; sent++) client.send(payload, port, "127.0.0.1");
    });
  });
  await Promise.all([new Promise<void>((r) => server.close(() => r())), new Promise<void>((r) => client.close(() => r()))]);
  return rate;
}

export const nodeCases: BenchCase[] = [
  {
    name: "thread pool: 100k trivial round trips, 2 threads (vs piscina)",
    unit: "ops/s",
    better: "higher",
    rounds: 3,
    setup: warm,
    teardown,
    ours: throughput((i) => oursPool().async(echo, i)),
    anchor: { name: "piscina 5.3.2", sample: throughput((i) => piscinaPool().run(i)) },
    target: ">= 2x piscina",
  },
  {
    name: "thread pool: 100k trivial round trips, 2 threads (vs tinypool)",
    unit: "ops/s",
    better: "higher",
    rounds: 3,
    setup: warm,
    teardown,
    ours: throughput((i) => oursPool().async(echo, i)),
    anchor: { name: "tinypool 2.2.0", sample: throughput((i) => tinyPool().run(i)) },
    target: ">= 2x tinypool",
  },
  {
    name: "thread pool: one in-flight trivial task, p50 latency",
    unit: "µs",
    better: "lower",
    rounds: 5,
    setup: warm,
    teardown,
    ours: latency((i) => oursPool().async(echo, i)),
    anchor: { name: "piscina 5.3.2", sample: latency((i) => piscinaPool().run(i)) },
    target: "<= piscina",
  },
  {
    name: "UDP echo on loopback, 64 B, window 32",
    unit: "packets/s",
    better: "higher",
    rounds: 5,
    ours: udpEchoOurs,
    anchor: { name: "node:dgram", sample: udpEchoRaw },
    target: "within 15% of node:dgram",
  },
];
