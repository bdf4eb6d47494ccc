/**
 * The per-packet cost of the sans-I/O core alone: a client and a server
 * `Endpoint` in one process on the simulated network of the tests
 * (`test/proto/sim-network.ts`, 0.1 ms each way, no loss), the server
 * writing `CORE_BYTES` (default 64 MiB) on one stream, the client reading it.
 * No sockets, no event loop, no scheduler: what is left is packet assembly,
 * AEAD and header protection, frame codecs, recovery, congestion control,
 * stream reassembly and the garbage they leave, so a change to any of them
 * shows here with far less noise than in `run.ts`'s two processes on a shared
 * machine. Prints CPU µs per packet (both sides together, plus one copy per
 * datagram, as a socket's receive makes) and the collections V8 ran.
 *
 * Not part of `pnpm bench` (there is no anchor to compare with). Run:
 * `npx tsc -p tsconfig.bench.json && node .bench-dist/bench/core-loop.js`
 * (`CORE_DATAGRAM_SIZE` sets `maxDatagramSize`, default 1452 as in `run.ts`).
 */
import { PerformanceObserver } from "node:perf_hooks";
import type { SimAddress } from "../test/proto/sim-network.js";
import { CLIENT_ADDRESS, type EndpointHost, pair, SERVER_ADDRESS } from "../test/proto/support.js";

const BYTES = Number(process.env.CORE_BYTES ?? 64 * 1024 * 1024);
const DATAGRAM_SIZE = Number(process.env.CORE_DATAGRAM_SIZE ?? 1452);
const CHUNK = 256 * 1024;

let collections = 0;
const gc = new PerformanceObserver((list) => {
  collections += list.getEntries().length;
});
gc.observe({ entryTypes: ["gc"] });

const transport = {
  maxDatagramSize: DATAGRAM_SIZE,
  initialMaxData: 16 * 1024 * 1024,
  initialMaxStreamDataUni: 16 * 1024 * 1024,
};
const { net, conn, client, server } = pair({ seed: 1, link: { delay: 0.1 }, clientTransport: transport, serverTransport: transport });
net.traceLimit = 0;
net.run(() => conn.isHandshakeConfirmed && server.connections[0]?.isHandshakeConfirmed === true);
const sender = server.connections[0]!;
const id = sender.openStream("uni")!;

const source = new Uint8Array(CHUNK);
for (let i = 0; i < CHUNK; i++) source[i] = (i * 31) & 0xff;
const sink = new Uint8Array(CHUNK);
let written = 0;
let received = 0;
let finished = false;
let peerId: number | undefined;

/** Moves every datagram `from` has to send now into `to`, as the driver does in one event-loop turn. */
function flight(from: EndpointHost, to: EndpointHost, fromAddress: SimAddress, now: number): void {
  if ((from.pollTimeout() ?? Number.POSITIVE_INFINITY) <= now) from.endpoint.handleTimeout(now);
  const batch: Uint8Array[] = [];
  for (let t = from.endpoint.pollTransmit(now, scratch); t !== undefined; t = from.endpoint.pollTransmit(now, scratch))
    batch.push(scratch.slice(0, t.length)); // a fresh buffer per datagram, as node:dgram delivers them
  for (const datagram of batch) to.endpoint.handleDatagram(now, datagram, fromAddress);
}

const scratch = new Uint8Array(DATAGRAM_SIZE);
const packetsBefore = sender.stats.packetsSent + conn.stats.packetsSent;
const collectionsBefore = collections;
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
// The driver's loop in virtual time: each turn the server sends what its window and pacer allow, the client takes it
// all in, reads, and answers (ACKs, flow control); a turn is 50 µs.
let now = net.now;
while (!finished) {
  now += 0.05;
  while (written < BYTES) {
    const n = sender.streamWrite(id, source.subarray(0, Math.min(CHUNK, BYTES - written)));
    if (n === 0) break;
    written += n;
    if (written === BYTES) sender.streamFinish(id);
  }
  flight(server, client, SERVER_ADDRESS, now);
  peerId ??= conn.acceptStream("uni");
  if (peerId !== undefined) {
    for (;;) {
      const r = conn.streamRead(peerId, sink);
      received += r.bytes;
      if (r.fin) finished = true;
      if (r.fin || r.bytes === 0) break;
    }
  }
  flight(client, server, CLIENT_ADDRESS, now);
  if (now - net.now > 600_000) throw new Error("no progress in 10 virtual minutes");
}
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - wall0;
await new Promise((resolve) => setTimeout(resolve, 10)); // the observer reports collections asynchronously
gc.disconnect();
if (received !== BYTES) throw new Error(`received ${received} of ${BYTES} bytes`);
const packets = sender.stats.packetsSent + conn.stats.packetsSent - packetsBefore;
const cpuUs = cpu.user + cpu.system;
console.log(
  JSON.stringify({
    bytes: BYTES,
    datagramSize: DATAGRAM_SIZE,
    packets,
    cpuSeconds: +(cpuUs / 1e6).toFixed(3),
    wallSeconds: +(wall / 1e3).toFixed(3),
    usPerPacket: +(cpuUs / packets).toFixed(2),
    cpuSecondsPerGiB: +((cpuUs / 1e6) * (1024 ** 3 / BYTES)).toFixed(2),
    collections: collections - collectionsBefore,
    lost: sender.stats.packetsLost,
  }),
);
