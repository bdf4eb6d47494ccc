/**
 * Property: 0-RTT data the server refuses is not lost and not doubled over
 * real TCP. `TlsStream.connect` with `earlyData` sends `earlyDataBytes` as
 * 0-RTT; when the server refuses them (here: a replayed ticket, whose 0-RTT
 * was already taken), the server skips those records and the client stream
 * sends the same bytes again after the handshake, so the server application
 * reads them exactly once, followed by what the client writes next.
 */
import { describe, expect, test } from "vitest";
import { TlsListener, TlsStream } from "../../src/tls/index.js";
import { testPki } from "./support.js";

const pki = testPki();
const credentials = { certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem };
const client = { serverName: "localhost", ca: pki.ca.certificatePem } as const;
const dec = (b: Uint8Array | null): string => new TextDecoder().decode(b ?? new Uint8Array());

/** Reads until `expected` bytes arrived (or the stream ended). */
async function readText(stream: TlsStream, expected: number): Promise<string> {
  let text = "";
  while (text.length < expected) {
    const chunk = await stream.read({ timeoutMs: 5000 });
    if (chunk === null) break;
    text += dec(chunk);
  }
  return text;
}

describe("refused 0-RTT through TlsStream", () => {
  test("a replayed ticket: refused, sent again after the handshake, read once by the server", async () => {
    await using listener = await TlsListener.bind({ credentials, maxEarlyData: 4096 });
    const first = TlsStream.connect({ port: listener.port, ...client });
    const s1 = await listener.accept();
    const c1 = await first;
    const session = await c1.waitForSession({ timeoutMs: 5000 });
    await c1.close();
    await s1.close();

    const early = { session, earlyData: true, earlyDataBytes: new TextEncoder().encode("GET /early") } as const;
    // The ticket's one 0-RTT acceptance (the control).
    const accepted = TlsStream.connect({ port: listener.port, ...client, ...early });
    await using s2 = await listener.accept();
    await using c2 = await accepted;
    expect(s2.info.earlyDataAccepted).toBe(true);
    expect(c2.info.earlyDataAccepted).toBe(true);
    expect(await readText(s2, 10)).toBe("GET /early");

    // The same ticket again: resumed, 0-RTT refused.
    const replayed = TlsStream.connect({ port: listener.port, ...client, ...early });
    await using s3 = await listener.accept();
    await using c3 = await replayed;
    expect(s3.info).toMatchObject({ resumed: true, earlyDataAccepted: false });
    expect(c3.info).toMatchObject({ resumed: true, earlyDataAccepted: false });
    await c3.write(" then more");
    await c3.end();
    expect(await readText(s3, Number.POSITIVE_INFINITY)).toBe("GET /early then more");
  });
});
