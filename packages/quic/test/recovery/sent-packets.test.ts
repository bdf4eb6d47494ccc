import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NewReno } from "../../src/proto/congestion/new-reno.js";
import { TransportError, TransportErrorCode } from "../../src/proto/errors.js";
import { LossDetection, PacketNumberSpace, type SentPacket } from "../../src/proto/recovery/loss-detection.js";
import { ACKED, SentPacketQueue } from "../../src/proto/recovery/sent-packets.js";
import { RangeSet } from "../../src/proto/wire/range-set.js";

const { ApplicationData: App } = PacketNumberSpace;

function packet(packetNumber: number, timeSent = 0): SentPacket<number> {
  return { packetNumber, timeSent, sentBytes: 1200, ackEliciting: true, inFlight: true, frames: packetNumber };
}

function protocolViolation(run: () => unknown): boolean {
  try {
    run();
    return false;
  } catch (error) {
    if (error instanceof TransportError && error.errorCode === TransportErrorCode.PROTOCOL_VIOLATION) return true;
    throw error;
  }
}

describe("SentPacketQueue: compaction keeps the record of what was sent", () => {
  it("trim() that drops every slot leaves largestPushed, and numbering monotonic", () => {
    const q = new SentPacketQueue<number>();
    for (let pn = 0; pn < 100; pn++) q.push(packet(pn));
    for (let i = 0; i < 100; i++) q.take(i, ACKED);
    q.trim();
    expect(q.end).toBe(0); // compacted away entirely
    expect(q.largestPushed).toBe(99);
    expect(() => q.push(packet(99))).toThrow(RangeError);
    q.push(packet(100));
    expect(q.largestPushed).toBe(100);
    expect(q.pnAt(q.lowerBound(100))).toBe(100);
  });

  it("drain() leaves largestPushed", () => {
    const q = new SentPacketQueue<number>();
    q.push(packet(3));
    q.pushSkipped(4);
    const drained: number[] = [];
    q.drain((p) => drained.push(p.packetNumber));
    expect(drained).toEqual([3]);
    expect(q.size).toBe(0);
    expect(q.largestPushed).toBe(4);
    expect(() => q.pushSkipped(4)).toThrow(RangeError);
  });
});

describe("LossDetection: ACK of a packet never sent (RFC 9000 §13.1) after compaction", () => {
  /** 100 packets sent and acknowledged in one ACK: the queue compacts every one of them away. */
  function allAcked(): LossDetection<number> {
    const ld = new LossDetection<number>(new NewReno(), { isServer: true });
    ld.onHandshakeConfirmed(0);
    for (let pn = 0; pn < 100; pn++) ld.onPacketSent(App, packet(pn, pn / 10), pn / 10);
    const ranges = new RangeSet();
    ranges.insert(0, 100);
    ld.onAckReceived(App, ranges, 0, 20);
    expect(ld.outstanding(App)).toBe(0);
    return ld;
  }

  it("a reordered duplicate ACK of the largest packet sent is no error (regression)", () => {
    const ld = allAcked();
    const late = new RangeSet();
    late.insert(90, 100);
    const out = ld.onAckReceived(App, late, 0, 21);
    expect(out.acked).toEqual([]);
    expect(ld.largestAcked(App)).toBe(99);
  });

  it("an ACK above the largest packet ever sent is still PROTOCOL_VIOLATION", () => {
    const ld = allAcked();
    const above = new RangeSet();
    above.insertOne(100);
    let caught: unknown;
    try {
      ld.onAckReceived(App, above, 0, 21);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TransportError);
    expect((caught as TransportError).errorCode).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
    expect(ld.largestAcked(App)).toBe(99);
  });

  it("PROTOCOL_VIOLATION iff an acknowledged number was never sent, over random send/ack/reordered-ACK sequences (property)", () => {
    const op = fc.oneof(
      { weight: 3, arbitrary: fc.record({ k: fc.constant("send" as const), n: fc.integer({ min: 1, max: 40 }) }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant("skip" as const) }) },
      {
        weight: 4,
        // Numbers relative to the next packet number: negative ones were sent (or skipped), possibly long ago and
        // compacted away (a reordered ACK); 0 and above were never sent.
        arbitrary: fc.record({
          k: fc.constant("ack" as const),
          picks: fc.array(fc.integer({ min: -150, max: 2 }), { minLength: 1, maxLength: 6 }),
          everything: fc.boolean(),
        }),
      },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const ld = new LossDetection<number>(new NewReno(), { isServer: true });
        ld.onHandshakeConfirmed(0);
        const skipped = new Set<number>();
        let next = 0;
        let now = 0;
        for (const o of ops) {
          now += 1;
          if (o.k === "send") {
            for (let i = 0; i < o.n; i++) ld.onPacketSent(App, packet(next++, now), now);
          } else if (o.k === "skip") {
            if (skipped.size >= 32) continue; // loss detection remembers the most recent 32
            ld.onPacketNumberSkipped(App, next);
            skipped.add(next);
            next++;
          } else {
            const ranges = new RangeSet();
            // `everything`: acknowledge all that was sent (so the queue compacts), plus the picks.
            if (o.everything) for (let pn = 0; pn < next; pn++) if (!skipped.has(pn)) ranges.insertOne(pn);
            for (const d of o.picks) if (next + d >= 0) ranges.insertOne(next + d);
            if (ranges.isEmpty) continue;
            let neverSent = false;
            for (let pn = 0; pn <= (ranges.max as number); pn++)
              if (ranges.contains(pn) && (pn >= next || skipped.has(pn))) neverSent = true;
            expect(protocolViolation(() => ld.onAckReceived(App, ranges, 0, now))).toBe(neverSent);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
