/**
 * The other ways in and out of a stream: unidirectional streams (RFC 9000
 * §2.1: send-only on the opener's side), the web `ReadableStream` /
 * `WritableStream` pair, the Node `Duplex`, and a cancelled `connect`.
 */
import { pipeline } from "node:stream/promises";
import { CancelledError } from "@zsync/runtime";
import { describe, expect, it } from "vitest";
import { connect, QuicStreamClosedError } from "../../src/index.js";
import { ALPN, connectTo, pattern, startServer } from "./support.js";

describe("stream adapters", () => {
  it("a unidirectional stream carries data one way; its opener cannot read it nor the peer write it (§2.1)", async () => {
    const server = await startServer();
    const accepting = server.accept();
    const client = await connectTo(server);
    const conn = await accepting;
    const out = await client.openUnidirectionalStream();
    expect(out.id).toBe(2); // client-initiated unidirectional: 2, 6, 10, ...
    expect(out.readableSide).toBe(false);
    await out.write(new TextEncoder().encode("one way"));
    out.end();
    const incoming = await conn.acceptStream();
    expect(incoming.direction).toBe("uni");
    expect(new TextDecoder().decode(await incoming.readAll())).toBe("one way");
    await expect(incoming.write(new Uint8Array([1]))).rejects.toBeInstanceOf(QuicStreamClosedError);
    await incoming.finished(); // nothing of ours to deliver on the peer's unidirectional stream: resolves at once
    expect(await out.read(new Uint8Array(10))).toBeNull();
  });

  it("web streams: pipeTo the writable, read the readable to the end", async () => {
    const server = await startServer();
    void server.run(async (conn) => {
      const stream = await conn.acceptStream();
      await stream.readable.pipeTo(stream.writable); // echo through the web adapters on the server too
    });
    const client = await connectTo(server);
    const stream = await client.openBidirectionalStream();
    const data = pattern(300_000, 3);
    const writing = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < data.length; at += 70_000) controller.enqueue(data.slice(at, at + 70_000));
        controller.close();
      },
    }).pipeTo(stream.writable);
    const chunks: Uint8Array[] = [];
    for await (const chunk of stream.readable) chunks.push(chunk);
    await writing;
    expect(Buffer.compare(Buffer.concat(chunks), data)).toBe(0);
  });

  it("Node Duplex: pipeline through it and back", async () => {
    const server = await startServer();
    void server.run(async (conn) => {
      const stream = await conn.acceptStream();
      const duplex = stream.toDuplex();
      await pipeline(duplex, duplex);
    });
    const client = await connectTo(server);
    const duplex = (await client.openBidirectionalStream()).toDuplex();
    const data = pattern(200_000, 5);
    duplex.end(data);
    const chunks: Buffer[] = [];
    for await (const chunk of duplex) chunks.push(chunk as Buffer);
    expect(Buffer.compare(Buffer.concat(chunks), data)).toBe(0);
  });

  it("connect with an aborted signal rejects with CancelledError and leaves no socket open", async () => {
    const server = await startServer();
    const controller = new AbortController();
    const connecting = connect("127.0.0.1", server.port, { alpn: ALPN, insecure: true, signal: controller.signal });
    controller.abort("changed my mind");
    await expect(connecting).rejects.toBeInstanceOf(CancelledError);
  });
});
