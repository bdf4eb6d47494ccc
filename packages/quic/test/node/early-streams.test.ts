/**
 * `QuicStream.receivedInEarlyData` over real loopback UDP (RFC 9001 §4.6.1,
 * §9.2): a server can tell the streams a resuming client opened in 0-RTT,
 * which may be replays, from those opened after the handshake.
 */
import { describe, expect, it } from "vitest";
import { connectTo, pattern, startServer } from "./support.js";

describe("QuicStream.receivedInEarlyData", () => {
  it("is true for a stream the client opened in 0-RTT and false for one opened after the handshake", async () => {
    let refuse = false;
    await using server = await startServer({ earlyData: () => !refuse });
    const first = await connectTo(server);
    const session = await first.sessionReady();
    await first.close();
    const resumed = async () => {
      for (;;) {
        const conn = await server.accept();
        if (conn.handshake?.resumed === true) return conn;
      }
    };

    const second = await connectTo(server, { session, earlyData: true });
    const early = await second.openBidirectionalStream();
    await early.write(pattern(1000, 1));
    early.end();
    await second.established();
    expect(second.handshake?.earlyDataAccepted).toBe(true);
    const late = await second.openBidirectionalStream();
    await late.write(pattern(1000, 2));
    late.end();
    const serverSide = await resumed();
    const a = await serverSide.acceptStream();
    const b = await serverSide.acceptStream();
    expect([a.id, a.receivedInEarlyData, b.id, b.receivedInEarlyData]).toEqual([early.id, true, late.id, false]);
    expect(await a.readAll()).toEqual(pattern(1000, 1));
    expect(early.receivedInEarlyData).toBe(false); // the client's own streams are never marked

    // The same request to a server whose policy refuses early data arrives in 1-RTT: not marked.
    refuse = true;
    const third = await connectTo(server, { session: await second.sessionReady(), earlyData: true });
    const refused = await third.openBidirectionalStream();
    await refused.write(pattern(1000, 3));
    refused.end();
    await third.established();
    expect(third.handshake?.earlyDataAccepted).toBe(false);
    const c = await (await resumed()).acceptStream();
    expect(c.receivedInEarlyData).toBe(false);
    expect(await c.readAll()).toEqual(pattern(1000, 3));
    await second.close();
    await third.close();
  });
});
