/**
 * The hostile relay itself (test/support/udp-relay.ts), with plain UDP
 * sockets on both ends: each impairment does what it says, the same seed
 * gives the same fates, and a rebinding moves the source port the server
 * sees. The on-path tests rely on all three.
 */
import { createSocket, type Socket } from "node:dgram";
import { describe, expect, it, onTestFinished } from "vitest";
import { type LinkPolicy, type LinkStats, UdpRelay } from "../support/udp-relay.js";

async function bound(): Promise<Socket> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return socket;
}

/** Datagram `i`: its index in 4 bytes, then filler, so every datagram differs. */
function numbered(i: number): Uint8Array {
  const out = new Uint8Array(100);
  new DataView(out.buffer).setUint32(0, i);
  out.fill(i & 0xff, 4);
  return out;
}

/** Sends `count` numbered datagrams through a relay with `policy` towards the server; returns what arrived and the relay's counters. */
async function run(seed: number, policy: LinkPolicy, count: number): Promise<{ arrived: string[]; stats: LinkStats; ports: Set<number> }> {
  const server = await bound();
  const client = await bound();
  const arrived: string[] = [];
  const ports = new Set<number>();
  server.on("message", (data, rinfo) => {
    arrived.push(Buffer.from(data).toString("hex"));
    ports.add(rinfo.port);
  });
  const relay = await UdpRelay.start({ server: { address: "127.0.0.1", port: server.address().port }, seed, toServer: policy });
  onTestFinished(() => relay.close());
  for (let i = 0; i < count; i++) {
    client.send(numbered(i), relay.port, "127.0.0.1");
    // One at a time: the relay sees them in order, so the nth datagram is always the same one.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await expect.poll(() => relay.stats("toServer").received, { timeout: 5_000, interval: 1 }).toBe(i + 1);
  }
  // Whatever is held for reordering leaves within its longest hold.
  await expect.poll(() => arrived.length, { timeout: 5_000 }).toBe(relay.stats("toServer").sent);
  return { arrived, stats: { ...relay.stats("toServer") }, ports };
}

describe("the hostile UDP relay", () => {
  it("applies each impairment, and the same seed gives every datagram the same fate", async () => {
    const policy: LinkPolicy = { loss: 0.1, duplicate: 0.1, corrupt: 0.1, truncate: 0.05, reorder: 0.1, replay: 0.05, inject: 0.05 };
    const a = await run(1234, policy, 300);
    const b = await run(1234, policy, 300);
    for (const key of ["lost", "duplicated", "corrupted", "truncated", "reordered", "replayed", "injected"] as const)
      expect(a.stats[key], key).toBeGreaterThan(0);
    expect(b.stats).toEqual(a.stats);
    // The same datagrams arrive with the same damage (order aside: held datagrams may leave by their timer).
    expect([...b.arrived].sort()).toEqual([...a.arrived].sort());
    const intact = new Set(Array.from({ length: 300 }, (_, i) => Buffer.from(numbered(i)).toString("hex")));
    expect(a.arrived.filter((d) => !intact.has(d)).length).toBeGreaterThan(0); // corrupted, truncated or injected ones
    const c = await run(4321, policy, 300);
    expect([...c.arrived].sort()).not.toEqual([...a.arrived].sort());
  }, 30_000);

  it("scripted drops and the blackhole drop exactly what they are told to", async () => {
    const scripted = await run(1, { drop: (index) => index % 3 === 0 }, 30);
    expect(scripted.stats.dropped).toBe(10);
    expect(scripted.arrived).toHaveLength(20);
    const dark = await run(1, { blackhole: true }, 10);
    expect(dark.stats.blackholed).toBe(10);
    expect(dark.arrived).toEqual([]);
  }, 30_000);

  it("rebind() moves the source port the server sees, and answers still reach the client", async () => {
    const server = await bound();
    const client = await bound();
    const ports: number[] = [];
    server.on("message", (data, rinfo) => {
      ports.push(rinfo.port);
      server.send(data, rinfo.port, rinfo.address); // echo
    });
    const echoed: number[] = [];
    client.on("message", (data) => echoed.push(data[0] as number));
    const relay = await UdpRelay.start({ server: { address: "127.0.0.1", port: server.address().port } });
    onTestFinished(() => relay.close());
    client.send(Uint8Array.of(1), relay.port, "127.0.0.1");
    await expect.poll(() => echoed, { timeout: 5_000 }).toEqual([1]);
    await relay.rebind();
    client.send(Uint8Array.of(2), relay.port, "127.0.0.1");
    await expect.poll(() => echoed, { timeout: 5_000 }).toEqual([1, 2]);
    expect(ports).toHaveLength(2);
    expect(ports[1]).not.toBe(ports[0]);
    expect(relay.upstreamPort).toBe(ports[1]);
  }, 30_000);
});
