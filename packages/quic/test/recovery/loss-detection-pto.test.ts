/**
 * The probe timeout's inputs and choices (RFC 9002 §6.2, Appendix A.8): the
 * PTO period with and without the peer's max_ack_delay, the value its
 * transport parameters set, which space a PTO is for when several have
 * ack-eliciting packets (ties included), and a timer that is not armed.
 */
import { describe, expect, it } from "vitest";
import { App, ack, established, Handshake, Initial, packet, server } from "./loss-fixtures.js";

describe("LossDetection: PTO period and max_ack_delay (RFC 9002 §6.2.1, RFC 9000 §18.2)", () => {
  it("adds the peer's max_ack_delay to the ApplicationData period only, which is the default space", () => {
    const ld = established(100); // smoothed 100, rttvar 50: base 100 + 4 * 50 = 300
    expect(ld.peerMaxAckDelay).toBe(25);
    expect(ld.ptoPeriod(Initial)).toBe(300);
    expect(ld.ptoPeriod(Handshake)).toBe(300);
    expect(ld.ptoPeriod(App)).toBe(325);
    expect(ld.ptoPeriod()).toBe(325);
  });

  it("takes max_ack_delay from the options, then from the peer's transport parameters, and re-arms the PTO with it", () => {
    const ld = established(100, 40);
    expect(ld.peerMaxAckDelay).toBe(40);
    ld.onPacketSent(App, packet(1, 100), 100);
    expect(ld.deadline).toBe(100 + 300 + 40);
    ld.setPeerMaxAckDelay(5, 110);
    expect(ld.peerMaxAckDelay).toBe(5);
    expect(ld.ptoPeriod()).toBe(305);
    expect(ld.deadline).toBe(100 + 305);
    ld.setPeerMaxAckDelay(0, 120); // a peer that acknowledges at once
    expect(ld.ptoPeriod()).toBe(300);
    expect(ld.deadline).toBe(100 + 300);
  });

  it("refuses a negative or NaN max_ack_delay, naming it", () => {
    const ld = established(100);
    expect(() => ld.setPeerMaxAckDelay(-1, 100)).toThrow("maxAckDelay must be >= 0 ms, got -1");
    expect(() => ld.setPeerMaxAckDelay(Number.NaN, 100)).toThrow("maxAckDelay must be >= 0 ms, got NaN");
    expect(ld.peerMaxAckDelay).toBe(25);
  });

  it("caps the ack delay of an RTT sample at max_ack_delay once the handshake is confirmed (§5.3)", () => {
    const ld = established(100); // min_rtt 100, max_ack_delay 25
    ld.onPacketSent(App, packet(1, 100), 100);
    ld.onAckReceived(App, ack([0, 1]), 40, 250); // 150 ms, 40 reported, 25 allowed: 125
    expect(ld.rtt.smoothedRtt).toBe(0.875 * 100 + 0.125 * 125);
    const smoothed = ld.rtt.smoothedRtt;
    ld.setPeerMaxAckDelay(10, 250);
    ld.onPacketSent(App, packet(2, 250), 250);
    ld.onAckReceived(App, ack([0, 2]), 40, 400); // 150 ms, 10 allowed now: 140
    expect(ld.rtt.smoothedRtt).toBe(0.875 * smoothed + 0.125 * 140);
  });
});

describe("LossDetection: which space a PTO is for (Appendix A.8)", () => {
  it("reports whether the handshake is confirmed", () => {
    const ld = server();
    expect(ld.handshakeConfirmed).toBe(false);
    ld.onHandshakeConfirmed(0);
    expect(ld.handshakeConfirmed).toBe(true);
  });

  it("ignores a space whose ack-eliciting packets were all acknowledged, however recently it sent one", () => {
    const ld = server();
    ld.onPacketSent(Initial, packet(0, 0), 0);
    ld.onAckReceived(Initial, ack(0), 0, 100); // RTT 100: PTO period 300; Initial has nothing in flight
    ld.onPacketSent(Handshake, packet(0, 200), 200);
    expect(ld.deadline).toBe(200 + 300);
    expect(ld.onTimeout(300).kind).toBe("none");
    const out = ld.onTimeout(500);
    expect(out.kind).toBe("probe");
    expect(out.space).toBe(Handshake);
  });

  it("gives a tie to the earlier space: Initial before Handshake", () => {
    const ld = server();
    ld.onPacketSent(Initial, packet(0, 0), 0);
    ld.onPacketSent(Handshake, packet(0, 0), 0);
    expect(ld.deadline).toBe(999);
    const out = ld.onTimeout(999);
    expect(out.kind).toBe("probe");
    expect(out.space).toBe(Initial);
  });

  it("does nothing when the timer fires without being armed", () => {
    const ld = server();
    expect(ld.deadline).toBeUndefined();
    const out = ld.onTimeout(5000);
    expect(out.kind).toBe("none");
    expect(out.probeCount).toBe(0);
    expect(ld.ptoCount).toBe(0);
  });
});
