/**
 * Loss detection's bookkeeping at its edges (RFC 9002 Appendix A.5, A.7,
 * A.11; RFC 9000 §13.1, §21.4): packets outside bytes in flight, the
 * largest acknowledged never moving back, the window of remembered skipped
 * packet numbers, empty and discarded-space ACKs, ECN-CE on an ACK that
 * fills a gap, and refusals that say what was refused.
 */
import { describe, expect, it } from "vitest";
import { TransportError, TransportErrorCode } from "../../src/proto/errors.js";
import type { PacketNumberSpace } from "../../src/proto/recovery/loss-detection.js";
import { RangeSet } from "../../src/proto/wire/range-set.js";
import { App, ack, ackOnly, established, Handshake, Initial, packet, server, thrown } from "./loss-fixtures.js";

describe("LossDetection: what counts in flight (RFC 9002 §2, Appendix A.5)", () => {
  it("does not count a packet outside bytes in flight, nor arm a timer for it", () => {
    const ld = established(100);
    ld.onPacketSent(App, ackOnly(1, 100), 100);
    expect(ld.cc.bytesInFlight).toBe(0);
    expect(ld.ackElicitingInFlight(App)).toBe(0);
    expect(ld.outstanding(App)).toBe(1);
    expect(ld.deadline).toBeUndefined();
  });
});

describe("LossDetection: acknowledgments at the edges (Appendix A.7)", () => {
  it("never lowers the largest acknowledged when a late ACK arrives", () => {
    const ld = server();
    for (let pn = 0; pn <= 5; pn++) ld.onPacketSent(App, packet(pn, pn), pn);
    ld.onAckReceived(App, ack(5), 0, 10);
    expect(ld.largestAcked(App)).toBe(5);
    ld.onAckReceived(App, ack(4), 0, 11);
    expect(ld.largestAcked(App)).toBe(5);
  });

  it("acknowledges nothing for an empty set of ranges", () => {
    const ld = server();
    ld.onPacketSent(App, packet(0, 0), 0);
    const out = ld.onAckReceived(App, new RangeSet(), 0, 10);
    expect(out.acked).toEqual([]);
    expect(ld.largestAcked(App)).toBe(-1);
    expect(ld.outstanding(App)).toBe(1);
  });

  it("ignores an ACK in a discarded space entirely, its largest acknowledged included", () => {
    const ld = server();
    ld.onPacketSent(Initial, packet(0, 0), 0);
    ld.onPacketSent(Initial, packet(1, 1), 1);
    ld.discardSpace(Initial, 2);
    expect(ld.onAckReceived(Initial, ack(0, 1), 0, 3).acked).toEqual([]);
    expect(ld.largestAcked(Initial)).toBe(-1);
  });

  it("remembers the 32 most recent skipped packet numbers: an ACK of an older one is no longer a violation", () => {
    const ld = server();
    for (let pn = 0; pn <= 32; pn++) ld.onPacketNumberSkipped(App, pn); // 0 is the 33rd most recent
    ld.onPacketSent(App, packet(33, 0), 0);
    const error = thrown(() => ld.onAckReceived(App, ack(1, 33), 0, 10));
    expect((error as TransportError).errorCode).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
    expect((error as TransportError).message).toContain("ACK of packet 1, which was skipped");
    const out = ld.onAckReceived(App, ack(0, 33), 0, 10);
    expect(out.acked.map((p) => p.packetNumber)).toEqual([33]);
  });

  it("names the packet an ACK claims that was never sent", () => {
    const ld = server();
    ld.onPacketSent(App, packet(0, 0), 0);
    const error = thrown(() => ld.onAckReceived(App, ack([0, 1]), 0, 10));
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).message).toContain("ACK of packet 1, never sent");
  });
});

describe("LossDetection: ECN-CE on an ACK that fills a gap (Appendix B.7)", () => {
  it("treats a CE increase as a congestion event when the ACK's largest was acknowledged before (a reordered packet arrived)", () => {
    const ld = established(100);
    ld.onPacketSent(App, packet(1, 100), 100);
    ld.onPacketSent(App, packet(2, 101), 101);
    ld.onAckReceived(App, ack(0, 2), 0, 201, 0); // 2 arrived first
    expect(ld.cc.ssthresh).toBe(Number.POSITIVE_INFINITY);
    const window = ld.cc.window;
    const out = ld.onAckReceived(App, ack([0, 2]), 0, 205, 1); // then 1, marked CE
    expect(out.acked.map((p) => p.packetNumber)).toEqual([1]);
    expect(ld.cc.ssthresh).toBe(window / 2);
  });
});

describe("LossDetection: discarding and refusals (Appendix A.11)", () => {
  it("discards a space once: a second discard does not reset pto_count", () => {
    const ld = server();
    ld.onPacketSent(Handshake, packet(0, 0), 0);
    ld.discardSpace(Initial, 0);
    expect(ld.onTimeout(999).kind).toBe("probe");
    expect(ld.ptoCount).toBe(1);
    ld.discardSpace(Initial, 1000);
    expect(ld.ptoCount).toBe(1);
  });

  it("names the discarded space a packet was sent in, and an unknown space", () => {
    const ld = server();
    ld.discardSpace(Initial, 0);
    expect(() => ld.onPacketSent(Initial, packet(0, 0), 0)).toThrow("packet number space 0 was discarded");
    expect(() => ld.outstanding(3 as PacketNumberSpace)).toThrow(RangeError);
    expect(() => ld.outstanding(3 as PacketNumberSpace)).toThrow("unknown packet number space 3");
  });
});
