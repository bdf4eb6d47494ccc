/**
 * Pacing (RFC 9002 §7.7): once the congestion window is large, new data
 * leaves at 1.25 x cwnd / smoothed_rtt in bursts of a few milliseconds'
 * worth (recovery/pacer.ts), not as one window-sized burst per ACK.
 */
import { describe, expect, it } from "vitest";
import { exchange, pair, SERVER_ADDRESS } from "./support.js";

/** Transfers of a MiB through the simulator take a second or two; a loaded CI machine may take many times that. */
const SLOW_TEST_TIMEOUT = 60_000;

describe("pacing", () => {
  it(
    "bounds the bursts of a bulk sender to the pacer's depth",
    () => {
      const setup = pair({ seed: 51, link: { delay: 10 } });
      exchange(setup, 2 * 1024 * 1024);
      const perInstant = new Map<number, number>();
      for (const r of setup.net.trace) if (r.from === SERVER_ADDRESS) perInstant.set(r.at, (perInstant.get(r.at) ?? 0) + 1);
      const largestBurst = Math.max(...perInstant.values());
      // The pacer allows 2 ms at 1.25 cwnd / srtt, at most 256 datagrams; the window reaches several hundred packets here.
      expect(setup.server.connections[0]!.stats.congestionWindow).toBeGreaterThan(300 * 1200);
      expect(largestBurst).toBeLessThanOrEqual(256);
      expect(largestBurst).toBeGreaterThan(10);
    },
    SLOW_TEST_TIMEOUT,
  );
});

describe("application-limited senders (RFC 9002 §7.8)", () => {
  it("a sender that trickles data does not grow its congestion window", () => {
    const { net, conn, server } = pair({ seed: 52 });
    net.run(() => conn.isHandshakeConfirmed && server.connections[0]?.isHandshakeConfirmed === true);
    const initial = conn.stats.congestionWindow;
    const id = conn.openStream("uni")!;
    for (let i = 0; i < 100; i++) {
      conn.streamWrite(id, new Uint8Array(1000));
      net.runFor(50);
    }
    // 100 KB were acknowledged, but never with the window full: slow start would have grown it by all of that.
    expect(conn.stats.congestionWindow).toBe(initial);
  });
});
