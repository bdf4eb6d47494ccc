/**
 * Handshake and connection lifetime over real loopback sockets through a
 * hostile relay (test/support/udp-relay.ts):
 *
 * - every first flight lost (the client's Initial and the server's answer):
 *   the handshake completes through PTO probes (RFC 9002 §6.2.4);
 * - an on-path attacker forging what it can without secrets (RFC 9000
 *   §21): an Initial CONNECTION_CLOSE under the Initial keys it derived
 *   from the client's first Destination Connection ID, and datagrams shaped
 *   like a stateless reset with a guessed token; after the handshake neither
 *   closes anything (Initial keys are discarded, RFC 9001 §4.9.1; a reset
 *   needs the token, §10.3.1). A control shows the forged close is valid:
 *   injected during the handshake, it does end the connection;
 * - a path that goes dark: for less than the idle timeout, a transfer
 *   resumes afterwards; for good, an idle connection ends by the idle
 *   timeout (§10.1) with a typed error on both sides.
 *
 * Outcomes, not durations. The relay's seed is printed when a case fails.
 */
import { describe, expect, it } from "vitest";
import { QuicIdleTimeoutError, QuicTransportClosedError } from "../../src/index.js";
import { TransportErrorCode } from "../../src/proto/errors.js";
import { forgedInitialClose, type ObservedInitial, observeInitial, resetLookalike } from "../support/forge.js";
import { closeFromClient, connectThrough, relayed, startRelay, transferBothWays } from "../support/relayed.js";
import type { UdpRelay } from "../support/udp-relay.js";
import { startServer } from "./support.js";

/**
 * Scripted drop of a direction's first flight: every datagram that arrives
 * within `windowMs` of the direction's first one. A flight leaves in one
 * flush of the sender's driver; its PTO probe comes at least one PTO later
 * (hundreds of ms with the initial RTT used here), so the window separates
 * them without guessing how many datagrams the flight has.
 */
function firstFlight(windowMs = 100): (index: number) => boolean {
  let start: number | undefined;
  return () => {
    const now = performance.now();
    start ??= now;
    return now - start <= windowMs;
  };
}

describe("the handshake through a hostile path", () => {
  it("every first flight lost, both ways: the handshake completes through PTO probes (RFC 9002 §6.2.4)", async () => {
    const r = await relayed(
      { toServer: { drop: firstFlight() }, toClient: { drop: firstFlight() } },
      { server: { initialRtt: 200 }, client: { initialRtt: 200 } },
    );
    expect(r.client.isActive && r.accepted.isActive).toBe(true);
    const toServer = r.relay.stats("toServer");
    const toClient = r.relay.stats("toClient");
    expect(toServer.dropped).toBeGreaterThanOrEqual(1); // the client's whole first flight
    expect(toClient.dropped).toBeGreaterThanOrEqual(1); // the server's whole first flight
    expect(toServer.received).toBeGreaterThan(toServer.dropped); // a probe went through
    // The connection works afterwards.
    const result = await transferBothWays(r, 64 * 1024);
    expect(result.up.received).toBe(result.up.sent);
    expect(result.down.received).toBe(result.down.sent);
    const closes = await closeFromClient(r, 7, "");
    expect(closes.server).toEqual({ kind: "application", remote: true, errorCode: 7, reason: "" });
  }, 30_000);
});

describe("an on-path attacker forging packets without secrets (RFC 9000 §21)", () => {
  it("control: a forged Initial CONNECTION_CLOSE injected during the handshake ends the connection (the attack §21.2 allows)", async () => {
    const server = await startServer();
    const late: { relay?: UdpRelay } = {};
    const relay = await startRelay(server, {
      toServer: {
        // On seeing the client's first Initial, answer it with a forged server Initial carrying CONNECTION_CLOSE.
        drop: (index, datagram) => {
          const observed = index === 0 ? observeInitial(datagram) : undefined;
          if (observed !== undefined)
            late.relay?.inject("toClient", forgedInitialClose(observed, "server", TransportErrorCode.CONNECTION_REFUSED));
          return true; // the server never hears from this client: only the forgery answers
        },
      },
    });
    late.relay = relay;
    const failure = await connectThrough(relay).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(QuicTransportClosedError);
    expect((failure as QuicTransportClosedError).errorCode).toBe(TransportErrorCode.CONNECTION_REFUSED);
    expect((failure as QuicTransportClosedError).remote).toBe(true);
  }, 30_000);

  it("after the handshake, forged Initial closes and stateless-reset lookalikes both ways close nothing; data still flows", async () => {
    let observed: ObservedInitial | undefined;
    const r = await relayed({
      toServer: {
        drop: (index, datagram) => {
          if (index === 0) observed = observeInitial(datagram);
          return false;
        },
      },
    });
    expect(observed).toBeDefined();
    const seen = observed as ObservedInitial;
    // Forged Initial CONNECTION_CLOSEs, sealed with the keys both ends used for their Initials.
    r.relay.inject("toClient", forgedInitialClose(seen, "server", TransportErrorCode.PROTOCOL_VIOLATION));
    r.relay.inject("toServer", forgedInitialClose(seen, "client", TransportErrorCode.PROTOCOL_VIOLATION));
    // Stateless-reset lookalikes of several sizes, to the connection IDs each end is reached by (§10.3: a
    // reset is recognised by its last 16 bytes, whatever precedes them).
    for (const length of [22, 43, 64, 200, 1200]) {
      r.relay.inject("toClient", resetLookalike(seen.scid, length));
      r.relay.inject("toServer", resetLookalike(seen.dcid, length));
    }
    const result = await transferBothWays(r, 256 * 1024);
    expect(result.up.received).toBe(result.up.sent);
    expect(result.down.received).toBe(result.down.sent);
    expect(r.client.isActive && r.accepted.isActive).toBe(true);
    expect(r.relay.stats("toClient").injected).toBe(6);
    expect(r.relay.stats("toServer").injected).toBe(6);
    const closes = await closeFromClient(r, 0x99, "still here");
    expect(closes.client).toEqual({ kind: "application", remote: false, errorCode: 0x99, reason: "still here" });
    expect(closes.server).toEqual({ kind: "application", remote: true, errorCode: 0x99, reason: "still here" });
    expect(r.client.driver.stats.internalErrors).toBe(0);
    expect(r.accepted.driver.stats.internalErrors).toBe(0);
  }, 30_000);
});

describe("a path that goes dark", () => {
  it("for 1.5 s mid-transfer, less than the idle timeout: the transfer resumes after the outage and completes (RFC 9002 §6.2, §7.6)", async () => {
    const r = await relayed({}, { server: { maxIdleTimeout: 10_000 }, client: { maxIdleTimeout: 10_000 } });
    const result = await transferBothWays(r, 1024 * 1024, async () => {
      r.relay.setPolicy("both", { blackhole: true });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      r.relay.setPolicy("both", {});
    });
    expect(result.up.received).toBe(result.up.sent);
    expect(result.down.received).toBe(result.down.sent);
    expect(r.relay.stats("toServer").blackholed + r.relay.stats("toClient").blackholed).toBeGreaterThan(0);
    expect(r.client.stats.packetsLost + r.accepted.stats.packetsLost).toBeGreaterThan(0);
    const closes = await closeFromClient(r, 3, "after the outage");
    expect(closes.server).toEqual({ kind: "application", remote: true, errorCode: 3, reason: "after the outage" });
  }, 30_000);

  it("an idle connection behind a blackholing relay ends by the idle timeout, with QuicIdleTimeoutError on both sides (RFC 9000 §10.1)", async () => {
    const r = await relayed({}, { server: { maxIdleTimeout: 800 }, client: { maxIdleTimeout: 800 } });
    const stream = await r.client.openBidirectionalStream();
    await stream.write(new Uint8Array([1, 2, 3]));
    const served = await r.accepted.acceptStream();
    expect(await served.read(new Uint8Array(8))).toBe(3);
    r.relay.setPolicy("both", { blackhole: true });
    // Both reads wait on a peer that can no longer be heard.
    const clientRead = stream.read(new Uint8Array(8)).catch((e: unknown) => e);
    const serverRead = served.read(new Uint8Array(8)).catch((e: unknown) => e);
    expect(await r.client.closed).toEqual({ kind: "idle-timeout" });
    expect(await r.accepted.closed).toEqual({ kind: "idle-timeout" });
    expect(await clientRead).toBeInstanceOf(QuicIdleTimeoutError);
    expect(await serverRead).toBeInstanceOf(QuicIdleTimeoutError);
    expect(((await clientRead) as QuicIdleTimeoutError).code).toBe("ZSYNC_QUIC_IDLE_TIMEOUT");
  }, 30_000);
});
