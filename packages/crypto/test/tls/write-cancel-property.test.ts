/**
 * Property: cancelling a `TlsStream.write` (its `signal`, or `timeoutMs`)
 * ends the wait with a typed rejection and never tears a record. What the
 * peer receives follows from where the write was when it was given up, and
 * the rejection says which:
 * - still queued behind an earlier batch (nothing of it sealed): withdrawn,
 *   `bytesWritten` 0, none of its bytes reach the peer;
 * - already sealed (a write is sealed whole, in one go): its records still
 *   go out, `bytesWritten` is its length, and every byte arrives intact.
 * An already-aborted signal refuses the write before anything is queued.
 * Signal aborts reject with `TlsWriteCancelledError` (a runtime
 * `CancelledError`), deadlines with `TlsWriteTimeoutError` (a runtime
 * `TimeoutError`), as reads do. The stream goes on working in every case.
 */
import { createHash } from "node:crypto";
import { CancelledError, spawn, TimeoutError } from "@zsync/runtime";
import { describe, expect, test } from "vitest";
import { TlsListener, TlsStream, TlsWriteCancelledError, TlsWriteTimeoutError } from "../../src/tls/index.js";
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

/** A connected pair whose server does not read yet, and a client write big enough to fill loopback TCP. */
async function blockedPair(
  recordWorker = false,
): Promise<{ s: TlsStream; c: TlsStream; first: Uint8Array; [Symbol.asyncDispose](): Promise<void> }> {
  const listener = await TlsListener.bind({ credentials });
  const connecting = TlsStream.connect({ port: listener.port, ...client, recordWorker });
  const s = await listener.accept();
  const c = await connecting;
  const first = pattern(FIRST, 1);
  await c.write(first); // sealed and handed to the socket; the server is not reading yet
  return {
    s,
    c,
    first,
    async [Symbol.asyncDispose]() {
      // The server first: a client still waiting on its socket then fails fast instead of hanging.
      await s.close();
      await c.close();
      await listener.close();
    },
  };
}

/** Settles-to-what of a write, observable without awaiting it. */
function watch(p: Promise<void>): { outcome: () => "pending" | "resolved" | unknown; settled: Promise<unknown> } {
  let outcome: "pending" | "resolved" | unknown = "pending";
  const settled = p.then(
    () => {
      outcome = "resolved";
    },
    (error: unknown) => {
      outcome = error;
    },
  );
  return { outcome: () => outcome, settled };
}

const text = async (stream: TlsStream): Promise<string> =>
  new TextDecoder().decode((await stream.read({ timeoutMs: 10_000 })) ?? new Uint8Array());

describe("cancelling a TlsStream write", () => {
  test.each([
    ["sealed inline", false],
    ["sealed on the record worker", true],
  ])(
    "aborted while sealed (%s) and waiting for the socket: rejects at once with bytesWritten = its length; its records all arrive whole",
    async (_name, recordWorker) => {
      await using pair = await blockedPair(recordWorker);
      const { s, c, first } = pair;
      const second = pattern(SECOND, 2);
      const controller = new AbortController();
      const writing = watch(c.write(second, { signal: controller.signal }));
      await turns(5);
      expect(writing.outcome()).toBe("pending"); // sealed, waiting for the first write to leave the socket
      const reason = new Error("user gave up");
      controller.abort(reason);
      await turns(1);
      const error = writing.outcome();
      expect(error).toBeInstanceOf(TlsWriteCancelledError);
      expect(error).toBeInstanceOf(CancelledError);
      expect(error).toMatchObject({ code: "ZSYNC_CANCELLED", reason, bytesWritten: SECOND });

      // The server reads both writes, byte for byte: no torn or missing record.
      expect(await readExactly(s, FIRST + SECOND)).toBe(sha([first, second]));
      await c.write("after");
      expect(await text(s)).toBe("after");
    },
  );

  test("aborted while still queued behind a sealed write: rejects with bytesWritten 0 and none of it is sent", async () => {
    await using pair = await blockedPair();
    const { s, c, first } = pair;
    const second = pattern(SECOND, 2);
    const third = pattern(SECOND, 3);
    const sealed = watch(c.write(second));
    await turns(5); // the second write is sealed and waits for the first; a third one now queues
    const controller = new AbortController();
    const queued = watch(c.write(third, { signal: controller.signal }));
    await turns(5);
    expect(queued.outcome()).toBe("pending");
    controller.abort();
    await turns(1);
    expect(queued.outcome()).toBeInstanceOf(TlsWriteCancelledError);
    expect(queued.outcome()).toMatchObject({ code: "ZSYNC_CANCELLED", bytesWritten: 0 });
    expect(sealed.outcome()).toBe("pending");

    // The peer gets the first two writes and then what comes next: nothing of the withdrawn one.
    const next = c.write("after");
    expect(await readExactly(s, FIRST + SECOND)).toBe(sha([first, second]));
    await sealed.settled;
    expect(sealed.outcome()).toBe("resolved");
    await next;
    expect(await text(s)).toBe("after");
  });

  test("timeoutMs: a queued write times out with bytesWritten 0 (not sent), a sealed one with its length (sent whole)", async () => {
    await using pair = await blockedPair();
    const { s, c, first } = pair;
    const second = pattern(SECOND, 2);
    const third = pattern(SECOND, 3);
    const sealed = watch(c.write(second, { timeoutMs: 50 }));
    await turns(5);
    const queued = watch(c.write(third, { timeoutMs: 50 }));
    // Nothing reads on the server, so only the deadlines can settle these two.
    await Promise.all([sealed.settled, queued.settled]);
    for (const w of [sealed, queued]) {
      expect(w.outcome()).toBeInstanceOf(TlsWriteTimeoutError);
      expect(w.outcome()).toBeInstanceOf(TimeoutError);
    }
    expect(sealed.outcome()).toMatchObject({ code: "ZSYNC_TIMEOUT", ms: 50, bytesWritten: SECOND });
    expect(queued.outcome()).toMatchObject({ code: "ZSYNC_TIMEOUT", ms: 50, bytesWritten: 0 });

    const next = c.write("after"); // resolves once the server drains the first write
    expect(await readExactly(s, FIRST + SECOND)).toBe(sha([first, second]));
    expect(await text(s)).toBe("after");
    await next;
  });

  test("cancelling the calling runtime task gives up its queued write like a signal (bytesWritten 0, nothing sent)", async () => {
    await using pair = await blockedPair();
    const { s, c, first } = pair;
    const second = pattern(SECOND, 2);
    const sealed = watch(c.write(second));
    await turns(5);
    let inner: ReturnType<typeof watch> | undefined;
    const task = spawn(async () => {
      inner = watch(c.write(pattern(SECOND, 3)));
      await inner.settled;
    });
    await turns(5);
    expect(inner?.outcome()).toBe("pending");
    task.cancel("caller gave up");
    await task.then(
      () => undefined,
      () => undefined,
    );
    await inner?.settled;
    expect(inner?.outcome()).toBeInstanceOf(TlsWriteCancelledError);
    expect(inner?.outcome()).toMatchObject({ code: "ZSYNC_CANCELLED", reason: "caller gave up", bytesWritten: 0 });
    // A task cancelled before the call: refused at once.
    const late = spawn(async () => {
      late.cancel();
      return c.write("never");
    });
    await expect(late).rejects.toBeInstanceOf(CancelledError);

    const next = c.write("after");
    expect(await readExactly(s, FIRST + SECOND)).toBe(sha([first, second]));
    await sealed.settled;
    expect(await text(s)).toBe("after");
    await next;
  });

  test("a write whose signal is already aborted is refused with TlsWriteCancelledError and sends nothing", async () => {
    await using listener = await TlsListener.bind({ credentials });
    const connecting = TlsStream.connect({ port: listener.port, ...client });
    await using s = await listener.accept();
    await using c = await connecting;
    const reason = new Error("already");
    const refused = c.write("never", { signal: AbortSignal.abort(reason) });
    await expect(refused).rejects.toBeInstanceOf(TlsWriteCancelledError);
    await expect(refused).rejects.toMatchObject({ code: "ZSYNC_CANCELLED", reason, bytesWritten: 0 });
    await c.write("only this");
    expect(await text(s)).toBe("only this");
  });

  test("a signal or deadline that outlives its write changes nothing", async () => {
    await using listener = await TlsListener.bind({ credentials });
    const connecting = TlsStream.connect({ port: listener.port, ...client });
    await using s = await listener.accept();
    await using c = await connecting;
    const controller = new AbortController();
    await c.write("one", { signal: controller.signal, timeoutMs: 10_000 });
    controller.abort();
    await c.write("two");
    let got = "";
    while (got.length < 6) got += await text(s);
    expect(got).toBe("onetwo");
  });

  test("timeoutMs must be a non-negative number", async () => {
    await using listener = await TlsListener.bind({ credentials });
    const connecting = TlsStream.connect({ port: listener.port, ...client });
    await using _s = await listener.accept();
    await using c = await connecting;
    await expect(c.write("x", { timeoutMs: -1 })).rejects.toBeInstanceOf(RangeError);
    await expect(c.write("x", { timeoutMs: Number.NaN })).rejects.toBeInstanceOf(RangeError);
  });
});
