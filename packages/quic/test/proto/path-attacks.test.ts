/**
 * An adversarial pass over paths and migration (RFC 9000 §8.2, §9, §21.5):
 * a peer that holds the 1-RTT keys (so every packet it forges
 * authenticates) sending from addresses it does not own, path validations
 * that fail where they are not expected to, and a client moving back to a
 * path it left. Each test names the rule it holds the connection to.
 */
import { getProvider } from "@zsync/crypto";
import { describe, expect, it } from "vitest";
import { MAX_PATHS } from "../../src/proto/connection/path.js";
import { createPacketKeys, type PacketKeys } from "../../src/proto/crypto/packet-keys.js";
import { sealPacket, TAG_LENGTH } from "../../src/proto/crypto/packet-protection.js";
import { type Frame, writeFrame } from "../../src/proto/wire/frame.js";
import { writeShortHeader } from "../../src/proto/wire/packet-header.js";
import { QuicVersion } from "../../src/proto/wire/version.js";
import { Writer } from "../../src/proto/wire/writer.js";
import type { SimAddress } from "./sim-network.js";
import { SimNetwork } from "./sim-network.js";
import { CLIENT_ADDRESS, clientConfig, EndpointHost, exchange, pair, SERVER_ADDRESS, seededRandom, serverConfig } from "./support.js";

const provider = getProvider();
const same = (a: SimAddress, b: SimAddress): boolean => a.address === b.address && a.port === b.port;
const key = (a: SimAddress): string => `${a.address}:${a.port}`;

/** An established pair and the client's 1-RTT packet keys (from the key log): the test can forge the client's packets. */
function established(seed: number, serverTransport: Parameters<typeof pair>[0]["serverTransport"] = {}) {
  let secret: Uint8Array | undefined;
  const setup = pair({
    seed,
    serverTransport,
    clientTls: {
      cipherSuites: ["TLS_AES_128_GCM_SHA256"],
      keyLog: (label, _random, s) => {
        if (label === "CLIENT_TRAFFIC_SECRET_0") secret = s.slice();
      },
    },
  });
  setup.net.run(() => setup.conn.isHandshakeConfirmed && setup.server.connections[0]?.isHandshakeConfirmed === true);
  setup.net.runFor(100); // NEW_CONNECTION_ID frames settle
  const keys = createPacketKeys(provider, QuicVersion.V1, "aes-128-gcm", secret!);
  return { ...setup, accepted: setup.server.connections[0]!, keys };
}

/** A 1-RTT packet of `frames` sealed with the client's keys, padded to `size` bytes at least. */
function forge(keys: PacketKeys, dcid: Uint8Array, pn: number, frames: readonly (Frame | Uint8Array)[], size = 0): Uint8Array {
  const buffer = new Uint8Array(1400);
  const payloadStart = writeShortHeader(buffer, 0, { dcid, packetNumber: pn, packetNumberLength: 4, keyPhase: false });
  const w = new Writer(buffer, payloadStart, 1400 - TAG_LENGTH);
  for (const frame of frames)
    if (frame instanceof Uint8Array) w.bytes(frame);
    else writeFrame(w, frame);
  if (w.position === payloadStart) w.u8(0x01);
  const end = Math.max(w.position, payloadStart + 4, size - TAG_LENGTH);
  buffer.fill(0, w.position, end);
  return buffer.slice(0, sealPacket(keys, buffer, 0, payloadStart - 4, 4, pn, end));
}

/** Counts what a host sends per destination, without delivering it. */
function drainer(host: { pollTransmit(now: number, b: Uint8Array): { length: number; to: SimAddress } | undefined }) {
  const sent = new Map<string, number>();
  const buffer = new Uint8Array(1500);
  return {
    sent,
    drain(now: number): void {
      for (let t = host.pollTransmit(now, buffer); t !== undefined; t = host.pollTransmit(now, buffer))
        sent.set(key(t.to), (sent.get(key(t.to)) ?? 0) + t.length);
    },
  };
}

describe("a peer with the keys sending from addresses it does not own (§9.3, §21.5.3)", () => {
  it("victims receive at most 3x what came from their address, in total over time and across evictions", () => {
    const { net, server, accepted, keys } = established(301);
    const out = drainer(server);
    const received = new Map<string, number>();
    const victims = Array.from({ length: 7 }, (_, i): SimAddress => ({ address: `203.0.113.${i + 10}`, port: 4000 + i }));
    let pn = 1_000_000;
    // Rounds over more victims than the path table holds, so paths are evicted and created again; each datagram is
    // small, non-probing (PING), and carries PATH_CHALLENGEs, the frames that draw padded 1200-byte answers.
    for (let round = 0; round < 6; round++)
      for (const [i, victim] of victims.entries()) {
        const frames: Frame[] = [
          { kind: "ping" },
          { kind: "path-challenge", data: new Uint8Array(8).fill(round * 16 + i) },
          { kind: "path-challenge", data: new Uint8Array(8).fill(round * 16 + i + 100) },
        ];
        const datagram = forge(keys, accepted.localCid, pn++, frames);
        received.set(key(victim), (received.get(key(victim)) ?? 0) + datagram.length);
        server.handleDatagram(net.now, datagram, victim);
        out.drain(net.now);
        net.now += 7;
        server.handleTimeout(net.now);
        out.drain(net.now);
        expect(accepted.pathStats.tracked).toBeLessThanOrEqual(MAX_PATHS);
      }
    // Every timer runs out (challenge retransmissions, abandoned validations).
    for (let t = 0; t < 400; t++) {
      net.now += 25;
      server.handleTimeout(net.now);
      out.drain(net.now);
    }
    expect(accepted.pathStats.evicted).toBeGreaterThan(0);
    for (const victim of victims) {
      const sent = out.sent.get(key(victim)) ?? 0;
      expect(sent, key(victim)).toBeLessThanOrEqual(3 * received.get(key(victim))!);
    }
    expect(accepted.state).toBe("established");
  });

  it("a PATH_RESPONSE nobody asked for, or arriving on another path, changes nothing (§8.2.3, §19.18)", () => {
    const { net, server, accepted, keys } = established(302);
    const out = drainer(server);
    const victim: SimAddress = { address: "203.0.113.5", port: 5555 };
    server.handleDatagram(net.now, forge(keys, accepted.localCid, 1_000_000, [{ kind: "ping" }]), victim);
    expect(same(accepted.remoteAddress, victim)).toBe(true); // moved, unvalidated
    server.handleDatagram(
      net.now,
      forge(keys, accepted.localCid, 1_000_001, [{ kind: "path-response", data: new Uint8Array(8).fill(9) }]),
      CLIENT_ADDRESS,
    );
    server.handleDatagram(
      net.now,
      forge(keys, accepted.localCid, 1_000_002, [{ kind: "path-response", data: new Uint8Array(8).fill(9) }]),
      victim,
    );
    out.drain(net.now);
    // Still unvalidated: within 3x of what the victim's address sent, and reverted when the validation times out.
    for (let t = 0; t < 400; t++) {
      net.now += 25;
      server.handleTimeout(net.now);
      out.drain(net.now);
    }
    expect(accepted.remoteAddress).toEqual(CLIENT_ADDRESS);
    expect(out.sent.get(key(victim)) ?? 0).toBeLessThanOrEqual(3 * 2 * 60);
    expect(accepted.state).toBe("established");
  });
});

describe("a failed re-validation of a path that is current again (§9.3.3)", () => {
  it("does not 'revert' to itself nor drop the current path from the table", () => {
    const { net, server, accepted, keys } = established(303);
    const out = drainer(server);
    const spoofed: SimAddress = { address: "203.0.113.9", port: 999 };
    // A packet from elsewhere moves the server (it checks the old path, §9.3.3); the next one from the real address
    // brings it back while that check is still under way. The client never answers it (its packets are not delivered).
    server.handleDatagram(net.now, forge(keys, accepted.localCid, 1_000_000, [{ kind: "ping" }], 1200), spoofed);
    out.drain(net.now);
    net.now += 5;
    server.handleDatagram(net.now, forge(keys, accepted.localCid, 1_000_001, [{ kind: "ping" }], 1200), CLIENT_ADDRESS);
    out.drain(net.now);
    expect(accepted.remoteAddress).toEqual(CLIENT_ADDRESS);
    const before = server.eventsOf(accepted, "path-changed").length;
    for (let t = 0; t < 200; t++) {
      net.now += 25;
      server.handleTimeout(net.now);
      out.drain(net.now);
    }
    expect(accepted.remoteAddress).toEqual(CLIENT_ADDRESS);
    expect(server.eventsOf(accepted, "path-changed").slice(before)).toEqual([]);
    expect(accepted.pathStats.tracked).toBeGreaterThanOrEqual(1);
  });
});

describe("a client moving back to a path it left (§9.2, §8.2.4)", () => {
  it("a failed return to the previous local address reports migration-failed and allows the next migration", () => {
    const { net, client, conn } = established(304);
    const A: SimAddress = { address: CLIENT_ADDRESS.address, port: 50_001 };
    const B: SimAddress = { address: CLIENT_ADDRESS.address, port: 50_002 };
    const C: SimAddress = { address: CLIENT_ADDRESS.address, port: 50_003 };
    conn.migrate(net.now, A);
    net.run(() => conn.localAddress !== undefined && same(conn.localAddress, A), { maxTime: net.now + 5_000 });
    net.runFor(200);
    conn.migrate(net.now, B);
    net.run(() => conn.localAddress !== undefined && same(conn.localAddress, B), { maxTime: net.now + 5_000 });
    net.runFor(200);
    // The socket of A is gone: nothing reaches or leaves it any more.
    net.setLink(A, SERVER_ADDRESS, { delay: 10, loss: 1 });
    net.setLink(SERVER_ADDRESS, A, { delay: 10, loss: 1 });
    conn.migrate(net.now, A);
    net.run(() => client.eventsOf(conn, "migration-failed").length > 0, { maxTime: net.now + 20_000, allowIncomplete: true });
    expect(client.eventsOf(conn, "migration-failed").map((e) => e.local)).toEqual([A]);
    expect(conn.localAddress).toEqual(B);
    let refused: unknown;
    try {
      conn.migrate(net.now, C);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeUndefined();
    net.run(() => conn.localAddress !== undefined && same(conn.localAddress, C), { maxTime: net.now + 5_000 });
    expect(conn.state).toBe("established");
  });
});

describe("migration and the handshake, connection IDs, close and rebinding", () => {
  it("a server keeps no path for a client address that changes before the handshake is confirmed (§9)", () => {
    const { net, client, server, conn } = pair({ seed: 305 });
    const NEW: SimAddress = { address: "192.0.2.200", port: 40_000 };
    net.run(() => server.connections[0] !== undefined);
    const accepted = server.connections[0]!;
    expect(accepted.isHandshakeConfirmed).toBe(false);
    net.rebind(client, NEW);
    let confirmedAt: number | undefined;
    net.run(
      () => {
        if (confirmedAt === undefined && accepted.isHandshakeConfirmed) confirmedAt = net.now;
        if (confirmedAt === undefined) expect(accepted.pathStats.tracked).toBe(1);
        return conn.state !== "handshake" && accepted.state !== "handshake";
      },
      { maxTime: net.now + 60_000, allowIncomplete: true },
    );
    for (const r of net.trace)
      if (same(r.from, SERVER_ADDRESS) && same(r.to, NEW)) expect(confirmedAt !== undefined && r.at >= confirmedAt).toBe(true);
  });

  it("rebinding after rebinding with a single spare connection ID (active_connection_id_limit 2): the server follows each, bytes intact", () => {
    const setup = pair({ seed: 306, serverTransport: { activeConnectionIdLimit: 2 }, clientTransport: { activeConnectionIdLimit: 2 } });
    const { net, client, server } = setup;
    const moves: SimAddress[] = [1, 2, 3, 4, 5].map((i) => ({ address: CLIENT_ADDRESS.address, port: 51_000 + i }));
    const at = [10, 14, 50, 90, 130]; // ms after confirmation: the first two faster than a round trip (20 ms)
    let next = 0;
    let start: number | undefined;
    const { toServer, toClient, clientData, serverData } = exchange(setup, 2 * 1024 * 1024, {}, () => {
      const accepted = server.connections[0];
      if (accepted === undefined || !accepted.isHandshakeConfirmed || next >= moves.length) return;
      start ??= net.now;
      // The client's replacement ID may not have arrived before the next move: the server then keeps the ID (§9.5).
      if (net.now >= start + at[next]!) net.rebind(client, moves[next++]!);
    });
    expect(next, `moved ${next} times by ${net.now}`).toBe(moves.length);
    expect(Buffer.compare(toServer, clientData)).toBe(0);
    expect(Buffer.compare(toClient, serverData)).toBe(0);
    const accepted = server.connections[0]!;
    net.run(() => same(accepted.remoteAddress, moves[moves.length - 1]!), { maxTime: net.now + 10_000 });
    expect(accepted.state).toBe("established");
  }, 60_000);

  it("a migration cut short by close ends in a closed connection, no exception, no probe after the close", () => {
    const { net, client, server, conn, accepted } = established(307);
    const A: SimAddress = { address: CLIENT_ADDRESS.address, port: 50_011 };
    conn.migrate(net.now, A);
    net.runFor(3); // the probe is on its way
    conn.close(net.now, 7, "bye");
    const closedAt = net.now;
    net.run(() => conn.state === "drained" && accepted.state === "drained", { maxTime: net.now + 60_000 });
    expect(accepted.closeReason).toMatchObject({ kind: "application", errorCode: 7 });
    for (const r of net.trace) if (same(r.from, A)) expect(r.at).toBeLessThanOrEqual(closedAt);
    expect(client.eventsOf(conn, "path-changed")).toEqual([]);
    expect(server.eventsOf(accepted, "closed").length).toBe(1);
  });

  it("NAT rebinding of the old path while the client's probe of a new one is outstanding: both settle, bytes intact", () => {
    for (const seed of [308, 309, 310]) {
      const setup = pair({ seed });
      const { net, client, server, conn } = setup;
      const A: SimAddress = { address: CLIENT_ADDRESS.address, port: 50_021 };
      const REBOUND: SimAddress = { address: "192.0.2.99", port: 60_000 };
      // The new path is slow, so the rebinding of the old one happens while its probe is outstanding.
      net.setLink(A, SERVER_ADDRESS, { delay: 80 });
      net.setLink(SERVER_ADDRESS, A, { delay: 80 });
      let stage = 0;
      const { toServer, toClient, clientData, serverData } = exchange(setup, 256 * 1024, {}, () => {
        const accepted = server.connections[0];
        if (accepted === undefined || !conn.isHandshakeConfirmed) return;
        if (stage === 0 && accepted.stats.bytesReceived > 40_000) {
          conn.migrate(net.now, A);
          stage = 1;
        } else if (stage === 1) {
          net.rebind(client, REBOUND);
          stage = 2;
        }
      });
      expect(stage, `seed ${seed}`).toBe(2);
      expect(Buffer.compare(toServer, clientData), `seed ${seed}`).toBe(0);
      expect(Buffer.compare(toClient, serverData), `seed ${seed}`).toBe(0);
      net.run(() => conn.localAddress !== undefined || client.eventsOf(conn, "migration-failed").length > 0, {
        maxTime: net.now + 10_000,
      });
      expect(conn.localAddress, `seed ${seed}`).toEqual(A);
      const accepted = server.connections[0]!;
      net.run(() => same(accepted.remoteAddress, A), { maxTime: net.now + 10_000 });
      expect(accepted.state).toBe("established");
      expect(accepted.pathStats.tracked).toBeLessThanOrEqual(MAX_PATHS);
    }
  }, 60_000);
});

describe("*_BLOCKED frames from a hostile peer (§19.12-19.14)", () => {
  it("a flood of them is counted, answered with ACKs only, and changes no state", () => {
    const { net, server, accepted, keys } = established(311);
    const out = drainer(server);
    let received = 0;
    const frames: Frame[] = [];
    for (let i = 0; i < 60; i++) {
      frames.push({ kind: "data-blocked", limit: 2 ** 40 + i });
      frames.push({ kind: "stream-data-blocked", streamId: 4 * (i % 50), limit: 2 ** 50 });
      frames.push({ kind: "streams-blocked", bidirectional: i % 2 === 0, limit: 2 ** 40 });
    }
    for (let p = 0; p < 300; p++) {
      const datagram = forge(keys, accepted.localCid, 1_000_000 + p, frames.slice((p % 6) * 30, (p % 6) * 30 + 30));
      received += datagram.length;
      server.handleDatagram(net.now, datagram, CLIENT_ADDRESS);
      net.now += 1;
      server.handleTimeout(net.now);
      out.drain(net.now);
    }
    expect(accepted.state).toBe("established");
    const blocked = accepted.stats;
    expect(blocked.dataBlockedReceived + blocked.streamDataBlockedReceived + blocked.streamsBlockedReceived).toBe(300 * 30);
    // ACKs only: a small fraction of what came in.
    expect(out.sent.get(key(CLIENT_ADDRESS)) ?? 0).toBeLessThan(received / 4);
  });

  it("STREAM_DATA_BLOCKED for a stream we only send on, or one of ours not opened yet, is STREAM_STATE_ERROR", () => {
    for (const [streamId, code] of [
      [3, 0x05], // server-initiated unidirectional: send-only at the server
      [1, 0x05], // server-initiated bidirectional, never opened
      [4 * 100, 0x04], // the 101st client bidi stream: beyond our MAX_STREAMS
    ] as const) {
      const { net, server, accepted, keys } = established(312);
      server.handleDatagram(
        net.now,
        forge(keys, accepted.localCid, 1_000_000, [{ kind: "stream-data-blocked", streamId, limit: 10 }]),
        CLIENT_ADDRESS,
      );
      expect(accepted.closeReason, `stream ${streamId}`).toMatchObject({ kind: "transport", errorCode: code, frameType: 0x15 });
    }
  });

  it("STREAMS_BLOCKED above 2^60 is FRAME_ENCODING_ERROR (§19.14)", () => {
    const { net, server, accepted, keys } = established(313);
    server.handleDatagram(
      net.now,
      // Type 0x17 with the 8-byte varint 2^61 (the frame writer refuses to encode it).
      forge(keys, accepted.localCid, 1_000_000, [Uint8Array.from([0x17, 0xe0, 0, 0, 0, 0, 0, 0, 0])]),
      CLIENT_ADDRESS,
    );
    expect(accepted.closeReason).toMatchObject({ kind: "transport", errorCode: 0x07 });
  });
});

describe("CONNECTION_CLOSE where little room is left (§10.2, §19.19)", () => {
  it("closing while the current path is an unvalidated address with a small 3x budget: the close fits, nothing throws", () => {
    const { net, server, accepted, keys } = established(314);
    const out = drainer(server);
    const victim: SimAddress = { address: "203.0.113.77", port: 7777 };
    const first = forge(keys, accepted.localCid, 1_000_000, [{ kind: "ping" }]);
    server.handleDatagram(net.now, first, victim); // moves the server there (unvalidated: 3x of these bytes)
    expect(accepted.remoteAddress).toEqual(victim);
    out.drain(net.now); // the challenge spends the budget
    const more = forge(keys, accepted.localCid, 1_000_001, [{ kind: "data-blocked", limit: 1 }], 45);
    server.handleDatagram(net.now, more, victim); // 3x more of budget
    net.now += 25;
    server.handleTimeout(net.now);
    out.drain(net.now); // its ACK spends part of it
    const spent = out.sent.get(key(victim)) ?? 0;
    expect(3 * (first.length + more.length) - spent).toBeGreaterThanOrEqual(64);
    // Found by fuzz-paths: the violation comes from the real address (its bytes add nothing to the victim's budget),
    // and its reason text (58 bytes) outgrew the room left there.
    const second = forge(keys, accepted.localCid, 1_000_002, [{ kind: "retire-connection-id", sequenceNumber: 2 ** 61 }]);
    server.handleDatagram(net.now, second, CLIENT_ADDRESS);
    expect(accepted.closeReason).toMatchObject({ kind: "transport", errorCode: 0x0a });
    expect(() => out.drain(net.now)).not.toThrow(); // before: RangeError "writer out of space" out of pollTransmit
    expect(out.sent.get(key(victim))).toBeGreaterThan(spent);
    expect(out.sent.get(key(victim))).toBeLessThanOrEqual(3 * (first.length + more.length));
  });

  it("an application close with a reason longer than a datagram: sent truncated, the peer sees the code", () => {
    const { net, conn, accepted } = established(315);
    conn.close(net.now, 42, "é".repeat(1500)); // 3000 bytes of UTF-8
    expect(() => net.run(() => accepted.closeReason !== undefined, { maxTime: net.now + 5_000 })).not.toThrow();
    const reason = accepted.closeReason;
    expect(reason).toMatchObject({ kind: "application", errorCode: 42, remote: true });
    // Cut at a character boundary: only whole two-byte characters.
    if (reason?.kind === "application") expect(reason.reason.length).toBeGreaterThan(100);
    if (reason?.kind === "application") expect(reason.reason).toBe("é".repeat(reason.reason.length));
  });
});

describe("migration racing a key update (§6, §9.2)", () => {
  it("both sides update keys while the client's probe is in flight and after the switch: bytes intact, one move", () => {
    for (const seed of [316, 317]) {
      const setup = pair({ seed, link: { delay: 10, jitter: 2, loss: 0.02 } });
      const { net, client, server, conn } = setup;
      const A: SimAddress = { address: CLIENT_ADDRESS.address, port: 50_031 };
      let stage = 0;
      let updates = 0;
      const { toServer, toClient, clientData, serverData } = exchange(setup, 512 * 1024, {}, () => {
        const accepted = server.connections[0];
        if (accepted === undefined || !conn.isHandshakeConfirmed || !accepted.isHandshakeConfirmed) return;
        if (stage === 0 && accepted.stats.bytesReceived > 60_000) {
          if (conn.initiateKeyUpdate()) updates++;
          conn.migrate(net.now, A);
          stage = 1;
        } else if (stage === 1 && conn.localAddress !== undefined) {
          if (accepted.initiateKeyUpdate()) updates++;
          stage = 2;
        } else if (stage === 2 && accepted.stats.bytesReceived > 300_000) {
          if (conn.initiateKeyUpdate()) updates++;
          stage = 3;
        }
      });
      expect(stage, `seed ${seed}`).toBe(3);
      expect(updates, `seed ${seed}`).toBeGreaterThanOrEqual(2);
      expect(Buffer.compare(toServer, clientData), `seed ${seed}`).toBe(0);
      expect(Buffer.compare(toClient, serverData), `seed ${seed}`).toBe(0);
      expect(client.eventsOf(conn, "path-changed").map((e) => e.reason)).toEqual(["migrated"]);
      const accepted = server.connections[0]!;
      net.run(() => same(accepted.remoteAddress, A), { maxTime: net.now + 10_000 });
      expect(accepted.state).toBe("established");
      expect(conn.state).toBe("established");
    }
  }, 60_000);
});

describe("zero-length connection IDs and disable_active_migration (§9, §9.5, §18.2)", () => {
  it("a client with zero-length IDs is followed through a rebinding and migrates itself; bytes intact", () => {
    const seed = 318;
    const net = new SimNetwork({ seed, link: { delay: 10 } });
    const random = seededRandom(seed);
    const client = net.add(new EndpointHost(CLIENT_ADDRESS, random, undefined, undefined, 0));
    const server = net.add(new EndpointHost(SERVER_ADDRESS, random, serverConfig()));
    const conn = client.connect(net.now, clientConfig(), SERVER_ADDRESS);
    const setup = { net, client, server, conn } as unknown as ReturnType<typeof pair>;
    const REBOUND: SimAddress = { address: CLIENT_ADDRESS.address, port: 50_041 };
    const A: SimAddress = { address: CLIENT_ADDRESS.address, port: 50_042 };
    let stage = 0;
    const { toServer, toClient, clientData, serverData } = exchange(setup, 512 * 1024, {}, () => {
      const accepted = server.connections[0];
      if (accepted === undefined || !conn.isHandshakeConfirmed) return;
      if (stage === 0 && accepted.stats.bytesReceived > 60_000) {
        net.rebind(client, REBOUND);
        stage = 1;
      } else if (stage === 1 && same(accepted.remoteAddress, REBOUND) && accepted.stats.bytesReceived > 200_000) {
        conn.migrate(net.now, A);
        stage = 2;
      }
    });
    expect(conn.localCid.length).toBe(0);
    expect(stage).toBe(2);
    expect(Buffer.compare(toServer, clientData)).toBe(0);
    expect(Buffer.compare(toClient, serverData)).toBe(0);
    net.run(() => conn.localAddress !== undefined, { maxTime: net.now + 10_000 });
    const accepted = server.connections[0]!;
    net.run(() => same(accepted.remoteAddress, A), { maxTime: net.now + 10_000 });
    expect(accepted.state).toBe("established");
  }, 60_000);

  it("a server that sent disable_active_migration still follows a NAT rebinding (§9: validate, then move)", () => {
    const setup = pair({ seed: 319, serverTransport: { disableActiveMigration: true } });
    const { net, client, server } = setup;
    const REBOUND: SimAddress = { address: "192.0.2.123", port: 41_000 };
    let rebound = false;
    const { toServer, toClient, clientData, serverData } = exchange(setup, 256 * 1024, {}, () => {
      const accepted = server.connections[0];
      if (!rebound && accepted !== undefined && accepted.stats.bytesReceived > 60_000) {
        net.rebind(client, REBOUND);
        rebound = true;
      }
    });
    expect(rebound).toBe(true);
    expect(Buffer.compare(toServer, clientData)).toBe(0);
    expect(Buffer.compare(toClient, serverData)).toBe(0);
    expect(server.connections[0]!.remoteAddress).toEqual(REBOUND);
  }, 60_000);
});

describe("the closing state under a flood (§10.2.1)", () => {
  it("forged datagrams from many addresses draw CONNECTION_CLOSEs at a falling rate, not one each", () => {
    const { net, server, accepted } = established(320);
    const out = drainer(server);
    accepted.close(net.now, 1, "bye");
    out.drain(net.now);
    const before = out.sent.get(key(CLIENT_ADDRESS)) ?? 0;
    let datagrams = 0;
    for (let i = 0; i < 1000; i++) {
      const forged = new Uint8Array(30).fill(i & 0xff);
      forged[0] = 0x40;
      forged.set(accepted.localCid, 1);
      server.handleDatagram(net.now, forged, { address: `203.0.113.${i % 200}`, port: 1000 + i });
      const t = server.pollTransmit(net.now, new Uint8Array(1500));
      if (t !== undefined) datagrams++;
      expect(t === undefined || same(t.to, CLIENT_ADDRESS)).toBe(true); // never toward the forged sources
    }
    expect(accepted.state).toBe("closing");
    expect(datagrams).toBeGreaterThan(0); // the peer still hears it again
    expect(datagrams).toBeLessThanOrEqual(11); // before: 1000, one per forged datagram (log2(1000) + 1 now)
    expect(out.sent.get(key(CLIENT_ADDRESS)) ?? 0).toBe(before);
  });
});
