/**
 * `QuicConnection.stats.blockedFrames` over real loopback UDP: a client held
 * back by the server's MAX_STREAM_DATA says so with STREAM_DATA_BLOCKED
 * (RFC 9000 §4.1, §19.13), once for that limit, and both sides count it.
 */
import { describe, expect, it } from "vitest";
import { connectTo, pattern, startServer } from "./support.js";

describe("stats.blockedFrames", () => {
  it("counts the STREAM_DATA_BLOCKED a writer blocked by a 4 KiB stream window sends, and the reader receives", async () => {
    const server = await startServer({ initialMaxStreamDataBidiRemote: 4096 });
    const client = await connectTo(server);
    const peer = await server.accept();
    const stream = await client.openBidirectionalStream();
    const writing = stream.write(pattern(64 * 1024, 1)); // fits the send buffer: resolves without the server reading
    const incoming = await peer.acceptStream();
    await expect.poll(() => peer.stats.blockedFrames.streamDataBlockedReceived, { timeout: 20_000 }).toBe(1);
    expect(client.stats.blockedFrames).toMatchObject({ streamDataBlockedSent: 1, dataBlockedSent: 0, streamsBlockedSent: 0 });
    await writing;
    stream.end();
    expect(await incoming.readAll()).toEqual(pattern(64 * 1024, 1)); // reading raises the limit step by step
    expect(client.stats.blockedFrames.streamDataBlockedSent).toBeGreaterThanOrEqual(1);
    expect(peer.stats.blockedFrames.dataBlockedReceived).toBe(0);
  }, 60_000);
});
