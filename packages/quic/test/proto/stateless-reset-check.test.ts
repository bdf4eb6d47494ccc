/**
 * When a connection compares a datagram with the peer's stateless reset
 * tokens (RFC 9000 §10.3.1): only when the datagram's first packet cannot be
 * authenticated ("MUST be performed when the first packet ... cannot be
 * decrypted"; "MAY skip this check if any packet from a datagram is
 * successfully processed"). A bulk exchange then compares nothing, and a
 * reset of any length is still recognised although opening its "first
 * packet" already removed header protection in place.
 */
import { describe, expect, it, vi } from "vitest";
import * as resetModule from "../../src/proto/crypto/stateless-reset.js";
import { exchange, pair, SERVER_ADDRESS, seededRandom } from "./support.js";

vi.mock("../../src/proto/crypto/stateless-reset.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../src/proto/crypto/stateless-reset.js")>();
  return { ...original, matchesResetToken: vi.fn(original.matchesResetToken) };
});

const matches = vi.mocked(resetModule.matchesResetToken);

function established(seed: number) {
  const setup = pair({ seed, link: { delay: 5 } });
  const { net, conn, server } = setup;
  net.run(() => conn.isHandshakeConfirmed && server.connections[0]?.isHandshakeConfirmed === true);
  net.runFor(50);
  return setup;
}

describe("stateless reset tokens are compared only for datagrams whose first packet fails (§10.3.1)", () => {
  it("a 256 KiB exchange compares no datagram with a peer's token (regression: every datagram was)", () => {
    const setup = pair({ seed: 21, link: { delay: 5 } });
    matches.mockClear();
    const { toClient, serverData } = exchange(setup, 256 * 1024); // the handshake, then 256 KiB each way
    expect(Buffer.compare(toClient, serverData)).toBe(0);
    expect(setup.conn.stats.packetsReceived + setup.server.connections[0]!.stats.packetsReceived).toBeGreaterThan(300);
    expect(matches).not.toHaveBeenCalled();
  });

  it("still recognises resets of every length around the header-protection sample boundary", () => {
    for (const length of [21, 28, 29, 30, 45]) {
      const { net, client, conn } = established(22 + length);
      const token = conn.peerTransportParameters!.statelessResetToken!;
      const reset = new Uint8Array(length);
      seededRandom(length)(reset);
      reset[0] = 0x40 | ((reset[0] as number) & 0x3f);
      // From 25 bytes on the client's connection ID survives and the datagram routes to the connection, whose first
      // "packet" then fails to open (from 29 bytes after header protection was removed in place); shorter ones reach
      // the endpoint's check of unroutable datagrams from the peer's address.
      reset.set(conn.localCid, 1);
      reset.set(token, length - 16);
      const notQuite = reset.slice();
      notQuite[length - 1] = (notQuite[length - 1] as number) ^ 0x01;
      matches.mockClear();
      client.handleDatagram(net.now, notQuite, SERVER_ADDRESS);
      expect(conn.state, `length ${length}`).toBe("established");
      expect(matches, `length ${length}`).toHaveBeenCalled();
      client.handleDatagram(net.now, reset, SERVER_ADDRESS);
      expect(conn.closeReason, `length ${length}`).toEqual({ kind: "stateless-reset" });
    }
  }, 60_000);
});
