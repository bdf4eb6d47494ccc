/**
 * Streams through the Node API over real loopback UDP (RFC 9000 §2-4):
 * echo, bulk transfer both ways checked byte for byte (flow control and
 * loss recovery must both work for it to finish), many concurrent streams,
 * and cancellation that tells the peer (STOP_SENDING §19.5, RESET_STREAM §19.4).
 */
import { CancelledError, spawn } from "@zsync/runtime";
import { describe, expect, it } from "vitest";
import { type QuicStream, QuicStreamResetError, QuicStreamStoppedError } from "../../src/index.js";
import { connectTo, deferred, pattern, startServer } from "./support.js";

/** Echoes every stream the peer opens until the connection ends. */
async function echo(stream: QuicStream): Promise<void> {
  const buffer = new Uint8Array(16 * 1024);
  for (let n = await stream.read(buffer); n !== null; n = await stream.read(buffer)) await stream.write(buffer.subarray(0, n));
  stream.end();
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

describe("streams over loopback UDP", () => {
  it("echoes on a bidirectional stream; end() half-closes (RFC 9000 §3)", async () => {
    const server = await startServer();
    void server.run(async (conn) => {
      for await (const stream of conn) void echo(stream);
    });
    const client = await connectTo(server);
    const stream = await client.openBidirectionalStream();
    expect(stream.id).toBe(0); // client-initiated bidirectional: 0, 4, 8, ... (§2.1)
    await stream.write(new TextEncoder().encode("hello, quic"));
    stream.end();
    expect(new TextDecoder().decode(await stream.readAll())).toBe("hello, quic");
  });

  it("moves 4 MiB each way on one stream, byte for byte (flow control §4, recovery RFC 9002)", async () => {
    const server = await startServer();
    const size = 4 * 1024 * 1024;
    const up = pattern(size, 7);
    const down = pattern(size, 11);
    let received: Uint8Array | undefined;
    void server.run(async (conn) => {
      const stream = await conn.acceptStream();
      const reading = stream.readAll(size);
      await stream.write(down);
      stream.end();
      received = await reading;
    });
    const client = await connectTo(server);
    const stream = await client.openBidirectionalStream();
    const reading = stream.readAll(size);
    await stream.write(up);
    stream.end();
    const back = await reading;
    expect(back.length).toBe(size);
    expect(equalBytes(back, down)).toBe(true);
    await expect.poll(() => received, { timeout: 30_000 }).toBeDefined();
    expect(equalBytes(received as Uint8Array, up)).toBe(true);
    expect(client.stats.bytesReceived).toBeGreaterThan(size); // per-connection counters, headers included
    expect(client.stats.packetsLost).toBeGreaterThanOrEqual(0);
    // The send buffers were recycled: far fewer allocated than datagrams sent (about 3,500 here).
    const io = client.driver.stats;
    expect(io.datagramsSent).toBeGreaterThan(3000);
    expect(io.buffersAllocated).toBeLessThan(io.datagramsSent / 4);
  }, 60_000);

  it("run(): a handler that ends a stream and returns still delivers it (flush before close, §10.2)", async () => {
    const server = await startServer();
    const data = pattern(1024 * 1024, 13);
    void server.run(async (conn) => {
      const stream = await conn.openUnidirectionalStream();
      await stream.write(data);
      stream.end();
      // returning now: run() must wait for the acknowledgment before it closes the connection
    });
    const client = await connectTo(server);
    const stream = await client.acceptStream();
    const received = await stream.readAll();
    expect(received.length).toBe(data.length);
    expect(equalBytes(received, data)).toBe(true);
  }, 60_000);

  it("the two halves are independent: resetting our send side leaves a finished receive side readable (§3)", async () => {
    const server = await startServer();
    void server.run(async (conn) => {
      const stream = await conn.acceptStream();
      await stream.write(new TextEncoder().encode("reply"));
      stream.end();
      await stream.readAll().catch(() => undefined); // ends with the client's reset
    });
    const client = await connectTo(server);
    const stream = await client.openBidirectionalStream();
    await stream.write(new Uint8Array([1]));
    expect(new TextDecoder().decode(await stream.readAll())).toBe("reply");
    stream.reset(0x9);
    expect(await stream.read(new Uint8Array(8))).toBeNull(); // still the end of the stream, not the reset of the other half
    await expect(stream.write(new Uint8Array([2]))).rejects.toThrow(/reset by us/);
  });

  it("runs 150 streams concurrently, each echoed intact: opens past the peer's limit of 100 wait for MAX_STREAMS (§4.6)", async () => {
    const server = await startServer({ initialMaxStreamsBidi: 100 });
    void server.run(async (conn) => {
      for await (const stream of conn) void echo(stream);
    });
    const client = await connectTo(server);
    const results = await Promise.all(
      Array.from({ length: 150 }, async (_, i) => {
        const stream = await client.openBidirectionalStream();
        const data = pattern(1000 + i * 37, i + 1);
        const reading = stream.readAll();
        await stream.write(data);
        stream.end();
        return equalBytes(await reading, data);
      }),
    );
    expect(results.filter((ok) => !ok)).toEqual([]);
    expect(results.length).toBe(150);
  }, 60_000);

  it("a read cancelled by its signal sends STOP_SENDING: the peer's writer fails with that code (§3.5)", async () => {
    const server = await startServer();
    const outcome = deferred<unknown>();
    void server.run(async (conn) => {
      const stream = await conn.acceptStream();
      await stream.write(new Uint8Array([9]));
      // Never ends on its own: only STOP_SENDING (or the connection's end) settles it.
      outcome.resolve(await stream.finished().catch((e: unknown) => e));
    });
    const client = await connectTo(server, { cancelCode: 0x77 });
    const stream = await client.openBidirectionalStream();
    await stream.write(new Uint8Array([1])); // the server learns of the stream from its first frame
    const buffer = new Uint8Array(1024);
    expect(await stream.read(buffer)).toBe(1);
    const controller = new AbortController();
    const parked = stream.read(buffer, { signal: controller.signal }).catch((e: unknown) => e);
    controller.abort("enough");
    expect(await parked).toBeInstanceOf(CancelledError);
    const error = await outcome.promise;
    expect(error).toBeInstanceOf(QuicStreamStoppedError);
    expect((error as QuicStreamStoppedError).errorCode).toBe(0x77);
  }, 30_000);

  it("a write cancelled with its task sends RESET_STREAM: the peer's read fails with that code (§3.1)", async () => {
    const server = await startServer();
    const accepted = deferred<void>();
    const outcome = deferred<unknown>();
    void server.run(async (conn) => {
      const stream = await conn.acceptStream();
      accepted.resolve();
      outcome.resolve(await stream.readAll(1 << 30).catch((e: unknown) => e));
    });
    const client = await connectTo(server, { cancelCode: 0x55 });
    const stream = await client.openBidirectionalStream();
    const writer = spawn(async () => {
      // More than the peer's stream window (1 MiB by default): this write must park on flow control.
      await stream.write(new Uint8Array(8 * 1024 * 1024));
    });
    await accepted.promise;
    writer.cancel("stop");
    await writer.finished;
    const error = await outcome.promise;
    expect(error).toBeInstanceOf(QuicStreamResetError);
    expect((error as QuicStreamResetError).errorCode).toBe(0x55);
    expect(stream.writableSide).toBe(false);
  }, 30_000);
});
