import { describe, expect, onTestFinished, test, vi } from "vitest";
import { CancelledError, TimeoutError } from "../../src/errors.js";
import { AddressInUseError, ResourceClosedError } from "../../src/node/errors.js";
import { UdpSocket } from "../../src/node/udp.js";
import { spawn } from "../../src/task.js";
import { observe, rejection } from "../observe.js";

/** Polls until `check()` holds; a check that never does fails the test by its timeout, not by a guessed deadline. */
const waitUntil = async (check: () => boolean): Promise<void> => {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe("UdpSocket", () => {
  test("sendTo and recvFrom carry data and the sender's address", async () => {
    await using server = await UdpSocket.bind();
    await using client = await UdpSocket.bind();
    await client.sendTo("hello", server.port, "127.0.0.1");
    const datagram = await server.recvFrom({ timeoutMs: 1000 });
    expect(datagram.data.toString()).toBe("hello");
    expect(datagram.port).toBe(client.port);
    await server.sendTo(datagram.data, datagram.port, datagram.address);
    expect((await client.recvFrom({ timeoutMs: 1000 })).data.toString()).toBe("hello");
  });

  test("the receive queue is bounded and counts what it drops", async () => {
    await using server = await UdpSocket.bind({ queueCapacity: 2 });
    await using client = await UdpSocket.bind();
    for (let i = 0; i < 6; i++) await client.sendTo(`${i}`, server.port, "127.0.0.1");
    await waitUntil(() => server.queued + server.dropped === 6);
    expect(server.queued).toBe(2);
    expect(server.dropped).toBe(4);
    expect(server.tryRecvFrom()?.data.toString()).toBe("0");
    expect(server.tryRecvFrom()?.data.toString()).toBe("1");
    expect(server.tryRecvFrom()).toBeUndefined();
  });

  test("a cancelled or timed-out receive takes nothing from the queue", async () => {
    await using server = await UdpSocket.bind();
    await using client = await UdpSocket.bind();
    const controller = new AbortController();
    const abandoned = server.recvFrom({ signal: controller.signal });
    controller.abort();
    expect(await rejection(abandoned)).toBeInstanceOf(CancelledError);
    expect(await rejection(server.recvFrom({ timeoutMs: 10 }))).toBeInstanceOf(TimeoutError);
    await client.sendTo("kept", server.port, "127.0.0.1");
    expect((await server.recvFrom({ timeoutMs: 1000 })).data.toString()).toBe("kept");
  });

  test("close rejects pending receives and ends iteration; later calls reject", async () => {
    const server = await UdpSocket.bind();
    const client = await UdpSocket.bind();
    const pending = server.recvFrom();
    const pendingState = observe(pending);
    const seen: string[] = [];
    const iterated = (async () => {
      for await (const datagram of server) seen.push(datagram.data.toString());
      return seen;
    })();
    await client.sendTo("one", server.port, "127.0.0.1");
    await waitUntil(() => pendingState.status !== "pending" || seen.length > 0);
    await server.close();
    await server.close();
    const first = await pending.then(
      (d) => d.data.toString(),
      (e: unknown) => e,
    );
    await iterated;
    expect([first, ...seen].filter((x) => x === "one")).toHaveLength(1);
    expect(await rejection(server.recvFrom())).toBeInstanceOf(ResourceClosedError);
    expect(await rejection(server.sendTo("x", client.port, "127.0.0.1"))).toBeInstanceOf(ResourceClosedError);
    await client.close();
  });

  test("receives with the same timeout expire on their own schedule; one that got data never times out", async () => {
    await using server = await UdpSocket.bind();
    await using client = await UdpSocket.bind();
    // Virtual time for the timeouts (datagrams still travel for real), so a
    // loaded machine cannot let the deadlines pass before the datagram arrives.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    onTestFinished(() => void vi.useRealTimers());
    const first = server.recvFrom({ timeoutMs: 200 });
    const served = observe(server.recvFrom({ timeoutMs: 200 }));
    await vi.advanceTimersByTimeAsync(100);
    const later = observe(server.recvFrom({ timeoutMs: 200 }));
    // The oldest wait gets the datagram; the others stay queued behind it.
    await client.sendTo("a", server.port, "127.0.0.1");
    expect((await first).data.toString()).toBe("a");
    expect(served.status).toBe("pending");
    await vi.advanceTimersByTimeAsync(100);
    expect(served.reason).toBeInstanceOf(TimeoutError);
    expect(later.status).toBe("pending");
    await vi.advanceTimersByTimeAsync(100);
    expect(later.reason).toBeInstanceOf(TimeoutError);
    vi.useRealTimers();
    await client.sendTo("b", server.port, "127.0.0.1");
    expect((await server.recvFrom({ timeoutMs: 1000 })).data.toString()).toBe("b");
  });

  test("iteration inside a task ends with CancelledError when the task is cancelled", async () => {
    await using server = await UdpSocket.bind();
    await using client = await UdpSocket.bind();
    const seen: string[] = [];
    const task = spawn(async () => {
      for await (const datagram of server) seen.push(datagram.data.toString());
    });
    await client.sendTo("x", server.port, "127.0.0.1");
    await waitUntil(() => seen.length === 1);
    task.cancel("stop");
    expect(await rejection(task)).toBeInstanceOf(CancelledError);
    expect(seen).toEqual(["x"]);
    // The abandoned wait took nothing: the next datagram is still there.
    await client.sendTo("y", server.port, "127.0.0.1");
    expect((await server.recvFrom({ timeoutMs: 1000 })).data.toString()).toBe("y");
  });

  test("binding a taken port rejects with AddressInUseError", async () => {
    await using taken = await UdpSocket.bind();
    const error = (await rejection(UdpSocket.bind({ port: taken.port }))) as AddressInUseError;
    expect(error).toBeInstanceOf(AddressInUseError);
    expect(error.osCode).toBe("EADDRINUSE");
  });
});

test("queueSendTo sends without a promise and counts failures", async () => {
  await using server = await UdpSocket.bind();
  await using client = await UdpSocket.bind();
  client.queueSendTo("fast", server.port, "127.0.0.1");
  expect((await server.recvFrom({ timeoutMs: 1000 })).data.toString()).toBe("fast");
  client.queueSendTo(new Uint8Array(70_000), server.port, "127.0.0.1");
  await waitUntil(() => client.sendErrors > 0);
  expect(client.sendErrors).toBe(1);
  expect((client.lastSendError as { osCode?: string }).osCode).toBe("EMSGSIZE");
});
