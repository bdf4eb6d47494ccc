/**
 * ngtcp2's `gtlsclient` against our server through the hostile relay of
 * test/support/udp-relay.ts: 5% random loss each way plus reordering, and
 * the server's first datagram always dropped (so at least one loss is
 * certain whatever the seed). The handshake must complete on both sides,
 * its HTTP/3 streams (control, QPACK, request) reach us intact despite the
 * losses, and its NO_ERROR close reaches our server.
 *
 * ALPN h3 only: ngtcp2's example programs speak nothing else (see
 * ngtcp2.test.ts). The close travels with reordering but without loss:
 * `gtlsclient` exits right after sending its one CONNECTION_CLOSE, so a
 * lost close could only end by our idle timeout (covered by
 * test/node/on-path-attacks.test.ts).
 */
import { afterEach, describe, expect, it } from "vitest";
import { type CloseReason, QuicConnectionClosedError } from "../../src/index.js";
import { QuicVersion } from "../../src/proto/wire/version.js";
import { startRelay } from "../support/relayed.js";
import { bindInteropServer, gtlsclientArgs, readPrefix, requireBinary, startPeerProcess, within } from "./support.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

describe("ngtcp2 gtlsclient -> relay (5% loss, reordering) -> our server (ALPN h3)", () => {
  it("completes the handshake, its HTTP/3 streams arrive intact, and its NO_ERROR close reaches us", async () => {
    const gtlsclient = requireBinary("gtlsclient", "ngtcp2-client");
    const server = await bindInteropServer({ alpn: "h3", versions: [QuicVersion.V1] });
    cleanups.push(() => server.close());
    const closes: Promise<CloseReason>[] = [];
    const prefixes = new Map<number, number[]>();
    const errors: unknown[] = [];
    void (async () => {
      for await (const conn of server) {
        closes.push(conn.closed);
        void (async () => {
          for await (const stream of conn) {
            readPrefix(stream, 2, (bytes) => prefixes.set(stream.id, [...bytes])).catch((error: unknown) => {
              if (!(error instanceof QuicConnectionClosedError)) errors.push(error);
            });
          }
        })().catch((error: unknown) => errors.push(error));
      }
    })().catch((error: unknown) => errors.push(error));

    const lossy = { loss: 0.05, reorder: 0.1, reorderDepth: 2 };
    const relay = await startRelay(server, { toServer: lossy, toClient: { ...lossy, drop: (index) => index === 0 } });
    const peer = startPeerProcess(gtlsclient, gtlsclientArgs(relay.port), (cleanup) => cleanups.push(cleanup));
    await peer.waitFor("QUIC handshake has completed", 15_000);
    await peer.waitFor(/frm rx \d+ 1RTT HANDSHAKE_DONE/, 15_000);
    // Its control stream (2: 0x00 then SETTINGS 0x04), QPACK encoder (6: 0x02) and decoder (10: 0x03), and its
    // request (0: HEADERS 0x01), RFC 9114 §6.2 and §7.2: each retransmitted as needed.
    await expect
      .poll(() => Object.fromEntries(prefixes), { timeout: 15_000 })
      .toEqual({ 0: [0x01, expect.any(Number)], 2: [0x00, 0x04], 6: [0x02], 10: [0x03] });
    expect(relay.stats("toClient").dropped).toBe(1);
    expect(relay.stats("toServer").received).toBeGreaterThan(0);

    relay.setPolicy("toServer", { reorder: 0.1, reorderDepth: 2 });
    relay.setPolicy("toClient", { reorder: 0.1, reorderDepth: 2 });
    peer.child.kill("SIGINT"); // the ngtcp2 example then closes with CONNECTION_CLOSE NO_ERROR
    expect(closes).toHaveLength(1);
    const reason = await within(15_000, closes[0]!, () => `our server seeing gtlsclient's close; log tail:\n${peer.log().slice(-2000)}`);
    expect(reason).toMatchObject({ kind: "transport", errorCode: 0, remote: true });
    await within(10_000, peer.exited, "gtlsclient exiting");
    // We never closed on it (no CONNECTION_CLOSE from us in its log), and neither side hit an error.
    expect(peer.log()).not.toMatch(/frm rx \d+ \S+ CONNECTION_CLOSE/);
    expect(errors).toEqual([]);
  }, 30_000);
});
