/**
 * The simulated network itself, tested with toy hosts before any QUIC code
 * runs over it: a test harness that silently misbehaves would make every
 * connection test meaningless.
 */
import { describe, expect, it } from "vitest";
import { type LinkConfig, Prng, type SimAddress, type SimHost, SimLivelockError, SimNetwork } from "./sim-network.js";

const A: SimAddress = { address: "10.0.0.1", port: 1000 };
const B: SimAddress = { address: "10.0.0.2", port: 2000 };

/** Sends `count` datagrams of `size` bytes (first byte = sequence number) at `start`, then stays idle. */
class Burst implements SimHost {
  queued: number[] = [];
  received: { at: number; seq: number }[] = [];
  constructor(
    readonly address: SimAddress,
    readonly to: SimAddress,
    count: number,
    readonly size = 100,
  ) {
    for (let i = 0; i < count; i++) this.queued.push(i);
  }
  handleDatagram(now: number, datagram: Uint8Array): void {
    this.received.push({ at: now, seq: datagram[0]! });
  }
  handleTimeout(): void {}
  pollTransmit(_now: number, buffer: Uint8Array): { length: number; to: SimAddress } | undefined {
    const seq = this.queued.shift();
    if (seq === undefined) return undefined;
    buffer.fill(0, 0, this.size);
    buffer[0] = seq;
    return { length: this.size, to: this.to };
  }
  pollTimeout(): number | undefined {
    return undefined;
  }
}

/** Stop-and-wait sender: retransmits message `next` every `rto` ms until acknowledged. Exercises timers against deliveries. */
class StopAndWait implements SimHost {
  next = 0;
  deadline: number | undefined = 0;
  transmissions = 0;
  #due = true;
  constructor(
    readonly address: SimAddress,
    readonly to: SimAddress,
    readonly total: number,
    readonly rto: number,
  ) {}
  handleDatagram(now: number, datagram: Uint8Array): void {
    if (datagram[0] === this.next) {
      this.next++;
      this.#due = this.next < this.total;
      this.deadline = this.#due ? now : undefined;
    }
  }
  handleTimeout(now: number): void {
    this.#due = true;
    this.deadline = now;
  }
  pollTransmit(now: number, buffer: Uint8Array): { length: number; to: SimAddress } | undefined {
    if (!this.#due || this.next >= this.total) return undefined;
    this.#due = false;
    this.transmissions++;
    this.deadline = now + this.rto;
    buffer[0] = this.next;
    return { length: 1, to: this.to };
  }
  pollTimeout(): number | undefined {
    return this.deadline;
  }
}

/** Acknowledges every datagram by echoing its first byte; records what it saw in order. */
class Acker implements SimHost {
  seen: number[] = [];
  #pending: number[] = [];
  constructor(readonly address: SimAddress) {}
  handleDatagram(_now: number, datagram: Uint8Array): void {
    this.seen.push(datagram[0]!);
    this.#pending.push(datagram[0]!);
  }
  handleTimeout(): void {}
  pollTransmit(_now: number, buffer: Uint8Array): { length: number; to: SimAddress } | undefined {
    const seq = this.#pending.shift();
    if (seq === undefined) return undefined;
    buffer[0] = seq;
    return { length: 1, to: A };
  }
  pollTimeout(): number | undefined {
    return undefined;
  }
}

function burst(count: number, link: LinkConfig, seed = 1, size = 100): { net: SimNetwork; receiver: Burst } {
  const net = new SimNetwork({ seed, link });
  net.add(new Burst(A, B, count, size));
  const receiver = net.add(new Burst(B, A, 0));
  net.run(() => net.inFlight === 0 && receiver.received.length > 0, { allowIncomplete: true });
  net.run(() => net.inFlight === 0, { allowIncomplete: true });
  return { net, receiver };
}

describe("SimNetwork links", () => {
  it("delivers after the one-way delay, in order, on a clean link", () => {
    const { receiver } = burst(5, { delay: 25 });
    expect(receiver.received).toEqual([0, 1, 2, 3, 4].map((seq) => ({ at: 25, seq })));
  });

  it("drops exactly the scripted datagrams (1-based, per sender)", () => {
    const { net, receiver } = burst(6, { delay: 1, dropList: [3, 5] });
    expect(receiver.received.map((r) => r.seq)).toEqual([0, 1, 3, 5]);
    expect(net.linkStats(A, B).dropped).toBe(2);
    expect(net.trace.filter((r) => r.fate === "dropped").map((r) => r.index)).toEqual([3, 5]);
  });

  it("loses about the configured fraction", () => {
    const { net, receiver } = burst(2000, { delay: 1, loss: 0.25 }, 7);
    const rate = 1 - receiver.received.length / 2000;
    expect(rate).toBeGreaterThan(0.2);
    expect(rate).toBeLessThan(0.3);
    expect(net.linkStats(A, B).lost).toBe(2000 - receiver.received.length);
  });

  it("duplicates and reorders at the configured rates", () => {
    const { net, receiver } = burst(1000, { delay: 5, duplicate: 0.1, reorder: 0.1 }, 3);
    const stats = net.linkStats(A, B);
    expect(receiver.received.length).toBe(1000 + stats.duplicated);
    expect(stats.duplicated).toBeGreaterThan(50);
    expect(stats.duplicated).toBeLessThan(150);
    expect(stats.reordered).toBeGreaterThan(50);
    const order = receiver.received.map((r) => r.seq);
    expect(order).not.toEqual([...order].sort((x, y) => x - y));
  });

  it("serializes behind a bandwidth cap and tail-drops past the queue", () => {
    // 100 bytes/ms, 1000-byte datagrams: one leaves every 10 ms; a 3000-byte queue holds 3 waiting.
    const { net, receiver } = burst(10, { delay: 5, bandwidth: 100, queueBytes: 3000 }, 1, 1000);
    expect(receiver.received.map((r) => r.at)).toEqual([15, 25, 35, 45]);
    expect(net.linkStats(A, B).queueDropped).toBe(6);
  });

  it("replays identically for the same seed and differs for another", () => {
    const link = { delay: 3, jitter: 4, loss: 0.1, duplicate: 0.05, reorder: 0.05 };
    const run = (seed: number) => burst(300, link, seed).receiver.received;
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
  });

  it("rejects impossible configurations", () => {
    expect(() => new SimNetwork({ seed: 1 }).setLink(A, B, { loss: 1.5 })).toThrow(RangeError);
    expect(() => new SimNetwork({ seed: 1 }).setLink(A, B, { bandwidth: 0 })).toThrow(RangeError);
  });
});

describe("SimNetwork run loop", () => {
  it("interleaves deadlines and deliveries: stop-and-wait completes over a lossy link", () => {
    const net = new SimNetwork({ seed: 9, link: { delay: 10, loss: 0.3 } });
    const sender = net.add(new StopAndWait(A, B, 50, 50));
    const acker = net.add(new Acker(B));
    net.run(() => sender.next === 50);
    expect(new Set(acker.seen)).toEqual(new Set(Array.from({ length: 50 }, (_, i) => i)));
    expect(sender.transmissions).toBeGreaterThan(50); // losses forced retransmissions
    expect(net.now).toBeGreaterThanOrEqual(50 * 20); // at least one round trip per message
  });

  it("fails a livelock (a deadline that never advances) with SimLivelockError instead of hanging", () => {
    const net = new SimNetwork({ seed: 1 });
    net.add({
      address: A,
      handleDatagram() {},
      handleTimeout() {},
      pollTransmit: () => undefined,
      pollTimeout: () => 0,
    });
    expect(() => net.run(() => false, { maxSteps: 1000 })).toThrow(SimLivelockError);
  });

  it("fails when the network goes quiet before the goal, unless allowed", () => {
    const net = new SimNetwork({ seed: 1 });
    net.add(new Burst(A, B, 0));
    expect(() => net.run(() => false)).toThrow(/network quiet/);
    expect(net.run(() => false, { allowIncomplete: true })).toBe(false);
  });

  it("fails a host that never stops transmitting", () => {
    const net = new SimNetwork({ seed: 1 });
    net.add({
      address: A,
      handleDatagram() {},
      handleTimeout() {},
      pollTransmit: () => ({ length: 1, to: B }),
      pollTimeout: () => undefined,
    });
    expect(() => net.run(() => false)).toThrow(/never stops transmitting/);
  });

  it("runFor advances the clock even when idle", () => {
    const net = new SimNetwork({ seed: 1, start: 100 });
    net.runFor(250);
    expect(net.now).toBe(350);
  });
});

describe("Prng", () => {
  it("is deterministic and roughly uniform", () => {
    const a = new Prng(5);
    const b = new Prng(5);
    const xs = Array.from({ length: 10_000 }, () => a.next());
    expect(xs.slice(0, 10)).toEqual(Array.from({ length: 10 }, () => b.next()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
