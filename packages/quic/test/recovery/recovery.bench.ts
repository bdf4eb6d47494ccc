/**
 * Per-packet costs of recovery, ACK generation and stream bookkeeping (run
 * with `npx vitest bench --run test/recovery/recovery.bench.ts` in
 * packages/quic). Figures are for the README's profile, never asserted.
 * Each case is the steady state of a bulk transfer: packets sent in order,
 * acknowledged in batches of two, as a receiver following RFC 9000 §13.2.2
 * would.
 */
import { bench, describe } from "vitest";
import {
  AckManager,
  Assembler,
  LossDetection,
  NewReno,
  PacketNumberSpace,
  RangeSet,
  SendStream,
  TransportErrorCode,
} from "../../src/proto/index.js";

const App = PacketNumberSpace.ApplicationData;

describe("per packet", () => {
  const ld = new LossDetection<null>(new NewReno(), { isServer: true });
  ld.onHandshakeConfirmed(0);
  const ack = new RangeSet({ maxRanges: 64 });
  let pn = 0;
  let now = 0;
  bench("loss detection: onPacketSent + onAckReceived (ACK every 2nd packet, NewReno)", () => {
    ld.onPacketSent(App, { packetNumber: pn, timeSent: now, sentBytes: 1200, ackEliciting: true, inFlight: true, frames: null }, now);
    ack.insertOne(pn);
    if (pn % 2 === 1) {
      ld.onAckReceived(App, ack, 0, now + 20);
      ack.removeBelow(pn - 64);
    }
    pn++;
    now += 0.01;
  });

  const acks = new AckManager(App);
  let rpn = 0;
  let rnow = 0;
  bench("ACK manager: isDuplicate + onPacketReceived + wantsAck (+ onAckSent every 2nd)", () => {
    if (!acks.isDuplicate(rpn)) acks.onPacketReceived(rpn, true, rnow);
    if (acks.wantsAck(rnow)) acks.onAckSent();
    rpn++;
    rnow += 0.01;
  });

  const assembler = new Assembler({ window: 1 << 20, errorCode: TransportErrorCode.FLOW_CONTROL_ERROR });
  const chunk = new Uint8Array(1100);
  const out = new Uint8Array(16 * 1024);
  let offset = 0;
  bench("assembler: insert a 1,100-byte STREAM frame (every 4th out of order) + read into a 16 KiB buffer", () => {
    const at = offset % 4 === 2 ? offset + 1 : offset % 4 === 3 ? offset - 1 : offset;
    assembler.insert(at * 1100, chunk);
    if (assembler.readable >= out.length) assembler.readInto(out);
    offset++;
  });

  const tx = new SendStream({ peerMaxStreamData: Number.MAX_SAFE_INTEGER, maxBuffered: 1 << 20 });
  const data = new Uint8Array(1100);
  bench("send stream: write 1,100 bytes + nextChunk + onAcked", () => {
    tx.write(data);
    const c = tx.nextChunk(1100, Number.POSITIVE_INFINITY);
    if (c !== undefined) tx.onAcked(c.offset, c.data.length, false);
  });
});
