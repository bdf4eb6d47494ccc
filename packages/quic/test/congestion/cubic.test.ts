import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CUBIC_ALPHA, CUBIC_BETA, CUBIC_C, Cubic } from "../../src/proto/congestion/cubic.js";

const MDS = 1200;
const pkt = (timeSent: number, sentBytes = MDS) => ({ timeSent, sentBytes, inFlight: true });
const rttOf = (smoothedRtt: number) => ({ smoothedRtt, minRtt: smoothedRtt, latestRtt: smoothedRtt });

/** Acknowledges one full window per RTT from `start` for `rounds` rounds; returns the window after each round. */
function run(cc: Cubic, start: number, rtt: number, rounds: number): number[] {
  const windows: number[] = [];
  let now = start;
  for (let r = 0; r < rounds; r++) {
    const packets = Math.max(1, Math.floor(cc.window / MDS));
    for (let i = 0; i < packets; i++) {
      cc.onPacketSent(MDS, now);
      cc.onPacketAcked(pkt(now), now + rtt, rttOf(rtt));
    }
    now += rtt;
    windows.push(cc.window);
  }
  return windows;
}

describe("CUBIC (RFC 9438)", () => {
  it("uses beta = 0.7, C = 0.4 and alpha = 3 (1 - beta) / (1 + beta) (§4.3, §4.6, §5)", () => {
    expect(CUBIC_BETA).toBe(0.7);
    expect(CUBIC_C).toBe(0.4);
    expect(CUBIC_ALPHA).toBeCloseTo(0.529, 3);
  });

  it("starts like NewReno: the RFC 9002 initial window and slow start", () => {
    const cc = new Cubic();
    expect(cc.window).toBe(12_000);
    cc.onPacketSent(MDS, 0);
    cc.onPacketAcked(pkt(0), 100, rttOf(100));
    expect(cc.window).toBe(13_200);
  });

  it("reduces cwnd to beta * cwnd on a congestion event, once per recovery period (§4.6)", () => {
    const cc = new Cubic();
    cc.window = 120_000;
    cc.onCongestionEvent(0, 10);
    expect(cc.window).toBeCloseTo(84_000);
    expect(cc.ssthresh).toBeCloseTo(84_000);
    expect(cc.wMax).toBe(120_000);
    cc.onCongestionEvent(5, 20); // same recovery period
    expect(cc.window).toBeCloseTo(84_000);
  });

  it("lowers W_max further with fast convergence when cwnd is below the previous W_max (§4.7)", () => {
    const fast = new Cubic();
    fast.window = 120_000;
    fast.onCongestionEvent(0, 10);
    fast.onCongestionEvent(20, 30); // cwnd 84000 < W_max 120000
    expect(fast.wMax).toBeCloseTo((84_000 * (1 + CUBIC_BETA)) / 2);
    const plain = new Cubic({ fastConvergence: false });
    plain.window = 120_000;
    plain.onCongestionEvent(0, 10);
    plain.onCongestionEvent(20, 30);
    expect(plain.wMax).toBeCloseTo(84_000);
  });

  it("computes K = cbrt((W_max - cwnd_start) / C) in segments and returns to W_max about K seconds later (§4.2)", () => {
    const cc = new Cubic();
    cc.window = 100 * MDS;
    cc.onCongestionEvent(0, 0); // W_max 100 segments, cwnd 70
    const windows = run(cc, 1, 100, 60);
    const k = Math.cbrt((100 - 70) / CUBIC_C);
    expect(cc.k).toBeCloseTo(k, 6);
    // Concave: close to W_max after K seconds (42 rounds of 100 ms), never far above it before.
    const atK = windows[Math.round((k * 1000) / 100)] as number;
    expect(atK / MDS).toBeGreaterThan(97);
    expect(atK / MDS).toBeLessThan(103);
    // Convex afterwards: growth accelerates beyond W_max.
    const last = windows.length - 1;
    expect((windows[last] as number) - (windows[last - 1] as number)).toBeGreaterThan(
      (windows[last - 10] as number) - (windows[last - 11] as number),
    );
  });

  it("grows toward the target W_cubic(t + RTT) by (target - cwnd) / cwnd per acknowledged segment (§4.2, §4.4)", () => {
    const cc = new Cubic();
    cc.window = 100 * MDS;
    cc.onCongestionEvent(0, 0); // W_max 100 segments, cwnd_start 70
    cc.onPacketAcked(pkt(1), 1, rttOf(100)); // starts the epoch at t = 0 (Reno-friendly: W_est > W_cubic(0) = 70)
    const cwnd = cc.window;
    cc.onPacketAcked(pkt(2), 1001, rttOf(100)); // t = 1 s: W_cubic(1) is about 86.7 segments, above W_est
    const k = Math.cbrt(30 / CUBIC_C);
    const target = (CUBIC_C * (1.1 - k) ** 3 + 100) * MDS; // W_cubic(t + RTT)
    expect(cc.window).toBeCloseTo(cwnd + ((target - cwnd) / cwnd) * MDS, 6);
  });

  it("never grows by more than half the window per RTT (the 1.5 cwnd target clamp, §4.2)", () => {
    const cc = new Cubic();
    cc.window = 20 * MDS;
    cc.onCongestionEvent(0, 0);
    const windows = run(cc, 1, 10_000, 6); // 10 s RTT: W_cubic(t + RTT) is far above 1.5 cwnd
    for (let i = 1; i < windows.length; i++) {
      const ratio = (windows[i] as number) / (windows[i - 1] as number);
      expect(ratio).toBeLessThanOrEqual(1.5 + 1e-9);
      expect(ratio).toBeGreaterThan(1.3);
    }
  });

  it("follows the Reno-friendly estimate on short RTTs, where Reno would grow faster (§4.3)", () => {
    const cc = new Cubic();
    cc.window = 100 * MDS;
    cc.onCongestionEvent(0, 0);
    const start = cc.window;
    const windows = run(cc, 1, 1, 50); // 1 ms RTT: the cubic curve barely moves in 50 ms
    const grownSegments = ((windows[49] as number) - start) / MDS;
    // About alpha segments per RTT (alpha switches to 1 at prior_cwnd, not reached here).
    expect(grownSegments).toBeGreaterThan(50 * CUBIC_ALPHA * 0.9);
    expect(grownSegments).toBeLessThan(50 * CUBIC_ALPHA * 1.2);
  });

  it("does not grow while application-limited, and the limited time does not count toward t (§5.8)", () => {
    const limited = new Cubic();
    limited.window = 100 * MDS;
    limited.onCongestionEvent(0, 0);
    run(limited, 1, 100, 5);
    const before = limited.window;
    limited.appLimited = true;
    for (let i = 0; i < 20; i++) limited.onPacketAcked(pkt(601 + i * 100), 601 + i * 100, rttOf(100));
    expect(limited.window).toBe(before);
    limited.appLimited = false;
    const reference = new Cubic();
    reference.window = 100 * MDS;
    reference.onCongestionEvent(0, 0);
    run(reference, 1, 100, 5);
    // Resuming after 2 s of app-limited time behaves as resuming at once.
    run(limited, 2501, 100, 5); // first ACK at 2601, limited since 601: 2000 ms excluded
    run(reference, 501, 100, 5);
    expect(limited.window).toBeCloseTo(reference.window, 0);
  });

  it("restarts from the minimum window with K = 0 after persistent congestion (§4.8)", () => {
    const cc = new Cubic();
    cc.window = 100 * MDS;
    cc.onCongestionEvent(0, 0);
    cc.onPersistentCongestion(10);
    expect(cc.window).toBe(2 * MDS);
    run(cc, 20, 100, 10); // slow start up to ssthresh, then a new cubic epoch
    expect(cc.k).toBe(0);
  });

  it("never falls below the minimum window and keeps bytes in flight non-negative (property)", () => {
    const event = fc.oneof(
      fc.record({
        k: fc.constant("ack" as const),
        bytes: fc.integer({ min: 1, max: 1500 }),
        age: fc.nat(500),
        rtt: fc.integer({ min: 1, max: 500 }),
      }),
      fc.record({ k: fc.constant("loss" as const), age: fc.nat(500) }),
      fc.record({ k: fc.constant("pc" as const) }),
      fc.record({ k: fc.constant("applimited" as const), on: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 300 }), (events) => {
        const cc = new Cubic();
        let now = 0;
        for (const e of events) {
          now += 5;
          if (e.k === "ack") {
            cc.onPacketSent(e.bytes, now - e.age);
            cc.onPacketAcked(pkt(now - e.age, e.bytes), now, rttOf(e.rtt));
          } else if (e.k === "loss") cc.onCongestionEvent(now - e.age, now);
          else if (e.k === "pc") cc.onPersistentCongestion(now);
          else cc.appLimited = e.on;
          expect(cc.window).toBeGreaterThanOrEqual(cc.minimumWindow);
          expect(Number.isFinite(cc.window)).toBe(true);
          expect(cc.bytesInFlight).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });
});
