import { describe, expect, test } from "vitest";
import { CancelledError, TimeoutError } from "../../src/errors.js";
import { ConnectionRefusedError, ResourceClosedError } from "../../src/node/errors.js";
import { TcpListener, TcpStream } from "../../src/node/tcp.js";
import { observe, rejection, settle } from "../observe.js";

const text = (bytes: Uint8Array | null): string => (bytes === null ? "<eof>" : Buffer.from(bytes).toString());

/** Reads until end of stream and returns everything received. */
async function readAll(stream: TcpStream): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Larger than loopback's socket buffers, so a peer that does not read leaves most of it in the writer's queue. */
const STUCK_BYTES = 32 << 20;

async function pair(): Promise<{ listener: TcpListener; client: TcpStream; server: TcpStream }> {
  const listener = await TcpListener.bind();
  const [client, server] = await Promise.all([TcpStream.connect({ port: listener.port }), listener.accept()]);
  return { listener, client, server };
}

describe("TcpStream and TcpListener", () => {
  test("connect, accept, write and read both ways; end gives null", async () => {
    const { listener, client, server } = await pair();
    await using _l = listener;
    await using _c = client;
    await using _s = server;
    expect(client.remotePort).toBe(listener.port);
    await client.write("ping");
    expect(text(await server.read())).toBe("ping");
    await server.write(new Uint8Array([112, 111, 110, 103]));
    expect(text(await client.read())).toBe("pong");
    await client.end();
    expect(await server.read()).toBeNull();
    expect(await server.read()).toBeNull();
  });

  test("a cancelled read consumes nothing: the next read gets the data", async () => {
    const { listener, client, server } = await pair();
    const controller = new AbortController();
    const abandoned = server.read({ signal: controller.signal });
    controller.abort("changed my mind");
    expect(await rejection(abandoned)).toBeInstanceOf(CancelledError);
    await client.write("kept");
    expect(text(await server.read())).toBe("kept");
    await Promise.all([client.close(), server.close(), listener.close()]);
  });

  test("a read times out with TimeoutError and consumes nothing", async () => {
    const { listener, client, server } = await pair();
    expect(await rejection(server.read({ timeoutMs: 20 }))).toBeInstanceOf(TimeoutError);
    await client.write("late");
    expect(text(await server.read())).toBe("late");
    await Promise.all([client.close(), server.close(), listener.close()]);
  });

  test("for await yields chunks until the peer ends", async () => {
    const { listener, client, server } = await pair();
    const received = (async () => {
      let all = "";
      for await (const chunk of server) all += text(chunk);
      return all;
    })();
    for (let i = 0; i < 5; i++) await client.write(`${i}`);
    await client.end();
    expect(await received).toBe("01234");
    await Promise.all([client.close(), server.close(), listener.close()]);
  });

  test("write waits for drain when the peer does not read, and a cancelled wait leaves the stream usable", async () => {
    const { listener, client, server } = await pair();
    const chunk = new Uint8Array(1 << 20);
    let pending: Promise<void> | undefined;
    const controller = new AbortController();
    for (let i = 0; i < 64 && pending === undefined; i++) {
      const write = client.write(chunk, { signal: controller.signal });
      let settled = false;
      write.then(
        () => (settled = true),
        () => (settled = true),
      );
      await new Promise((resolve) => setImmediate(resolve));
      if (!settled) pending = write;
    }
    expect(pending).toBeDefined();
    controller.abort();
    expect(await rejection(pending as Promise<void>)).toBeInstanceOf(CancelledError);
    let total = 0;
    const drained = (async () => {
      for await (const data of server) total += data.length;
    })();
    await client.end();
    await drained;
    expect(total % (1 << 20)).toBe(0);
    expect(total).toBeGreaterThan(0);
    await Promise.all([client.close(), server.close(), listener.close()]);
  });

  test("connecting to a closed port rejects with ConnectionRefusedError carrying ECONNREFUSED", async () => {
    const listener = await TcpListener.bind();
    const port = listener.port;
    await listener.close();
    const error = (await rejection(TcpStream.connect({ port }))) as ConnectionRefusedError;
    expect(error).toBeInstanceOf(ConnectionRefusedError);
    expect(error.osCode).toBe("ECONNREFUSED");
    expect(error.code).toBe("ZSYNC_CONNECTION_REFUSED");
    expect(error.cause).toBeInstanceOf(Error);
  });

  test("writes after close reject with ResourceClosedError; close is idempotent", async () => {
    const { listener, client, server } = await pair();
    await client.close();
    await client.close();
    expect(await rejection(client.write("x"))).toBeInstanceOf(ResourceClosedError);
    expect(await server.read()).toBeNull();
    await Promise.all([server.close(), listener.close()]);
  });

  test("closing a listener rejects pending accepts and ends its iteration", async () => {
    const listener = await TcpListener.bind();
    const pending = listener.accept();
    const iterated = (async () => {
      const seen: TcpStream[] = [];
      for await (const stream of listener) seen.push(stream);
      return seen.length;
    })();
    await listener.close();
    expect(await rejection(pending)).toBeInstanceOf(ResourceClosedError);
    expect(await iterated).toBe(0);
    expect(await rejection(listener.accept())).toBeInstanceOf(ResourceClosedError);
  });

  test("a cancelled accept takes no connection: the next accept gets it", async () => {
    await using listener = await TcpListener.bind();
    const controller = new AbortController();
    const abandoned = listener.accept({ signal: controller.signal });
    controller.abort();
    expect(await rejection(abandoned)).toBeInstanceOf(CancelledError);
    const client = await TcpStream.connect({ port: listener.port });
    const server = await listener.accept({ timeoutMs: 1000 });
    await client.write("hello");
    expect(text(await server.read())).toBe("hello");
    await Promise.all([client.close(), server.close()]);
  });

  test("a cancelled connect rejects with CancelledError", async () => {
    await using listener = await TcpListener.bind();
    expect(await rejection(TcpStream.connect({ port: listener.port, signal: AbortSignal.abort() }))).toBeInstanceOf(CancelledError);
  });

  describe("writeFlushed: completion means the socket released the buffers", () => {
    test("a buffer overwritten as soon as each writeFlushed resolves still arrives intact", async () => {
      const { listener, client, server } = await pair();
      // Small writes to a peer that is not reading yet: once the kernel's buffers are full, each one
      // waits inside the socket while it is under the socket's highWaterMark (where `write` resolves).
      const buffer = new Uint8Array(4096);
      const rounds = 4096;
      const received = (async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return readAll(server);
      })();
      const mark = (round: number): number => (round % 251) + 1;
      for (let round = 0; round < rounds; round++) {
        buffer.fill(mark(round));
        await client.writeFlushed(buffer);
      }
      buffer.fill(0);
      await client.end();
      const all = await received;
      expect(all.length).toBe(rounds * buffer.length);
      let intact = 0;
      for (let round = 0; round < rounds; round++) {
        const slice = all.subarray(round * buffer.length, (round + 1) * buffer.length);
        if (slice.every((b) => b === mark(round))) intact++;
      }
      expect(intact).toBe(rounds);
      await Promise.all([client.close(), server.close(), listener.close()]);
    });

    test("stays pending while the peer does not read, and resolves once it does", async () => {
      const { listener, client, server } = await pair();
      const flushed = observe(client.writeFlushed(new Uint8Array(STUCK_BYTES)));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(flushed.status).toBe("pending");
      let total = 0;
      while (total < STUCK_BYTES) total += (await server.read())?.length ?? 0;
      await settle();
      expect(flushed.status).toBe("fulfilled");
      await Promise.all([client.close(), server.close(), listener.close()]);
    });

    test("several buffers go out in order as one write", async () => {
      const { listener, client, server } = await pair();
      await client.writeFlushed([Buffer.from("one,"), new Uint8Array([116, 119, 111, 44]), Buffer.from("three")]);
      await client.writeFlushed([]);
      await client.end();
      expect((await readAll(server)).toString()).toBe("one,two,three");
      await Promise.all([client.close(), server.close(), listener.close()]);
    });

    test("cancelling stops the wait, not the bytes; a later writeFlushed resolves after them", async () => {
      const { listener, client, server } = await pair();
      const controller = new AbortController();
      const abandoned = client.writeFlushed(new Uint8Array(STUCK_BYTES).fill(7), { signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 20));
      controller.abort();
      expect(await rejection(abandoned)).toBeInstanceOf(CancelledError);
      const later = observe(client.writeFlushed(Buffer.from("after")));
      const all = readAll(server);
      await new Promise<void>((resolve) => {
        const check = (): void => void (later.status === "pending" ? setTimeout(check, 5) : resolve());
        check();
      });
      expect(later.status).toBe("fulfilled");
      await client.end();
      const bytes = await all;
      expect(bytes.length).toBe(STUCK_BYTES + 5);
      expect(bytes.subarray(0, STUCK_BYTES).every((b) => b === 7)).toBe(true);
      expect(bytes.subarray(STUCK_BYTES).toString()).toBe("after");
      await Promise.all([client.close(), server.close(), listener.close()]);
    });

    test("times out with TimeoutError while the bytes stay queued", async () => {
      const { listener, client, server } = await pair();
      expect(await rejection(client.writeFlushed(new Uint8Array(STUCK_BYTES), { timeoutMs: 20 }))).toBeInstanceOf(TimeoutError);
      const all = readAll(server);
      await client.end();
      expect((await all).length).toBe(STUCK_BYTES);
      await Promise.all([client.close(), server.close(), listener.close()]);
    });

    test("a write still queued when the stream closes rejects with ResourceClosedError", async () => {
      const { listener, client, server } = await pair();
      const pending = rejection(client.writeFlushed(new Uint8Array(STUCK_BYTES)));
      const alsoPending = rejection(client.writeFlushed([Buffer.from("a"), Buffer.from("b")]));
      await new Promise((resolve) => setTimeout(resolve, 20));
      await client.close();
      expect(await pending).toBeInstanceOf(ResourceClosedError);
      expect(await alsoPending).toBeInstanceOf(ResourceClosedError);
      expect(await rejection(client.writeFlushed(Buffer.from("late")))).toBeInstanceOf(ResourceClosedError);
      await Promise.all([server.close(), listener.close()]);
    });

    test("refuses data that is not bytes with a TypeError, sending nothing", async () => {
      const { listener, client, server } = await pair();
      expect(await rejection(client.writeFlushed("text" as unknown as Uint8Array))).toBeInstanceOf(TypeError);
      expect(await rejection(client.writeFlushed([Buffer.from("ok"), 5] as unknown as Uint8Array[]))).toBeInstanceOf(TypeError);
      await client.end();
      expect((await readAll(server)).length).toBe(0);
      await Promise.all([client.close(), server.close(), listener.close()]);
    });
  });
});
