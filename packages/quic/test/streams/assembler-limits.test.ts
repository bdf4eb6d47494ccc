/**
 * The Assembler's limits (RFC 9000 §4.1, §7.5): the highest offset received
 * (what flow control counts), the window that may only grow, and refusals
 * that say what was refused.
 */
import { describe, expect, it } from "vitest";
import { TransportError, TransportErrorCode } from "../../src/proto/errors.js";
import { Assembler } from "../../src/proto/streams/assembler.js";

const text = (s: string) => new TextEncoder().encode(s);

function assembler(window: number): Assembler {
  return new Assembler({ window, errorCode: TransportErrorCode.FLOW_CONTROL_ERROR, frameType: 0x08 });
}

function thrown(action: () => void): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("Assembler limits", () => {
  it("reports one past the highest offset received, which a lower or refused frame does not move", () => {
    const a = assembler(10);
    expect(a.highestOffset).toBe(0);
    a.insert(5, text("ab"));
    expect(a.highestOffset).toBe(7);
    a.insert(0, text("abc"));
    expect(a.highestOffset).toBe(7);
    a.read(); // read offset 7: the window reaches 17
    a.insert(0, text("abc")); // already read: dropped, still no move
    expect(a.highestOffset).toBe(7);
    expect(() => a.insert(15, text("abc"))).toThrow(TransportError);
    expect(a.highestOffset).toBe(7);
    a.insert(8, text("ab"));
    expect(a.highestOffset).toBe(10);
  });

  it("accepts the current window again (only shrinking is refused) and names both windows when refusing", () => {
    const a = assembler(10);
    a.setWindow(10);
    expect(a.window).toBe(10);
    expect(() => a.setWindow(9)).toThrow("the window may only grow (10 -> 9)");
    expect(() => a.setWindow(0)).toThrow("window must be a positive integer, got 0");
    expect(() => assembler(1.5)).toThrow("window must be a positive integer, got 1.5");
  });

  it("names a bad offset", () => {
    const a = assembler(10);
    expect(() => a.insert(-1, text("x"))).toThrow("invalid offset -1");
    expect(() => a.insert(0.5, text("x"))).toThrow("invalid offset 0.5");
  });

  it("says how far data reached, from which read offset and with which window, when refusing it", () => {
    const a = assembler(10);
    a.insert(0, text("0123"));
    a.read(4);
    const error = thrown(() => a.insert(12, text("abc")));
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).errorCode).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
    expect((error as TransportError).message).toContain("data up to offset 15 exceeds the receive window (read offset 4, window 10)");
  });
});
