/**
 * DATA_BLOCKED, STREAM_DATA_BLOCKED and STREAMS_BLOCKED over the simulated
 * network (RFC 9000 §4.1, §4.6, §19.12-19.14): a sender held back by the
 * peer's credit says so once per limit, not once per packet; a lost one is
 * sent again only while the sender is still blocked at that same limit
 * (§13.3). The counters in `Connection.stats` show what each side sent and
 * received.
 */
import { describe, expect, it } from "vitest";
import type { TransportConfig } from "../../src/proto/config.js";
import type { Connection } from "../../src/proto/connection/connection.js";
import type { SimAddress } from "./sim-network.js";
import { SimNetwork } from "./sim-network.js";
import {
  CLIENT_ADDRESS,
  clientConfig,
  EndpointHost,
  pattern,
  SERVER_ADDRESS,
  StreamReader,
  StreamWriter,
  seededRandom,
  serverConfig,
} from "./support.js";

type Counter = "dataBlockedSent" | "streamDataBlockedSent" | "streamsBlockedSent";

/**
 * A client endpoint that loses the datagrams in which its connection sent
 * more of one kind of *_BLOCKED frame (the first `count` of them), so a test
 * can lose exactly the packet carrying the frame.
 */
class LosingHost extends EndpointHost {
  lose: { counter: Counter; count: number } | undefined;
  lost = 0;

  override pollTransmit(now: number, buffer: Uint8Array): { length: number; to: SimAddress } | undefined {
    for (;;) {
      const conn = this.connections[0];
      const rule = this.lose;
      const before = conn === undefined || rule === undefined ? 0 : conn.stats[rule.counter];
      const t = super.pollTransmit(now, buffer);
      if (t === undefined || conn === undefined || rule === undefined || this.lost >= rule.count) return t;
      if (conn.stats[rule.counter] === before) return t;
      this.lost++; // the network never sees it
    }
  }
}

function setup(seed: number, serverTransport: Partial<TransportConfig>) {
  const net = new SimNetwork({ seed, link: { delay: 10 } });
  const random = seededRandom(seed);
  const client = net.add(new LosingHost(CLIENT_ADDRESS, random));
  const server = net.add(new EndpointHost(SERVER_ADDRESS, random, serverConfig(undefined, serverTransport)));
  const conn = client.connect(net.now, clientConfig(), SERVER_ADDRESS);
  net.run(() => conn.isHandshakeComplete && server.connections[0]?.isHandshakeComplete === true);
  return { net, client, server, conn, peer: server.connections[0] as Connection };
}

/** Writes `size` bytes on a new client stream without finishing it (the server reads nothing until told). */
function writeStream(conn: Connection, size: number, salt: number): StreamWriter {
  const id = conn.openStream("bidi");
  if (id === undefined) throw new Error("no stream credit");
  return new StreamWriter(conn, id, pattern(size, salt));
}

describe("STREAM_DATA_BLOCKED", () => {
  it("is sent once per MAX_STREAM_DATA limit while other streams keep the connection busy, and again at the next limit", () => {
    const s = setup(51, { initialMaxStreamDataBidiRemote: 4096 });
    const blocked = writeStream(s.conn, 64 * 1024, 1);
    s.net.run(() => {
      blocked.pump();
      return s.conn.stats.streamDataBlockedSent >= 1;
    });
    // For two seconds another stream trickles 40 bytes every 20 ms: dozens of packets go out while the first stays blocked.
    const busy = s.conn.openStream("bidi") as number;
    const sentBefore = s.conn.stats.packetsSent;
    for (let k = 0; k < 100; k++) {
      s.conn.streamWrite(busy, pattern(40, k)); // 4,000 bytes in all: within its own 4 KiB limit
      s.net.runFor(20);
    }
    expect(s.conn.stats.packetsSent - sentBefore).toBeGreaterThan(30);
    expect(s.conn.stats.streamDataBlockedSent).toBe(1);
    expect(s.peer.stats.streamDataBlockedReceived).toBe(1);

    // The server reads: a MAX_STREAM_DATA raises the limit, the client sends up to it and is blocked at the new one.
    const reader = new StreamReader(s.peer, blocked.id);
    reader.pump();
    s.net.run(() => {
      blocked.pump();
      return s.conn.stats.streamDataBlockedSent >= 2;
    });
    s.net.runFor(2_000);
    expect(s.conn.stats.streamDataBlockedSent).toBe(2);
    expect(s.peer.stats.streamDataBlockedReceived).toBe(2);
    expect(s.conn.stats.dataBlockedSent).toBe(0);
  });

  it("is sent again when the packet carrying it is lost and the stream is still blocked at the same limit", () => {
    const s = setup(52, { initialMaxStreamDataBidiRemote: 4096 });
    s.client.lose = { counter: "streamDataBlockedSent", count: 1 };
    const blocked = writeStream(s.conn, 64 * 1024, 1);
    s.net.run(() => {
      blocked.pump();
      return s.peer.stats.streamDataBlockedReceived >= 1;
    });
    s.net.runFor(2_000);
    expect(s.client.lost).toBe(1);
    expect(s.conn.stats.packetsLost).toBeGreaterThan(0);
    expect(s.conn.stats.streamDataBlockedSent).toBe(2);
    expect(s.peer.stats.streamDataBlockedReceived).toBe(1);
  });

  it("is not sent again after its loss once the stream is no longer blocked", () => {
    const s = setup(53, { initialMaxStreamDataBidiRemote: 4096 });
    s.client.lose = { counter: "streamDataBlockedSent", count: 1 };
    // 6 KiB against a 4 KiB window: the server's first read grants the rest at once (its window is 4 KiB past what it read).
    const blocked = writeStream(s.conn, 6 * 1024, 1);
    blocked.pump();
    s.net.run(() => s.client.lost === 1 && s.peer.acceptStream("bidi") !== undefined);
    const reader = new StreamReader(s.peer, blocked.id);
    s.net.run(() => {
      reader.pump();
      return reader.received === 6 * 1024;
    });
    s.net.runFor(2_000);
    expect(s.conn.stats.packetsLost).toBeGreaterThan(0);
    expect(s.conn.stats.streamDataBlockedSent).toBe(1);
    expect(s.peer.stats.streamDataBlockedReceived).toBe(0);
  });
});

describe("DATA_BLOCKED", () => {
  it("is sent once per MAX_DATA limit however many streams wait, and resent when lost while still blocked", () => {
    const s = setup(54, { initialMaxData: 16 * 1024 });
    s.client.lose = { counter: "dataBlockedSent", count: 1 };
    const writers = [writeStream(s.conn, 32 * 1024, 1), writeStream(s.conn, 32 * 1024, 2), writeStream(s.conn, 32 * 1024, 3)];
    s.net.run(() => {
      for (const w of writers) w.pump();
      return s.peer.stats.dataBlockedReceived >= 1;
    });
    s.net.runFor(2_000);
    expect(s.client.lost).toBe(1);
    expect(s.conn.stats.dataBlockedSent).toBe(2); // the lost one and its retransmission, both at 16 KiB
    expect(s.peer.stats.dataBlockedReceived).toBe(1);
    expect(s.conn.stats.streamDataBlockedSent).toBe(0);
  });
});

describe("STREAMS_BLOCKED", () => {
  it("is sent once per MAX_STREAMS limit, resent when lost while still blocked, and again at the next limit", () => {
    const s = setup(55, { initialMaxStreamsBidi: 2 });
    s.client.lose = { counter: "streamsBlockedSent", count: 1 };
    const ids = [s.conn.openStream("bidi"), s.conn.openStream("bidi")];
    expect(ids).not.toContain(undefined);
    expect(s.conn.openStream("bidi")).toBeUndefined();
    expect(s.conn.openStream("bidi")).toBeUndefined(); // asking again at the same limit says nothing new
    // A little stream data makes later packets whose acknowledgement shows the loss.
    const writers = ids.map((id, i) => new StreamWriter(s.conn, id as number, pattern(2048, i)));
    s.net.run(() => {
      for (const w of writers) w.pump();
      return s.peer.stats.streamsBlockedReceived >= 1;
    });
    s.net.runFor(2_000);
    expect(s.client.lost).toBe(1);
    expect(s.conn.stats.streamsBlockedSent).toBe(2);
    expect(s.peer.stats.streamsBlockedReceived).toBe(1);

    // The server finishes both streams: MAX_STREAMS 4 arrives, two more open, the fifth is blocked at the new limit.
    const readers = ids.map((id) => new StreamReader(s.peer, id as number));
    for (const id of ids) {
      s.peer.acceptStream("bidi");
      s.peer.streamFinish(id as number);
    }
    const clientReaders = ids.map((id) => new StreamReader(s.conn, id as number));
    s.net.run(() => {
      for (const r of readers) r.pump();
      for (const r of clientReaders) r.pump();
      return s.conn.openStream("bidi") !== undefined;
    });
    expect(s.conn.openStream("bidi")).not.toBeUndefined();
    expect(s.conn.openStream("bidi")).toBeUndefined();
    s.net.run(() => s.peer.stats.streamsBlockedReceived >= 2);
    s.net.runFor(2_000);
    expect(s.conn.stats.streamsBlockedSent).toBe(3);
    expect(s.peer.stats.streamsBlockedReceived).toBe(2);
  });
});
