/**
 * The driver alone, around a scripted stand-in for the core's `Endpoint`
 * (the driver contract of connection.ts, one level up): what it sends,
 * when it calls the core, and what it survives.
 */
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { describe, expect, it, onTestFinished } from "vitest";
import { EndpointDriver } from "../../src/node/driver.js";
import type { Endpoint, Transmit } from "../../src/proto/index.js";

/** A scripted endpoint: `outbox` datagrams to send, a deadline, and a log of the calls. */
class FakeEndpoint {
  readonly calls: string[] = [];
  outbox: { bytes: Uint8Array; to: { address: string; port: number } }[] = [];
  deadline: number | undefined;
  throwOnDatagram = false;
  readonly connectionCount = 0;

  handleDatagram(_now: number, datagram: Uint8Array): void {
    this.calls.push(`datagram ${datagram.length}`);
    if (this.throwOnDatagram) throw new Error("core bug");
  }
  handleTimeout(now: number): void {
    this.calls.push("timeout");
    if (this.deadline !== undefined && now >= this.deadline) this.deadline = undefined;
  }
  pollTimeout(): number | undefined {
    return this.deadline;
  }
  pollEvent(): undefined {
    return undefined;
  }
  pollTransmit(_now: number, buffer: Uint8Array): Transmit | undefined {
    const next = this.outbox.shift();
    if (next === undefined) return undefined;
    buffer.set(next.bytes);
    return { length: next.bytes.length, to: next.to };
  }
}

async function bind(fake: FakeEndpoint, maxBuffers?: number): Promise<EndpointDriver> {
  const driver = await EndpointDriver.bind(fake as unknown as Endpoint, {
    host: "127.0.0.1",
    port: 0,
    type: "udp4",
    maxDatagramSize: 1500,
    ...(maxBuffers === undefined ? {} : { maxBuffers }),
  });
  onTestFinished(() => driver.close());
  return driver;
}

async function receiver(): Promise<{ port: number; count: () => number; bytes: () => number }> {
  const socket = createSocket("udp4");
  socket.bind(0, "127.0.0.1");
  await once(socket, "listening");
  socket.setRecvBufferSize(4 * 1024 * 1024);
  onTestFinished(() => {
    socket.close();
  });
  let count = 0;
  let bytes = 0;
  socket.on("message", (m: Buffer) => {
    count++;
    bytes += m.length;
  });
  return { port: socket.address().port, count: () => count, bytes: () => bytes };
}

describe("EndpointDriver", () => {
  it("sends every datagram pollTransmit yields, through a bounded pool that refills from send callbacks", async () => {
    const fake = new FakeEndpoint();
    const driver = await bind(fake, 16);
    const sink = await receiver();
    for (let i = 0; i < 500; i++)
      fake.outbox.push({ bytes: new Uint8Array(1200).fill(i & 0xff), to: { address: "127.0.0.1", port: sink.port } });
    driver.wake();
    await expect.poll(() => sink.count(), { timeout: 10_000 }).toBe(500);
    expect(sink.bytes()).toBe(500 * 1200);
    expect(driver.stats.datagramsSent).toBe(500);
    expect(driver.stats.buffersAllocated).toBeLessThanOrEqual(16);
    expect(driver.stats.poolExhausted).toBeGreaterThan(0); // it had to wait for callbacks, and resumed
  });

  it("a throwing core is counted, not fatal: the next datagram is still processed", async () => {
    const fake = new FakeEndpoint();
    fake.throwOnDatagram = true;
    const driver = await bind(fake);
    const client = createSocket("udp4");
    onTestFinished(() => {
      client.close();
    });
    client.send(new Uint8Array(10), driver.localAddress.port, "127.0.0.1");
    client.send(new Uint8Array(20), driver.localAddress.port, "127.0.0.1");
    await expect.poll(() => driver.stats.datagramsReceived, { timeout: 10_000 }).toBe(2);
    expect(driver.stats.internalErrors).toBe(2);
    expect((driver.lastInternalError as Error).message).toBe("core bug");
    expect(fake.calls).toEqual(["datagram 10", "datagram 20"]);
  });

  it("arms one timer at pollTimeout() and calls handleTimeout once it is due", async () => {
    const fake = new FakeEndpoint();
    const driver = await bind(fake);
    fake.deadline = driver.now() + 5;
    driver.wake();
    await expect.poll(() => fake.calls.includes("timeout"), { timeout: 10_000 }).toBe(true);
    expect(fake.deadline).toBeUndefined();
    expect(driver.stats.timerFires).toBeGreaterThanOrEqual(1);
  });
});
