import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AckManager, decodeAckDelay, encodeAckDelay } from "../../src/proto/recovery/ack-manager.js";
import { PacketNumberSpace } from "../../src/proto/recovery/loss-detection.js";

const { Initial, Handshake, ApplicationData: App } = PacketNumberSpace;

describe("AckManager (RFC 9000 §13.2)", () => {
  it("acknowledges ack-eliciting Initial and Handshake packets immediately (§13.2.1)", () => {
    for (const space of [Initial, Handshake]) {
      const acks = new AckManager(space);
      acks.onPacketReceived(0, true, 10);
      expect(acks.deadline).toBe(10);
      expect(acks.wantsAck(10)).toBe(true);
    }
  });

  it("delays the ACK of one in-order 1-RTT packet by at most max_ack_delay (§13.2.1)", () => {
    const acks = new AckManager(App, { maxAckDelay: 25 });
    acks.onPacketReceived(0, true, 100);
    expect(acks.deadline).toBe(125);
    expect(acks.wantsAck(124)).toBe(false);
    expect(acks.wantsAck(125)).toBe(true);
  });

  it("acknowledges once two ack-eliciting packets are unacknowledged (§13.2.2)", () => {
    const acks = new AckManager(App);
    acks.onPacketReceived(0, true, 100);
    acks.onPacketReceived(1, true, 101);
    expect(acks.wantsAck(101)).toBe(true);
    acks.onAckSent();
    expect(acks.deadline).toBeUndefined();
    acks.onPacketReceived(2, true, 102);
    expect(acks.wantsAck(102)).toBe(false);
  });

  it("does not schedule an ACK for packets that are not ack-eliciting, but reports them with the next one (§13.2.1)", () => {
    const acks = new AckManager(App);
    acks.onPacketReceived(0, false, 100);
    acks.onPacketReceived(1, false, 101);
    expect(acks.deadline).toBeUndefined();
    expect(acks.hasUnreported).toBe(true);
    acks.onPacketReceived(2, true, 102);
    expect([...acks.ranges]).toEqual([[0, 3]]);
  });

  it("acknowledges immediately a packet below the largest ack-eliciting one, or above it after a gap (§13.2.1)", () => {
    const gap = new AckManager(App);
    gap.onPacketReceived(0, true, 100);
    gap.onAckSent();
    gap.onPacketReceived(2, true, 101); // 1 is missing
    expect(gap.wantsAck(101)).toBe(true);

    const late = new AckManager(App);
    late.onPacketReceived(0, true, 100);
    late.onPacketReceived(2, true, 101);
    late.onAckSent();
    late.onPacketReceived(1, true, 102); // below the largest
    expect(late.wantsAck(102)).toBe(true);

    const filled = new AckManager(App);
    filled.onPacketReceived(0, true, 100);
    filled.onAckSent();
    filled.onPacketReceived(1, false, 101); // not ack-eliciting, but no gap
    filled.onPacketReceived(2, true, 102);
    expect(filled.wantsAck(102)).toBe(false);
  });

  it("acknowledges an ECN-CE marked packet immediately (§13.2.1)", () => {
    const acks = new AckManager(App);
    acks.onPacketReceived(0, true, 100, true);
    expect(acks.wantsAck(100)).toBe(true);
  });

  it("detects duplicates, also after the ranges were pruned by an ACK of our ACK (§12.3, §13.2.4)", () => {
    const acks = new AckManager(App);
    for (let pn = 0; pn < 5; pn++) acks.onPacketReceived(pn, true, pn);
    expect(acks.onPacketReceived(3, true, 10)).toBe(false);
    const largest = acks.onAckSent();
    expect(largest).toBe(4);
    acks.onAckOfAckReceived(largest);
    expect(acks.ranges.isEmpty).toBe(true);
    expect(acks.hasUnreported).toBe(false);
    expect(acks.isDuplicate(2)).toBe(true);
    expect(acks.isDuplicate(5)).toBe(false);
    acks.onPacketReceived(6, true, 20);
    expect([...acks.ranges]).toEqual([[6, 7]]);
  });

  it("bounds the ranges it reports and the ranges it remembers; forgotten numbers count as duplicates (§13.2.4)", () => {
    const acks = new AckManager(App, { maxRanges: 4, dedupRanges: 8 });
    for (let pn = 0; pn < 40; pn += 2) acks.onPacketReceived(pn, true, pn);
    expect(acks.ranges.rangeCount).toBe(4);
    expect(acks.ranges.max).toBe(38);
    expect(acks.isDuplicate(1)).toBe(true); // below what dedup remembers
    expect(acks.isDuplicate(37)).toBe(false);
    expect(acks.onPacketReceived(1, true, 50)).toBe(false);
  });

  it("reports the time since the largest packet arrived as ACK Delay, in µs scaled by ack_delay_exponent (§13.2.5, §19.3)", () => {
    const acks = new AckManager(App);
    acks.onPacketReceived(5, true, 100);
    acks.onPacketReceived(3, true, 110); // not the largest: does not move the reference time
    expect(acks.ackDelayField(112, 3)).toBe(12_000 / 8);
    expect(acks.ackDelayField(112.5, 3)).toBe(Math.floor(12_500 / 8)); // rounded down
    expect(decodeAckDelay(acks.ackDelayField(112, 3), 3)).toBe(12);
    expect(encodeAckDelay(-1, 3)).toBe(0);
  });

  it("acknowledges exactly the packets received, whatever the order (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(200), fc.boolean()), { maxLength: 100 }), (packets) => {
        const acks = new AckManager(App, { maxRanges: 1000, dedupRanges: 1000 });
        const seen = new Set<number>();
        let now = 0;
        for (const [pn, eliciting] of packets) {
          now += 1;
          expect(acks.isDuplicate(pn)).toBe(seen.has(pn));
          expect(acks.onPacketReceived(pn, eliciting, now)).toBe(!seen.has(pn));
          seen.add(pn);
          if (acks.deadline !== undefined) expect(acks.deadline).toBeLessThanOrEqual(now + 25);
        }
        for (let pn = 0; pn <= 200; pn++) expect(acks.ranges.contains(pn)).toBe(seen.has(pn));
      }),
    );
  });
});
