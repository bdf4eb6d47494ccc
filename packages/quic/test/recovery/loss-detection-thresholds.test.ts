/**
 * Loss declaration at its boundaries (RFC 9002 §6.1, §7.6, Appendix A.10,
 * B.8): which pending packet the loss timer is for, tombstones between
 * pending packets, the space a loss timer is for, the send time a congestion
 * event uses, and the persistent congestion period's edges (the first RTT
 * sample, skipped packet numbers, max_ack_delay).
 */
import { describe, expect, it } from "vitest";
import { NewReno } from "../../src/proto/congestion/new-reno.js";
import { LossDetection, type PacketNumberSpace } from "../../src/proto/recovery/loss-detection.js";
import { App, ack, ackOnly, established, Handshake, Initial, packet, server } from "./loss-fixtures.js";

describe("LossDetection: the loss timer (RFC 9002 §6.1.2, Appendix A.10)", () => {
  it("is armed for the earliest of several pending packets, then for the next one", () => {
    const ld = established(100);
    ld.onPacketSent(App, packet(1, 100), 100);
    ld.onPacketSent(App, packet(2, 120), 120);
    ld.onPacketSent(App, packet(3, 130), 130);
    ld.onAckReceived(App, ack(0, 3), 0, 140); // 1 and 2 within the packet threshold
    const lossDelay = 1.125 * Math.max(ld.rtt.latestRtt, ld.rtt.smoothedRtt);
    expect(ld.deadline).toBe(100 + lossDelay);
    const out = ld.onTimeout(100 + lossDelay);
    expect(out.lost.map((p) => p.packetNumber)).toEqual([1]);
    expect(ld.deadline).toBe(120 + lossDelay);
  });

  it("is armed for a pending packet that follows an acknowledged one", () => {
    const ld = established(100);
    ld.onPacketSent(App, packet(1, 100), 100);
    ld.onPacketSent(App, packet(2, 110), 110);
    ld.onPacketSent(App, packet(3, 120), 120);
    ld.onAckReceived(App, ack([0, 1], 3), 0, 130); // 2 pending between two acknowledged packets
    const lossDelay = 1.125 * Math.max(ld.rtt.latestRtt, ld.rtt.smoothedRtt);
    expect(ld.deadline).toBe(110 + lossDelay);
    expect(ld.onTimeout(110 + lossDelay).lost.map((p) => p.packetNumber)).toEqual([2]);
  });

  /** Packets 0 and 1 at `t`, 2 at `t + 1`, ACK of 0 and 2 at `t + 10`: 1 pending until `t + 10.125` (RTT 9). */
  function pendingLoss(ld: LossDetection<string>, space: PacketNumberSpace, t: number): void {
    ld.onPacketSent(space, packet(0, t), t);
    ld.onPacketSent(space, packet(1, t), t);
    ld.onPacketSent(space, packet(2, t + 1), t + 1);
    ld.onAckReceived(space, ack(0, 2), 0, t + 10);
  }

  it("is for the space whose loss time comes first, and a tie goes to the earlier space (GetLossTimeAndSpace)", () => {
    const scenario = (initialAt: number, handshakeAt: number) => {
      const ld = server();
      pendingLoss(ld, Initial, initialAt);
      pendingLoss(ld, Handshake, handshakeAt);
      const out = ld.onTimeout(ld.deadline as number);
      expect(out.kind).toBe("loss");
      expect(out.lost.map((p) => p.packetNumber)).toEqual([1]);
      return out.space;
    };
    expect(scenario(0, 1)).toBe(Initial);
    expect(scenario(1, 0)).toBe(Handshake);
    expect(scenario(0, 0)).toBe(Initial);
  });
});

describe("LossDetection: congestion events from losses (Appendix B.8)", () => {
  it("starts no congestion event when only a packet outside bytes in flight is lost", () => {
    const ld = established(100);
    ld.onPacketSent(App, ackOnly(1, 100), 100);
    for (let pn = 2; pn <= 4; pn++) ld.onPacketSent(App, packet(pn, 101), 101);
    const out = ld.onAckReceived(App, ack([0, 0], [2, 4]), 0, 201);
    expect(out.lost.map((p) => p.packetNumber)).toEqual([1]);
    expect(ld.cc.ssthresh).toBe(Number.POSITIVE_INFINITY);
    expect(ld.cc.bytesInFlight).toBe(0);
  });

  it("dates the event by the latest lost packet: a loss sent after the recovery period began reduces the window again", () => {
    const ld = established(100);
    ld.onPacketSent(App, packet(1, 100), 100);
    for (let pn = 2; pn <= 4; pn++) ld.onPacketSent(App, packet(pn, 110), 110);
    ld.onAckReceived(App, ack(0, [2, 4]), 0, 210); // 1 lost: recovery starts at 210
    const first = ld.cc.ssthresh;
    expect(first).toBeLessThan(Number.POSITIVE_INFINITY);
    ld.onPacketSent(App, packet(5, 205), 205); // sent before the recovery period began
    ld.onPacketSent(App, packet(6, 220), 220); // sent after
    for (let pn = 7; pn <= 9; pn++) ld.onPacketSent(App, packet(pn, 230), 230);
    const out = ld.onAckReceived(App, ack([7, 9]), 0, 330);
    expect(out.lost.map((p) => p.packetNumber)).toEqual([5, 6]);
    expect(ld.cc.ssthresh).toBe(first / 2);
  });
});

describe("LossDetection: the persistent congestion period's edges (RFC 9002 §7.6.2)", () => {
  /** First RTT sample at time 0 (20 ms); the next ACK's sample of 20 ms leaves rttvar at 7.5. */
  function warmed(peerMaxAckDelay = 0): LossDetection<string> {
    const ld = new LossDetection<string>(new NewReno(), { isServer: true, peerMaxAckDelay });
    ld.onHandshakeConfirmed(0);
    ld.onPacketSent(App, packet(0, -20), -20);
    ld.onAckReceived(App, ack(0), 0, 0);
    return ld;
  }

  it("does not start the period with a packet sent at the very time of the first RTT sample", () => {
    // Duration (20 + 4 * 7.5) * 3 = 150: 0 -> 160 would exceed it, 100 -> 160 does not.
    const ld = warmed();
    ld.onPacketSent(App, packet(1, 0), 0);
    ld.onPacketSent(App, packet(2, 100), 100);
    ld.onPacketSent(App, packet(3, 160), 160);
    for (let pn = 4; pn <= 6; pn++) ld.onPacketSent(App, packet(pn, 161), 161);
    const out = ld.onAckReceived(App, ack(6), 0, 181);
    expect(out.lost.map((p) => p.packetNumber)).toEqual([1, 2, 3]);
    expect(out.persistentCongestion).toBe(false);
  });

  it("is not interrupted by a packet number skipped between the two lost packets (it was never sent)", () => {
    const ld = warmed();
    ld.onPacketSent(App, packet(1, 10), 10);
    ld.onPacketNumberSkipped(App, 2);
    ld.onPacketSent(App, packet(3, 161), 161);
    for (let pn = 4; pn <= 6; pn++) ld.onPacketSent(App, packet(pn, 162), 162);
    const out = ld.onAckReceived(App, ack(6), 0, 182);
    expect(out.lost.map((p) => p.packetNumber)).toEqual([1, 3]);
    expect(out.persistentCongestion).toBe(true); // 151 ms > 150
  });

  it("includes the peer's max_ack_delay in the duration", () => {
    // (20 + 4 * 7.5 + 10) * 3 = 180 ms.
    const spanning = (span: number) => {
      const ld = warmed(10);
      ld.onPacketSent(App, packet(1, 10), 10);
      ld.onPacketSent(App, packet(2, 10 + span), 10 + span);
      for (let pn = 3; pn <= 5; pn++) ld.onPacketSent(App, packet(pn, 11 + span), 11 + span);
      const out = ld.onAckReceived(App, ack(5), 0, 31 + span);
      expect(out.lost.map((p) => p.packetNumber)).toEqual([1, 2]);
      expect(ld.rtt.rttvar).toBe(7.5);
      return out.persistentCongestion;
    };
    expect(spanning(180)).toBe(false);
    expect(spanning(181)).toBe(true);
  });
});
