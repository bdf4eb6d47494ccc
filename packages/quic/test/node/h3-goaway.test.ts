/**
 * GOAWAY from a server that keeps its connection open (RFC 9114 §5.2): the
 * client sends nothing new on it, finishes what is in flight, then closes it
 * with H3_NO_ERROR; the next request goes out on a new connection. The
 * server here is the internal `Http3Session` over a plain `QuicServer`, so the
 * test decides when GOAWAY goes out and that the server never closes.
 */
import { describe, expect, it } from "vitest";
import type { Http3Event } from "../../src/h3/events.js";
import { Http3ErrorCode, type QuicConnection, QuicServer } from "../../src/index.js";
import { Http3Session, type MessageChannel } from "../../src/node/h3-session.js";
import { h3Client } from "./h3-support.js";
import { testPki } from "./support.js";

describe("GOAWAY from a server that keeps the connection open", () => {
  it("the client finishes the request in flight, closes with H3_NO_ERROR, and uses a new connection", async () => {
    const { leaf } = testPki();
    const quic = await QuicServer.bind({ certificate: leaf.certificatePem, key: leaf.privateKeyPem, alpn: "h3" });
    const connections: QuicConnection[] = [];
    const sessions: Http3Session[] = [];
    let hold: (() => void) | undefined;
    const held = new Promise<void>((resolve) => {
      hold = resolve;
    });
    const serve = async (session: Http3Session, channel: MessageChannel): Promise<void> => {
      let event: Http3Event = await channel.next();
      while (event.type !== "request") event = await channel.next();
      if (event.head.path === "/slow") await held;
      const frame = session.core.sendResponseHeaders(channel.stream.id, [{ name: ":status", value: "200" }]);
      session.flush();
      await channel.stream.write(frame);
      channel.stream.end();
    };
    void (async () => {
      for await (const conn of quic) {
        connections.push(conn);
        const session = new Http3Session(conn, { role: "server" });
        sessions.push(session);
        session.onRequestStream = (channel) => void serve(session, channel).catch(() => undefined);
      }
    })();
    try {
      const client = h3Client();
      const url = (path: string) => `https://localhost:${quic.port}${path}`;
      // Bodies are read to the end: a response whose body nobody reads keeps its request in flight (as in undici).
      expect(await (await client.fetch(url("/first"))).text()).toBe("");
      const slow = client.fetch(url("/slow"));
      await new Promise((resolve) => setTimeout(resolve, 200));
      sessions[0]!.core.shutdown();
      sessions[0]!.flush();
      await new Promise((resolve) => setTimeout(resolve, 200));
      // The connection is still open: the request in flight is served.
      hold!();
      expect(await (await slow).text()).toBe("");
      // Then the client closes it, with H3_NO_ERROR, and the server never had to.
      expect(await connections[0]!.closed).toMatchObject({ kind: "application", remote: true, errorCode: Http3ErrorCode.H3_NO_ERROR });
      // A new request goes on a new connection.
      expect(await (await client.fetch(url("/after"))).text()).toBe("");
      expect(connections).toHaveLength(2);
    } finally {
      await quic.close();
    }
  }, 30_000);
});
