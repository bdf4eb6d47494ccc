/**
 * ngtcp2's client moving to a new local address against our server (RFC 9000 §9): `gtlsclient
 * --change-local-addr` migrates actively (a new socket, PATH_CHALLENGE on the new path), and with
 * `--nat-rebinding` only changes its port without starting a validation, as a NAT would. Our server must
 * answer on the new path, follow the client there and keep the connection (before paths, it dropped
 * everything from the new address and the connection died by idle timeout). And our client's
 * `migrate()` against `gtlsserver`: probe first from a new socket, then switch; ngtcp2 validates
 * the new address and the connection carries on there.
 */
import { createSocket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { connect, type QuicServer } from "../../src/index.js";
import { type CloseReason, QuicVersion } from "../../src/proto/index.js";
import { bindInteropServer, gtlsclientArgs, interopPki, type Peer, requireBinary, startPeerProcess, within } from "./support.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

function startPeer(binary: string, args: readonly string[]): Peer {
  return startPeerProcess(binary, args, (cleanup) => cleanups.push(cleanup));
}

/** Our server (ALPN h3; it never answers the requests): the first connection's ports over time and its close. */
async function startOurServer(): Promise<{ server: QuicServer; ports: number[]; closed: Promise<CloseReason> }> {
  const server = await bindInteropServer({ alpn: "h3", versions: [QuicVersion.V1] });
  cleanups.push(() => server.close());
  const ports: number[] = [];
  const closed = (async () => {
    const conn = await server.accept();
    ports.push(conn.remoteAddress.port);
    const timer = setInterval(() => {
      const port = conn.remoteAddress.port;
      if (ports[ports.length - 1] !== port) ports.push(port);
    }, 5);
    cleanups.push(async () => clearInterval(timer));
    void (async () => {
      for await (const stream of conn) void stream.readAll().catch(() => undefined);
    })();
    const reason = await conn.closed;
    clearInterval(timer);
    return reason;
  })();
  return { server, ports, closed };
}

describe("ngtcp2 gtlsclient migrating -> our server", () => {
  for (const [name, flags] of [
    ["active migration (new local address, path validation)", ["--change-local-addr=200ms"]],
    ["NAT rebinding (new port, no validation by the client)", ["--change-local-addr=200ms", "--nat-rebinding"]],
  ] as const) {
    it(`${name}: the server follows the client to its new port and the connection ends with NO_ERROR`, async () => {
      const gtlsclient = requireBinary("gtlsclient", "ngtcp2-client");
      const ours = await startOurServer();
      const peer = startPeer(gtlsclient, gtlsclientArgs(ours.server.port, ...flags, "--delay-stream=600ms"));
      await peer.waitFor("QUIC handshake has completed", 10_000);
      await expect.poll(() => ours.ports.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
      // ngtcp2 answered the PATH_CHALLENGE our server sent to its new address (§9.3: we validate it)...
      await peer.waitFor(/frm tx \d+ 1RTT PATH_RESPONSE/, 10_000);
      // ...and, migrating actively, validated its new path with our PATH_RESPONSE (§8.2.2).
      if (!(flags as readonly string[]).includes("--nat-rebinding"))
        await peer.waitFor(/Path validation against path .* succeeded/, 10_000);
      peer.child.kill("SIGINT");
      const reason = await within(10_000, ours.closed, () => `our server seeing the close; log tail:\n${peer.log().slice(-3000)}`);
      expect(reason).toMatchObject({ kind: "transport", errorCode: 0, remote: true });
      expect(ours.ports[1]).not.toBe(ours.ports[0]);
    }, 30_000);
  }
});

describe("our client migrating -> ngtcp2 gtlsserver (ALPN h3)", () => {
  it("probes from a new socket, switches after gtlsserver's PATH_RESPONSE, and gtlsserver validates and uses the new address", async () => {
    const gtlsserver = requireBinary("gtlsserver", "ngtcp2-server");
    const { keyPath, certPath, dir, ca } = interopPki();
    const port = await freeUdpPort();
    const peer = startPeer(gtlsserver, ["--initial-rtt=1ms", `--htdocs=${dir}`, "127.0.0.1", String(port), keyPath, certPath]);
    // gtlsserver prints nothing when it listens: our Initials are retransmitted (PTO) until it does.
    const conn = await within(
      10_000,
      connect("127.0.0.1", port, { alpn: "h3", serverName: "localhost", ca: ca.certificatePem }),
      () => `our handshake with gtlsserver; log tail:\n${peer.log().slice(-2000)}`,
    );
    cleanups.push(() => conn.close());
    await within(10_000, conn.acceptStream(), "gtlsserver's control stream");
    await expect.poll(() => conn.core.isHandshakeConfirmed, { timeout: 10_000 }).toBe(true);
    await within(10_000, conn.migrate(), () => `our migration; log tail:\n${peer.log().slice(-3000)}`);
    const newPort = conn.core.localAddress?.port;
    expect(newPort).toBeDefined();
    expect(newPort).not.toBe(conn.driver.localAddress.port);
    // Our probe reached it on the new path, it answered there, and it validated our new address itself (§9.3).
    await peer.waitFor(/frm rx \d+ 1RTT PATH_CHALLENGE/, 10_000);
    await peer.waitFor(
      new RegExp(`Path validation against path \\{local:[^}]*, remote:\\[127\\.0\\.0\\.1\\]:${newPort}\\} succeeded`),
      10_000,
    );
    // The connection goes on from the new socket: our close reaches it.
    await conn.close(0x100, "done");
    await peer.waitFor(/frm rx \d+ 1RTT CONNECTION_CLOSE\(0x1d\) error_code=[^ ]*\(0x100\)/, 10_000);
  }, 30_000);
});

/** A free UDP port on 127.0.0.1 (gtlsserver needs one on its command line). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}
