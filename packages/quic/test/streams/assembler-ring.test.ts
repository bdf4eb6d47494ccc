/**
 * The Assembler's receive ring (RFC 9000 §2.2 reassembly with bounded
 * memory): copies and reads that straddle the ring's end, growth while data
 * is held (wrapped or not), growth by doubling and only for bytes ahead of
 * the read offset, skipping, and releasing the ring of a reset stream.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TransportErrorCode } from "../../src/proto/errors.js";
import { Assembler } from "../../src/proto/streams/assembler.js";

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

function assembler(window: number, initialCapacity: number): Assembler {
  return new Assembler({ window, errorCode: TransportErrorCode.FLOW_CONTROL_ERROR, initialCapacity });
}

describe("Assembler ring buffer", () => {
  it("writes a frame that straddles the ring's end around to its start, and reads it back into an exact-size buffer", () => {
    const a = assembler(8, 8);
    a.insert(0, text("01234"));
    expect(str(a.read())).toBe("01234"); // the read position is now 5 of 8
    a.insert(5, text("56789")); // ring slots 5, 6, 7, then 0, 1
    expect(a.capacity).toBe(8);
    const out = a.read(); // exactly 5 bytes: the wrapped part must land right after the first 3
    expect(str(out)).toBe("56789");
    expect(a.readOffset).toBe(10);
  });

  it("keeps every held byte when it grows while the held data wraps around the ring's end", () => {
    const a = assembler(64, 8);
    a.insert(0, text("abcdef"));
    expect(str(a.read(4))).toBe("abcd"); // "ef" held in slots 4-5
    a.insert(6, text("ghij")); // "gh" in slots 6-7, "ij" wrapped into slots 0-1
    expect(a.capacity).toBe(8);
    a.insert(10, text("klmnop")); // 12 bytes ahead of the read offset: the ring grows
    expect(a.capacity).toBe(16);
    expect(str(a.read())).toBe("efghijklmnop");
  });

  it("keeps out-of-order data held when it grows", () => {
    const a = assembler(64, 4);
    a.insert(2, text("cd"));
    a.insert(6, text("gh")); // grows from 4 with "cd" held and 0-1 still missing
    a.insert(0, text("ab"));
    a.insert(4, text("ef"));
    expect(str(a.read())).toBe("abcdefgh");
  });

  it("grows by doubling, and only for the bytes held ahead of the read offset", () => {
    const a = assembler(1000, 16);
    a.insert(0, new Uint8Array(16).fill(1));
    expect(a.capacity).toBe(16); // an exact fit does not grow
    expect(a.read().length).toBe(16);
    a.insert(16, new Uint8Array(16).fill(2));
    expect(a.capacity).toBe(16); // 16 bytes ahead of read offset 16: still fits
    a.insert(32, Uint8Array.of(3));
    expect(a.capacity).toBe(32); // 17 bytes: doubled, not just enough
    expect(Array.from(a.read())).toEqual([...new Array(16).fill(2), 3]);
    a.insert(33, new Uint8Array(100));
    expect(a.capacity).toBe(100); // more than double is needed: exactly what is needed
  });

  it("skips forward from a read offset that is not zero, and ignores a skip to an offset already passed", () => {
    const a = assembler(100, 16);
    a.insert(0, text("abcdefgh"));
    expect(str(a.read(3))).toBe("abc");
    a.skipTo(2);
    expect(a.readOffset).toBe(3);
    a.skipTo(5);
    expect(a.readOffset).toBe(5);
    expect(str(a.read())).toBe("fgh");
  });

  it("releases its ring and forgets held data when the stream is reset", () => {
    const a = assembler(100, 16);
    a.insert(0, text("abc"));
    a.insert(5, text("fg"));
    a.clear();
    expect(a.capacity).toBe(0);
    expect(a.buffered).toBe(0);
    expect(a.readable).toBe(0);
    expect(a.read().length).toBe(0);
  });

  it("delivers every byte exactly once when disjoint pieces arrive in any order with reads in between (property)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.uniqueArray(fc.nat(299), { maxLength: 30 }),
        fc.integer({ min: 1, max: 16 }),
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 40 }),
        fc.nat(),
        (original, cuts, initialCapacity, readSizes, seed) => {
          const bounds = [...new Set([0, ...cuts.filter((c) => c < original.length), original.length])].sort((x, y) => x - y);
          const pieces: [number, number][] = [];
          for (let i = 1; i < bounds.length; i++) pieces.push([bounds[i - 1] as number, bounds[i] as number]);
          // A deterministic shuffle from the seed: each piece is sent once, in any order.
          let state = seed;
          for (let i = pieces.length - 1; i > 0; i--) {
            state = (state * 1103515245 + 12345) >>> 0;
            const j = state % (i + 1);
            [pieces[i], pieces[j]] = [pieces[j] as [number, number], pieces[i] as [number, number]];
          }
          const a = assembler(original.length, initialCapacity);
          const received: number[] = [];
          for (const [k, [start, end]] of pieces.entries()) {
            expect(a.insert(start, original.subarray(start, end))).toBe(end - start);
            const out = new Uint8Array(readSizes[k % readSizes.length] as number);
            const n = a.readInto(out);
            received.push(...out.subarray(0, n));
          }
          received.push(...a.read());
          expect(Uint8Array.from(received)).toEqual(original);
          expect(a.buffered).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
