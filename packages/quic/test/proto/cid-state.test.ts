/**
 * Connection IDs after the handshake (RFC 9000 §5.1, §19.15, §19.16): what
 * we issue with NEW_CONNECTION_ID and how the peer's NEW_CONNECTION_ID and
 * RETIRE_CONNECTION_ID are judged (cid-state.ts), then end to end: the
 * endpoints route the IDs they issued, and a server following a rebound
 * client (§9.5) switches to a fresh ID of the client's.
 */
import { describe, expect, it } from "vitest";
import { LocalConnectionIds, MAX_ISSUED_CONNECTION_IDS, RemoteConnectionIds } from "../../src/proto/connection/cid-state.js";
import { TransportError, TransportErrorCode } from "../../src/proto/errors.js";
import { type Frame, readFrame } from "../../src/proto/wire/frame.js";
import { PacketHeader, parsePacketHeader } from "../../src/proto/wire/packet-header.js";
import { Reader } from "../../src/proto/wire/reader.js";
import { Writer } from "../../src/proto/wire/writer.js";
import { exchange, pair, SERVER_ADDRESS, seededRandom } from "./support.js";

const token = (cid: Uint8Array): Uint8Array => new Uint8Array(16).fill(cid[0]! ^ 0xaa);
const cidOf = (n: number, length = 8): Uint8Array => new Uint8Array(length).fill(n);

function frames(buffer: Uint8Array, end: number): Frame[] {
  const reader = new Reader("frame", buffer, 0, end);
  const out: Frame[] = [];
  while (reader.remaining > 0) out.push(readFrame(reader, "1rtt"));
  return out;
}

function expectTransportError(f: () => void, code: number): void {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).errorCode).toBe(code);
    return;
  }
  expect.unreachable("no TransportError");
}

describe("the IDs we issue (§5.1.1, §19.15, §19.16)", () => {
  function issued(peerLimit: number) {
    const ids = new LocalConnectionIds(cidOf(0), seededRandom(1), token);
    ids.start(peerLimit);
    const buffer = new Uint8Array(1200);
    const w = new Writer(buffer);
    const sent = ids.fill(w);
    return { ids, sent, frames: frames(buffer, w.position) };
  }

  it("issues IDs up to the peer's active_connection_id_limit, each with its reset token, and asks the endpoint to route them", () => {
    const { ids, sent, frames: out } = issued(4);
    expect(sent).toEqual([1, 2, 3]);
    expect(ids.activeCount).toBe(4);
    expect(out.map((f) => f.kind)).toEqual(["new-connection-id", "new-connection-id", "new-connection-id"]);
    const changes = ids.takeRoutingChanges()!;
    expect(changes.map((c) => c.kind)).toEqual(["add", "add", "add"]);
    for (const [i, f] of out.entries()) {
      if (f.kind !== "new-connection-id") throw new Error("unreachable");
      expect(f.sequenceNumber).toBe(i + 1);
      expect(f.retirePriorTo).toBe(0);
      expect(f.connectionId).toEqual(changes[i]!.cid);
      expect(f.statelessResetToken).toEqual(token(f.connectionId));
    }
    expect(ids.takeRoutingChanges()).toBeUndefined();
    expect(ids.wantsToSend).toBe(false);
  });

  it("caps what it issues however many the peer allows (routing state stays bounded)", () => {
    expect(issued(1000).ids.activeCount).toBe(MAX_ISSUED_CONNECTION_IDS);
  });

  it("issues nothing with zero-length IDs: there would be nothing to route by", () => {
    const ids = new LocalConnectionIds(new Uint8Array(0), seededRandom(1), token);
    ids.start(8);
    expect(ids.activeCount).toBe(1);
    expect(ids.wantsToSend).toBe(false);
    // ...so any RETIRE_CONNECTION_ID is for an ID never issued.
    expectTransportError(() => ids.onRetire(0, new Uint8Array(0)), TransportErrorCode.PROTOCOL_VIOLATION);
  });

  it("replaces a retired ID, stops routing it, and ignores a repeated retirement", () => {
    const { ids } = issued(4);
    const first = ids.takeRoutingChanges()!;
    ids.onRetire(1, cidOf(0));
    const changes = ids.takeRoutingChanges()!;
    expect(changes).toHaveLength(2);
    expect(changes[0]).toEqual({ kind: "remove", cid: first[0]!.cid });
    expect(changes[1]!.kind).toBe("add");
    expect(ids.activeCount).toBe(4);
    const w = new Writer(new Uint8Array(200));
    expect(ids.fill(w)).toEqual([4]); // the replacement
    ids.onRetire(1, cidOf(0));
    expect(ids.takeRoutingChanges()).toBeUndefined();
  });

  it("RETIRE_CONNECTION_ID of a sequence never issued is a PROTOCOL_VIOLATION (§19.16)", () => {
    const { ids } = issued(2);
    expectTransportError(() => ids.onRetire(2, cidOf(0)), TransportErrorCode.PROTOCOL_VIOLATION);
  });

  it("RETIRE_CONNECTION_ID of the ID its own packet was sent to is a PROTOCOL_VIOLATION (§19.16)", () => {
    const { ids } = issued(2);
    expectTransportError(() => ids.onRetire(0, cidOf(0)), TransportErrorCode.PROTOCOL_VIOLATION);
  });

  it("resends a lost NEW_CONNECTION_ID while its ID is active, not after the peer retired it (§13.3)", () => {
    const { ids } = issued(3);
    ids.onLost([1, 2]);
    ids.onRetire(2, cidOf(0));
    const w = new Writer(new Uint8Array(200));
    expect(ids.fill(w)).toEqual([1, 3]);
  });
});

describe("the peer's IDs (§5.1.1, §5.1.2, §19.15)", () => {
  it("keeps new IDs up to our limit; one more is a CONNECTION_ID_LIMIT_ERROR", () => {
    const ids = new RemoteConnectionIds(cidOf(0), 3);
    ids.onNewConnectionId(1, 0, cidOf(1), token(cidOf(1)));
    ids.onNewConnectionId(2, 0, cidOf(2), token(cidOf(2)));
    expect(ids.activeCount).toBe(3);
    expectTransportError(() => ids.onNewConnectionId(3, 0, cidOf(3), token(cidOf(3))), TransportErrorCode.CONNECTION_ID_LIMIT_ERROR);
  });

  it("a retransmitted NEW_CONNECTION_ID changes nothing; a contradicting one is a PROTOCOL_VIOLATION", () => {
    const ids = new RemoteConnectionIds(cidOf(0), 4);
    ids.onNewConnectionId(1, 0, cidOf(1), token(cidOf(1)));
    ids.onNewConnectionId(1, 0, cidOf(1), token(cidOf(1)));
    expect(ids.activeCount).toBe(2);
    const pv = TransportErrorCode.PROTOCOL_VIOLATION;
    expectTransportError(() => ids.onNewConnectionId(1, 0, cidOf(9), token(cidOf(9))), pv); // same sequence, other ID
    expectTransportError(() => ids.onNewConnectionId(1, 0, cidOf(1), token(cidOf(9))), pv); // same ID, other token
    expectTransportError(() => ids.onNewConnectionId(2, 0, cidOf(1), token(cidOf(1))), pv); // same ID, other sequence
  });

  it("Retire Prior To retires the older IDs, the one in use included, and moves to a newer one (§5.1.2)", () => {
    const ids = new RemoteConnectionIds(cidOf(0), 4);
    ids.onNewConnectionId(1, 0, cidOf(1), token(cidOf(1)));
    ids.onNewConnectionId(2, 2, cidOf(2), token(cidOf(2)));
    expect(ids.current).toEqual(cidOf(2));
    expect(ids.activeCount).toBe(1);
    const buffer = new Uint8Array(100);
    const w = new Writer(buffer);
    expect(ids.fill(w)).toEqual([0, 1]);
    expect(frames(buffer, w.position)).toEqual([
      { kind: "retire-connection-id", sequenceNumber: 0 },
      { kind: "retire-connection-id", sequenceNumber: 1 },
    ]);
    // §19.15: an ID arriving late with a sequence below Retire Prior To is retired at once, never used.
    ids.onNewConnectionId(1, 0, cidOf(1), token(cidOf(1)));
    ids.onNewConnectionId(0, 0, cidOf(7), token(cidOf(7)));
    expect(ids.activeCount).toBe(1);
    expect(ids.fill(new Writer(new Uint8Array(100)))).toBeUndefined(); // already retired: not again
    ids.onLost([0]);
    expect(ids.fill(new Writer(new Uint8Array(100)))).toEqual([0]); // a lost RETIRE_CONNECTION_ID is resent (§13.3)
  });

  it("NEW_CONNECTION_ID to an endpoint whose peer uses a zero-length ID is a PROTOCOL_VIOLATION (§19.15)", () => {
    const ids = new RemoteConnectionIds(new Uint8Array(0), 4);
    expectTransportError(() => ids.onNewConnectionId(1, 0, cidOf(1), token(cidOf(1))), TransportErrorCode.PROTOCOL_VIOLATION);
  });

  it("a peer making us retire without end is stopped with CONNECTION_ID_LIMIT_ERROR (§5.1.2)", () => {
    const ids = new RemoteConnectionIds(cidOf(0), 2);
    expectTransportError(() => {
      for (let s = 1; s < 1000; s++) ids.onNewConnectionId(s, s, cidOf(s % 250, 4 + (s % 5)), token(cidOf(s)));
    }, TransportErrorCode.CONNECTION_ID_LIMIT_ERROR);
  });

  it("rotates to the lowest unused ID and retires the old one; stays put without a spare", () => {
    const ids = new RemoteConnectionIds(cidOf(0), 4);
    expect(ids.rotate()).toBe(false);
    ids.onNewConnectionId(2, 0, cidOf(2), token(cidOf(2)));
    ids.onNewConnectionId(1, 0, cidOf(1), token(cidOf(1)));
    expect(ids.rotate()).toBe(true);
    expect(ids.current).toEqual(cidOf(1));
    expect(ids.fill(new Writer(new Uint8Array(100)))).toEqual([0]);
    expect([...ids.resetTokens()]).toEqual([token(cidOf(2)), token(cidOf(1))]);
  });
});

describe("connection IDs end to end", () => {
  it("a server following a rebound client sends to a fresh client ID, which the client's endpoint routes (§9.5)", () => {
    const setup = pair({ seed: 91 });
    const { net, client, server, conn } = setup;
    const NEW_ADDRESS = { address: "192.0.2.1", port: 50_777 };
    const dcids = new Set<string>();
    const header = new PacketHeader();
    net.setLink(SERVER_ADDRESS, NEW_ADDRESS, {
      delay: 10,
      extraDelay: (_index, datagram) => {
        parsePacketHeader(datagram, 0, 8, header);
        dcids.add(Buffer.from(header.dcid).toString("hex"));
        return 0;
      },
    });
    let rebound = false;
    const { toServer, toClient, clientData, serverData } = exchange(setup, 256 * 1024, {}, () => {
      const accepted = server.connections[0];
      if (!rebound && accepted !== undefined && accepted.stats.bytesReceived > 60_000) {
        net.rebind(client, NEW_ADDRESS);
        rebound = true;
      }
    });
    expect(rebound).toBe(true);
    expect(Buffer.compare(toServer, clientData)).toBe(0);
    expect(Buffer.compare(toClient, serverData)).toBe(0);
    expect(dcids.size).toBe(1);
    expect(dcids.has(Buffer.from(conn.localCid).toString("hex"))).toBe(false); // not the handshake's ID
    expect(client.endpoint.stats.unroutable).toBe(0);
    expect(server.endpoint.stats.unroutable).toBe(0);
  }, 60_000);
});

describe("the peer's IDs: bounded memory of retirements", () => {
  it("a peer raising Retire Prior To with every NEW_CONNECTION_ID leaves a bounded record of retired sequences", () => {
    const ids = new RemoteConnectionIds(cidOf(0), 4);
    const buffer = new Uint8Array(100);
    for (let s = 1; s <= 5000; s++) {
      ids.onNewConnectionId(s, s, cidOf(s % 250, 4 + (s % 5)), token(cidOf(s)));
      ids.fill(new Writer(buffer)); // the RETIRE_CONNECTION_ID goes out
    }
    expect(ids.activeCount).toBe(1);
    expect(ids.retiredRemembered).toBeLessThanOrEqual(100); // before: 5000, one per frame for the connection's life
    // A late copy of a recent one is still known: not re-added, not retired twice.
    ids.onNewConnectionId(4990, 0, cidOf(4990 % 250, 4 + (4990 % 5)), token(cidOf(4990)));
    expect(ids.activeCount).toBe(1);
    expect(ids.fill(new Writer(buffer))).toBeUndefined();
    // A very old one is retired again (harmless), never used.
    ids.onNewConnectionId(7, 0, cidOf(7 % 250, 4 + (7 % 5)), token(cidOf(7)));
    expect(ids.activeCount).toBe(1);
    expect(ids.fill(new Writer(buffer))).toEqual([7]);
  });
});
