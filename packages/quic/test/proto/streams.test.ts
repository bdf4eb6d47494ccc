/**
 * Stream data over the simulated network (RFC 9000 §2-4): bytes arrive
 * intact and in order each way, with flow control (MAX_DATA and
 * MAX_STREAM_DATA updates must flow for 1 MiB to pass 1 MiB... windows), and
 * through loss, reordering and duplication (RFC 9002 recovery retransmits
 * lost STREAM ranges).
 */
import { describe, expect, it } from "vitest";
import { exchange, pair, pattern } from "./support.js";

/** Transfers of a MiB through the simulator take a second or two; a loaded CI machine may take many times that. */
const SLOW_TEST_TIMEOUT = 60_000;

const MiB = 1024 * 1024;

describe("streams", () => {
  it(
    "carries 1 MiB each way on one bidirectional stream, intact",
    () => {
      const setup = pair({ seed: 11 });
      const { toServer, toClient, clientData, serverData } = exchange(setup, MiB);
      expect(toServer.length).toBe(MiB);
      expect(toClient.length).toBe(MiB);
      expect(Buffer.compare(toServer, clientData)).toBe(0);
      expect(Buffer.compare(toClient, serverData)).toBe(0);
    },
    SLOW_TEST_TIMEOUT,
  );

  it(
    "needs flow-control updates: 1 MiB through 64 KiB windows",
    () => {
      const small = { initialMaxData: 64 * 1024, initialMaxStreamDataBidiLocal: 32 * 1024, initialMaxStreamDataBidiRemote: 32 * 1024 };
      const setup = pair({ seed: 12, clientTransport: small, serverTransport: small });
      const { toServer, toClient, clientData, serverData } = exchange(setup, MiB);
      expect(Buffer.compare(toServer, clientData)).toBe(0);
      expect(Buffer.compare(toClient, serverData)).toBe(0);
    },
    SLOW_TEST_TIMEOUT,
  );

  it(
    "survives 5% loss, reordering and duplication",
    () => {
      const setup = pair({ seed: 13, link: { delay: 10, jitter: 5, loss: 0.05, reorder: 0.05, duplicate: 0.05 } });
      const { toServer, toClient, clientData, serverData } = exchange(setup, MiB);
      expect(Buffer.compare(toServer, clientData)).toBe(0);
      expect(Buffer.compare(toClient, serverData)).toBe(0);
      expect(setup.net.linkStats(setup.client.address, setup.server.address).lost).toBeGreaterThan(0);
    },
    SLOW_TEST_TIMEOUT,
  );
});

describe("flow-control stalls", () => {
  it(
    "two senders blocked on each other's MAX_DATA go quiet instead of trading ACK-only packets (regression)",
    () => {
      // Both sides write and neither reads: each exhausts the other's connection window (smaller than the stream window, so
      // the streams still have credit of their own) and must stop sending, not spin.
      const small = { initialMaxData: 16 * 1024, initialMaxStreamDataBidiLocal: 64 * 1024, initialMaxStreamDataBidiRemote: 64 * 1024 };
      const setup = pair({ seed: 14, clientTransport: small, serverTransport: small });
      const { net, conn, server } = setup;
      net.run(() => conn.isHandshakeConfirmed);
      const id = conn.openStream("bidi")!;
      expect(conn.streamWrite(id, pattern(256 * 1024, 3))).toBeGreaterThan(16 * 1024);
      net.run(() => server.connections[0]?.acceptStream("bidi") !== undefined);
      const accepted = server.connections[0]!;
      expect(accepted.streamWrite(id, pattern(256 * 1024, 4))).toBeGreaterThan(16 * 1024);
      net.runFor(1000);
      const before = net.trace.length;
      net.runFor(5000);
      // At most a handful of datagrams (DATA_BLOCKED and their ACKs) in five seconds of stall.
      expect(net.trace.length - before).toBeLessThan(10);
      expect(conn.state).toBe("established");
    },
    SLOW_TEST_TIMEOUT,
  );
});

describe("congestion control choice", () => {
  it(
    "CUBIC (RFC 9438) carries 1 MiB each way through 2% loss as NewReno does",
    () => {
      const cubic = { congestionControl: "cubic" as const };
      const setup = pair({ seed: 15, link: { delay: 10, loss: 0.02 }, clientTransport: cubic, serverTransport: cubic });
      const { toServer, toClient, clientData, serverData } = exchange(setup, MiB);
      expect(Buffer.compare(toServer, clientData)).toBe(0);
      expect(Buffer.compare(toClient, serverData)).toBe(0);
      expect(setup.conn.stats.packetsLost).toBeGreaterThan(0);
      // The same run under NewReno ends with another window: the option does select the controller.
      const reno = pair({ seed: 15, link: { delay: 10, loss: 0.02 } });
      exchange(reno, MiB);
      expect(setup.conn.stats.congestionWindow).not.toBe(reno.conn.stats.congestionWindow);
    },
    SLOW_TEST_TIMEOUT,
  );
});
