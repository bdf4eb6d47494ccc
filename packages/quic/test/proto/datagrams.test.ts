/**
 * Unreliable datagrams (RFC 9221): negotiated by max_datagram_frame_size
 * (§3), carried in DATAGRAM frames that are congestion controlled and
 * ack-eliciting but never retransmitted (§5); a frame we did not allow is a
 * PROTOCOL_VIOLATION (§3).
 */
import { describe, expect, it } from "vitest";
import { resolveTransportConfig } from "../../src/proto/config.js";
import { DatagramError, Datagrams, MAX_QUEUED_DATAGRAMS } from "../../src/proto/connection/datagrams.js";
import { TransportError, TransportErrorCode } from "../../src/proto/errors.js";
import { readFrame } from "../../src/proto/wire/frame.js";
import { Reader } from "../../src/proto/wire/reader.js";
import { Writer } from "../../src/proto/wire/writer.js";
import { CLIENT_ADDRESS, pair, pattern, SERVER_ADDRESS } from "./support.js";

const ROOM = 1200 - 1 - 8 - 4 - 16;

describe("Datagrams (the rules, frame by frame)", () => {
  it("sends nothing until the peer advertised a non-zero max_datagram_frame_size (§3)", () => {
    const d = new Datagrams(1200);
    expect(d.maxPayload(ROOM)).toBe(0);
    expect(() => d.send(new Uint8Array(1), ROOM)).toThrow(DatagramError);
    d.setPeerMax(0);
    expect(() => d.send(new Uint8Array(1), ROOM)).toThrow(DatagramError);
  });

  it("limits a payload by the peer's frame size (type and length included) and by the packet", () => {
    const d = new Datagrams(0);
    d.setPeerMax(100);
    expect(d.maxPayload(ROOM)).toBe(97);
    expect(d.send(new Uint8Array(97), ROOM)).toBe(true);
    expect(() => d.send(new Uint8Array(98), ROOM)).toThrow(DatagramError);
    d.setPeerMax(65_535);
    expect(d.maxPayload(ROOM)).toBe(ROOM - 3);
  });

  it("writes queued datagrams oldest first as DATAGRAM frames with a length; one that does not fit waits", () => {
    const d = new Datagrams(0);
    d.setPeerMax(65_535);
    d.send(pattern(10, 1), ROOM);
    d.send(pattern(500, 2), ROOM);
    const buffer = new Uint8Array(100);
    const w = new Writer(buffer);
    expect(d.fill(w)).toBe(true);
    const frame = readFrame(new Reader("frame", buffer, 0, w.position), "1rtt");
    expect(frame).toEqual({ kind: "datagram", data: pattern(10, 1) });
    expect(d.wantsToSend).toBe(true);
    expect(d.fill(new Writer(new Uint8Array(100)))).toBe(false);
    expect(d.fill(new Writer(new Uint8Array(600)))).toBe(true);
    expect(d.wantsToSend).toBe(false);
  });

  it("refuses beyond a bounded queue instead of growing", () => {
    const d = new Datagrams(0);
    d.setPeerMax(1000);
    for (let i = 0; i < MAX_QUEUED_DATAGRAMS; i++) expect(d.send(new Uint8Array(10), ROOM)).toBe(true);
    expect(d.send(new Uint8Array(10), ROOM)).toBe(false);
  });

  it("a DATAGRAM frame we did not allow, or larger than we allowed, is a PROTOCOL_VIOLATION (§3)", () => {
    const violation = (f: () => void): number => {
      try {
        f();
      } catch (error) {
        expect(error).toBeInstanceOf(TransportError);
        return (error as TransportError).errorCode;
      }
      return -1;
    };
    expect(violation(() => new Datagrams(0).onReceived(10, 0x31))).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
    expect(violation(() => new Datagrams(100).onReceived(101, 0x31))).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
    expect(violation(() => new Datagrams(100).onReceived(100, 0x31))).toBe(-1);
  });

  it("max_datagram_frame_size is validated in the config (0 disables)", () => {
    expect(resolveTransportConfig().maxDatagramFrameSize).toBe(0);
    expect(() => resolveTransportConfig({ maxDatagramFrameSize: -1 })).toThrow(/maxDatagramFrameSize/);
  });
});

describe("DATAGRAM between two connections", () => {
  const both = { maxDatagramFrameSize: 65_535 };

  it("delivers datagrams both ways as events, bytes intact", () => {
    const { net, client, server, conn } = pair({ seed: 101, clientTransport: both, serverTransport: both });
    net.run(() => conn.isHandshakeConfirmed && server.connections[0]?.isHandshakeConfirmed === true);
    const accepted = server.connections[0]!;
    expect(conn.maxDatagramPayload).toBeGreaterThan(1000);
    const sent = [pattern(1, 1), pattern(conn.maxDatagramPayload, 2), pattern(300, 3)];
    for (const d of sent) expect(conn.sendDatagram(d)).toBe(true);
    expect(accepted.sendDatagram(pattern(50, 4))).toBe(true);
    net.runFor(100);
    expect(server.eventsOf(accepted, "datagram").map((e) => e.data)).toEqual(sent);
    expect(client.eventsOf(conn, "datagram").map((e) => e.data)).toEqual([pattern(50, 4)]);
  });

  it("only a side that advertised support receives: the other cannot send (§3)", () => {
    const { net, server, conn } = pair({ seed: 102, clientTransport: both });
    net.run(() => conn.isHandshakeConfirmed && server.connections[0]?.isHandshakeConfirmed === true);
    const accepted = server.connections[0]!;
    expect(conn.maxDatagramPayload).toBe(0);
    expect(() => conn.sendDatagram(new Uint8Array(1))).toThrow(DatagramError);
    expect(accepted.sendDatagram(new Uint8Array(1))).toBe(true);
    expect(() => accepted.sendDatagram(new Uint8Array(accepted.maxDatagramPayload + 1))).toThrow(DatagramError);
  });

  it("a lost datagram is not retransmitted, though its packet is ack-eliciting and counted lost (§5)", () => {
    const { net, client, server, conn } = pair({ seed: 103, clientTransport: both, serverTransport: both });
    net.run(() => conn.isHandshakeConfirmed && server.connections[0]?.isHandshakeConfirmed === true);
    net.runFor(100);
    const accepted = server.connections[0]!;
    net.setLink(CLIENT_ADDRESS, SERVER_ADDRESS, { delay: 10, loss: 1 });
    conn.sendDatagram(pattern(100, 7));
    net.runFor(15);
    net.setLink(CLIENT_ADDRESS, SERVER_ADDRESS, { delay: 10 });
    conn.sendDatagram(pattern(100, 8));
    net.runFor(3000);
    expect(server.eventsOf(accepted, "datagram").map((e) => e.data)).toEqual([pattern(100, 8)]);
    expect(conn.stats.packetsLost).toBeGreaterThan(0); // it was in flight, so recovery declared it lost...
    expect(conn.state).toBe("established"); // ...and nothing was owed
    expect(client.eventsOf(conn, "closed")).toHaveLength(0);
  });
});
