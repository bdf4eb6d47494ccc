import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TransportError } from "../../src/proto/errors.js";
import { RecvStream } from "../../src/proto/streams/recv-stream.js";
import { SendStream } from "../../src/proto/streams/send-stream.js";

interface Frame {
  offset: number;
  data: Uint8Array;
  fin: boolean;
}

describe("SendStream -> lossy network -> RecvStream (RFC 9000 §2.2, §3, §4)", () => {
  it("delivers every byte intact and in order, with flow control, whatever is lost, duplicated or reordered (property)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 3000 }),
        fc.integer({ min: 1, max: 400 }), // packet room for stream data
        fc.integer({ min: 64, max: 1024 }), // receive window
        fc.array(fc.nat(9), { minLength: 1, maxLength: 300 }), // network fates
        (payload, room, window, fates) => {
          const tx = new SendStream({ peerMaxStreamData: window, maxBuffered: 512 });
          const rx = new RecvStream({ window });
          const received: number[] = [];
          const out = new Uint8Array(97);
          let written = 0;
          const network: Frame[] = [];
          let fateIndex = 0;
          // After the scripted fates the network is lossless, so the transfer must complete.
          const nextFate = () => (fateIndex < fates.length ? (fates[fateIndex++] as number) : 9);
          for (let step = 0; step < 20_000 && !(tx.isClosed && rx.isClosed); step++) {
            // Application writes as the send buffer allows, then finishes.
            if (written < payload.length) written += tx.write(payload.subarray(written));
            else tx.finish();
            const chunk = tx.nextChunk(room, Number.POSITIVE_INFINITY);
            if (chunk !== undefined) network.push({ offset: chunk.offset, data: chunk.data.slice(), fin: chunk.fin });
            // The network delivers, drops, duplicates or reorders one frame.
            const frame = network.shift();
            if (frame !== undefined) {
              const fate = nextFate();
              if (fate === 0) {
                tx.onLost(frame.offset, frame.data.length, frame.fin); // dropped
              } else if (fate === 1 && network.length > 0) {
                network.push(frame); // reordered behind the others
              } else {
                rx.onStreamFrame(frame.offset, frame.data, frame.fin);
                if (fate === 2) rx.onStreamFrame(frame.offset, frame.data, frame.fin); // duplicated
                tx.onAcked(frame.offset, frame.data.length, frame.fin);
              }
            }
            // The application reads; credit flows back.
            for (let r = rx.read(out); r.bytes > 0; r = rx.read(out)) for (let i = 0; i < r.bytes; i++) received.push(out[i] as number);
            if (rx.credit.shouldUpdate()) tx.onMaxStreamData(rx.credit.takeUpdate(step, 1));
          }
          expect(tx.state).toBe("DataRecvd");
          expect(rx.state).toBe("DataRead");
          expect(Uint8Array.from(received)).toEqual(payload);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("hostile STREAM and RESET_STREAM frames end in a TransportError or are absorbed, with bounded memory (property)", () => {
    const frame = fc.oneof(
      fc.record({
        kind: fc.constant("stream" as const),
        offset: fc.oneof(fc.nat(3000), fc.constant(2 ** 62 - 1), fc.nat()),
        length: fc.nat(600),
        fin: fc.boolean(),
      }),
      fc.record({ kind: fc.constant("reset" as const), code: fc.nat(), finalSize: fc.oneof(fc.nat(3000), fc.constant(2 ** 62)) }),
      fc.record({ kind: fc.constant("read" as const), size: fc.nat(700) }),
      fc.record({ kind: fc.constant("stop" as const) }),
      fc.record({ kind: fc.constant("update" as const), at: fc.nat(100) }),
    );
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 60 }), (frames) => {
        const rx = new RecvStream({ window: 1000, maxWindow: 2000 });
        for (const f of frames) {
          try {
            if (f.kind === "stream") rx.onStreamFrame(f.offset, new Uint8Array(f.length), f.fin);
            else if (f.kind === "reset") rx.onResetStream(f.code, f.finalSize);
            else if (f.kind === "read") rx.read(new Uint8Array(f.size));
            else if (f.kind === "update") {
              if (rx.credit.shouldUpdate()) rx.credit.takeUpdate(f.at, 50);
            } else rx.stopSending();
          } catch (error) {
            expect(error).toBeInstanceOf(TransportError);
            return; // the connection would close here
          }
          expect(rx.buffered).toBeLessThanOrEqual(rx.credit.limit - rx.readOffset);
          expect(rx.buffered).toBeLessThanOrEqual(rx.credit.window);
          expect(rx.credit.received).toBeLessThanOrEqual(rx.credit.limit);
        }
      }),
      { numRuns: 500 },
    );
  });
});
