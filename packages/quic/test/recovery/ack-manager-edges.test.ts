/**
 * AckManager at its edges (RFC 9000 §13.2): option checks, the first packet
 * of a space (number 0, or a gap before it), what counts as unreported after
 * an ACK went out, and a deadline that only ever moves earlier. Added for the
 * mutants that survived `pnpm mutate --mutate src/proto/recovery/ack-manager.ts`.
 */
import { describe, expect, it } from "vitest";
import { AckManager } from "../../src/proto/recovery/ack-manager.js";
import { PacketNumberSpace } from "../../src/proto/recovery/loss-detection.js";

const APP = PacketNumberSpace.ApplicationData;

describe("AckManager edges (RFC 9000 §13.2)", () => {
  it("refuses a negative or NaN max_ack_delay and a threshold below 1, naming the value", () => {
    expect(() => new AckManager(APP, { maxAckDelay: -1 })).toThrow(/maxAckDelay must be >= 0 ms, got -1/);
    expect(() => new AckManager(APP, { maxAckDelay: Number.NaN })).toThrow(/maxAckDelay must be >= 0 ms, got NaN/);
    expect(() => new AckManager(APP, { ackElicitingThreshold: 0 })).toThrow(/ackElicitingThreshold must be >= 1, got 0/);
    expect(() => new AckManager(APP, { ackElicitingThreshold: Number.NaN })).toThrow(/ackElicitingThreshold must be >= 1/);
  });

  it("accepts a max_ack_delay of 0 and a threshold of 1: the ACK is due at once", () => {
    const zeroDelay = new AckManager(APP, { maxAckDelay: 0, ackElicitingThreshold: 10 });
    zeroDelay.onPacketReceived(0, true, 50);
    expect(zeroDelay.deadline).toBe(50);
    const thresholdOne = new AckManager(APP, { ackElicitingThreshold: 1 });
    thresholdOne.onPacketReceived(0, true, 50);
    expect(thresholdOne.deadline).toBe(50);
  });

  it("takes packet number 0 as the largest received and measures ACK Delay from its arrival", () => {
    const acks = new AckManager(APP);
    expect(acks.largestReceived).toBe(-1);
    acks.onPacketReceived(0, false, 100);
    expect(acks.largestReceived).toBe(0);
    expect(acks.ackDelayField(130, 0)).toBe(30_000);
  });

  it("does not treat the first ack-eliciting packet as out of order, even after a gap from 0", () => {
    const acks = new AckManager(APP);
    acks.onPacketReceived(5, true, 0);
    expect(acks.deadline).toBe(25);
  });

  it("keeps the largest ack-eliciting number when a lower one arrives late", () => {
    const acks = new AckManager(APP);
    acks.onPacketReceived(10, true, 0);
    acks.onPacketReceived(5, true, 1); // out of order: at once
    expect(acks.deadline).toBe(1);
    acks.onAckSent();
    acks.onPacketReceived(11, true, 2); // in order after 10: delayed
    expect(acks.deadline).toBe(27);
  });

  it("only moves the deadline earlier", () => {
    const acks = new AckManager(APP, { ackElicitingThreshold: 10 });
    acks.onPacketReceived(0, true, 0);
    acks.onPacketReceived(1, true, 10);
    expect(acks.deadline).toBe(25);
  });

  it("has nothing unreported before the first packet and right after an ACK was sent", () => {
    const acks = new AckManager(APP);
    expect(acks.hasUnreported).toBe(false);
    expect(acks.onAckSent()).toBe(-1); // nothing was acknowledged
    acks.onPacketReceived(0, false, 0);
    expect(acks.hasUnreported).toBe(true);
    expect(acks.onAckSent()).toBe(0);
    expect(acks.hasUnreported).toBe(false);
    acks.onPacketReceived(1, false, 1);
    expect(acks.hasUnreported).toBe(true);
  });
});
