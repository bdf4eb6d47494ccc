import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TransportError, TransportErrorCode } from "../../src/proto/errors.js";
import { Assembler } from "../../src/proto/streams/assembler.js";

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

function assembler(window = 1024, initialCapacity?: number): Assembler {
  return new Assembler({ window, errorCode: TransportErrorCode.FLOW_CONTROL_ERROR, frameType: 0x08, initialCapacity });
}

describe("Assembler (RFC 9000 §2.2)", () => {
  it("delivers out-of-order data in order once the gap is filled", () => {
    const a = assembler();
    expect(a.insert(5, text("world"))).toBe(5);
    expect(a.readable).toBe(0);
    expect(a.insert(0, text("hello"))).toBe(5);
    expect(a.readable).toBe(10);
    expect(str(a.read())).toBe("helloworld");
    expect(a.readOffset).toBe(10);
    expect(a.buffered).toBe(0);
  });

  it("ignores duplicates and data already read, and counts only new bytes of an overlap", () => {
    const a = assembler();
    a.insert(0, text("abcdef"));
    expect(a.insert(2, text("cd"))).toBe(0);
    expect(str(a.read(3))).toBe("abc");
    expect(a.insert(0, text("abcdefgh"))).toBe(2); // a-c already read, d-f held: g, h are new
    expect(str(a.read())).toBe("defgh");
  });

  it("reads into a caller buffer, a piece at a time, across the ring's wrap-around", () => {
    const a = assembler(8, 8);
    const out = new Uint8Array(3);
    a.insert(0, text("01234567"));
    expect(a.readInto(out)).toBe(3);
    expect(str(out)).toBe("012");
    a.insert(8, text("89a")); // wraps to the ring's start
    const rest = new Uint8Array(16);
    expect(a.readInto(rest)).toBe(8);
    expect(str(rest.subarray(0, 8))).toBe("3456789a");
    expect(a.capacity).toBe(8);
  });

  it("refuses data reaching beyond read offset + window with the configured error (bounded memory)", () => {
    const a = assembler(10);
    a.insert(0, text("0123456789"));
    let caught: unknown;
    try {
      a.insert(10, text("x"));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TransportError);
    expect((caught as TransportError).errorCode).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
    expect((caught as TransportError).frameType).toBe(0x08);
    a.read(4);
    expect(a.insert(10, text("abcd"))).toBe(4); // the window moved with the reads
  });

  it("raises CRYPTO_BUFFER_EXCEEDED when configured for CRYPTO frames (§7.5)", () => {
    const a = new Assembler({ window: 4096, errorCode: TransportErrorCode.CRYPTO_BUFFER_EXCEEDED, frameType: 0x06 });
    expect(() => a.insert(4096, text("x"))).toThrow(TransportError);
  });

  it("grows its ring lazily and never beyond the window", () => {
    const a = assembler(100_000, 16);
    a.insert(0, text("tiny"));
    expect(a.capacity).toBe(16);
    a.insert(50_000, new Uint8Array(10));
    expect(a.capacity).toBeLessThanOrEqual(100_000);
    expect(a.capacity).toBeGreaterThanOrEqual(50_010);
  });

  it("skips data the application will not read (STOP_SENDING) and moves the window", () => {
    const a = assembler(10);
    a.insert(0, text("abc"));
    a.insert(6, text("ghi"));
    a.skipTo(7);
    expect(a.readOffset).toBe(7);
    expect(str(a.read())).toBe("hi");
    a.skipTo(100);
    expect(a.insert(105, text("z"))).toBe(1);
  });

  it("refuses a shrinking window and invalid arguments", () => {
    const a = assembler(10);
    a.setWindow(20);
    expect(a.window).toBe(20);
    expect(() => a.setWindow(5)).toThrow(RangeError);
    expect(() => a.insert(-1, text("x"))).toThrow(RangeError);
    expect(() => assembler(0)).toThrow(RangeError);
  });

  it("delivers exactly the original bytes for any permutation, duplication and overlap of chunks, never buffering beyond the window (property)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 600 }),
        fc.array(fc.tuple(fc.nat(599), fc.integer({ min: 0, max: 80 })), { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 700 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 64 }),
        (original, pieces, window, readSize, initialCapacity) => {
          const a = assembler(window, initialCapacity);
          const received: number[] = [];
          const out = new Uint8Array(readSize);
          // Chunks from the pieces, then the whole stream in window-sized chunks so every byte arrives.
          const chunks: [number, number][] = pieces.map(([o, l]) => [
            o % original.length,
            Math.min(l, original.length - (o % original.length)),
          ]);
          const step = Math.min(50, window);
          for (let o = 0; o < original.length; o += step) chunks.push([o, Math.min(step, original.length - o)]);
          const queue = [...chunks];
          let guard = 0;
          while (queue.length > 0 && guard++ < 10_000) {
            const [offset, length] = queue.shift() as [number, number];
            const data = original.subarray(offset, offset + length);
            if (offset + length > a.readOffset + window) {
              // A conforming peer never sends beyond our window: the assembler refuses, and we retry later.
              expect(() => a.insert(offset, data)).toThrow(TransportError);
              queue.push([offset, length]);
            } else {
              a.insert(offset, data);
            }
            expect(a.buffered).toBeLessThanOrEqual(window);
            expect(a.capacity).toBeLessThanOrEqual(window);
            const n = a.readInto(out);
            for (let i = 0; i < n; i++) received.push(out[i] as number);
          }
          for (let n = a.readInto(out); n > 0; n = a.readInto(out)) for (let i = 0; i < n; i++) received.push(out[i] as number);
          expect(Uint8Array.from(received)).toEqual(original);
        },
      ),
      { numRuns: 300 },
    );
  });
});
