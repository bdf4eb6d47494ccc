/**
 * NAT rebinding (RFC 9000 §9): the client's address changes mid-transfer;
 * the server validates the new path with PATH_CHALLENGE / PATH_RESPONSE,
 * stays within 3x what the new path brought until then, follows the
 * client, and the transfer completes intact. A move to an address that
 * never answers is undone after three PTOs.
 */
import { describe, expect, it } from "vitest";
import { CLIENT_ADDRESS, exchange, pair, SERVER_ADDRESS } from "./support.js";

const NEW_ADDRESS = { address: "192.0.2.1", port: 50_999 };

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
