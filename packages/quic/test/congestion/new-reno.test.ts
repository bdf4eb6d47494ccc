import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { initialWindow } from "../../src/proto/congestion/controller.js";
import { NewReno } from "../../src/proto/congestion/new-reno.js";

const rtt = { smoothedRtt: 100, minRtt: 100, latestRtt: 100 };
const pkt = (timeSent: number, sentBytes = 1200, inFlight = true) => ({ timeSent, sentBytes, inFlight });

describe("NewReno (RFC 9002 §7, Appendix B)", () => {
  it("starts at min(10 * mds, max(14720, 2 * mds)) with a minimum of 2 * mds (§7.2)", () => {
    expect(new NewReno().window).toBe(12000);
    expect(new NewReno({ maxDatagramSize: 1472 }).window).toBe(14720);
    expect(new NewReno({ maxDatagramSize: 9000 }).window).toBe(18000);
    expect(new NewReno({ maxDatagramSize: 1400 }).minimumWindow).toBe(2800);
    expect(new NewReno().ssthresh).toBe(Number.POSITIVE_INFINITY);
    expect(() => new NewReno({ maxDatagramSize: 1199 })).toThrow(RangeError);
  });

  it("counts in-flight bytes on send and removes them on ack, loss or discard (Appendix B.4, B.5, B.8, B.9)", () => {
    const cc = new NewReno();
    for (let i = 0; i < 4; i++) cc.onPacketSent(1000, 0);
    expect(cc.bytesInFlight).toBe(4000);
    cc.onPacketAcked(pkt(0, 1000), 10, rtt);
    cc.onPacketLost(pkt(0, 1000));
    cc.onPacketDiscarded(pkt(0, 1000));
    cc.onPacketAcked(pkt(0, 1000, false), 10, rtt); // not in flight: no change
    expect(cc.bytesInFlight).toBe(1000);
  });

  it("grows by the bytes acknowledged in slow start (§7.3.1)", () => {
    const cc = new NewReno();
    cc.onPacketSent(1200, 0);
    cc.onPacketAcked(pkt(0), 100, rtt);
    expect(cc.window).toBe(13200);
  });

  it("halves on a congestion event and ignores further losses of packets sent before the recovery start (§7.3.2)", () => {
    const cc = new NewReno();
    cc.onCongestionEvent(10, 100);
    expect(cc.ssthresh).toBe(6000);
    expect(cc.window).toBe(6000);
    cc.onCongestionEvent(50, 120); // sent before recovery began at t=100: same recovery period
    expect(cc.window).toBe(6000);
    cc.onCongestionEvent(100, 130); // sent at the recovery start still belongs to it
    expect(cc.window).toBe(6000);
    cc.onCongestionEvent(101, 200); // sent after: a new congestion event
    expect(cc.window).toBe(3000);
  });

  it("never reduces below the minimum window on a congestion event (§7.2)", () => {
    const cc = new NewReno();
    for (let t = 1; t < 10; t++) cc.onCongestionEvent(t * 10, t * 10 + 1);
    expect(cc.window).toBe(2400);
  });

  it("does not grow while acknowledgments are for packets sent during recovery, and grows after (§7.3.2, Appendix B.5)", () => {
    const cc = new NewReno();
    cc.onCongestionEvent(0, 100);
    cc.onPacketSent(1200, 50);
    cc.onPacketAcked(pkt(50), 150, rtt);
    expect(cc.window).toBe(6000);
    // Congestion avoidance: one mds per window acknowledged (§7.3.3).
    for (let i = 0; i < 4; i++) cc.onPacketAcked(pkt(150), 250, rtt);
    expect(cc.window).toBe(6000);
    cc.onPacketAcked(pkt(150), 250, rtt);
    expect(cc.window).toBe(7200);
  });

  it("does not grow when application limited (§7.8)", () => {
    const cc = new NewReno();
    cc.appLimited = true;
    cc.onPacketSent(1200, 0);
    cc.onPacketAcked(pkt(0), 100, rtt);
    expect(cc.window).toBe(12000);
  });

  it("collapses to the minimum window on persistent congestion and re-enters slow start (§7.6.2)", () => {
    const cc = new NewReno();
    cc.onCongestionEvent(0, 100);
    cc.onPersistentCongestion(200);
    expect(cc.window).toBe(2400);
    expect(cc.ssthresh).toBe(6000);
    cc.onPacketAcked(pkt(50), 300, rtt); // recovery was cleared: slow start growth even for older packets
    expect(cc.window).toBe(3600);
  });

  it("recomputes the initial window when the datagram size changes before growth, and resets it when it shrinks (§7.2)", () => {
    const cc = new NewReno();
    cc.setMaxDatagramSize(1472);
    expect(cc.window).toBe(initialWindow(1472));
    cc.onPacketAcked(pkt(0), 10, rtt);
    const grown = cc.window;
    cc.setMaxDatagramSize(1500);
    expect(cc.window).toBe(grown);
    cc.setMaxDatagramSize(1200);
    expect(cc.window).toBe(12000);
  });

  it("never falls below the minimum window nor counts negative bytes in flight, whatever the events (property)", () => {
    const event = fc.oneof(
      fc.record({ k: fc.constant("sent" as const), bytes: fc.integer({ min: 1, max: 1500 }) }),
      fc.record({ k: fc.constant("acked" as const), bytes: fc.integer({ min: 1, max: 1500 }), age: fc.nat(500) }),
      fc.record({ k: fc.constant("lost" as const), bytes: fc.integer({ min: 1, max: 1500 }), age: fc.nat(500) }),
      fc.record({ k: fc.constant("pc" as const) }),
      fc.record({ k: fc.constant("mds" as const), mds: fc.integer({ min: 1200, max: 9000 }) }),
      fc.record({ k: fc.constant("applimited" as const), on: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 200 }), (events) => {
        const cc = new NewReno();
        let now = 0;
        for (const e of events) {
          now += 7;
          if (e.k === "sent") cc.onPacketSent(e.bytes, now);
          else if (e.k === "acked") cc.onPacketAcked(pkt(now - e.age, e.bytes), now, rtt);
          else if (e.k === "lost") {
            cc.onPacketLost(pkt(now - e.age, e.bytes));
            cc.onCongestionEvent(now - e.age, now);
          } else if (e.k === "pc") cc.onPersistentCongestion(now);
          else if (e.k === "mds") cc.setMaxDatagramSize(e.mds);
          else cc.appLimited = e.on;
          expect(cc.window).toBeGreaterThanOrEqual(cc.minimumWindow);
          expect(cc.bytesInFlight).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });
});
