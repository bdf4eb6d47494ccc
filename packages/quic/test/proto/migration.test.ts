/**
 * NAT rebinding (RFC 9000 §9): the client's address changes mid-transfer;
 * the server validates the new path with PATH_CHALLENGE / PATH_RESPONSE,
 * stays within 3x what the new path brought until then, follows the
 * client, and the transfer completes intact. A move to an address that
 * never answers is undone after three PTOs.
 */
import { describe, expect, it } from "vitest";
import { initialWindow } from "../../src/proto/congestion/controller.js";
import type { ConnectionStats } from "../../src/proto/connection/connection.js";
import type { SimAddress } from "./sim-network.js";
import { CLIENT_ADDRESS, exchange, pair, SERVER_ADDRESS } from "./support.js";

const NEW_ADDRESS = { address: "192.0.2.1", port: 50_999 };
/** A NAT that changed the client's IP address, not only its port. */
const OTHER_IP = { address: "192.0.2.77", port: 50_000 };
const INITIAL_WINDOW = initialWindow(1200);
const INITIAL_RTT = 333;
const same = (a: SimAddress, b: SimAddress): boolean => a.address === b.address && a.port === b.port;

/** A 512 KiB exchange during which the client is rebound to `to`: the server's stats just before and just after it follows. */
function rebindMidTransfer(seed: number, to: SimAddress): { before: ConnectionStats; after: ConnectionStats; soon: ConnectionStats } {
  const setup = pair({ seed });
  const { net, client, server } = setup;
  let rebound = false;
  let before: ConnectionStats | undefined;
  let after: ConnectionStats | undefined;
  let last: ConnectionStats | undefined;
  let switchedAt = 0;
  let soon: ConnectionStats | undefined;
  const { toServer, toClient, clientData, serverData } = exchange(setup, 512 * 1024, {}, () => {
    const accepted = server.connections[0];
    if (accepted === undefined) return;
    // Less than one RTT (20 ms) after the switch, every ACK is for a packet sent on the old path.
    if (after !== undefined) {
      if (net.now < switchedAt + 15) soon = accepted.stats;
      return;
    }
    if (!rebound && accepted.stats.bytesReceived > 150_000) {
      net.rebind(client, to);
      rebound = true;
    }
    if (rebound && same(accepted.remoteAddress, to)) {
      before = last; // the step before the server followed
      after = accepted.stats;
      switchedAt = net.now;
    }
    last = accepted.stats;
  });
  expect(Buffer.compare(toServer, clientData)).toBe(0);
  expect(Buffer.compare(toClient, serverData)).toBe(0);
  expect(after).toBeDefined();
  expect(soon).toBeDefined();
  return { before: before!, after: after!, soon: soon! };
}

describe("NAT rebinding", () => {
  it("the server follows the client to its new port after validating it, and the data arrives intact", () => {
    const setup = pair({ seed: 81 });
    const { net, client, server } = setup;
    let rebound = false;
    const { toServer, toClient, clientData, serverData } = exchange(setup, 512 * 1024, {}, () => {
      const accepted = server.connections[0];
      if (!rebound && accepted !== undefined && accepted.stats.bytesReceived > 100_000) {
        net.rebind(client, NEW_ADDRESS);
        rebound = true;
      }
    });
    expect(rebound).toBe(true);
    expect(Buffer.compare(toServer, clientData)).toBe(0);
    expect(Buffer.compare(toClient, serverData)).toBe(0);
    expect(server.connections[0]!.remoteAddress).toEqual(NEW_ADDRESS);
    // Before the PATH_RESPONSE, the server sent at most 3x what the new path had brought: nothing beyond one probe
    // burst reached the new address ahead of the client's first datagrams from it.
    const first = net.trace.find((r) => r.from === NEW_ADDRESS)!;
    const early = net.trace.filter((r) => r.from === SERVER_ADDRESS && r.to === NEW_ADDRESS && r.at <= first.at + 10);
    expect(early.reduce((n, r) => n + r.length, 0)).toBeLessThanOrEqual(3 * first.length);
  }, 60_000);

  it("rebinding (port or address) under loss, jitter, reordering and duplication: every seed completes, the server follows", () => {
    // Seeds 301 and 304 livelocked: an ACK due while the new address's 3x budget allowed no datagram kept the
    // deadline in the past, so the driver fired it forever (pollTimeout now skips it, as for the handshake's limit).
    for (let seed = 300; seed < 306; seed++) {
      const setup = pair({
        seed,
        link: { delay: 5 + (seed % 20), jitter: 3, loss: seed % 2 === 0 ? 0.08 : 0.02, reorder: 0.1, duplicate: 0.05 },
      });
      const { net, client, server } = setup;
      const to =
        seed % 3 === 0 ? { address: CLIENT_ADDRESS.address, port: 40_000 + seed } : { address: `192.0.2.${seed - 200}`, port: 50_000 };
      let rebound = false;
      const { toServer, toClient, clientData, serverData } = exchange(setup, 96 * 1024, {}, () => {
        const accepted = server.connections[0];
        if (!rebound && accepted !== undefined && accepted.stats.bytesReceived > 20_000 + (seed % 7) * 5000) {
          net.rebind(client, to);
          rebound = true;
        }
      });
      expect(Buffer.compare(toServer, clientData), `seed ${seed}`).toBe(0);
      expect(Buffer.compare(toClient, serverData), `seed ${seed}`).toBe(0);
      const accepted = server.connections[0]!;
      net.run(() => same(accepted.remoteAddress, to), { maxTime: net.now + 10_000 });
    }
  }, 60_000);

  it("a move to an address that does not answer the challenge is undone (§9.3.2)", () => {
    const setup = pair({ seed: 82 });
    const { net, client, server, conn } = setup;
    net.run(() => conn.isHandshakeConfirmed && server.connections[0]?.isHandshakeConfirmed === true);
    const accepted = server.connections[0]!;
    // One datagram from a spoofed-looking new address (the client really sent it), then the client is back at its own.
    net.rebind(client, NEW_ADDRESS);
    const id = conn.openStream("uni")!;
    conn.streamWrite(id, new Uint8Array(100));
    // Whatever the server sends to the new address is lost.
    net.setLink(SERVER_ADDRESS, NEW_ADDRESS, { delay: 10, loss: 1 });
    net.run(() => accepted.remoteAddress.port === NEW_ADDRESS.port);
    net.rebind(client, CLIENT_ADDRESS);
    net.run(() => accepted.remoteAddress.port === CLIENT_ADDRESS.port, { maxTime: net.now + 10_000 });
    expect(accepted.state).toBe("established");
  });
});

describe("congestion control and RTT across a path change (§9.4)", () => {
  it("a port-only change (NAT rebinding) keeps the congestion window and RTT", () => {
    const { before, after } = rebindMidTransfer(83, NEW_ADDRESS);
    expect(before.congestionWindow).toBeGreaterThan(2 * INITIAL_WINDOW);
    expect(after.congestionWindow).toBeGreaterThanOrEqual(before.congestionWindow);
    expect(after.smoothedRtt).toBeLessThan(100);
  }, 60_000);

  it("an IP address change starts the new path from the initial window and RTT", () => {
    const { before, after, soon } = rebindMidTransfer(84, OTHER_IP);
    expect(before.congestionWindow).toBeGreaterThan(2 * INITIAL_WINDOW);
    expect(before.smoothedRtt).toBeLessThan(100);
    expect(after.congestionWindow).toBe(INITIAL_WINDOW);
    expect(after.smoothedRtt).toBe(INITIAL_RTT);
    // Packets sent on the old path do not count for the new one: their ACKs neither grow its window nor give it RTT samples.
    expect(soon.packetsReceived).toBeGreaterThan(after.packetsReceived);
    expect(soon.congestionWindow).toBe(INITIAL_WINDOW);
    expect(soon.smoothedRtt).toBe(INITIAL_RTT);
  }, 60_000);

  it("a new IP address that fails validation: back to the old path with its window and RTT (§9.3.2)", () => {
    const setup = pair({ seed: 85 });
    const { net, client, server, conn } = setup;
    exchange(setup, 256 * 1024);
    const accepted = server.connections[0]!;
    const grown = accepted.stats;
    expect(grown.congestionWindow).toBeGreaterThan(2 * INITIAL_WINDOW);
    net.rebind(client, OTHER_IP);
    net.setLink(SERVER_ADDRESS, OTHER_IP, { delay: 10, loss: 1 }); // nothing reaches the new address
    const id = conn.openStream("uni")!;
    conn.streamWrite(id, new Uint8Array(100));
    net.run(() => same(accepted.remoteAddress, OTHER_IP));
    expect(accepted.stats.congestionWindow).toBe(INITIAL_WINDOW);
    net.setLink(OTHER_IP, SERVER_ADDRESS, { delay: 10, loss: 1 }); // and the client falls silent there
    net.run(() => server.eventsOf(accepted, "path-changed").some((e) => e.reason === "reverted"), { maxTime: net.now + 20_000 });
    expect(accepted.remoteAddress).toEqual(CLIENT_ADDRESS);
    expect(accepted.stats.congestionWindow).toBeGreaterThanOrEqual(grown.congestionWindow);
    expect(accepted.stats.smoothedRtt).toBeLessThan(100);
    // The client comes back on its old address: the transfer resumes there.
    net.rebind(client, CLIENT_ADDRESS);
    conn.streamFinish(id);
    net.run(() => accepted.acceptStream("uni") !== undefined, { maxTime: net.now + 20_000 });
    expect(accepted.state).toBe("established");
  }, 60_000);
});
