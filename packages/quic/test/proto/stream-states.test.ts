/**
 * Stream lifecycle through the connection (RFC 9000 §2-§4): unidirectional
 * streams, RESET_STREAM and STOP_SENDING reaching the peer as events with
 * their codes, MAX_STREAMS credit returning as streams close, and the
 * application-misuse errors.
 */
import { describe, expect, it } from "vitest";
import { StreamStateError } from "../../src/proto/connection/streams.js";
import { pair, pattern, StreamReader } from "./support.js";

function established(seed: number, options: Omit<Parameters<typeof pair>[0], "seed"> = {}) {
  const setup = pair({ seed, ...options });
  setup.net.run(() => setup.conn.isHandshakeConfirmed && setup.server.connections[0]?.isHandshakeConfirmed === true);
  return { ...setup, accepted: setup.server.connections[0]! };
}

describe("stream lifecycle", () => {
  it("unidirectional streams each way; the receiver cannot write and the sender cannot read", () => {
    const { net, conn, accepted } = established(71);
    const up = conn.openStream("uni")!;
    const down = accepted.openStream("uni")!;
    expect(up % 4).toBe(2); // client-initiated unidirectional (§2.1)
    expect(down % 4).toBe(3); // server-initiated unidirectional
    conn.streamWrite(up, pattern(5000, 1));
    conn.streamFinish(up);
    accepted.streamWrite(down, pattern(7000, 2));
    accepted.streamFinish(down);
    let serverReader: StreamReader | undefined;
    let clientReader: StreamReader | undefined;
    net.run(() => {
      const a = accepted.acceptStream("uni");
      if (a !== undefined) serverReader = new StreamReader(accepted, a);
      const c = conn.acceptStream("uni");
      if (c !== undefined) clientReader = new StreamReader(conn, c);
      serverReader?.pump();
      clientReader?.pump();
      return serverReader?.fin === true && clientReader?.fin === true;
    });
    expect(Buffer.compare(serverReader!.bytes(), pattern(5000, 1))).toBe(0);
    expect(Buffer.compare(clientReader!.bytes(), pattern(7000, 2))).toBe(0);
    expect(() => conn.streamRead(up, new Uint8Array(10))).toThrow(StreamStateError);
    expect(() => accepted.streamWrite(up, new Uint8Array(1))).toThrow(StreamStateError);
    expect(() => conn.streamWrite(99 * 4, new Uint8Array(1))).toThrow(StreamStateError); // never opened
  });

  it("RESET_STREAM reaches the reader as stream-reset with the code (§3.2, §19.4)", () => {
    const { net, client, server, conn, accepted } = established(72);
    const id = conn.openStream("bidi")!;
    conn.streamWrite(id, pattern(3000, 3));
    net.run(() => accepted.acceptStream("bidi") !== undefined);
    conn.streamReset(id, 0x1234);
    net.run(() => server.eventsOf(accepted, "stream-reset").length > 0);
    expect(server.eventsOf(accepted, "stream-reset")[0]).toEqual({ type: "stream-reset", id, errorCode: 0x1234 });
    // The reader sees the end without the rest of the data.
    const r = accepted.streamRead(id, new Uint8Array(10_000));
    expect(r.fin).toBe(false);
    void client;
  });

  it("STOP_SENDING makes the writer reset with the same code (§3.5, §19.5)", () => {
    const { net, client, conn, accepted } = established(73);
    const id = conn.openStream("bidi")!;
    conn.streamWrite(id, pattern(1000, 4));
    net.run(() => accepted.acceptStream("bidi") !== undefined);
    accepted.streamStopSending(id, 0x77);
    net.run(() => client.eventsOf(conn, "stream-stopped").length > 0);
    expect(client.eventsOf(conn, "stream-stopped")[0]).toEqual({ type: "stream-stopped", id, errorCode: 0x77 });
    expect(() => conn.streamWrite(id, new Uint8Array(1))).toThrow(StreamStateError); // the sending side is reset
  });

  it("MAX_STREAMS credit returns as peer streams close, so more streams than the initial limit can be opened over time", () => {
    const { net, client, conn, accepted } = established(74, { serverTransport: { initialMaxStreamsBidi: 4 } });
    let opened = 0;
    let finished = 0;
    const buffer = new Uint8Array(100);
    const serverIds: number[] = [];
    net.run(() => {
      for (let id = conn.openStream("bidi"); id !== undefined; id = opened < 20 ? conn.openStream("bidi") : undefined) {
        opened++;
        conn.streamWrite(id, new Uint8Array([opened]));
        conn.streamFinish(id);
        if (opened >= 20) break;
      }
      for (let id = accepted.acceptStream("bidi"); id !== undefined; id = accepted.acceptStream("bidi")) serverIds.push(id);
      for (const id of serverIds.splice(0)) {
        let r = accepted.streamRead(id, buffer);
        while (r.bytes > 0 && !r.fin) r = accepted.streamRead(id, buffer);
        if (!r.fin) {
          serverIds.push(id); // the rest has not arrived yet
          continue;
        }
        accepted.streamFinish(id); // our side ends too: the stream closes both ways
        finished++;
      }
      return finished === 20;
    });
    expect(opened).toBe(20);
    expect(client.eventsOf(conn, "streams-available").length).toBeGreaterThan(0);
  });
});
