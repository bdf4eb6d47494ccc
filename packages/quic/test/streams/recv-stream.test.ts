import { describe, expect, it } from "vitest";
import { TransportError, TransportErrorCode } from "../../src/proto/errors.js";
import { RecvStream } from "../../src/proto/streams/recv-stream.js";

const text = (s: string) => new TextEncoder().encode(s);

function transportError(fn: () => unknown): TransportError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TransportError) return error;
    throw error;
  }
  throw new Error("expected a TransportError");
}

describe("RecvStream (RFC 9000 §3.2)", () => {
  it("goes Recv -> SizeKnown -> DataRecvd -> DataRead as data, FIN and reads arrive", () => {
    const rx = new RecvStream({ window: 100 });
    expect(rx.state).toBe("Recv");
    expect(rx.onStreamFrame(3, text("def"), true)).toBe(6);
    expect(rx.state).toBe("SizeKnown");
    expect(rx.finalSize).toBe(6);
    expect(rx.onStreamFrame(0, text("abc"), false)).toBe(0); // highest offset did not move
    expect(rx.state).toBe("DataRecvd");
    const buf = new Uint8Array(4);
    expect(rx.read(buf)).toEqual({ bytes: 4, fin: false });
    expect(rx.read(buf)).toEqual({ bytes: 2, fin: true });
    expect(rx.state).toBe("DataRead");
    expect(rx.isClosed).toBe(true);
  });

  it("ends an empty stream with a FIN-only frame", () => {
    const rx = new RecvStream({ window: 100 });
    rx.onStreamFrame(0, new Uint8Array(0), true);
    expect(rx.state).toBe("DataRecvd");
    expect(rx.read(new Uint8Array(1))).toEqual({ bytes: 0, fin: true });
  });

  it("treats data beyond the final size, a changed final size, or a final size below received data as FINAL_SIZE_ERROR (§4.5)", () => {
    const beyond = new RecvStream({ window: 100 });
    beyond.onStreamFrame(0, text("abc"), true);
    expect(transportError(() => beyond.onStreamFrame(3, text("d"), false)).errorCode).toBe(TransportErrorCode.FINAL_SIZE_ERROR);

    const changed = new RecvStream({ window: 100 });
    changed.onStreamFrame(0, text("abc"), true);
    expect(transportError(() => changed.onStreamFrame(0, text("ab"), true)).errorCode).toBe(TransportErrorCode.FINAL_SIZE_ERROR);
    expect(transportError(() => changed.onResetStream(0, 4)).errorCode).toBe(TransportErrorCode.FINAL_SIZE_ERROR);

    const below = new RecvStream({ window: 100 });
    below.onStreamFrame(0, text("abcdef"), false);
    const error = transportError(() => below.onStreamFrame(0, text("ab"), true));
    expect(error.errorCode).toBe(TransportErrorCode.FINAL_SIZE_ERROR);
    expect(error.frameType).toBe(0x08);
    expect(transportError(() => below.onResetStream(0, 5)).frameType).toBe(0x04);
  });

  it("accepts a repeated FIN with the same final size", () => {
    const rx = new RecvStream({ window: 100 });
    rx.onStreamFrame(0, text("abc"), true);
    expect(() => rx.onStreamFrame(1, text("bc"), true)).not.toThrow();
  });

  it("treats data beyond MAX_STREAM_DATA as FLOW_CONTROL_ERROR (§4.1), also in RESET_STREAM's final size", () => {
    const rx = new RecvStream({ window: 10 });
    rx.onStreamFrame(0, new Uint8Array(10), false);
    expect(transportError(() => rx.onStreamFrame(10, text("x"), false)).errorCode).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
    const reset = new RecvStream({ window: 10 });
    expect(transportError(() => reset.onResetStream(7, 11)).errorCode).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
  });

  it("treats data ending beyond 2^62 - 1 as FRAME_ENCODING_ERROR (§19.8)", () => {
    const rx = new RecvStream({ window: 100 });
    expect(transportError(() => rx.onStreamFrame(2 ** 62 - 1, text("x"), false)).errorCode).toBe(TransportErrorCode.FRAME_ENCODING_ERROR);
  });

  it("goes to ResetRecvd on RESET_STREAM, then ResetRead once the application saw it, dropping later data (§3.2)", () => {
    const rx = new RecvStream({ window: 100 });
    rx.onStreamFrame(0, text("abc"), false);
    expect(rx.onResetStream(42, 8)).toBe(5); // the final size counts toward connection credit
    expect(rx.state).toBe("ResetRecvd");
    expect(rx.resetCode).toBe(42);
    expect(rx.isReadable).toBe(true);
    expect(rx.onStreamFrame(3, text("defgh"), false)).toBe(0);
    expect(rx.read(new Uint8Array(8))).toEqual({ bytes: 0, fin: false });
    expect(rx.state).toBe("ResetRead");
    expect(rx.credit.consumed).toBe(8); // the whole final size is released for MAX_DATA
    expect(rx.takeConsumed()).toBe(8);
    expect(rx.takeConsumed()).toBe(0);
  });

  it("after stopSending discards data but keeps granting credit (§3.5)", () => {
    const rx = new RecvStream({ window: 10 });
    rx.onStreamFrame(0, text("abcde"), false);
    rx.stopSending();
    expect(rx.readable).toBe(0);
    expect(rx.credit.consumed).toBe(5);
    rx.onStreamFrame(5, text("fghij"), true);
    expect(rx.credit.consumed).toBe(10);
    expect(rx.state).toBe("DataRecvd");
    expect(rx.credit.shouldUpdate()).toBe(true);
  });

  it("advertises more credit as the application reads, doubling the window when it reads fast (auto-tuning)", () => {
    const rx = new RecvStream({ window: 100, maxWindow: 400 });
    rx.onStreamFrame(0, new Uint8Array(60), false);
    expect(rx.credit.shouldUpdate()).toBe(false);
    rx.read(new Uint8Array(60));
    expect(rx.credit.shouldUpdate()).toBe(true);
    expect(rx.credit.takeUpdate(0, 50)).toBe(160);
    rx.onStreamFrame(60, new Uint8Array(100), false);
    rx.read(new Uint8Array(100));
    expect(rx.credit.takeUpdate(40, 50)).toBe(160 + 200); // within 2 RTTs: window 200
    expect(rx.credit.window).toBe(200);
    expect(() => rx.onStreamFrame(160, new Uint8Array(200), false)).not.toThrow();
  });
});
