/**
 * Shared fixtures of the loss-detection edge suites: sent-packet records,
 * ACK ranges, and connections in a known RTT state.
 */
import { NewReno } from "../../src/proto/congestion/new-reno.js";
import { LossDetection, PacketNumberSpace, type SentPacket } from "../../src/proto/recovery/loss-detection.js";
import { RangeSet } from "../../src/proto/wire/range-set.js";

export const { Initial, Handshake, ApplicationData: App } = PacketNumberSpace;

/** An ack-eliciting, in-flight packet of `sentBytes` whose frames name it. */
export function packet(packetNumber: number, timeSent: number, sentBytes = 1200): SentPacket<string> {
  return { packetNumber, timeSent, sentBytes, ackEliciting: true, inFlight: true, frames: `p${packetNumber}` };
}

/** A packet that neither elicits an ACK nor counts in flight (an ACK-only packet, RFC 9002 §2). */
export function ackOnly(packetNumber: number, timeSent: number): SentPacket<string> {
  return { packetNumber, timeSent, sentBytes: 50, ackEliciting: false, inFlight: false, frames: `a${packetNumber}` };
}

/** ACK ranges from packet numbers and inclusive `[first, last]` pairs. */
export function ack(...pns: (number | [number, number])[]): RangeSet {
  const set = new RangeSet();
  for (const p of pns) {
    if (typeof p === "number") set.insertOne(p);
    else set.insert(p[0], p[1] + 1);
  }
  return set;
}

export function server(peerMaxAckDelay?: number): LossDetection<string> {
  return new LossDetection<string>(new NewReno(), { isServer: true, peerMaxAckDelay });
}

/** A confirmed server whose RTT estimate is exactly `rtt` with rttvar = rtt / 2, at time `rtt`, packet 0 acknowledged. */
export function established(rtt = 100, peerMaxAckDelay?: number): LossDetection<string> {
  const ld = server(peerMaxAckDelay);
  ld.onHandshakeConfirmed(0);
  ld.onPacketSent(App, packet(0, 0), 0);
  ld.onAckReceived(App, ack(0), 0, rtt);
  return ld;
}

/** What `action` threw; fails when it returns. */
export function thrown(action: () => void): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}
