/**
 * Retry and address-validation tokens between two Endpoints over the
 * simulated network (RFC 9000 §8.1, §17.2.5, §7.3; RFC 9001 §5.8):
 *
 * - a server with `retry: true` answers a token-less Initial with a Retry;
 *   the client follows it once, echoes the token, and the handshake
 *   completes with original_destination_connection_id and
 *   retry_source_connection_id authenticated in the server's parameters;
 * - a Retry with a broken integrity tag, and a second Retry, are ignored;
 * - a Retry token that does not validate gets CONNECTION_CLOSE(INVALID_TOKEN);
 * - a NEW_TOKEN token from a confirmed connection lets the next connection
 *   skip the Retry; a token from another server is treated as no token.
 */
import { getProvider, nobleProvider } from "@zsync/crypto";
import { describe, expect, it } from "vitest";
import { AddressTokenKey } from "../../src/proto/crypto/address-token.js";
import type { AddressValidationOptions } from "../../src/proto/endpoint/address-validation.js";
import { writeRetryPacket } from "../../src/proto/endpoint/retry.js";
import { TransportErrorCode } from "../../src/proto/errors.js";
import { PacketHeader, parsePacketHeader } from "../../src/proto/wire/packet-header.js";
import { SimNetwork } from "../proto/sim-network.js";
import { clientConfig, serverConfig } from "../proto/support.js";
import { seededBytes, ValidationHost } from "./support.js";

const CLIENT = { address: "192.0.2.1", port: 50_000 };
const SERVER = { address: "198.51.100.1", port: 4433 };

function setup(seed: number, validation: AddressValidationOptions, provider = getProvider()) {
  const net = new SimNetwork({ seed, link: { delay: 10 } });
  const random = seededBytes(seed);
  const client = net.add(new ValidationHost(CLIENT, random, undefined));
  const server = net.add(new ValidationHost(SERVER, random, serverConfig(provider), validation));
  return { net, client, server, provider };
}

function headers(datagrams: Uint8Array[]): PacketHeader[] {
  return datagrams.map((d) => parsePacketHeader(d, 0, 8, new PacketHeader()));
}

describe.each([getProvider("node"), nobleProvider])("Retry on the $name provider", (provider) => {
  it("makes the client prove its address before the server creates a connection (§8.1.2), then completes", () => {
    const { net, client, server } = setup(1, { retry: true }, provider);
    const conn = client.connect(net.now, clientConfig(provider), SERVER);
    net.run(() => conn.isHandshakeConfirmed && server.connections[0]?.isHandshakeConfirmed === true);
    const initials = headers(server.received).filter((h) => h.type === "initial");
    const tokenless = initials.filter((h) => h.token.length === 0);
    const retries = headers(client.received).filter((h) => h.type === "retry");
    // One Retry per token-less datagram (a large ClientHello spans two), and no connection state for them.
    expect(tokenless.length).toBeGreaterThanOrEqual(1);
    expect(server.endpoint.stats.retries).toBe(tokenless.length);
    expect(retries).toHaveLength(tokenless.length);
    expect(server.connections).toHaveLength(1);
    // §17.2.5.2: the client follows the first Retry: every later Initial carries its token, the first ones go to its SCID.
    const [retry] = retries;
    const after = initials.slice(tokenless.length);
    expect(after.length).toBeGreaterThan(0);
    for (const h of after) expect(h.token).toEqual(retry?.token);
    expect(after[0]?.dcid).toEqual(retry?.scid);
    // §7.3: the server's transport parameters authenticate both connection IDs.
    const params = conn.peerTransportParameters!;
    expect(params.originalDestinationConnectionId).toEqual(tokenless[0]?.dcid);
    expect(params.retrySourceConnectionId).toEqual(retry?.scid);
    expect(conn.state).toBe("established");
  });
});

describe("Retry details", () => {
  it("ignores a Retry whose integrity tag does not verify (RFC 9001 §5.8), and follows a valid one", () => {
    const { net, client, server } = setup(2, { retry: true });
    let corruptedToken: Uint8Array | undefined;
    client.tamper = (d) => {
      const h = parsePacketHeader(d, 0, 8, new PacketHeader());
      if (h.type !== "retry" || corruptedToken !== undefined) return d;
      corruptedToken = h.token.slice();
      const copy = d.slice();
      copy[copy.length - 1] = (copy[copy.length - 1] as number) ^ 0x01; // last byte of the tag
      return copy;
    };
    const conn = client.connect(net.now, clientConfig(), SERVER);
    net.run(() => conn.isHandshakeConfirmed);
    expect(corruptedToken).toBeDefined();
    expect(server.endpoint.stats.retries).toBeGreaterThanOrEqual(2);
    // Every Initial with a token carries a genuine Retry's token, never the corrupted one's.
    const withToken = headers(server.received).filter((h) => h.type === "initial" && h.token.length > 0);
    expect(withToken.length).toBeGreaterThan(0);
    for (const h of withToken) expect(h.token).not.toEqual(corruptedToken);
  });

  it("follows only the first Retry (§17.2.5.2): a second, even a valid one, is ignored", () => {
    const { net, client, server } = setup(3, { retry: true });
    const conn = client.connect(net.now, clientConfig(), SERVER);
    let injected = false;
    let genuine: Uint8Array | undefined;
    client.tamper = (d) => {
      const h = parsePacketHeader(d, 0, 8, new PacketHeader());
      if (h.type === "retry" && !injected) {
        injected = true;
        genuine = h.scid.slice();
        // Deliver the genuine Retry, then a second, validly tagged Retry with another SCID and a token the server would refuse.
        client.endpoint.handleDatagram(net.now, d.slice(), SERVER);
        const firstInitial = parsePacketHeader(server.received[0]!, 0, 8, new PacketHeader());
        const forged = new AddressTokenKey(getProvider(), new Uint8Array(32), seededBytes(9)).issueRetry(
          0,
          CLIENT,
          firstInitial.dcid,
          new Uint8Array(8),
        );
        const out = new Uint8Array(256);
        const n = writeRetryPacket(getProvider(), out, firstInitial, new Uint8Array(8).fill(0xee), forged, 0);
        return out.subarray(0, n);
      }
      return d;
    };
    net.run(() => conn.isHandshakeConfirmed && server.connections[0]?.isHandshakeConfirmed === true);
    expect(injected).toBe(true);
    expect(server.endpoint.stats.invalidTokens).toBe(0);
    expect(genuine).toBeDefined();
    expect(conn.peerTransportParameters?.retrySourceConnectionId).toEqual(genuine);
  });

  it("closes with INVALID_TOKEN when a Retry token does not validate (§8.1.2), keeping no state", () => {
    const { net, client, server } = setup(4, { retry: true });
    const stale = new AddressTokenKey(getProvider(), new Uint8Array(32).fill(7), seededBytes(1)).issueRetry(
      0,
      CLIENT,
      new Uint8Array(8),
      new Uint8Array(8),
    );
    const conn = client.connect(net.now, clientConfig(), SERVER, stale);
    net.run(() => conn.state === "draining" || conn.state === "drained");
    expect(server.endpoint.stats.invalidTokens).toBeGreaterThanOrEqual(1);
    expect(server.endpoint.connectionCount).toBe(0);
    expect(conn.closeReason).toMatchObject({ kind: "transport", remote: true, errorCode: TransportErrorCode.INVALID_TOKEN });
  });

  it("refuses a Retry token replayed from another client address (bound to IP and port, §8.1.4)", () => {
    const { net, client, server } = setup(5, { retry: true });
    const tokens = new AddressTokenKey(getProvider(), new Uint8Array(32).fill(1), seededBytes(2));
    const fromElsewhere = tokens.issueRetry(net.now, { ...CLIENT, port: 50_001 }, new Uint8Array(8), new Uint8Array(8));
    const s2 = setup(5, { retry: true, tokenKey: new Uint8Array(32).fill(1) });
    const conn = s2.client.connect(s2.net.now, clientConfig(), SERVER, fromElsewhere);
    s2.net.run(() => conn.state === "draining" || conn.state === "drained");
    expect(s2.server.endpoint.stats.invalidTokens).toBeGreaterThanOrEqual(1);
    expect(client.connections).toHaveLength(0);
    expect(server.endpoint.stats.retries).toBe(0);
  });

  it("without Retry, accepts at once and sends no Retry (the default)", () => {
    const { net, client, server } = setup(6, {});
    const conn = client.connect(net.now, clientConfig(), SERVER);
    net.run(() => conn.isHandshakeConfirmed);
    expect(server.endpoint.stats.retries).toBe(0);
    expect(conn.peerTransportParameters?.retrySourceConnectionId).toBeUndefined();
  });

  it("asks a policy callback per Initial", () => {
    const asked: string[] = [];
    const { net, client, server } = setup(7, {
      retry: (remote) => {
        asked.push(`${remote.address}:${remote.port}`);
        return false;
      },
    });
    const conn = client.connect(net.now, clientConfig(), SERVER);
    net.run(() => conn.isHandshakeConfirmed);
    expect(asked).toEqual(["192.0.2.1:50000"]);
    expect(server.endpoint.stats.retries).toBe(0);
  });
});

describe("NEW_TOKEN (§8.1.3)", () => {
  it("the server sends a token after confirmation; the client's next connection uses it and skips the Retry", () => {
    const { net, client, server } = setup(8, { retry: true });
    const conn = client.connect(net.now, clientConfig(), SERVER);
    net.run(() => client.eventsOf(conn, "new-token").length > 0);
    const retries = server.endpoint.stats.retries;
    expect(retries).toBeGreaterThanOrEqual(1);
    const [event] = client.eventsOf(conn, "new-token");
    expect(event!.token.length).toBeGreaterThan(0);
    // A later connection (new socket: another port, same IP) presents the token.
    const later = net.add(new ValidationHost({ ...CLIENT, port: 50_002 }, seededBytes(80), undefined));
    const conn2 = later.connect(net.now, clientConfig(), SERVER, event!.token);
    net.run(() => conn2.isHandshakeConfirmed);
    expect(server.endpoint.stats.retries).toBe(retries); // no Retry for the second connection
    expect(conn2.peerTransportParameters?.retrySourceConnectionId).toBeUndefined();
    const initial = headers(server.received)
      .filter((h) => h.type === "initial")
      .at(-1);
    expect(initial?.token).toEqual(event!.token);
  });

  it("treats a NEW_TOKEN token the server cannot validate as no token: Retry, not INVALID_TOKEN", () => {
    const { net, client, server } = setup(9, { retry: true });
    const foreign = new AddressTokenKey(getProvider(), new Uint8Array(32).fill(3), seededBytes(3)).issueNewToken(0, CLIENT);
    const conn = client.connect(net.now, clientConfig(), SERVER, foreign);
    net.run(() => conn.isHandshakeConfirmed);
    expect(server.endpoint.stats.retries).toBeGreaterThanOrEqual(1);
    expect(server.endpoint.stats.invalidTokens).toBe(0);
  });

  it("resends a NEW_TOKEN frame whose packet was lost (§13.3)", () => {
    const { net, client } = setup(11, {});
    let dropped = 0;
    client.tamper = (d) => {
      // The server's first 1-RTT datagram carries HANDSHAKE_DONE and NEW_TOKEN (it has no 1-RTT data before completion).
      if (((d[0] as number) & 0x80) === 0 && dropped === 0) {
        dropped++;
        return undefined;
      }
      return d;
    };
    const conn = client.connect(net.now, clientConfig(), SERVER);
    net.run(() => client.eventsOf(conn, "new-token").length > 0, { maxTime: 5_000 });
    expect(dropped).toBe(1);
    expect(client.eventsOf(conn, "new-token")).toHaveLength(1);
  });

  it("sends no NEW_TOKEN when disabled", () => {
    const { net, client, server } = setup(10, { sendNewTokens: false });
    const conn = client.connect(net.now, clientConfig(), SERVER);
    net.run(() => conn.isHandshakeConfirmed && server.connections[0]?.isHandshakeConfirmed === true);
    net.runFor(200);
    expect(client.eventsOf(conn, "new-token")).toHaveLength(0);
  });
});
