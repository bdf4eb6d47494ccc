/**
 * Ending connections (RFC 9000 §10): the idle timeout closes both ends
 * silently; an application close reaches the peer with its code and
 * reason, the closer enters the closing state and the peer the draining
 * state, and both are forgotten after three PTOs; a transport error we
 * detect is sent as a transport CONNECTION_CLOSE.
 */
import { describe, expect, it } from "vitest";
import { CLIENT_ADDRESS, pair, SERVER_ADDRESS } from "./support.js";

function established(seed: number, options: Parameters<typeof pair>[0] = { seed }) {
  const setup = pair({ ...options, seed });
  setup.net.run(() => setup.conn.isHandshakeConfirmed && setup.server.connections[0]?.isHandshakeConfirmed === true);
  return { ...setup, accepted: setup.server.connections[0]! };
}

describe("idle timeout (RFC 9000 §10.1)", () => {
  it("closes both ends silently after the smaller of the two idle timeouts", () => {
    const { net, client, server, conn, accepted } = established(21, {
      seed: 21,
      clientTransport: { maxIdleTimeout: 5000 },
      serverTransport: { maxIdleTimeout: 2000 },
    });
    net.runFor(100); // the last ACKs of the handshake
    const start = net.now;
    const before = net.trace.length;
    net.run(() => conn.isDrained && accepted.isDrained);
    expect(net.now - start).toBeGreaterThanOrEqual(2000 - 100);
    expect(net.now - start).toBeLessThan(2100);
    expect(client.eventsOf(conn, "closed")[0]?.reason).toEqual({ kind: "idle-timeout" });
    expect(server.eventsOf(accepted, "closed")[0]?.reason).toEqual({ kind: "idle-timeout" });
    // Silently: no CONNECTION_CLOSE (nor anything else) on an idle connection.
    expect(net.trace.length).toBe(before);
    expect(server.endpoint.connectionCount).toBe(0);
    expect(client.endpoint.connectionCount).toBe(0);
  });

  it("is at least three PTOs, whatever the configuration says", () => {
    const { net, conn, accepted } = established(22, {
      seed: 22,
      link: { delay: 100 },
      clientTransport: { maxIdleTimeout: 10 },
      serverTransport: { maxIdleTimeout: 10 },
    });
    const start = net.now;
    net.run(() => conn.isDrained && accepted.isDrained);
    expect(net.now - start).toBeGreaterThanOrEqual(3 * 200); // PTO >= smoothed RTT (200 ms)
  });
});

describe("application close (RFC 9000 §10.2)", () => {
  it("delivers the error code and reason to the peer; closing and draining both end after three PTOs", () => {
    const { net, client, server, conn, accepted } = established(23);
    conn.close(net.now, 0x2a, "bye now");
    expect(conn.state).toBe("closing");
    net.run(() => accepted.state === "draining");
    expect(server.eventsOf(accepted, "closed")[0]?.reason).toEqual({
      kind: "application",
      remote: true,
      errorCode: 0x2a,
      reason: "bye now",
    });
    expect(client.eventsOf(conn, "closed")[0]?.reason).toEqual({ kind: "application", remote: false, errorCode: 0x2a, reason: "bye now" });
    const drainingSince = net.now;
    net.run(() => conn.isDrained && accepted.isDrained);
    expect(net.now - drainingSince).toBeGreaterThan(0);
    expect(server.eventsOf(accepted, "drained")).toHaveLength(1);
    // The draining peer sent nothing after receiving the close (§10.2.2).
    const afterClose = net.trace.filter((r) => r.from === SERVER_ADDRESS && r.at > drainingSince);
    expect(afterClose).toHaveLength(0);
  });

  it("repeats CONNECTION_CLOSE when packets keep arriving during the closing period (§10.2.1)", () => {
    const { net, conn, accepted } = established(24);
    // The first CONNECTION_CLOSE is lost while the server has stream data in flight: it retransmits, and only the
    // client's repeated CONNECTION_CLOSE tells it the connection is gone.
    net.setLink(CLIENT_ADDRESS, SERVER_ADDRESS, { delay: 10, dropList: [1] }); // a fresh link: the next datagram is its 1st
    const id = accepted.openStream("uni")!;
    accepted.streamWrite(id, new Uint8Array(100));
    conn.close(net.now, 7);
    net.run(() => accepted.state === "draining" || accepted.isDrained, { maxTime: net.now + 60_000 });
    expect(accepted.closeReason).toMatchObject({ kind: "application", errorCode: 7 });
  });

  it("a close before the handshake completes travels as a transport APPLICATION_ERROR (§10.2.3)", () => {
    const { net, server, conn } = pair({ seed: 25 });
    net.run(() => server.connections.length > 0); // the server's flight is on its way; the client has only Initial keys
    conn.close(net.now, 99, "secret reason");
    net.run(() => server.connections[0]?.closeReason !== undefined, { maxTime: net.now + 10_000 });
    expect(server.connections[0]!.closeReason).toMatchObject({ kind: "transport", remote: true, errorCode: 0x0c, reason: "" });
  });
});

describe("keep-alive (RFC 9000 §10.1.2)", () => {
  it("ping() before the idle timeout keeps an otherwise idle connection open", () => {
    const { net, conn, accepted } = established(26, {
      seed: 26,
      clientTransport: { maxIdleTimeout: 1000 },
      serverTransport: { maxIdleTimeout: 1000 },
    });
    for (let i = 0; i < 10; i++) {
      conn.ping();
      net.runFor(500);
    }
    expect(conn.state).toBe("established");
    expect(accepted.state).toBe("established");
    net.runFor(3000); // no more pings: both ends time out
    expect(conn.closeReason).toEqual({ kind: "idle-timeout" });
  });
});
