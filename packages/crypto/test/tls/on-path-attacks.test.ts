/**
 * An on-path attacker between our real client and our real server (the
 * MITM proxy on loopback), in both directions: unprotected records injected
 * after the keys are in use, a FIN without close_notify, handshake messages
 * with other records spliced between their fragments, and change_cipher_spec
 * floods. The protected-level interleaving cases re-seal records with keys
 * from the server's key log, standing for a peer that does this itself.
 */
import { TcpListener } from "@zsync/runtime/node";
import { describe, expect, onTestFinished, test } from "vitest";
import { getProvider } from "../../src/index.js";
import {
  cipherSuiteByName,
  type TlsAcceptOptions,
  type TlsConnectOptions,
  type TlsError,
  TlsLimitError,
  TlsListener,
  TlsPeerAlertError,
  TlsProtocolError,
  TlsStream,
  TlsTruncatedError,
} from "../../src/tls/index.js";
import { RecordLayer } from "../../src/tls/record/record-layer.js";
import { ContentType } from "../../src/tls/wire/constants.js";
import { type MitmProxy, startMitmProxy, type Toward } from "./proxy.js";
import { testPki } from "./support.js";

const pki = testPki();
const credentials = { certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem };
const client = { serverName: "localhost", ca: pki.ca.certificatePem } as const;
const SUITE = "TLS_AES_128_GCM_SHA256";
const text = (b: Uint8Array | null): string => new TextDecoder().decode(b ?? new Uint8Array());

/** An unprotected close_notify: what a truncation attacker injects. */
const PLAINTEXT_CLOSE_NOTIFY = Uint8Array.of(0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00);
const CCS = Uint8Array.of(0x14, 0x03, 0x03, 0x00, 0x01, 0x01);
const record = (type: number, body: Uint8Array): Uint8Array =>
  Buffer.concat([Uint8Array.of(type, 3, 3, body.length >> 8, body.length & 0xff), body]);

interface Pair {
  readonly proxy: MitmProxy;
  readonly c: TlsStream;
  readonly s: TlsStream;
  readonly secrets: Map<string, Uint8Array>;
}

/** Our client ↔ proxy ↔ our server, handshake done and data exchanged both ways (so every ticket has arrived). */
async function connectedPair(serverOptions: Partial<TlsAcceptOptions> = {}): Promise<Pair> {
  const secrets = new Map<string, Uint8Array>();
  const listener = await TlsListener.bind({
    credentials,
    cipherSuites: [SUITE],
    keyLog: (label, _random, secret) => secrets.set(label, secret.slice()),
    ...serverOptions,
  });
  const proxy = await startMitmProxy(listener.port);
  const connecting = TlsStream.connect({ port: proxy.port, ...client });
  const s = await listener.accept();
  const c = await connecting;
  onTestFinished(async () => {
    await Promise.all([c.close(), s.close()]);
    await proxy.close();
    await listener.close();
  });
  return { proxy, c, s, secrets };
}

async function exchange({ c, s }: Pair): Promise<void> {
  await s.write("from server");
  expect(text(await c.read())).toBe("from server");
  await c.write("from client");
  expect(text(await s.read())).toBe("from client");
}

/** Our client ↔ proxy ↔ our server over a plain TcpListener, returning both handshake outcomes. */
async function handshakeThrough(
  setup: (proxy: MitmProxy) => void,
  clientOptions: Partial<TlsConnectOptions> = {},
): Promise<{ server: unknown; client: unknown }> {
  const tcp = await TcpListener.bind({ port: 0 });
  const proxy = await startMitmProxy(tcp.port);
  onTestFinished(async () => {
    await proxy.close();
    await tcp.close();
  });
  setup(proxy);
  const connecting = TlsStream.connect({ port: proxy.port, ...client, cipherSuites: [SUITE], ...clientOptions }).catch((e: unknown) => e);
  const server = await TlsStream.accept(await tcp.accept(), { credentials }).catch((e: unknown) => e);
  const result = { server, client: await connecting };
  for (const side of [result.server, result.client]) if (side instanceof TlsStream) await side.close();
  return result;
}

/** Rewrites only the first record going `toward` whose content type is `type`. */
function once(proxy: MitmProxy, toward: Toward, type: number, rewrite: (r: Uint8Array) => Uint8Array[]): void {
  proxy.rewrite(toward, (r) => {
    if (r[0] !== type) return [r];
    proxy.rewrite(toward, undefined);
    return rewrite(r);
  });
}

function expectAlert(error: unknown, cls: new (...args: never[]) => TlsError, alertName: string, message?: RegExp): void {
  expect(error).toBeInstanceOf(cls);
  expect((error as TlsError).alertName).toBe(alertName);
  if (message !== undefined) expect((error as TlsError).message).toMatch(message);
}

describe("truncation: an injected plaintext close_notify is not a clean end", () => {
  test.each(["client", "server"] as const)("toward the %s: read() fails with unexpected_message, not null", async (toward) => {
    const pair = await connectedPair();
    await exchange(pair);
    pair.proxy.inject(toward, PLAINTEXT_CLOSE_NOTIFY);
    pair.proxy.end(toward);
    const victim = toward === "client" ? pair.c : pair.s;
    const error = await victim.read().then(
      (chunk) => chunk,
      (e: unknown) => e,
    );
    expectAlert(error, TlsProtocolError, "unexpected_message", /unprotected record of type 21/);
  });

  test.each(["client", "server"] as const)("toward the %s: a plaintext fatal alert is refused, not taken as the peer's", async (toward) => {
    const pair = await connectedPair();
    await exchange(pair);
    pair.proxy.inject(toward, Uint8Array.of(0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28));
    const victim = toward === "client" ? pair.c : pair.s;
    expectAlert(await victim.read().catch((e: unknown) => e), TlsProtocolError, "unexpected_message");
  });

  test.each(["client", "server"] as const)("toward the %s: FIN without close_notify is TlsTruncatedError", async (toward) => {
    const pair = await connectedPair();
    await exchange(pair);
    pair.proxy.end(toward);
    const victim = toward === "client" ? pair.c : pair.s;
    await expect(victim.read()).rejects.toBeInstanceOf(TlsTruncatedError);
  });

  test.each(["client", "server"] as const)("toward the %s: FIN inside a record is TlsTruncatedError", async (toward) => {
    const pair = await connectedPair();
    await exchange(pair);
    pair.proxy.inject(toward, Uint8Array.of(0x17, 0x03, 0x03, 0x00, 0x20, 1, 2, 3));
    pair.proxy.end(toward);
    const victim = toward === "client" ? pair.c : pair.s;
    await expect(victim.read()).rejects.toBeInstanceOf(TlsTruncatedError);
  });

  test("a client refusing the ServerHello still alerts the server in plaintext", async () => {
    // The one plaintext alert allowed after a read key is installed: the server's handshake key, before its first record.
    const refused = await handshakeThrough((proxy) =>
      once(proxy, "client", ContentType.Handshake, (r) => {
        const tampered = Buffer.from(r);
        const at = 5 + 4 + 2 + 32 + 1 + 32 + 1; // low byte of ServerHello.cipher_suite
        tampered.writeUInt8(tampered.readUInt8(at) ^ 0xff, at); // a suite the client never offered
        return [tampered];
      }),
    );
    expectAlert(refused.client, TlsProtocolError, "illegal_parameter");
    expectAlert(refused.server, TlsPeerAlertError, "illegal_parameter");
  });
});

describe("interleaving: nothing between the fragments of a handshake message", () => {
  test("toward the server: a ClientHello split around a change_cipher_spec is refused", async () => {
    const { server } = await handshakeThrough((proxy) =>
      once(proxy, "server", ContentType.Handshake, (r) => [record(22, r.subarray(5, 50)), CCS, record(22, r.subarray(50))]),
    );
    expectAlert(server, TlsProtocolError, "unexpected_message", /interleaved/);
  });

  test("toward the client: a ServerHello split around a warning alert is refused", async () => {
    const userCanceled = Uint8Array.of(0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 90);
    const { client: c } = await handshakeThrough((proxy) =>
      once(proxy, "client", ContentType.Handshake, (r) => [record(22, r.subarray(5, 50)), userCanceled, record(22, r.subarray(50))]),
    );
    expectAlert(c, TlsProtocolError, "unexpected_message", /interleaved/);
  });

  /**
   * A KeyUpdate cut in two with an application_data record between, re-sealed
   * under the sender's traffic key from the key log (so only the interleaving
   * is wrong).
   */
  test.each(["client", "server"] as const)("toward the %s: a KeyUpdate split around application data is refused", async (toward) => {
    const pair = await connectedPair({ sessionTickets: false });
    await exchange(pair);
    const sender = toward === "client" ? pair.s : pair.c;
    const victim = toward === "client" ? pair.c : pair.s;
    const secret = pair.secrets.get(toward === "client" ? "SERVER_TRAFFIC_SECRET_0" : "CLIENT_TRAFFIC_SECRET_0") as Uint8Array;
    const provider = getProvider("node");
    const reader = new RecordLayer(provider);
    const writer = new RecordLayer(provider);
    reader.setReadKey(cipherSuiteByName(SUITE), secret);
    writer.setWriteKey(cipherSuiteByName(SUITE), secret);
    // One application record went this way in exchange(): keep both layers in step with it.
    reader.push(writer.seal(ContentType.ApplicationData, new TextEncoder().encode(toward === "client" ? "from server" : "from client")));
    expect(reader.next()?.type).toBe(ContentType.ApplicationData);
    pair.proxy.rewrite(toward, (r) => {
      pair.proxy.rewrite(toward, undefined);
      reader.push(r);
      const inner = reader.next();
      expect(inner?.type).toBe(ContentType.Handshake);
      const keyUpdate = inner?.data as Uint8Array;
      return [
        writer.seal(ContentType.Handshake, keyUpdate.subarray(0, 2)),
        writer.seal(ContentType.ApplicationData, new TextEncoder().encode("spliced")),
        writer.seal(ContentType.Handshake, keyUpdate.subarray(2)),
      ];
    });
    await sender.updateKeys(false);
    const error = await victim.read().then(
      (chunk) => text(chunk),
      (e: unknown) => e,
    );
    expectAlert(error, TlsProtocolError, "unexpected_message", /interleaved/);
  });
});

describe("change_cipher_spec is bounded during the handshake", () => {
  test.each(["client", "server"] as const)("toward the %s: a flood of change_cipher_spec records is refused", async (toward) => {
    const flood = Array.from({ length: 5 }, () => CCS);
    const result = await handshakeThrough((proxy) => once(proxy, toward, ContentType.Handshake, (r) => [r, ...flood]));
    const error = toward === "client" ? result.client : result.server;
    expect(error).toBeInstanceOf(TlsLimitError);
    expect((error as TlsLimitError).limit).toBe("change-cipher-spec");
    expect((error as TlsLimitError).alertName).toBe("unexpected_message");
  });

  test.each(["client", "server"] as const)("toward the %s: one extra change_cipher_spec is still dropped", async (toward) => {
    const result = await handshakeThrough((proxy) => once(proxy, toward, ContentType.Handshake, (r) => [r, CCS]));
    expect(result.client).toBeInstanceOf(TlsStream);
    expect(result.server).toBeInstanceOf(TlsStream);
  });
});
