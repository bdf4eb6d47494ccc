/**
 * The Node API's resumption, datagram and key-update calls over real
 * loopback UDP: a saved session resumes the next handshake (RFC 9001 §4.5),
 * datagrams go both ways (RFC 9221), `updateKeys` starts a key update the
 * peer follows (RFC 9001 §6), and a saved session's bytes are checked
 * before use.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MAX_QUEUED_DATAGRAMS,
  MemoryTokenStore,
  QuicConnectionClosedError,
  QuicSession,
  QuicSessionFormatError,
  type RememberedTransportParameters,
} from "../../src/index.js";
import { connectTo, pattern, startServer } from "./support.js";

describe("session resumption through connect({ session }) (RFC 9001 §4.5)", () => {
  it("a session from one connection, saved and loaded, resumes the next handshake", async () => {
    const server = await startServer({ initialMaxData: 123_456, initialMaxStreamsBidi: 7, maxDatagramFrameSize: 900 });
    const firstAccepted = server.accept();
    const first = await connectTo(server);
    expect((await firstAccepted).handshake?.resumed).toBe(false);
    expect(first.handshake?.resumed).toBe(false);
    expect(first.handshake?.peerCertificates.length).toBeGreaterThan(0);
    const session = await first.sessionReady();
    expect(first.session).toBe(session);
    expect(session.serverName).toBe("localhost");
    expect(session.expiresAt).toBeGreaterThan(Date.now());
    // The server's limits a 0-RTT sender must obey are remembered with the ticket (RFC 9000 §7.4.1, RFC 9221 §3).
    expect(session.transportParameters).toMatchObject({ initialMaxData: 123_456, initialMaxStreamsBidi: 7, maxDatagramFrameSize: 900 });
    await first.close();

    const loaded = QuicSession.decode(session.encode());
    expect(loaded.encode()).toEqual(session.encode());
    expect(loaded.transportParameters).toEqual(session.transportParameters);
    const accepting = server.accept();
    const second = await connectTo(server, { session: loaded });
    const serverSide = await accepting;
    expect(second.handshake?.resumed).toBe(true);
    expect(serverSide.handshake?.resumed).toBe(true);
    expect(second.handshake?.peerCertificates).toEqual([]); // no certificate exchange on resumption
    expect(second.handshake?.earlyDataAccepted).toBe(false); // no 0-RTT offered yet
  });

  it("onSession sees every ticket, and without a session the handshake is a full one", async () => {
    const server = await startServer();
    const seen: QuicSession[] = [];
    const conn = await connectTo(server, { onSession: (s) => seen.push(s) });
    await conn.sessionReady();
    expect(seen.length).toBeGreaterThan(0);
    expect(conn.session).toBe(seen.at(-1));
    expect(conn.handshake?.resumed).toBe(false);
  });

  it("sessionReady rejects with the close error when the connection ends first", async () => {
    const server = await startServer();
    const conn = await connectTo(server);
    await conn.close(0, "bye");
    // A ticket may have arrived before the close; ask a fresh waiter only when none did.
    if (conn.session === undefined) await expect(conn.sessionReady()).rejects.toBeInstanceOf(QuicConnectionClosedError);
    else expect(await conn.sessionReady()).toBe(conn.session);
  });
});

describe("0-RTT through connect({ session, earlyData }) (RFC 9001 §4.6)", () => {
  it("a resuming client's request goes as early data: connect resolves before the handshake, the server reads it", async () => {
    const server = await startServer({ earlyData: true });
    const first = await connectTo(server);
    const session = await first.sessionReady();
    expect(session.allowsEarlyData).toBe(true);
    await first.close();
    const accepting = (async () => {
      for (;;) {
        const conn = await server.accept();
        if (conn.handshake?.resumed === true) return conn;
      }
    })();
    const second = await connectTo(server, { session, earlyData: true });
    expect(second.handshake).toBeUndefined(); // resolved at once: the handshake is still running
    const stream = await second.openBidirectionalStream();
    await stream.write(pattern(2000, 3));
    await stream.end();
    await second.established();
    expect(second.handshake?.earlyDataAccepted).toBe(true);
    const serverSide = await accepting;
    expect(serverSide.handshake?.earlyDataAccepted).toBe(true);
    const incoming = await serverSide.acceptStream();
    expect(await incoming.readAll()).toEqual(pattern(2000, 3));
  });

  it("through a Retry: the 0-RTT data the server could not keep is sent again and arrives once (RFC 9000 §17.2.5.3)", async () => {
    const server = await startServer({ earlyData: true, retry: true });
    const first = await connectTo(server);
    const session = await first.sessionReady();
    await first.close();
    // A fresh token store: no NEW_TOKEN token, so the server answers the first Initial (and its 0-RTT) with a Retry.
    const second = await connectTo(server, { session, earlyData: true, tokens: new MemoryTokenStore() });
    const stream = await second.openBidirectionalStream();
    await stream.write(pattern(2500, 5));
    await stream.end();
    await second.established();
    expect(server.stats.retries).toBeGreaterThanOrEqual(2);
    let serverSide = await server.accept();
    while (serverSide.handshake?.resumed !== true) serverSide = await server.accept();
    expect(await (await serverSide.acceptStream()).readAll()).toEqual(pattern(2500, 5));
  });

  it("a server refusing by policy still gets the data once, after the handshake", async () => {
    let refuse = false;
    const server = await startServer({ earlyData: () => !refuse });
    const first = await connectTo(server);
    const session = await first.sessionReady();
    await first.close();
    refuse = true;
    const second = await connectTo(server, { session, earlyData: true });
    const stream = await second.openBidirectionalStream();
    await stream.write(pattern(3000, 4));
    await stream.end();
    await second.established();
    expect(second.handshake?.earlyDataAccepted).toBe(false);
    let serverSide = await server.accept();
    while (serverSide.handshake?.resumed !== true) serverSide = await server.accept();
    expect(await (await serverSide.acceptStream()).readAll()).toEqual(pattern(3000, 4));
  });
});

describe("QuicSession.decode takes untrusted bytes", () => {
  const sample = new QuicSession(
    {
      serverName: "example.com",
      cipherSuite: 0x1301,
      psk: pattern(32),
      ticket: pattern(100, 7),
      ageAdd: 0xdeadbeef,
      receivedAt: 1_700_000_000_000,
      lifetime: 7200,
      maxEarlyData: 0xffffffff,
      alpnProtocol: "h3",
    },
    {
      activeConnectionIdLimit: 8,
      initialMaxData: 2 ** 40,
      initialMaxStreamDataBidiLocal: 1,
      initialMaxStreamDataBidiRemote: 2,
      initialMaxStreamDataUni: 3,
      initialMaxStreamsBidi: 100,
      initialMaxStreamsUni: 0,
      maxDatagramFrameSize: undefined,
    },
  );

  it("round-trips every field, absent names and parameters included", () => {
    expect(QuicSession.decode(sample.encode())).toEqual(sample);
    const bare = new QuicSession({ ...sample.tls, serverName: undefined, alpnProtocol: undefined });
    expect(QuicSession.decode(bare.encode())).toEqual(bare);
    const withDatagrams = new QuicSession(sample.tls, {
      ...(sample.transportParameters as RememberedTransportParameters),
      maxDatagramFrameSize: 0,
    });
    expect(QuicSession.decode(withDatagrams.encode())).toEqual(withDatagrams);
    expect(sample.allowsEarlyData).toBe(true);
    expect(sample.alpn).toBe("h3");
  });

  it("every truncation, and trailing bytes, are QuicSessionFormatError", () => {
    const bytes = sample.encode();
    for (let n = 0; n < bytes.length; n++) expect(() => QuicSession.decode(bytes.subarray(0, n))).toThrow(QuicSessionFormatError);
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(() => QuicSession.decode(longer)).toThrow(QuicSessionFormatError);
    const otherVersion = bytes.slice();
    otherVersion[3] = 2;
    expect(() => QuicSession.decode(otherVersion)).toThrow(/format version 2/);
  });

  it("random and mutated bytes never throw anything but QuicSessionFormatError", () => {
    const bytes = sample.encode();
    const mutated = fc
      .array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })
      .map((edits) => {
        const out = bytes.slice();
        for (const [at, value] of edits) out[at] = value;
        return out;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated), (input) => {
        try {
          QuicSession.decode(input);
        } catch (error) {
          expect(error).toBeInstanceOf(QuicSessionFormatError);
        }
      }),
    );
  });
});

describe("datagrams (RFC 9221) and key updates (RFC 9001 §6) through QuicConnection", () => {
  it("datagrams echo both ways when both sides allow them", async () => {
    const server = await startServer({ maxDatagramFrameSize: 1200 });
    const accepting = server.accept();
    const client = await connectTo(server, { maxDatagramFrameSize: 1200 });
    const conn = await accepting;
    const echo = (async () => {
      for await (const d of conn.datagrams()) if (!conn.sendDatagram(d)) throw new Error("server send queue full");
    })();
    expect(client.maxDatagramPayload).toBeGreaterThan(1000);
    // Unreliable: resend each until its echo comes back (loss is rare on loopback, not impossible).
    for (let i = 0; i < 5; i++) {
      const message = pattern(100 + i, i + 1);
      let echoed: Uint8Array | undefined;
      while (echoed === undefined) {
        client.sendDatagram(message);
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), 1000);
        echoed = await client.receiveDatagram({ signal: controller.signal }).catch(() => undefined);
        clearTimeout(timer);
      }
      expect(new Uint8Array(echoed)).toEqual(message);
      // The core copies a DATAGRAM frame's payload (`slice`): a copy owning its memory, not a view that pins the whole
      // UDP datagram (regression: while the driver passed node:dgram's Buffer, `slice` made a view, byteOffset > 0).
      expect(echoed.byteOffset).toBe(0);
      expect(echoed.buffer.byteLength).toBe(echoed.byteLength);
    }
    await client.close();
    await echo; // the server's loop ends when its connection does
  });

  it("received datagrams the application does not read are bounded: the newest beyond MAX_QUEUED_DATAGRAMS are dropped and counted", async () => {
    const server = await startServer({ maxDatagramFrameSize: 1200 });
    const client = await connectTo(server, { maxDatagramFrameSize: 1200 });
    // The core's datagram events, fed directly (a burst over UDP could lose some on the way and prove nothing).
    for (let i = 0; i < MAX_QUEUED_DATAGRAMS + 10; i++) client.handleEvent({ type: "datagram", data: new Uint8Array([i & 0xff, i >> 8]) });
    expect(client.stats.datagramsDropped).toBe(10);
    expect([...(await client.receiveDatagram())]).toEqual([0, 0]); // the oldest are kept, in order
    expect([...(await client.receiveDatagram())]).toEqual([1, 0]);
  });

  it("a peer that does not allow datagrams makes maxDatagramPayload 0 and sendDatagram throw", async () => {
    const server = await startServer();
    const client = await connectTo(server, { maxDatagramFrameSize: 1200 });
    expect(client.maxDatagramPayload).toBe(0);
    expect(() => client.sendDatagram(new Uint8Array(1))).toThrow(/DATAGRAM|datagram/);
  });

  it("updateKeys: refused before confirmation, then the peer follows and data still flows", async () => {
    const server = await startServer();
    const accepting = server.accept();
    const client = await connectTo(server);
    const conn = await accepting;
    expect(client.updateKeys()).toBe(false); // connected, not yet confirmed: HANDSHAKE_DONE is a round trip away
    // The client's handshake is confirmed by HANDSHAKE_DONE (RFC 9001 §4.1.2); wait for it by polling updateKeys.
    await expect.poll(() => client.updateKeys(), { timeout: 10_000 }).toBe(true);
    expect(client.updateKeys()).toBe(false); // the previous update is not acknowledged yet (§6.1)
    const stream = await client.openBidirectionalStream();
    await stream.write(pattern(5000));
    stream.end();
    const incoming = await conn.acceptStream();
    const got = await incoming.readAll();
    expect(got).toEqual(pattern(5000));
    await expect.poll(() => conn.stats.keyUpdates, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    await expect.poll(() => client.stats.keyUpdates, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
  });
});
