import { describe, expect, test } from "vitest";
import { CancelledError, TimeoutError } from "../../src/errors.js";
import { ConnectionRefusedError, ResourceClosedError } from "../../src/node/errors.js";
import { TcpListener, TcpStream } from "../../src/node/tcp.js";
import { rejection } from "../observe.js";

const text = (bytes: Uint8Array | null): string => (bytes === null ? "<eof>" : Buffer.from(bytes).toString());

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
});
