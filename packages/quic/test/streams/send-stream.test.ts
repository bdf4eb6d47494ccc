import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SendStream } from "../../src/proto/streams/send-stream.js";

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

describe("SendStream (RFC 9000 §3.1)", () => {
  it("goes Ready -> Send -> DataSent -> DataRecvd", () => {
    const tx = new SendStream({ peerMaxStreamData: 100 });
    expect(tx.state).toBe("Ready");
    tx.write(text("hello"));
    const first = tx.nextChunk(3, 100);
    expect(first && { offset: first.offset, data: str(first.data), fin: first.fin, newBytes: first.newBytes }).toEqual({
      offset: 0,
      data: "hel",
      fin: false,
      newBytes: 3,
    });
    expect(tx.state).toBe("Send");
    tx.finish();
    const second = tx.nextChunk(100, 100);
    expect(second && { offset: second.offset, data: str(second.data), fin: second.fin }).toEqual({ offset: 3, data: "lo", fin: true });
    expect(tx.state).toBe("DataSent");
    expect(tx.nextChunk(100, 100)).toBeUndefined();
    tx.onAcked(3, 2, true);
    expect(tx.state).toBe("DataSent");
    tx.onAcked(0, 3, false);
    expect(tx.state).toBe("DataRecvd");
    expect(tx.isClosed).toBe(true);
    expect(tx.buffered).toBe(0);
  });

  it("sends a FIN-only frame when finish() follows the last data", () => {
    const tx = new SendStream({ peerMaxStreamData: 100 });
    tx.write(text("ab"));
    tx.nextChunk(100, 100);
    tx.finish();
    const fin = tx.nextChunk(100, 100);
    expect(fin && { offset: fin.offset, length: fin.data.length, fin: fin.fin }).toEqual({ offset: 2, length: 0, fin: true });
  });

  it("retransmits lost ranges first, minus what was acknowledged since", () => {
    const tx = new SendStream({ peerMaxStreamData: 100 });
    tx.write(text("0123456789"));
    tx.nextChunk(10, 100);
    tx.write(text("abc"));
    tx.onAcked(4, 2, false);
    tx.onLost(0, 10, false);
    const chunks: string[] = [];
    for (let c = tx.nextChunk(100, 100); c !== undefined; c = tx.nextChunk(100, 100))
      chunks.push(`${c.offset}:${str(c.data)}:${c.newBytes}`);
    expect(chunks).toEqual(["0:0123:0", "6:6789:0", "10:abc:3"]);
  });

  it("limits new data to the stream's and the connection's credit, but not retransmissions (§4.1)", () => {
    const tx = new SendStream({ peerMaxStreamData: 4 });
    tx.write(text("abcdefgh"));
    expect(str(tx.nextChunk(100, 100)?.data ?? new Uint8Array())).toBe("abcd");
    expect(tx.nextChunk(100, 100)).toBeUndefined();
    expect(tx.credit.shouldSendBlocked()).toBe(true);
    tx.credit.onBlockedSent();
    expect(tx.credit.shouldSendBlocked()).toBe(false);
    tx.onLost(0, 4, false);
    expect(str(tx.nextChunk(100, 0)?.data ?? new Uint8Array())).toBe("abcd"); // no credit needed
    expect(tx.onMaxStreamData(3)).toBe(false); // lower limits are ignored
    expect(tx.onMaxStreamData(8)).toBe(true);
    expect(str(tx.nextChunk(100, 2)?.data ?? new Uint8Array())).toBe("ef"); // connection credit 2
  });

  it("pushes back on write beyond maxBuffered and frees the buffer on acknowledgment", () => {
    const tx = new SendStream({ peerMaxStreamData: 100, maxBuffered: 5 });
    expect(tx.write(text("abcdefgh"))).toBe(5);
    expect(tx.writable).toBe(0);
    tx.nextChunk(100, 100);
    tx.onAcked(0, 3, false);
    expect(tx.writable).toBe(3);
  });

  it("resets with the highest offset sent as final size, and reaches ResetRecvd when RESET_STREAM is acknowledged (§3.1, §4.5)", () => {
    const tx = new SendStream({ peerMaxStreamData: 100 });
    tx.write(text("abcdef"));
    tx.nextChunk(4, 100);
    tx.reset(7);
    expect(tx.state).toBe("ResetSent");
    expect(tx.nextChunk(100, 100)).toBeUndefined();
    expect(tx.takeResetFrame()).toEqual({ errorCode: 7, finalSize: 4 });
    expect(tx.takeResetFrame()).toBeUndefined();
    tx.onResetLost();
    expect(tx.takeResetFrame()).toEqual({ errorCode: 7, finalSize: 4 });
    tx.onResetAcked();
    expect(tx.state).toBe("ResetRecvd");
    expect(() => tx.write(text("x"))).toThrow(TypeError);
  });

  it("answers STOP_SENDING with a reset carrying its error code, unless all data is acknowledged (§3.5)", () => {
    const tx = new SendStream({ peerMaxStreamData: 100 });
    tx.write(text("abc"));
    expect(tx.onStopSending(9)).toBe(true);
    expect(tx.takeResetFrame()).toEqual({ errorCode: 9, finalSize: 0 });
    const done = new SendStream({ peerMaxStreamData: 100 });
    done.write(text("a"));
    done.finish();
    done.nextChunk(10, 10);
    done.onAcked(0, 1, true);
    expect(done.onStopSending(9)).toBe(false);
    expect(done.state).toBe("DataRecvd");
  });

  it("delivers every byte and the FIN whatever is lost, acknowledged or reordered (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 10 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 200 }), fc.nat(3)), { maxLength: 200 }),
        (writes, steps) => {
          const tx = new SendStream({ peerMaxStreamData: 1 << 20, maxBuffered: 1 << 20 });
          let total = 0;
          for (const n of writes) {
            const data = new Uint8Array(n);
            for (let i = 0; i < n; i++) data[i] = (total + i) & 0xff;
            tx.write(data);
            total += n;
          }
          tx.finish();
          const received = new Uint8Array(total);
          const got = new Uint8Array(total);
          let finSeen = false;
          const inFlight: { offset: number; length: number; fin: boolean }[] = [];
          const run = (maxLen: number, fate: number) => {
            const c = tx.nextChunk(maxLen, 1 << 20);
            if (c !== undefined) {
              // The bytes must match what was written at that offset.
              // (one expect per chunk, not per byte: per-byte expects cost seconds per property run)
              let mismatch = -1;
              for (let i = 0; i < c.data.length && mismatch < 0; i++) if (c.data[i] !== ((c.offset + i) & 0xff)) mismatch = c.offset + i;
              expect(mismatch).toBe(-1);
              inFlight.push({ offset: c.offset, length: c.data.length, fin: c.fin });
            }
            const frame = fate < 2 ? inFlight.shift() : inFlight.pop();
            if (frame === undefined) return;
            if (fate === 3) {
              tx.onLost(frame.offset, frame.length, frame.fin);
            } else {
              received.set(new Uint8Array(frame.length).fill(1), frame.offset);
              for (let i = 0; i < frame.length; i++) got[frame.offset + i] = 1;
              if (frame.fin) finSeen = true;
              tx.onAcked(frame.offset, frame.length, frame.fin);
            }
          };
          for (const [maxLen, fate] of steps) run(maxLen, fate);
          // Then a lossless network drains everything.
          for (let guard = 0; guard < 10_000 && !tx.isClosed; guard++) run(500, 0);
          while (inFlight.length > 0) run(500, 0);
          expect(tx.state).toBe("DataRecvd");
          expect(got.every((b) => b === 1)).toBe(true);
          expect(finSeen).toBe(true);
          expect(tx.buffered).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
