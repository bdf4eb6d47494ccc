/**
 * `stats.authenticationFailures` (RFC 9001 §5.3, §9.5): a packet whose AEAD
 * tag does not check out under its space's keys is dropped and counted in
 * that space, once; the connection carries on (the sender's recovery
 * resends what it held) and nothing else is counted.
 */
import { describe, expect, it } from "vitest";
import { PacketHeader, parsePacketHeader } from "../../src/proto/wire/packet-header.js";
import { type SimAddress, type SimHost, SimNetwork } from "./sim-network.js";
import { CLIENT_ADDRESS, clientConfig, EndpointHost, exchange, SERVER_ADDRESS, seededRandom, serverConfig } from "./support.js";

/** Flips the last byte (the AEAD tag of the datagram's last packet) of the first datagram whose last packet is of each listed type. */
class TagSpoiler implements SimHost {
  readonly spoiled: string[] = [];
  readonly #header = new PacketHeader();
  constructor(
    readonly inner: SimHost,
    readonly types: Set<string>,
    /** Datagrams to let through untouched first (the first Initial creates the server's connection). */
    public skip = 0,
  ) {}
  get address(): SimAddress {
    return this.inner.address;
  }
  handleDatagram(now: number, datagram: Uint8Array, from: SimAddress): void {
    const last = this.#lastType(datagram);
    if (this.skip > 0) this.skip--;
    else if (last !== undefined && this.types.delete(last)) {
      datagram[datagram.length - 1]! ^= 0xff;
      this.spoiled.push(last);
    }
    this.inner.handleDatagram(now, datagram, from);
  }
  handleTimeout(now: number): void {
    this.inner.handleTimeout(now);
  }
  pollTransmit(now: number, buffer: Uint8Array): { length: number; to: SimAddress } | undefined {
    return this.inner.pollTransmit(now, buffer);
  }
  pollTimeout(): number | undefined {
    return this.inner.pollTimeout();
  }
  #lastType(datagram: Uint8Array): string | undefined {
    let type: string | undefined;
    for (let offset = 0; offset < datagram.length; ) {
      try {
        parsePacketHeader(datagram, offset, 8, this.#header);
      } catch {
        return type;
      }
      type = this.#header.type;
      if (!this.#header.long) break;
      offset = this.#header.end;
    }
    return type;
  }
}

describe("authentication failures per packet number space", () => {
  it("a damaged Initial, Handshake or 1-RTT packet is dropped and counted in its space; the transfer completes", () => {
    const net = new SimNetwork({ seed: 41, link: { delay: 10 } });
    const random = seededRandom(41);
    const client = new EndpointHost(CLIENT_ADDRESS, random);
    const server = new EndpointHost(SERVER_ADDRESS, random, serverConfig());
    // The server's first datagram passes (its Initial creates the connection); then one Initial and one 1-RTT packet
    // to it, and one Handshake and one 1-RTT packet to the client, are damaged.
    const serverSpoiler = net.add(new TagSpoiler(server, new Set(["initial", "1rtt"]), 1));
    const clientSpoiler = net.add(new TagSpoiler(client, new Set(["handshake", "1rtt"])));
    const conn = client.connect(net.now, clientConfig(), SERVER_ADDRESS);
    const result = exchange({ net, client, server, conn }, 200_000);
    expect(result.toServer).toEqual(result.clientData);
    expect(result.toClient).toEqual(result.serverData);
    expect(serverSpoiler.spoiled.sort()).toEqual(["1rtt", "initial"]);
    expect(clientSpoiler.spoiled.sort()).toEqual(["1rtt", "handshake"]);
    expect(server.connections[0]!.stats.authenticationFailures).toEqual({ initial: 1, handshake: 0, application: 1 });
    expect(conn.stats.authenticationFailures).toEqual({ initial: 0, handshake: 1, application: 1 });
    // A copy per call: the caller cannot change the connection's counters.
    const snapshot = conn.stats.authenticationFailures;
    snapshot.application = 99;
    expect(conn.stats.authenticationFailures.application).toBe(1);
  });
});
