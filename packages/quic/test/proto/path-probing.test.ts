/**
 * Probing before moving (RFC 9000 §8.2, §9.1-9.3, §9.5): a client validates a
 * path from a new local address before it switches; the server answers the
 * probe on the path it came from without moving; an attacker replaying
 * packets from many spoofed addresses moves the connection only until the
 * real peer speaks again, and costs bounded state and bounded traffic toward
 * each spoofed address (3x what came from it).
 */
import { describe, expect, it } from "vitest";
import { MAX_PATHS, MigrationError } from "../../src/proto/connection/path.js";
import type { SimAddress } from "./sim-network.js";
import { CLIENT_ADDRESS, exchange, pair, SERVER_ADDRESS } from "./support.js";

/** A second socket of the client host: same IP, another port. */
const NEW_LOCAL: SimAddress = { address: CLIENT_ADDRESS.address, port: 50_001 };
const same = (a: SimAddress, b: SimAddress): boolean => a.address === b.address && a.port === b.port;

function confirmedPair(seed: number, options: Parameters<typeof pair>[0] = { seed }) {
  const setup = pair(options);
  const { net, server, conn } = setup;
  net.run(() => conn.isHandshakeConfirmed && server.connections[0]?.isHandshakeConfirmed === true);
  net.runFor(100); // NEW_CONNECTION_ID frames settle
  return { ...setup, accepted: server.connections[0]! };
}

describe("a probe is answered on its own path (§8.2.2)", () => {
  it("the server sends its PATH_RESPONSE to the probing address, padded, within 3x, and does not move", () => {
    const { net, client, conn, accepted } = confirmedPair(121);
    // The answers on the new path never arrive, so the client cannot switch: the server must answer without moving.
    net.setLink(SERVER_ADDRESS, NEW_LOCAL, { delay: 10, loss: 1 });
    conn.migrate(net.now, NEW_LOCAL);
    net.runFor(300);
    const probes = net.trace.filter((r) => same(r.from, NEW_LOCAL) && same(r.to, SERVER_ADDRESS));
    const answers = net.trace.filter((r) => same(r.from, SERVER_ADDRESS) && same(r.to, NEW_LOCAL));
    expect(probes.length).toBeGreaterThan(0);
    expect(answers.length).toBeGreaterThan(0); // before: the response went to the current path
    for (const r of [...probes, ...answers]) expect(r.length).toBeGreaterThanOrEqual(1200); // §8.2.1, §8.2.2
    const bytes = (rs: typeof probes): number => rs.reduce((n, r) => n + r.length, 0);
    expect(bytes(answers)).toBeLessThanOrEqual(3 * bytes(probes));
    expect(accepted.remoteAddress).toEqual(CLIENT_ADDRESS);
    expect(conn.localAddress).toBeUndefined();
    // The probe fails (§8.2.4): the client stays, and the connection keeps working on the old path.
    net.run(() => client.eventsOf(conn, "migration-failed").length > 0, { maxTime: net.now + 20_000 });
    expect(client.eventsOf(conn, "path-changed")).toEqual([]);
    const id = conn.openStream("uni")!;
    conn.streamWrite(id, new Uint8Array(100).fill(7));
    conn.streamFinish(id);
    net.run(() => accepted.acceptStream("uni") !== undefined);
    expect(accepted.remoteAddress).toEqual(CLIENT_ADDRESS);
  });

  it("a client migrates to a new local address mid-transfer: probe, switch, the server follows, bytes intact", () => {
    const setup = pair({ seed: 122 });
    const { net, client, server, conn } = setup;
    let migratedAt: number | undefined;
    let switchedAt: number | undefined;
    const { toServer, toClient, clientData, serverData } = exchange(setup, 512 * 1024, {}, () => {
      const accepted = server.connections[0];
      if (migratedAt === undefined && conn.isHandshakeConfirmed && accepted !== undefined && accepted.stats.bytesReceived > 150_000) {
        conn.migrate(net.now, NEW_LOCAL);
        migratedAt = net.now;
      }
      if (switchedAt === undefined && conn.localAddress !== undefined) switchedAt = net.now;
    });
    expect(migratedAt).toBeDefined();
    expect(Buffer.compare(toServer, clientData)).toBe(0);
    expect(Buffer.compare(toClient, serverData)).toBe(0);
    const accepted = server.connections[0]!;
    expect(conn.localAddress).toEqual(NEW_LOCAL);
    expect(accepted.remoteAddress).toEqual(NEW_LOCAL);
    expect(client.eventsOf(conn, "path-changed").map((e) => e.reason)).toEqual(["migrated"]);
    expect(server.eventsOf(accepted, "path-changed").map((e) => e.reason)).toEqual(["peer-migrated"]);
    // Probing first: one round trip on the new path, then the switch; after it the client sends from the new socket only.
    expect(switchedAt).toBeGreaterThanOrEqual(migratedAt! + 20);
    const fromOld = net.trace.filter((r) => same(r.from, CLIENT_ADDRESS) && r.at > switchedAt!);
    // After the switch the old socket only answers the server's check of the old path (§9.3.3) with a padded
    // PATH_RESPONSE; everything else leaves from the new one.
    expect(fromOld.length).toBeLessThanOrEqual(2);
    for (const r of fromOld) expect(r.length).toBe(1200);
    expect(net.trace.filter((r) => same(r.from, NEW_LOCAL) && r.at > switchedAt!).length).toBeGreaterThan(100);
  }, 60_000);

  it("a second migration from a known local address to another port of it keeps the congestion window (§9.4)", () => {
    const setup = pair({ seed: 138 });
    const { net, client, server, conn } = setup;
    const THIRD_LOCAL: SimAddress = { address: CLIENT_ADDRESS.address, port: 50_002 };
    let stage = 0;
    let windowBefore = 0;
    let windowAfter = 0;
    const { toServer, toClient, clientData, serverData } = exchange(setup, 1024 * 1024, {}, () => {
      const accepted = server.connections[0];
      if (accepted === undefined || !conn.isHandshakeConfirmed) return;
      if (stage === 0 && accepted.stats.bytesReceived > 100_000) {
        conn.migrate(net.now, NEW_LOCAL);
        stage = 1;
      } else if (stage === 1 && conn.localAddress !== undefined && accepted.stats.bytesReceived > 500_000) {
        windowBefore = conn.stats.congestionWindow;
        conn.migrate(net.now, THIRD_LOCAL);
        stage = 2;
      } else if (stage === 2 && conn.localAddress?.port === THIRD_LOCAL.port) {
        windowAfter = conn.stats.congestionWindow;
        stage = 3;
      }
    });
    expect(stage).toBe(3);
    expect(Buffer.compare(toServer, clientData)).toBe(0);
    expect(Buffer.compare(toClient, serverData)).toBe(0);
    expect(windowBefore).toBeGreaterThan(12_000);
    expect(windowAfter).toBeGreaterThanOrEqual(windowBefore);
    expect(client.eventsOf(conn, "path-changed").map((e) => e.local?.port)).toEqual([NEW_LOCAL.port, THIRD_LOCAL.port]);
    net.run(() => same(server.connections[0]!.remoteAddress, THIRD_LOCAL), { maxTime: net.now + 5_000 });
  }, 60_000);

  it("migrations through loss, jitter, reordering and duplication: every seed switches and delivers intact", () => {
    for (const seed of [131, 132, 133, 134, 135, 136]) {
      const setup = pair({ seed, link: { delay: 10, jitter: 3, loss: 0.05, reorder: 0.05, duplicate: 0.02 } });
      const { net, client, server, conn } = setup;
      let migrated = false;
      const { toServer, toClient, clientData, serverData } = exchange(setup, 128 * 1024, {}, () => {
        const accepted = server.connections[0];
        if (!migrated && conn.isHandshakeConfirmed && accepted !== undefined && accepted.stats.bytesReceived > 40_000) {
          conn.migrate(net.now, NEW_LOCAL);
          migrated = true;
        }
      });
      expect(migrated, `seed ${seed}`).toBe(true);
      expect(Buffer.compare(toServer, clientData), `seed ${seed}`).toBe(0);
      expect(Buffer.compare(toClient, serverData), `seed ${seed}`).toBe(0);
      net.run(() => conn.localAddress !== undefined || client.eventsOf(conn, "migration-failed").length > 0, {
        maxTime: net.now + 10_000,
      });
      expect(conn.localAddress, `seed ${seed}`).toEqual(NEW_LOCAL);
      net.run(() => same(server.connections[0]!.remoteAddress, NEW_LOCAL), { maxTime: net.now + 10_000 });
      expect(conn.state).toBe("established");
    }
  }, 120_000);

  it("a stateless reset for the ID the client retired when it moved does not end the connection (§10.3.1)", () => {
    const { net, client, conn } = confirmedPair(137);
    conn.migrate(net.now, NEW_LOCAL);
    net.run(() => conn.localAddress !== undefined);
    net.runFor(100);
    // The handshake's ID (sequence 0) was retired by the switch; a late packet to it draws a genuine reset from the
    // server, carrying the token of the handshake's transport parameter (seen in a lossy run: the connection died).
    const token = conn.peerTransportParameters!.statelessResetToken!;
    const reset = new Uint8Array(43).fill(0x5a);
    reset[0] = 0x40 | 0x1a;
    reset.set(token, reset.length - 16);
    client.handleDatagram(net.now, reset, SERVER_ADDRESS, NEW_LOCAL);
    client.handleDatagram(net.now, reset, SERVER_ADDRESS);
    expect(conn.state).toBe("established");
  });

  it("migrate is refused where §9 forbids it, with a reason", () => {
    const early = pair({ seed: 123 });
    const refusal = (f: () => void): string | undefined => {
      try {
        f();
      } catch (error) {
        expect(error).toBeInstanceOf(MigrationError);
        return (error as MigrationError).reason;
      }
      return undefined;
    };
    expect(refusal(() => early.conn.migrate(early.net.now, NEW_LOCAL))).toBe("not-confirmed");
    const { net, conn, accepted } = confirmedPair(123);
    expect(refusal(() => accepted.migrate(net.now, NEW_LOCAL))).toBe("server");
    expect(refusal(() => conn.migrate(net.now, CLIENT_ADDRESS))).toBeUndefined(); // the primary socket named: a new path
    expect(refusal(() => conn.migrate(net.now, NEW_LOCAL))).toBe("in-progress");
    const disabled = confirmedPair(124, { seed: 124, serverTransport: { disableActiveMigration: true } });
    expect(refusal(() => disabled.conn.migrate(disabled.net.now, NEW_LOCAL))).toBe("disabled-by-peer");
  });
});

describe("spoofed addresses (§9.3.2, §21.5.3)", () => {
  it("replayed genuine packets from 40 spoofed addresses: bounded paths, at most 3x toward each, and the real client wins", () => {
    const { net, client, server, conn, accepted } = confirmedPair(125);
    // An on-path attacker forwards copies of the client's packets from spoofed addresses ahead of the originals.
    const id = conn.openStream("uni")!;
    const buffer = new Uint8Array(1500);
    const captured: Uint8Array[] = [];
    const data = new Uint8Array(400);
    for (let i = 0; i < 40; i++) {
      data.fill(i, i * 10, i * 10 + 10);
      conn.streamWrite(id, data.subarray(i * 10, i * 10 + 10));
      if (i === 39) conn.streamFinish(id);
      for (let t = client.pollTransmit(net.now, buffer); t !== undefined; t = client.pollTransmit(net.now, buffer))
        captured.push(buffer.slice(0, t.length));
    }
    expect(captured.length).toBeGreaterThanOrEqual(40);
    const received = new Map<string, number>();
    const sent = new Map<string, number>();
    const key = (a: SimAddress): string => `${a.address}:${a.port}`;
    const drain = (): void => {
      for (let t = server.pollTransmit(net.now, buffer); t !== undefined; t = server.pollTransmit(net.now, buffer))
        sent.set(key(t.to), (sent.get(key(t.to)) ?? 0) + t.length);
    };
    captured.slice(0, -1).forEach((datagram, i) => {
      const spoofed = { address: `203.0.113.${i + 1}`, port: 2000 + i };
      received.set(key(spoofed), datagram.length);
      server.handleDatagram(net.now, datagram, spoofed);
      drain();
      net.now += 1;
      server.handleTimeout(net.now);
      drain();
    });
    expect(accepted.pathStats.tracked).toBeLessThanOrEqual(MAX_PATHS);
    expect(accepted.pathStats.evicted).toBeGreaterThan(30);
    // The genuine last packet arrives from the real address: the connection goes back there (a validated path).
    server.handleDatagram(net.now, captured[captured.length - 1]!, CLIENT_ADDRESS);
    drain();
    expect(accepted.remoteAddress).toEqual(CLIENT_ADDRESS);
    // Let every path timer run out: whatever went to a spoofed address stays within 3x what came from it.
    for (let t = 0; t < 200; t++) {
      net.now += 50;
      server.handleTimeout(net.now);
      drain();
    }
    for (const [address, bytes] of sent)
      if (address !== key(CLIENT_ADDRESS)) expect(bytes, address).toBeLessThanOrEqual(3 * (received.get(address) ?? 0));
    expect(accepted.state).toBe("established");
    // The stream's bytes arrived intact (the server read them from the replayed copies), and the real path works.
    net.run(() => accepted.acceptStream("uni") !== undefined || accepted.stats.packetsReceived > 1000, { maxTime: net.now + 5_000 });
    const out = new Uint8Array(1000);
    const read = accepted.streamRead(id, out);
    expect(read.fin).toBe(true);
    expect(Buffer.compare(out.subarray(0, read.bytes), data)).toBe(0);
    expect(accepted.remoteAddress).toEqual(CLIENT_ADDRESS);
  });
});
