/**
 * Property: cancelling a `TlsStream.write` never tears a record. A write is
 * sealed into whole records as soon as it is issued; aborting its `signal`
 * afterwards does not take those records back: every byte of it reaches the
 * peer intact and in order, and the stream goes on working. A write whose
 * signal is already aborted is refused before anything is queued.
 *
 * What the abort does to the write's own promise: nothing. It settles when
 * the write's records are out, as if no signal had been given (the signal
 * is only looked at when the write is issued).
 */
import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import { TlsListener, TlsStream } from "../../src/tls/index.js";
import { testPki } from "./support.js";

const pki = testPki();
const credentials = { certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem };
const client = { serverName: "localhost", ca: pki.ca.certificatePem } as const;
/** More than loopback TCP buffers hold, so a later write must wait while the peer does not read. */
const FIRST = 32 * 1024 * 1024;
const SECOND = 1024 * 1024 + 5;

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed + (i >>> 13)) & 0xff;
  return out;
}

const sha = (parts: Uint8Array[]): string => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
};

async function readExactly(stream: TlsStream, n: number): Promise<string> {
  const h = createHash("sha256");
  let got = 0;
  while (got < n) {
    const chunk = await stream.read({ timeoutMs: 10_000 });
    if (chunk === null) throw new Error(`stream ended after ${got} of ${n} bytes`);
    const take = chunk.subarray(0, n - got);
    expect(take.length).toBe(chunk.length); // nothing beyond what was written
    h.update(take);
    got += take.length;
  }
  return h.digest("hex");
}

const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe("cancelling a TlsStream write", () => {
  test("aborted while waiting for the socket: its records all arrive whole, and the stream goes on", async () => {
    await using listener = await TlsListener.bind({ credentials });
    const connecting = TlsStream.connect({ port: listener.port, ...client });
    await using s = await listener.accept();
    await using c = await connecting;

    const first = pattern(FIRST, 1);
    const second = pattern(SECOND, 2);
    await c.write(first); // sealed and handed to the socket; the server is not reading yet
    const controller = new AbortController();
    let outcome: "resolved" | "rejected" | undefined;
    const writing = c.write(second, { signal: controller.signal }).then(
      () => {
        outcome = "resolved";
      },
      () => {
        outcome = "rejected";
      },
    );
    await turns(5);
    expect(outcome).toBeUndefined(); // waiting for the first write to leave the socket
    controller.abort();
    await turns(5);
    expect(outcome).toBeUndefined(); // the abort does not cut it short

    // The server reads both writes, byte for byte: no torn or missing record.
    expect(await readExactly(s, FIRST + SECOND)).toBe(sha([first, second]));
    await writing;
    expect(outcome).toBe("resolved");
    await c.write("after");
    expect(new TextDecoder().decode((await s.read({ timeoutMs: 10_000 })) ?? new Uint8Array())).toBe("after");
  });

  test("a write whose signal is already aborted is refused and sends nothing", async () => {
    await using listener = await TlsListener.bind({ credentials });
    const connecting = TlsStream.connect({ port: listener.port, ...client });
    await using s = await listener.accept();
    await using c = await connecting;
    await expect(c.write("never", { signal: AbortSignal.abort() })).rejects.toBeDefined();
    await c.write("only this");
    expect(new TextDecoder().decode((await s.read({ timeoutMs: 10_000 })) ?? new Uint8Array())).toBe("only this");
  });
});
