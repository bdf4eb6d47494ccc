import { describe, expect, it } from "vitest";
import { TransportError, TransportErrorCode } from "../../src/proto/errors.js";
import { ReceiveCredit, SendCredit } from "../../src/proto/streams/flow-control.js";

describe("ReceiveCredit (RFC 9000 §4.1, §4.2)", () => {
  it("refuses data beyond the advertised limit with FLOW_CONTROL_ERROR", () => {
    const rx = new ReceiveCredit({ initialWindow: 100, frameType: 0x08 });
    rx.onReceived(100);
    expect(rx.received).toBe(100);
    expect(() => rx.onReceived(101)).toThrow(TransportError);
    let thrown: unknown;
    try {
      rx.onReceivedDelta(1);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TransportError);
    expect((thrown as TransportError).errorCode).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
    expect((thrown as TransportError).frameType).toBe(0x08);
  });

  it("asks for an update once less than half a window of credit remains, and advertises consumed + window", () => {
    const rx = new ReceiveCredit({ initialWindow: 100 });
    rx.onConsumed(50);
    expect(rx.shouldUpdate()).toBe(false);
    rx.onConsumed(1);
    expect(rx.shouldUpdate()).toBe(true);
    expect(rx.takeUpdate(0, 10)).toBe(151);
    expect(rx.shouldUpdate()).toBe(false);
  });

  it("doubles the window when a window is consumed within two RTTs of the last update, up to the maximum", () => {
    const rx = new ReceiveCredit({ initialWindow: 100, maxWindow: 300 });
    rx.onConsumed(60);
    rx.takeUpdate(0, 10); // first update: no history, window stays
    expect(rx.window).toBe(100);
    rx.onConsumed(60);
    rx.takeUpdate(19, 10); // 19 ms < 2 * 10 ms
    expect(rx.window).toBe(200);
    rx.onConsumed(120);
    rx.takeUpdate(30, 10);
    expect(rx.window).toBe(300); // capped
    rx.onConsumed(200);
    expect(rx.takeUpdate(100, 10)).toBe(440 + 300);
  });

  it("keeps the window when the reader is slow", () => {
    const rx = new ReceiveCredit({ initialWindow: 100, maxWindow: 1000 });
    rx.onConsumed(60);
    rx.takeUpdate(0, 10);
    rx.onConsumed(60);
    rx.takeUpdate(20, 10); // exactly 2 RTTs: not faster than that
    expect(rx.window).toBe(100);
  });

  it("rejects inconsistent options", () => {
    expect(() => new ReceiveCredit({ initialWindow: -1 })).toThrow(RangeError);
    expect(() => new ReceiveCredit({ initialWindow: 10, maxWindow: 5 })).toThrow(RangeError);
  });
});

describe("SendCredit (RFC 9000 §4.1)", () => {
  it("ignores MAX_DATA that does not raise the limit and reports blocking once per limit", () => {
    const tx = new SendCredit(10);
    tx.consume(10);
    expect(tx.available).toBe(0);
    expect(() => tx.consume(1)).toThrow(RangeError);
    expect(tx.shouldSendBlocked()).toBe(true);
    tx.onBlockedSent();
    expect(tx.shouldSendBlocked()).toBe(false);
    tx.onBlockedLost(10);
    expect(tx.shouldSendBlocked()).toBe(true);
    expect(tx.onMaxData(5)).toBe(false);
    expect(tx.onMaxData(20)).toBe(true);
    expect(tx.shouldSendBlocked()).toBe(false);
    tx.consume(10);
    expect(tx.shouldSendBlocked()).toBe(true);
  });
});
