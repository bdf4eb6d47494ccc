/**
 * `TlsListener` runs handshakes concurrently: a client that connects and
 * says nothing (or something wrong) delays no other client, is cut off
 * after `handshakeTimeoutMs`, and is counted; at most
 * `maxPendingHandshakes` connections are held at once.
 */
import { TimeoutError } from "@zsync/runtime";
import { TcpStream } from "@zsync/runtime/node";
import { describe, expect, onTestFinished, test } from "vitest";
import { TlsClosedError, TlsListener, type TlsListenOptions, TlsPeerAlertError, TlsStream } from "../../src/tls/index.js";
import { testPki } from "./support.js";

const pki = testPki();
const credentials = { certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem };
const client = { serverName: "localhost", ca: pki.ca.certificatePem } as const;

async function listen(
  options: Partial<TlsListenOptions> = {},
): Promise<{ listener: TlsListener; failures: unknown[]; nextFailure: () => Promise<unknown> }> {
  const failures: unknown[] = [];
  let notify: (() => void) | undefined;
  const listener = await TlsListener.bind({
    credentials,
    onHandshakeError: (error) => {
      failures.push(error);
      notify?.();
    },
    ...options,
  });
  onTestFinished(() => listener.close());
  let taken = 0;
  /** The next failure not yet returned, waiting for it if need be. */
  const nextFailure = async (): Promise<unknown> => {
    while (failures.length <= taken) await new Promise<void>((resolve) => (notify = resolve));
    return failures[taken++];
  };
  return { listener, failures, nextFailure };
}

async function silent(port: number): Promise<TcpStream> {
  const tcp = await TcpStream.connect({ port });
  onTestFinished(() => tcp.close());
  return tcp;
}

/** Yields to the event loop until `condition` holds (bounded, so a bug fails instead of hanging). */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
}

describe("TlsListener", () => {
  test("a silent client does not block accept() for the next one", async () => {
    const { listener } = await listen({ handshakeTimeoutMs: 60_000 });
    await silent(listener.port);
    const accepting = listener.accept({ timeoutMs: 10_000 });
    await until(() => listener.stats.handshakesStarted === 1);
    const connecting = TlsStream.connect({ port: listener.port, ...client });
    await using s = await accepting;
    await using c = await connecting;
    await c.write("through");
    expect(new TextDecoder().decode((await s.read()) ?? new Uint8Array())).toBe("through");
    expect(listener.stats).toMatchObject({ handshakesStarted: 2, handshakesCompleted: 1, pendingHandshakes: 1, handshakesFailed: 0 });
  });

  test("a silent client is cut off after handshakeTimeoutMs, counted, and its socket closed", async () => {
    const { listener, nextFailure } = await listen({ handshakeTimeoutMs: 100 });
    const tcp = await silent(listener.port);
    const accepting = listener.accept().catch((e: unknown) => e);
    expect(await nextFailure()).toBeInstanceOf(TimeoutError);
    expect(listener.stats).toMatchObject({ handshakesFailed: 1, handshakesTimedOut: 1, pendingHandshakes: 0 });
    expect(await tcp.read({ timeoutMs: 3000 })).toBeNull(); // the server hung up
    await listener.close();
    expect(await accepting).toBeInstanceOf(TlsClosedError);
  });

  test("a failed handshake is counted and reported; accept() returns the next good connection", async () => {
    const { listener, nextFailure } = await listen({ alpnProtocols: ["h2"] });
    const accepting = listener.accept({ timeoutMs: 10_000 });
    const refused = await TlsStream.connect({ port: listener.port, ...client, alpnProtocols: ["nope"] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TlsPeerAlertError);
    expect((await nextFailure()) as { alertName: string }).toMatchObject({ alertName: "no_application_protocol" });
    const connecting = TlsStream.connect({ port: listener.port, ...client, alpnProtocols: ["h2"] });
    await using s = await accepting;
    await using _c = await connecting;
    expect(s.alpnProtocol).toBe("h2");
    expect(listener.stats).toMatchObject({ handshakesStarted: 2, handshakesCompleted: 1, handshakesFailed: 1, handshakesTimedOut: 0 });
  });

  test("holds at most maxPendingHandshakes connections; the next waits until a slot frees", async () => {
    const { listener, nextFailure } = await listen({ handshakeTimeoutMs: 60_000, maxPendingHandshakes: 2 });
    const first = await silent(listener.port);
    await silent(listener.port);
    const accepting = listener.accept({ timeoutMs: 20_000 });
    await until(() => listener.stats.pendingHandshakes === 2);
    const connecting = TlsStream.connect({ port: listener.port, ...client });
    // The real client's ClientHello is queued behind the cap: give the loop every chance to (wrongly) take it.
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
    expect(listener.stats.handshakesStarted).toBe(2);
    await first.close(); // its handshake fails (peer closed), freeing a slot
    expect(await nextFailure()).toBeInstanceOf(TlsClosedError);
    await using s = await accepting;
    await using _c = await connecting;
    expect(s.info.cipherSuite).toBeDefined();
    expect(listener.stats.handshakesStarted).toBe(3);
  });

  test("close() rejects a waiting accept() and cancels handshakes in progress without counting them as failures", async () => {
    const { listener, failures } = await listen({ handshakeTimeoutMs: 60_000 });
    const tcp = await silent(listener.port);
    const accepting = listener.accept().catch((e: unknown) => e);
    await until(() => listener.stats.pendingHandshakes === 1);
    await listener.close();
    expect(await accepting).toBeInstanceOf(TlsClosedError);
    expect(await tcp.read({ timeoutMs: 3000 })).toBeNull();
    await until(() => listener.stats.pendingHandshakes === 0);
    expect(failures).toHaveLength(0);
    await expect(listener.accept()).rejects.toBeInstanceOf(TlsClosedError);
  });

  test("bind refuses nonsense limits", async () => {
    await expect(TlsListener.bind({ credentials, handshakeTimeoutMs: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(TlsListener.bind({ credentials, maxPendingHandshakes: 0.5 })).rejects.toBeInstanceOf(RangeError);
  });
});
