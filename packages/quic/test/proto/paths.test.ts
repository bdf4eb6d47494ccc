/**
 * Path validation against off-path attackers (RFC 9000 §9.3, §21.1.3): only
 * a packet that authenticates can move a connection to a new address. A
 * forged datagram from a spoofed address, routed to the connection by its
 * connection ID, changes nothing and draws nothing toward that address.
 */
import { describe, expect, it } from "vitest";
import { matchesResetToken } from "../../src/proto/crypto/stateless-reset.js";
import { StatelessResetDetector } from "../../src/proto/endpoint/stateless-reset.js";
import { CLIENT_ADDRESS, pair, SERVER_ADDRESS } from "./support.js";

const SPOOFED = { address: "203.0.113.66", port: 666 };

describe("path changes need authenticated packets", () => {
  it("a forged short-header packet from a spoofed address moves nothing and is not answered", () => {
    const { net, server, conn } = pair({ seed: 111 });
    net.run(() => conn.isHandshakeConfirmed && server.connections[0]?.isHandshakeConfirmed === true);
    net.runFor(100);
    const accepted = server.connections[0]!;
    const forged = new Uint8Array(1200);
    for (let i = 0; i < forged.length; i++) forged[i] = (i * 131 + 7) & 0xff;
    forged[0] = 0x40 | (forged[0]! & 0x3f); // short header, fixed bit set
    forged.set(accepted.localCid, 1);
    server.handleDatagram(net.now, forged, SPOOFED);
    expect(accepted.remoteAddress).toEqual(CLIENT_ADDRESS);
    const out = new Uint8Array(1500);
    for (let t = server.pollTransmit(net.now, out); t !== undefined; t = server.pollTransmit(net.now, out))
      expect(t.to).not.toEqual(SPOOFED);
    // The connection still works from the real address.
    const id = conn.openStream("uni")!;
    conn.streamWrite(id, new Uint8Array(100));
    conn.streamFinish(id);
    net.run(() => accepted.acceptStream("uni") !== undefined);
    expect(accepted.remoteAddress).toEqual(CLIENT_ADDRESS);
    expect(net.trace.some((r) => r.from === SERVER_ADDRESS && r.to === SPOOFED)).toBe(false);
  });
});

describe("stateless reset detection follows a connection to its new address (§9, §10.3.1)", () => {
  const token = new Uint8Array(16).fill(7);
  const conn = {
    remoteAddress: { address: "192.0.2.1", port: 50_000 } as { readonly address: string; readonly port: number },
    handleStatelessReset: (_now: number, datagram: Uint8Array): boolean => matchesResetToken(datagram, token),
  };
  const reset = new Uint8Array(40);
  reset[0] = 0x40;
  reset.set(token, 24);

  it("after update() resets from the new address are recognised, and delete() forgets the connection wherever it was filed", () => {
    const detector = new StatelessResetDetector<typeof conn>();
    detector.add(conn);
    const rebound = { address: "192.0.2.1", port: 50_999 };
    conn.remoteAddress = rebound;
    expect(detector.detect(0, reset, rebound)).toBeUndefined(); // still filed under the old address
    detector.update(conn);
    expect(detector.detect(0, reset, rebound)).toBe(conn);
    expect(detector.detect(0, reset, { address: "192.0.2.1", port: 50_000 })).toBeUndefined();
    conn.remoteAddress = { address: "192.0.2.1", port: 50_000 }; // moved back (§9.3.2), not yet re-filed
    detector.delete(conn);
    expect(detector.size).toBe(0); // before: the entry under the other address leaked for the endpoint's life
    expect(detector.detect(0, reset, rebound)).toBeUndefined();
  });
});
