/**
 * Flow-control credit at its edges (RFC 9000 §4.1, §4.2): the connection-level
 * delta path, a zero window, the varint ceiling, and *_BLOCKED bookkeeping at
 * a limit of 1 and across limits. Added for the mutants that survived
 * `pnpm mutate --mutate src/proto/streams/flow-control.ts`.
 */
import { describe, expect, it } from "vitest";
import { TransportError, TransportErrorCode } from "../../src/proto/errors.js";
import { ReceiveCredit, SendCredit } from "../../src/proto/streams/flow-control.js";
import { MAX_VARINT } from "../../src/proto/wire/varint.js";

function thrown(action: () => void): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("ReceiveCredit edges", () => {
  it("adds connection-level deltas to what was received and refuses the byte past the limit", () => {
    const rx = new ReceiveCredit({ initialWindow: 100, frameType: 0x08 });
    rx.onReceived(40);
    rx.onReceivedDelta(30);
    expect(rx.received).toBe(70);
    rx.onReceivedDelta(30);
    expect(rx.received).toBe(100);
    const error = thrown(() => rx.onReceivedDelta(1, 0x04));
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).errorCode).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
    expect((error as TransportError).frameType).toBe(0x04);
    expect((error as TransportError).message).toContain("peer sent up to 101, limit 100");
    expect(rx.received).toBe(100);
  });

  it("keeps the highest offset when a lower one arrives later (a retransmission)", () => {
    const rx = new ReceiveCredit({ initialWindow: 100 });
    rx.onReceived(80);
    rx.onReceived(20);
    expect(rx.received).toBe(80);
  });

  it("accepts a zero window (no credit until the first update) and names the bad option", () => {
    const rx = new ReceiveCredit({ initialWindow: 0 });
    expect(rx.limit).toBe(0);
    expect(() => rx.onReceived(1)).toThrow(TransportError);
    expect(() => new ReceiveCredit({ initialWindow: -1 })).toThrow(/initialWindow must be a non-negative integer, got -1/);
    expect(() => new ReceiveCredit({ initialWindow: 1.5 })).toThrow(/initialWindow must be a non-negative integer, got 1.5/);
    expect(() => new ReceiveCredit({ initialWindow: 10, maxWindow: 5 })).toThrow(/maxWindow must be an integer >= initialWindow, got 5/);
  });

  it("never asks to raise a limit that already is the largest varint", () => {
    const rx = new ReceiveCredit({ initialWindow: 100 });
    rx.onConsumed(MAX_VARINT);
    expect(rx.shouldUpdate()).toBe(true);
    expect(rx.takeUpdate(0, 10)).toBe(MAX_VARINT);
    expect(rx.limit - rx.consumed).toBeLessThan(rx.window / 2);
    expect(rx.shouldUpdate()).toBe(false);
  });
});

describe("SendCredit edges", () => {
  it("reports blocking at a limit of 1, and again after that BLOCKED frame is lost", () => {
    const tx = new SendCredit(1);
    expect(tx.shouldSendBlocked()).toBe(false);
    tx.consume(1);
    expect(tx.shouldSendBlocked()).toBe(true);
    tx.onBlockedSent();
    expect(tx.shouldSendBlocked()).toBe(false);
    tx.onBlockedLost(1);
    expect(tx.shouldSendBlocked()).toBe(true);
  });

  it("ignores the loss of a BLOCKED frame for an older limit", () => {
    const tx = new SendCredit(10);
    tx.consume(10);
    tx.onBlockedSent();
    expect(tx.onMaxData(20)).toBe(true);
    tx.consume(10);
    tx.onBlockedSent();
    tx.onBlockedLost(10);
    expect(tx.shouldSendBlocked()).toBe(false);
  });

  it("treats a MAX_DATA equal to the current limit as no change", () => {
    const tx = new SendCredit(10);
    expect(tx.onMaxData(10)).toBe(false);
    expect(tx.limit).toBe(10);
  });

  it("names the credit asked for and the credit left when overdrawn", () => {
    const tx = new SendCredit(3);
    tx.consume(2);
    expect(() => tx.consume(2)).toThrow(/cannot use 2 bytes of credit, 1 available/);
    expect(tx.used).toBe(2);
  });
});
