/**
 * Stateless reset end to end (RFC 9000 §10.3): a server that restarts with
 * the same static key answers the client's packets for the lost connection
 * with stateless resets, and the client drains at once instead of waiting
 * for its idle timeout; with another key the resets are not recognised and
 * the two endpoints' resets shrink to nothing instead of looping (§10.3.3);
 * a reset that happens to carry the client's own connection ID is detected
 * by the connection itself (§10.3.1: "cannot be decrypted").
 */
import { getProvider } from "@zsync/crypto";
import { describe, expect, it } from "vitest";
import { StatelessResetKey } from "../../src/proto/crypto/stateless-reset.js";
import { SimNetwork } from "../proto/sim-network.js";
import { clientConfig, serverConfig } from "../proto/support.js";
import { seededBytes, ValidationHost } from "./support.js";

const CLIENT = { address: "192.0.2.1", port: 50_000 };
const SERVER = { address: "198.51.100.1", port: 4433 };
const KEY = new Uint8Array(32).fill(0x5a);

function established(seed: number) {
  const net = new SimNetwork({ seed, link: { delay: 10 } });
  const random = seededBytes(seed);
  const client = net.add(new ValidationHost(CLIENT, random, undefined));
  const server = net.add(new ValidationHost(SERVER, random, serverConfig(), { statelessResetKey: KEY }));
  const conn = client.connect(net.now, clientConfig(), SERVER);
  net.run(() => conn.isHandshakeConfirmed && server.connections[0]?.isHandshakeConfirmed === true);
  net.runFor(100);
  return { net, client, server, conn };
}

function sendSomething(conn: ReturnType<typeof established>["conn"]): void {
  const id = conn.openStream("bidi")!;
  conn.streamWrite(id, new Uint8Array(500).fill(1));
}

describe("stateless reset between two endpoints (§10.3)", () => {
  it("the server advertises the token derived from its connection ID (§18.2 stateless_reset_token)", () => {
    const { server, conn } = established(1);
    const serverCid = server.connections[0]!.localCid;
    expect(conn.peerTransportParameters?.statelessResetToken).toEqual(new StatelessResetKey(getProvider(), KEY).token(serverCid));
  });

  it("a server restarted with the same static key resets the client's connection, which drains at once", () => {
    const { net, client, server, conn } = established(2);
    server.restart();
    const t0 = net.now;
    sendSomething(conn);
    net.run(() => conn.state !== "established");
    expect(server.endpoint.stats.statelessResets).toBeGreaterThanOrEqual(1);
    expect(conn.state).toBe("draining");
    expect(conn.closeReason).toEqual({ kind: "stateless-reset" });
    expect(client.eventsOf(conn, "closed").map((e) => e.reason)).toEqual([{ kind: "stateless-reset" }]);
    expect(net.now - t0).toBeLessThan(100); // one round trip, not the 30 s idle timeout
    // Draining: nothing more is sent, and the connection is forgotten after the period.
    const sentBefore = conn.stats.packetsSent;
    net.run(() => conn.isDrained);
    expect(conn.stats.packetsSent).toBe(sentBefore);
    expect(client.endpoint.connectionCount).toBe(0);
  });

  it("keeps every reset smaller than the datagram that triggered it", () => {
    const { net, server, conn } = established(3);
    server.restart();
    const from = net.trace.length;
    sendSomething(conn);
    net.run(() => conn.state !== "established");
    const after = net.trace.slice(from);
    const largestTrigger = Math.max(...after.filter((r) => r.from === CLIENT).map((r) => r.length));
    const resets = after.filter((r) => r.from === SERVER);
    expect(resets.length).toBeGreaterThan(0);
    for (const r of resets) expect(r.length).toBeLessThan(largestTrigger);
  });

  it("is not recognised under another key; the client endpoint, which issued no token, answers none", () => {
    const { net, client, server, conn } = established(4);
    server.restart({ statelessResetKey: new Uint8Array(32).fill(0x77) });
    sendSomething(conn);
    net.runFor(300);
    expect(conn.state).toBe("established");
    expect(server.endpoint.stats.statelessResets).toBeGreaterThanOrEqual(1);
    expect(client.endpoint.stats.statelessResets).toBe(0);
  });

  it("is detected by the connection when the reset happens to carry the client's connection ID (§10.3.1)", () => {
    const { net, client, conn } = established(5);
    const token = conn.peerTransportParameters!.statelessResetToken!;
    const reset = new Uint8Array(60);
    seededBytes(5)(reset);
    reset[0] = 0x40 | ((reset[0] as number) & 0x3f);
    reset.set(conn.localCid, 1);
    reset.set(token, 44);
    const notQuite = reset.slice();
    notQuite[59] = (notQuite[59] as number) ^ 0x80;
    client.handleDatagram(net.now, notQuite, SERVER);
    expect(conn.state).toBe("established");
    client.handleDatagram(net.now, reset, SERVER);
    expect(conn.closeReason).toEqual({ kind: "stateless-reset" });
  });

  it("is only checked against the connections of the sender's address", () => {
    const { net, client, conn } = established(6);
    const token = conn.peerTransportParameters!.statelessResetToken!;
    const reset = new Uint8Array(50);
    reset[0] = 0x41;
    reset.set(token, 34);
    client.handleDatagram(net.now, reset, { address: "203.0.113.5", port: 4433 });
    expect(conn.state).toBe("established");
    client.handleDatagram(net.now, reset, SERVER);
    expect(conn.state).toBe("draining");
  });

  it("is only checked for the peer's address even when the datagram routes to the connection by its CID", () => {
    const { net, client, conn } = established(7);
    const token = conn.peerTransportParameters!.statelessResetToken!;
    const reset = new Uint8Array(50);
    reset[0] = 0x41;
    reset.set(conn.localCid, 1);
    reset.set(token, 34);
    client.handleDatagram(net.now, reset, { address: "203.0.113.5", port: 4433 });
    expect(conn.state).toBe("established");
    client.handleDatagram(net.now, reset, SERVER);
    expect(conn.state).toBe("draining");
  });
});
