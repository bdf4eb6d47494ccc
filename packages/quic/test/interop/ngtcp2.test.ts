/**
 * Interoperability with ngtcp2 0.12 (C, GnuTLS), through Debian's example
 * programs `gtlsclient` and `gtlsserver` (packages `ngtcp2-client`,
 * `ngtcp2-server`, which `.ci/run` installs). They speak HTTP/3 only (ALPN
 * `h3`) and this stack has no HTTP/3 yet, so these cases stop at the
 * transport (issue 15, "Interop"; full downloads belong to the HTTP/3 issue):
 *
 * - ngtcp2's client completes the handshake with our server, both sides
 *   carry its HTTP/3 control, QPACK and request streams (our server reads the
 *   first bytes of each and checks their HTTP/3 framing, RFC 9114 §6.2.1 and
 *   §7.2.4), and the client closes cleanly (CONNECTION_CLOSE NO_ERROR, seen
 *   by our server);
 * - ngtcp2's client starting with a version we do not support receives our
 *   Version Negotiation (RFC 9000 §6) and completes the handshake in v1;
 * - key updates (RFC 9001 §6) both ways: ngtcp2's client updates its keys
 *   before opening its request stream, which reaches our server only if it
 *   follows into the next key phase, and its log shows our packets in that
 *   phase; our client updates its keys and ngtcp2's server decrypts and
 *   answers in the new phase;
 * - ngtcp2's client coming back with our session ticket and 0-RTT: we take
 *   no early data, and its request arrives again in 1-RTT (today the
 *   handshake is a full one: see NOTES-for-G on resumption);
 * - Retry (RFC 9000 §8.1.2, RFC 9001 §5.8) both ways: ngtcp2's client
 *   through our server's Retry (integrity tag, token, and the CIDs of §7.3
 *   checked by ngtcp2), our client through gtlsserver's (`--validate-addr`);
 * - our client completes the handshake with ngtcp2's server, reads the
 *   server's HTTP/3 control stream, and closes with H3_NO_ERROR (0x100),
 *   which the server's log reports;
 * - Version Negotiation against ngtcp2's server, twice: our client offering
 *   v2, which gtlsserver does not enable, fails fast with `version-mismatch`
 *   carrying the server's list, and connects in v1 chosen from it; and an
 *   Initial of a reserved version (0x?a?a?a?a, RFC 9000 §15), which our
 *   client's API cannot offer, written in the test with the proto package,
 *   whose Version Negotiation our header codec parses before our client
 *   connects with the version chosen from it.
 *
 * ngtcp2 runs with `--initial-rtt=1ms` (its default of 333 ms makes every
 * lost-looking exchange on loopback slow). Its exit codes say nothing
 * reliable about the transport, so the checks read its log and our bytes.
 */
import { randomFillSync } from "node:crypto";
import { createSocket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { connect, type QuicConnection, QuicConnectionClosedError, type QuicServer, QuicSession } from "../../src/index.js";
import { type CloseReason, negotiationVersions, PacketHeader, parsePacketHeader, QuicVersion } from "../../src/proto/index.js";
import {
  bindInteropServer,
  deferred,
  gtlsclientArgs,
  interopPki,
  type Peer,
  readPrefix,
  requireBinary,
  startPeerProcess,
  within,
} from "./support.js";

const H3_NO_ERROR = 0x100;
/** A reserved version (RFC 9000 §15: 0x?a?a?a?a), which no stack implements. */
const UNKNOWN_VERSION = 0x1a2a3a4a;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

/** ngtcp2's example programs, their cleanup in this file's afterEach (peers before the servers they talk to). */
function startPeer(binary: string, args: readonly string[]): Peer {
  return startPeerProcess(binary, args, (cleanup) => cleanups.push(cleanup));
}

/** A free UDP port on 127.0.0.1 (gtlsserver needs one on its command line). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

// --------------------------------------------------------------- our server

interface OurH3Server {
  readonly server: QuicServer;
  /** Close reasons of accepted connections, in order. */
  readonly closes: Promise<CloseReason>[];
  /** First bytes of every stream the peer opened, by stream id, for the first connection. */
  readonly prefixes: Map<number, Uint8Array>;
  /** The same for every accepted connection, in order. */
  readonly prefixesByConnection: Map<number, Uint8Array>[];
  /** Whether each accepted connection took the client's 0-RTT data, in order. */
  readonly earlyDataAccepted: boolean[];
  readonly errors: unknown[];
}

/** Our server, accepting ALPN h3 and reading the first bytes of every stream the client opens (it never answers). */
async function startOurServer(options: { retry?: boolean; earlyData?: boolean } = {}): Promise<OurH3Server> {
  const server = await bindInteropServer({ alpn: "h3", versions: [QuicVersion.V1], ...options });
  cleanups.push(() => server.close());
  const closes: Promise<CloseReason>[] = [];
  const prefixesByConnection: Map<number, Uint8Array>[] = [];
  const earlyDataAccepted: boolean[] = [];
  const errors: unknown[] = [];
  void (async () => {
    for await (const conn of server) {
      closes.push(conn.closed);
      earlyDataAccepted.push(conn.handshake?.earlyDataAccepted === true);
      const prefixes = new Map<number, Uint8Array>();
      prefixesByConnection.push(prefixes);
      void (async () => {
        for await (const stream of conn) {
          // A read still waiting when the peer closes rejects with the close: that is the expected end.
          readPrefix(stream, 2, (bytes) => prefixes.set(stream.id, bytes)).catch((error: unknown) => {
            if (!(error instanceof QuicConnectionClosedError)) errors.push(error);
          });
        }
      })().catch((error: unknown) => errors.push(error));
    }
  })().catch((error: unknown) => errors.push(error));
  return {
    server,
    closes,
    get prefixes() {
      return prefixesByConnection[0] ?? new Map<number, Uint8Array>();
    },
    prefixesByConnection,
    earlyDataAccepted,
    errors,
  };
}

describe("ngtcp2 gtlsclient -> our server (ALPN h3)", () => {
  it("completes the handshake, its HTTP/3 streams arrive intact, it closes with NO_ERROR, and the server serves the next client", async () => {
    const gtlsclient = requireBinary("gtlsclient", "ngtcp2-client");
    const ours = await startOurServer();
    const peer = startPeer(gtlsclient, gtlsclientArgs(ours.server.port));
    await peer.waitFor("QUIC handshake has completed", 10_000);
    // HANDSHAKE_DONE (RFC 9001 §4.1.2) confirms the handshake on the client.
    await peer.waitFor(/frm rx \d+ 1RTT HANDSHAKE_DONE/, 10_000);
    // Its control stream (client uni 2: type 0x00, then SETTINGS 0x04), QPACK encoder (6: 0x02),
    // QPACK decoder (10: 0x03), and the request stream (bidi 0: HEADERS frame 0x01), RFC 9114 §6.2 / §7.2.
    await expect
      .poll(() => Object.fromEntries([...ours.prefixes].map(([id, bytes]) => [id, [...bytes]])), { timeout: 10_000 })
      .toEqual({ 0: [0x01, expect.any(Number)], 2: [0x00, 0x04], 6: [0x02], 10: [0x03] });
    // SIGINT makes the ngtcp2 example close the connection (CONNECTION_CLOSE 0x1c, NO_ERROR).
    peer.child.kill("SIGINT");
    expect(ours.closes).toHaveLength(1);
    const reason = await within(
      10_000,
      ours.closes[0]!,
      () => `our server seeing gtlsclient's close; log tail:\n${peer.log().slice(-2000)}`,
    );
    expect(reason).toMatchObject({ kind: "transport", errorCode: 0, remote: true });
    await within(10_000, peer.exited, "gtlsclient exiting");
    expect(peer.log()).not.toMatch(/frm rx \d+ \S+ CONNECTION_CLOSE/);
    // The server survived the HTTP/3 streams it does not understand: a second client completes a handshake.
    const again = startPeer(gtlsclient, gtlsclientArgs(ours.server.port));
    await again.waitFor("QUIC handshake has completed", 10_000);
    again.child.kill("SIGINT");
    await expect.poll(() => ours.closes.length, { timeout: 5_000 }).toBe(2);
    expect(await within(10_000, ours.closes[1]!, "our server seeing the second close")).toMatchObject({ kind: "transport", errorCode: 0 });
    expect(ours.errors).toEqual([]);
  }, 30_000);

  it("follows the key update gtlsclient initiates (RFC 9001 §6): its next request arrives in the new key phase and we answer in it", async () => {
    const gtlsclient = requireBinary("gtlsclient", "ngtcp2-client");
    const ours = await startOurServer();
    // The client updates its keys 100 ms in and only then opens its request stream (bidi 0), so the
    // request can only reach us if we derive the next generation's keys from the Key Phase bit.
    const peer = startPeer(gtlsclient, gtlsclientArgs(ours.server.port, "--key-update=100ms", "--delay-stream=300ms"));
    await peer.waitFor("Initiate key update", 10_000);
    await peer.waitFor(/pkt tx pkn=\d+ dcid=\S+ type=1RTT k=1\n[^\n]*frm tx \d+ 1RTT STREAM\(0x0b\) id=0x0 /, 10_000);
    await expect.poll(() => [...(ours.prefixes.get(0) ?? [])], { timeout: 10_000 }).toEqual([0x01, expect.any(Number)]);
    // Our packets in the new phase, decrypted by the client (RFC 9001 §6.2: the responder updates too).
    await peer.waitFor(/pkt rx pkn=\d+ dcid=\S+ type=1RTT k=1/, 10_000);
    peer.child.kill("SIGINT");
    expect(await within(10_000, ours.closes[0]!, "our server seeing gtlsclient's close")).toMatchObject({
      kind: "transport",
      errorCode: 0,
    });
    expect(ours.errors).toEqual([]);
  }, 30_000);

  it("its resumption attempt with 0-RTT is answered without 0-RTT, and its request arrives in 1-RTT (RFC 9001 §4.6.2)", async () => {
    const gtlsclient = requireBinary("gtlsclient", "ngtcp2-client");
    const ours = await startOurServer();
    const { dir } = interopPki();
    const files = [`--session-file=${dir}/session.pem`, `--tp-file=${dir}/transport-parameters.pem`];
    // First connection: the client stores our NewSessionTicket and transport parameters.
    const first = startPeer(gtlsclient, gtlsclientArgs(ours.server.port, ...files));
    await first.waitFor(/frm rx \d+ 1RTT CRYPTO\(0x06\)/, 10_000); // the NewSessionTicket
    await first.waitFor("http: stream 0x0 submit request headers", 10_000);
    await expect.poll(() => ours.prefixesByConnection[0]?.get(0)?.length ?? 0, { timeout: 10_000 }).toBe(2);
    first.child.kill("SIGINT");
    await within(10_000, first.exited, "the first gtlsclient exiting");
    // Second connection: it offers the ticket and sends its request streams as 0-RTT. This server accepts no early
    // data (`earlyData` is off by default, so its tickets do not allow it and its TLS refuses it), so the client must
    // learn that from the handshake and send the request again in 1-RTT.
    const second = startPeer(gtlsclient, gtlsclientArgs(ours.server.port, ...files));
    await second.waitFor(/frm tx \d+ 0RTT STREAM/, 10_000);
    await second.waitFor("QUIC handshake has completed", 10_000);
    await second.waitFor("Early data was rejected by server", 10_000);
    await expect.poll(() => [...(ours.prefixesByConnection[1]?.get(0) ?? [])], { timeout: 10_000 }).toEqual([0x01, expect.any(Number)]);
    second.child.kill("SIGINT");
    await expect.poll(() => ours.closes.length, { timeout: 5_000 }).toBe(2);
    expect(await within(10_000, ours.closes[1]!, "our server seeing the second close")).toMatchObject({ kind: "transport", errorCode: 0 });
    expect(ours.errors).toEqual([]);
  }, 30_000);

  it("with earlyData on, its 0-RTT is accepted on both sides and its request arrives, never rejected (RFC 9001 §4.6)", async () => {
    const gtlsclient = requireBinary("gtlsclient", "ngtcp2-client");
    const ours = await startOurServer({ earlyData: true });
    const { dir } = interopPki();
    const files = [`--session-file=${dir}/session-0rtt.pem`, `--tp-file=${dir}/transport-parameters-0rtt.pem`];
    const first = startPeer(gtlsclient, gtlsclientArgs(ours.server.port, ...files));
    await first.waitFor(/frm rx \d+ 1RTT CRYPTO\(0x06\)/, 10_000); // the NewSessionTicket
    await first.waitFor("http: stream 0x0 submit request headers", 10_000);
    await expect.poll(() => ours.prefixesByConnection[0]?.get(0)?.length ?? 0, { timeout: 10_000 }).toBe(2);
    first.child.kill("SIGINT");
    await within(10_000, first.exited, "the first gtlsclient exiting");
    const second = startPeer(gtlsclient, gtlsclientArgs(ours.server.port, ...files));
    await second.waitFor(/frm tx \d+ 0RTT STREAM/, 10_000);
    await second.waitFor("QUIC handshake has completed", 10_000);
    await expect.poll(() => [...(ours.prefixesByConnection[1]?.get(0) ?? [])], { timeout: 10_000 }).toEqual([0x01, expect.any(Number)]);
    expect(ours.earlyDataAccepted).toEqual([false, true]);
    second.child.kill("SIGINT");
    await expect.poll(() => ours.closes.length, { timeout: 5_000 }).toBe(2);
    expect(await within(10_000, ours.closes[1]!, "our server seeing the second close")).toMatchObject({ kind: "transport", errorCode: 0 });
    expect(second.log()).not.toContain("Early data was rejected");
    expect(ours.errors).toEqual([]);
  }, 30_000);

  it("completes the handshake through our Retry (RFC 9000 §8.1.2): token echoed, Retry integrity tag and CIDs accepted", async () => {
    const gtlsclient = requireBinary("gtlsclient", "ngtcp2-client");
    const ours = await startOurServer({ retry: true });
    const peer = startPeer(gtlsclient, gtlsclientArgs(ours.server.port));
    await peer.waitFor(/pkt rx pkn=\d+ dcid=\S+ scid=\S+ version=0x00000001 type=Retry/, 10_000);
    // ngtcp2 checks the Retry integrity tag (RFC 9001 §5.8) and, once the handshake completes, that our
    // original_destination_connection_id and retry_source_connection_id match (RFC 9000 §7.3).
    await peer.waitFor("QUIC handshake has completed", 10_000);
    await peer.waitFor(/remote transport_parameters retry_source_connection_id=/, 10_000);
    // At least one: with a 1 ms initial RTT the client may retransmit its first Initial before our Retry arrives,
    // and each token-less Initial gets its own Retry (the client acts on the first only, §17.2.5.2).
    expect(ours.server.stats.retries).toBeGreaterThanOrEqual(1);
    await expect.poll(() => [...(ours.prefixes.get(2) ?? [])], { timeout: 10_000 }).toEqual([0x00, 0x04]);
    peer.child.kill("SIGINT");
    expect(await within(10_000, ours.closes[0]!, "our server seeing gtlsclient's close")).toMatchObject({
      kind: "transport",
      errorCode: 0,
    });
    expect(ours.errors).toEqual([]);
  }, 30_000);

  it("answers an unknown version with Version Negotiation, after which gtlsclient completes the handshake in v1", async () => {
    const gtlsclient = requireBinary("gtlsclient", "ngtcp2-client");
    const ours = await startOurServer();
    const version = `0x${UNKNOWN_VERSION.toString(16)}`;
    const peer = startPeer(gtlsclient, gtlsclientArgs(ours.server.port, `--version=${version}`, "--preferred-versions=0x1"));
    await peer.waitFor(/type=VN/i, 10_000);
    await peer.waitFor("QUIC handshake has completed", 10_000);
    peer.child.kill("SIGINT");
    await expect.poll(() => ours.closes.length, { timeout: 5_000 }).toBe(1);
    expect(await within(10_000, ours.closes[0]!, "our server seeing gtlsclient's close")).toMatchObject({
      kind: "transport",
      errorCode: 0,
    });
  }, 30_000);
});

// --------------------------------------------------------------- our client

/** What a server answered to {@link probeVersionNegotiation}. */
interface NegotiationProbe {
  readonly datagram: Uint8Array;
  /** The Connection IDs the probe carried. */
  readonly dcid: Uint8Array;
  readonly scid: Uint8Array;
}

/**
 * Sends the first flight of a client speaking a reserved version (RFC 9000
 * §15: 0x?a?a?a?a) to `port` every 50 ms until a datagram comes back. Only
 * the RFC 8999 invariants matter to a server for an unknown version (long
 * header, version, CIDs); the datagram is padded to 1200 bytes, below which
 * a server must not answer (§14.1). Our client's API offers one real
 * version, so the test writes this step itself.
 */
async function probeVersionNegotiation(port: number, peer: Peer): Promise<NegotiationProbe> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const dcid = new Uint8Array(8);
  const scid = new Uint8Array(8);
  randomFillSync(dcid);
  randomFillSync(scid);
  const initial = new Uint8Array(1200);
  randomFillSync(initial);
  initial[0] = 0xc0 | (initial[0]! & 0x3f);
  new DataView(initial.buffer).setUint32(1, UNKNOWN_VERSION);
  initial[5] = dcid.length;
  initial.set(dcid, 6);
  initial[14] = scid.length;
  initial.set(scid, 15);
  const answer = deferred<Uint8Array>();
  socket.on("message", (msg) => answer.resolve(new Uint8Array(msg)));
  const send = (): void => socket.send(initial, port, "127.0.0.1");
  const resend = setInterval(send, 50);
  send();
  try {
    const datagram = await within(
      10_000,
      Promise.race([
        answer.promise,
        peer.exited.then((code) =>
          Promise.reject(new Error(`the peer exited (${code}) before answering; log tail:\n${peer.log().slice(-2000)}`)),
        ),
      ]),
      () => `an answer to an Initial of version 0x${UNKNOWN_VERSION.toString(16)}; log tail:\n${peer.log().slice(-2000)}`,
    );
    return { datagram, dcid, scid };
  } finally {
    clearInterval(resend);
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}

/**
 * gtlsserver on a free port, ready: it prints nothing when it listens, so
 * readiness is its answer to a Version Negotiation probe (which also proves
 * that the port is this process's and not a stale one's).
 */
async function startGtlsServer(...extra: string[]): Promise<{ peer: Peer; port: number }> {
  const gtlsserver = requireBinary("gtlsserver", "ngtcp2-server");
  const { keyPath, certPath, dir } = interopPki();
  const port = await freeUdpPort();
  const peer = startPeer(gtlsserver, ["--initial-rtt=1ms", `--htdocs=${dir}`, ...extra, "127.0.0.1", String(port), keyPath, certPath]);
  await probeVersionNegotiation(port, peer);
  return { peer, port };
}

async function ourConnect(port: number, version: number = QuicVersion.V1, session?: QuicSession): Promise<QuicConnection> {
  const options = { alpn: "h3", serverName: "localhost", ca: interopPki().ca.certificatePem, version };
  const conn = await connect("127.0.0.1", port, session === undefined ? options : { ...options, session });
  cleanups.push(() => conn.close());
  return conn;
}

describe("our client -> ngtcp2 gtlsserver (ALPN h3)", () => {
  it("completes the handshake, reads the server's HTTP/3 control stream, and closes with H3_NO_ERROR", async () => {
    const { peer, port } = await startGtlsServer();
    const conn = await within(10_000, ourConnect(port), () => `our handshake with gtlsserver; log tail:\n${peer.log().slice(-2000)}`);
    expect(conn.alpn).toBe("h3");
    await peer.waitFor("QUIC handshake has completed", 10_000);
    // The server's control stream (server uni 3): stream type 0x00, then a SETTINGS frame (0x04), RFC 9114 §6.2.1.
    const control = await within(10_000, conn.acceptStream(), "gtlsserver's control stream");
    expect(control.id).toBe(3);
    expect([...(await readPrefix(control, 2))]).toEqual([0x00, 0x04]);
    await conn.close(H3_NO_ERROR, "done");
    await peer.waitFor(/frm rx \d+ 1RTT CONNECTION_CLOSE\(0x1d\) error_code=[^ ]*\(0x100\)/, 10_000);
  }, 30_000);

  it("completes the handshake through gtlsserver's Retry (--validate-addr, RFC 9000 §8.1.2)", async () => {
    const { peer, port } = await startGtlsServer("--validate-addr");
    const conn = await within(
      10_000,
      ourConnect(port),
      () => `our handshake with gtlsserver through its Retry; log tail:\n${peer.log().slice(-2000)}`,
    );
    // The server sent a Retry and validated the token our next Initial echoed (§17.2.5.2).
    expect(peer.log()).toContain("Sending Retry packet");
    expect(peer.log()).toContain("Token was successfully validated");
    await peer.waitFor("QUIC handshake has completed", 10_000);
    const control = await within(10_000, conn.acceptStream(), "gtlsserver's control stream");
    expect([...(await readPrefix(control, 2))]).toEqual([0x00, 0x04]);
    await conn.close(H3_NO_ERROR, "done");
    await peer.waitFor(/frm rx \d+ 1RTT CONNECTION_CLOSE\(0x1d\) error_code=[^ ]*\(0x100\)/, 10_000);
  }, 30_000);

  it("gtlsserver follows the key update our client initiates (RFC 9001 §6)", async () => {
    const { peer, port } = await startGtlsServer();
    const conn = await within(10_000, ourConnect(port), () => `our handshake with gtlsserver; log tail:\n${peer.log().slice(-2000)}`);
    // Its control stream's first bytes acknowledge that 1-RTT works in phase 0.
    const control = await within(10_000, conn.acceptStream(), "gtlsserver's control stream");
    expect([...(await readPrefix(control, 2))]).toEqual([0x00, 0x04]);
    // Something to carry in both phases: a unidirectional stream of a reserved HTTP/3 type (0x21, RFC 9114
    // §6.2.3), whose data an HTTP/3 peer discards. Its first byte is also the acknowledged 1-RTT packet that
    // §6.1 requires before an update.
    const grease = await conn.openUnidirectionalStream();
    await grease.write(new Uint8Array([0x21]));
    // updateKeys refuses until the handshake is confirmed and a packet of the current phase is acknowledged (§6.1).
    await expect.poll(() => conn.updateKeys(), { timeout: 10_000 }).toBe(true);
    await grease.write(new Uint8Array([0x7a, 0x71]));
    await peer.waitFor(/pkt rx pkn=\d+ dcid=\S+ type=1RTT k=1/, 10_000);
    await peer.waitFor(/pkt tx pkn=\d+ dcid=\S+ type=1RTT k=1/, 10_000);
    await expect.poll(() => conn.stats.keyUpdates, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    await conn.close(H3_NO_ERROR, "done");
    await peer.waitFor(/frm rx \d+ 1RTT CONNECTION_CLOSE\(0x1d\) error_code=[^ ]*\(0x100\)/, 10_000);
  }, 30_000);

  it("resumes with gtlsserver's session ticket through connect({ session }) (RFC 9001 §4.5)", async () => {
    const { peer, port } = await startGtlsServer();
    const first = await within(
      10_000,
      ourConnect(port),
      () => `our first handshake with gtlsserver; log tail:\n${peer.log().slice(-2000)}`,
    );
    expect(first.handshake?.resumed).toBe(false);
    const session = await within(10_000, first.sessionReady(), "gtlsserver's NewSessionTicket");
    await first.close(H3_NO_ERROR, "done");
    const second = await within(10_000, ourConnect(port, QuicVersion.V1, QuicSession.decode(session.encode())), "our resumed handshake");
    expect(second.handshake?.resumed).toBe(true);
    expect(second.handshake?.peerCertificates).toEqual([]);
    const control = await within(10_000, second.acceptStream(), "gtlsserver's control stream on the resumed connection");
    expect([...(await readPrefix(control, 2))]).toEqual([0x00, 0x04]);
    await second.close(H3_NO_ERROR, "done");
  }, 30_000);

  it("offering a version gtlsserver does not support (v2) ends in version-mismatch with its list, then v1 from that list connects", async () => {
    const { peer, port } = await startGtlsServer();
    // gtlsserver 0.12 offers only v1 (and a greasing version) by default: to it, v2 is unknown.
    const failed = await within(
      10_000,
      ourConnect(port, QuicVersion.V2).then(
        () => undefined,
        (error: unknown) => error,
      ),
      "our client's v2 attempt against gtlsserver",
    );
    expect(failed).toBeInstanceOf(QuicConnectionClosedError);
    const reason = (failed as QuicConnectionClosedError).reason;
    expect(reason.kind).toBe("version-mismatch");
    const offered = reason.kind === "version-mismatch" ? reason.versions : [];
    expect(offered).toContain(QuicVersion.V1);
    expect(offered).not.toContain(QuicVersion.V2);
    const conn = await within(10_000, ourConnect(port, QuicVersion.V1), "our v1 handshake with gtlsserver after Version Negotiation");
    expect(conn.stats.version).toBe(QuicVersion.V1);
    await peer.waitFor("QUIC handshake has completed", 10_000);
    await conn.close(H3_NO_ERROR, "done");
    await peer.waitFor(/frm rx \d+ 1RTT CONNECTION_CLOSE\(0x1d\)/, 10_000);
  }, 30_000);

  it("negotiates the version after an Initial of an unknown version (RFC 9000 §6), then connects in v1", async () => {
    const { peer, port } = await startGtlsServer();
    const { datagram, dcid, scid } = await probeVersionNegotiation(port, peer);
    const header = parsePacketHeader(datagram, 0, 8, new PacketHeader());
    expect(header.type).toBe("version-negotiation");
    // §17.2.1: the server echoes our Source CID as its Destination CID and vice versa.
    expect([...header.dcid]).toEqual([...scid]);
    expect([...header.scid]).toEqual([...dcid]);
    const offered = negotiationVersions(header);
    expect(offered).toContain(QuicVersion.V1);
    expect(offered).not.toContain(UNKNOWN_VERSION);
    // Our preference among what the server offers: v1 first (then v2, RFC 9369).
    const chosen = [QuicVersion.V1, QuicVersion.V2].find((v) => offered.includes(v))!;
    const conn = await within(10_000, ourConnect(port, chosen), "our handshake with gtlsserver after Version Negotiation");
    expect(conn.stats.version).toBe(chosen);
    await peer.waitFor("QUIC handshake has completed", 10_000);
    await conn.close(H3_NO_ERROR, "done");
    await peer.waitFor(/frm rx \d+ 1RTT CONNECTION_CLOSE\(0x1d\)/, 10_000);
  }, 30_000);
});
