import { describe, expect, it } from "vitest";
import { PACING_GAIN, Pacer } from "../../src/proto/recovery/pacer.js";

describe("Pacer (RFC 9002 §7.7)", () => {
  it("paces at N * cwnd / smoothed_rtt with N = 1.25", () => {
    expect(PACING_GAIN).toBe(1.25);
    expect(Pacer.rate(120_000, 100)).toBe(1500); // bytes per ms
    expect(Pacer.rate(120_000, 0)).toBe(Number.POSITIVE_INFINITY);
  });

  it("lets a burst of the bucket's depth go at once, then spaces packets at the rate", () => {
    const pacer = new Pacer();
    const window = 120_000;
    const rtt = 100; // 1500 bytes/ms; depth max(3000, 12000) = 12000 bytes = 10 packets
    let sent = 0;
    while (pacer.delay(0, 1200, window, rtt, 1200) === undefined) {
      pacer.onSent(1200);
      sent++;
    }
    expect(sent).toBe(10);
    expect(pacer.delay(0, 1200, window, rtt, 1200)).toBe(1200 / 1500);
    expect(pacer.delay(0.8, 1200, window, rtt, 1200)).toBeUndefined();
  });

  it("scales the burst with the rate up to maxBurst datagrams", () => {
    const pacer = new Pacer();
    expect(pacer.capacity(10_000_000, 10, 1200)).toBe(256 * 1200); // 2 ms of 1.25 MB/ms, capped
    expect(pacer.capacity(1_000_000, 10, 1200)).toBe(250_000); // 2 ms worth
    expect(pacer.capacity(12_000, 100, 1200)).toBe(12_000); // at least 10 datagrams
  });

  it("refills no more than the bucket's depth after idle time", () => {
    const pacer = new Pacer();
    pacer.delay(0, 1200, 120_000, 100, 1200);
    pacer.onSent(12_000);
    let sent = 0;
    while (pacer.delay(10_000, 1200, 120_000, 100, 1200) === undefined) {
      pacer.onSent(1200);
      sent++;
    }
    expect(sent).toBe(10);
  });

  it("rejects inconsistent options", () => {
    expect(() => new Pacer({ minBurst: 10, maxBurst: 5 })).toThrow(RangeError);
    expect(() => new Pacer({ burstInterval: 0 })).toThrow(RangeError);
  });
});
