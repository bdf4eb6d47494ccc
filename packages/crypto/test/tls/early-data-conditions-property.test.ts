/**
 * Property: a server accepts 0-RTT only when RFC 9846 §4.2.10 allows it and
 * the ticket is fresh: the PSK is the client's first identity, the connection
 * negotiates the ticket's cipher suite and ALPN protocol, there was no
 * HelloRetryRequest, and the client's view of the ticket's age is within 10 s
 * of the server's. Any other case still resumes, the early data is refused
 * (never delivered under its key) and the client sends it again after the
 * handshake, so the application sees it exactly once.
 *
 * Each accepted case uses a fresh ticket (a ticket's 0-RTT is accepted once),
 * so a refusal below is due to the condition under test. Clocks are the
 * engines' injectable `now`.
 */
import { describe, expect, test } from "vitest";
import { getProvider } from "../../src/index.js";
import type { CipherSuite } from "../../src/tls/handshake/cipher-suites.js";
import type { TlsLevel } from "../../src/tls/handshake/engine.js";
import { KeySchedule } from "../../src/tls/handshake/key-schedule.js";
import {
  cipherSuiteById,
  SessionTicketer,
  TlsClientEngine,
  type TlsClientOptions,
  TlsConnection,
  TlsListener,
  TlsServerEngine,
  type TlsServerOptions,
  type TlsSession,
  TlsStream,
} from "../../src/tls/index.js";
import { RecordLayer } from "../../src/tls/record/record-layer.js";
import { ContentType, ExtensionType } from "../../src/tls/wire/constants.js";
import { decodeOfferedPsks, encodeOfferedPsks } from "../../src/tls/wire/extensions.js";
import { decodeClientHello, encodeClientHello } from "../../src/tls/wire/messages.js";
import { drain, pump, testPki } from "./support.js";

const pki = testPki();
const provider = getProvider("node");
const credentials = { certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem };
const EARLY = new TextEncoder().encode("GET /early");
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Two clocks, moved by the test: the client's and the server's. */
function clocks(): { client: number; server: number } {
  const t = Date.now();
  return { client: t, server: t };
}

interface Setup {
  readonly clock: { client: number; server: number };
  readonly server: TlsServerOptions;
  readonly session: TlsSession;
}

/** A full handshake that leaves a fresh 0-RTT-capable ticket for a server configured as `server`. */
function ticketFrom(server: Partial<TlsServerOptions> = {}, client: Partial<TlsClientOptions> = {}): Setup {
  const clock = clocks();
  const options: TlsServerOptions = {
    credentials,
    sessionTickets: new SessionTicketer(provider),
    maxEarlyData: 16384,
    now: () => clock.server,
    ...server,
  };
  const c = new TlsConnection(
    new TlsClientEngine({ serverName: "localhost", ca: pki.ca.certificatePem, now: () => clock.client, ...client }),
  );
  const s = new TlsConnection(new TlsServerEngine(options));
  c.start();
  pump(c, s);
  const [session] = c.takeSessions();
  if (session === undefined) throw new Error("no ticket");
  expect(session.maxEarlyData).toBe(16384);
  return { clock, server: options, session };
}

/** Resumes with 0-RTT `EARLY`; returns what each side saw. */
function resume(
  setup: Setup,
  client: Partial<TlsClientOptions> = {},
  server: Partial<TlsServerOptions> = {},
): { accepted: boolean | undefined; resumed: boolean | undefined; received: string; clientRejected: boolean } {
  const c = new TlsConnection(
    new TlsClientEngine({
      serverName: "localhost",
      ca: pki.ca.certificatePem,
      session: setup.session,
      earlyData: true,
      now: () => setup.clock.client,
      ...client,
    }),
  );
  const s = new TlsConnection(new TlsServerEngine({ ...setup.server, ...server }));
  c.start();
  expect((c.engine as TlsClientEngine).earlyDataOffered).toBe(true);
  c.writeApplicationData(EARLY);
  pump(c, s);
  return {
    accepted: s.info?.earlyDataAccepted,
    resumed: s.info?.resumed,
    received: dec(drain(s)),
    clientRejected: c.earlyDataRejected,
  };
}

describe("0-RTT conditions", () => {
  test("the control: first identity, same suite and ALPN, no HRR, ages agreeing: accepted and delivered once", () => {
    const setup = ticketFrom({ alpnProtocols: ["h2"] }, { alpnProtocols: ["h2"] });
    setup.clock.client += 60_000;
    setup.clock.server += 60_000;
    const r = resume(setup, { alpnProtocols: ["h2"] });
    expect(r).toEqual({ accepted: true, resumed: true, received: "GET /early", clientRejected: false });
  });

  test("another cipher suite (same hash, so the ticket still resumes): refused, re-sent after the handshake", () => {
    const setup = ticketFrom({ cipherSuites: ["TLS_AES_128_GCM_SHA256"] });
    const r = resume(setup, {}, { cipherSuites: ["TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"] });
    expect(r).toEqual({ accepted: false, resumed: true, received: "GET /early", clientRejected: true });
  });

  test("another ALPN protocol: refused, re-sent after the handshake", () => {
    const setup = ticketFrom({ alpnProtocols: ["h2"] }, { alpnProtocols: ["h2"] });
    const r = resume(setup, { alpnProtocols: ["http/1.1", "h2"] }, { alpnProtocols: ["http/1.1", "h2"] });
    expect(r).toEqual({ accepted: false, resumed: true, received: "GET /early", clientRejected: true });
  });

  test.each([
    ["the server's clock 10 s ahead of the client's view", 10_000, true],
    ["the server's clock 10 s behind", -10_000, true],
    ["10.001 s ahead", 10_001, false],
    ["10.001 s behind", -10_001, false],
    ["an hour ahead", 3_600_000, false],
  ])("ticket age: %s: accepted %s", (_name, skew, accepted) => {
    const setup = ticketFrom();
    setup.clock.client += 30_000;
    setup.clock.server += 30_000 + skew;
    const r = resume(setup);
    expect(r).toEqual({ accepted, resumed: true, received: "GET /early", clientRejected: !accepted });
  });
});

/**
 * The ClientHello `client` sends, with its pre_shared_key rewritten to offer `identities`
 * (the client's own ticket among them, with a valid binder; the others with zero binders).
 */
function helloWithIdentities(session: TlsSession, order: "ticket-first" | "ticket-second"): Uint8Array {
  const client = new TlsClientEngine({ serverName: "localhost", ca: pki.ca.certificatePem, session, earlyData: true });
  client.start();
  const event = client.takeEvents().find((e) => e.type === "send");
  if (event?.type !== "send") throw new Error("no ClientHello");
  const hello = decodeClientHello(event.data.subarray(4));
  const suite = cipherSuiteById(session.cipherSuite) as CipherSuite;
  const pskIndex = hello.extensions.list.findIndex((e) => e.type === ExtensionType.PreSharedKey);
  const offered = decodeOfferedPsks((hello.extensions.list[pskIndex] as { data: Uint8Array }).data);
  const ours = offered.identities[0] as { identity: Uint8Array; obfuscatedTicketAge: number };
  const stranger = { identity: provider.randomBytes(ours.identity.length), obfuscatedTicketAge: 1234 };
  const identities = order === "ticket-first" ? [ours, stranger] : [stranger, ours];
  const zeroBinders = identities.map(() => new Uint8Array(suite.hashLength));
  const encode = (binders: Uint8Array[]): Uint8Array => {
    const extensions = hello.extensions.list.map((e, i) =>
      i === pskIndex ? { type: e.type, data: encodeOfferedPsks(identities, binders) } : e,
    );
    return encodeClientHello(hello.random, hello.sessionId, hello.cipherSuites, extensions);
  };
  const draft = encode(zeroBinders);
  // RFC 9846 §4.2.11.2: each binder covers the ClientHello up to the binders list.
  const bindersLength = 2 + zeroBinders.reduce((n, b) => n + 1 + b.length, 0);
  const schedule = new KeySchedule(provider, suite);
  schedule.inputPsk(session.psk);
  const binder = schedule.finishedMac(
    schedule.resumptionBinderKey(),
    provider.hash(suite.hash, draft.subarray(0, draft.length - bindersLength)),
  );
  return encode(identities.map((id) => (id === ours ? binder : new Uint8Array(suite.hashLength))));
}

describe("0-RTT and the offered identities", () => {
  test.each([
    ["the ticket as the first identity (the control)", "ticket-first", true],
    ["the ticket as the second identity", "ticket-second", false],
  ] as const)("%s: resumed, 0-RTT accepted %s", (_name, order, accepted) => {
    const setup = ticketFrom();
    const server = new TlsServerEngine(setup.server);
    server.handle("initial", helloWithIdentities(setup.session, order));
    const events = server.takeEvents();
    expect(events).toContainEqual({ type: "early-data", accepted });
    // Resumed with the ticket either way: the server's flight carries no certificate, only its Finished.
    expect(events.filter((e) => e.type === "send" && e.level === "handshake")).toHaveLength(2);
  });
});

/**
 * A TLS-over-TCP client driver for one engine, written out here for the HelloRetryRequest
 * case: when the server refuses 0-RTT by retrying, the client's writes go back to plaintext
 * records for its second ClientHello (a fresh record layer: the early key is dropped).
 */
class RetryingClient {
  readonly engine: TlsClientEngine;
  #write = new RecordLayer(provider);
  readonly #read = new RecordLayer(provider);
  #writeLevel: TlsLevel = "initial";
  #readLevel: TlsLevel = "initial";
  #out: Uint8Array[] = [];
  readonly received: Uint8Array[] = [];
  earlyDataRefused = false;

  constructor(options: TlsClientOptions) {
    this.engine = new TlsClientEngine(options);
  }

  start(): void {
    this.engine.start();
    this.#drain();
  }

  write(data: Uint8Array): void {
    this.#out.push(this.#write.seal(ContentType.ApplicationData, data));
  }

  take(): Uint8Array[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  receive(bytes: Uint8Array): void {
    this.#read.push(bytes);
    for (let r = this.#read.next(); r !== undefined; r = this.#read.next()) {
      if (r.type === ContentType.Handshake) {
        this.engine.handle(this.#readLevel, r.data);
        this.#drain();
      } else if (r.type === ContentType.ApplicationData) this.received.push(r.data.slice());
      else if (r.type === ContentType.Alert) throw new Error(`alert ${r.data[1]}`);
    }
  }

  #drain(): void {
    for (const e of this.engine.takeEvents()) {
      if (e.type === "send") {
        if (e.level !== this.#writeLevel) throw new Error(`send at ${e.level} while writing ${this.#writeLevel}`);
        if (this.#writeLevel === "initial") this.#out.push(Uint8Array.of(22, 3, 3, e.data.length >> 8, e.data.length & 0xff, ...e.data));
        else this.#write.sealAll(ContentType.Handshake, e.data, this.#out);
      } else if (e.type === "change-cipher-spec") this.#out.push(Uint8Array.of(20, 3, 3, 0, 1, 1));
      else if (e.type === "secret" && e.direction === "write") {
        this.#write.setWriteKey(e.suite, e.secret);
        this.#writeLevel = e.level;
      } else if (e.type === "secret") {
        this.#read.setReadKey(e.suite, e.secret);
        this.#readLevel = e.level;
      } else if (e.type === "early-data" && !e.accepted) {
        this.earlyDataRefused = true;
        if (this.#writeLevel === "early") {
          this.#write = new RecordLayer(provider);
          this.#writeLevel = "initial";
        }
      }
    }
  }
}

describe("0-RTT and HelloRetryRequest", () => {
  const retrying = { groups: ["x25519", "secp256r1"], keyShares: ["x25519"] } as const;

  test("the server engine refuses 0-RTT when it answers with a HelloRetryRequest", () => {
    const setup = ticketFrom();
    const client = new TlsClientEngine({
      serverName: "localhost",
      ca: pki.ca.certificatePem,
      session: setup.session,
      earlyData: true,
      ...retrying,
    });
    client.start();
    const hello = client.takeEvents().find((e) => e.type === "send");
    if (hello?.type !== "send") throw new Error("no ClientHello");
    const server = new TlsServerEngine({ ...setup.server, groups: ["secp256r1"] });
    server.handle("initial", hello.data);
    const events = server.takeEvents();
    expect(events).toContainEqual({ type: "early-data", accepted: false });
    expect(events.filter((e) => e.type === "secret")).toEqual([]); // a HelloRetryRequest: no keys yet
  });

  test("the server skips the early records, resumes after the retry, and the data sent again arrives once", () => {
    const setup = ticketFrom();
    const c = new RetryingClient({
      serverName: "localhost",
      ca: pki.ca.certificatePem,
      session: setup.session,
      earlyData: true,
      ...retrying,
    });
    const s = new TlsConnection(new TlsServerEngine({ ...setup.server, groups: ["secp256r1"] }));
    c.start();
    c.write(EARLY); // 0-RTT, under the early key
    for (let round = 0; round < 10 && !(c.engine.handshakeComplete && s.handshakeComplete); round++) {
      for (const b of c.take()) s.receive(b);
      for (const b of s.takeOutgoing()) c.receive(b);
    }
    expect(c.earlyDataRefused).toBe(true);
    expect(s.info).toMatchObject({ helloRetried: true, resumed: true, earlyDataAccepted: false });
    expect(dec(drain(s))).toBe("");
    c.write(EARLY); // again, after the handshake, under the application key
    for (const b of c.take()) s.receive(b);
    expect(dec(drain(s))).toBe("GET /early");
  });

  test("a TlsConnection client refused by the retry: plaintext second ClientHello, early data re-sent once after the handshake", () => {
    const setup = ticketFrom();
    const c = new TlsConnection(
      new TlsClientEngine({ serverName: "localhost", ca: pki.ca.certificatePem, session: setup.session, earlyData: true, ...retrying }),
    );
    const s = new TlsConnection(new TlsServerEngine({ ...setup.server, groups: ["secp256r1"] }));
    c.start();
    c.writeApplicationData(EARLY);
    // The first flight: plaintext ClientHello, CCS, then the 0-RTT record (outer type application_data).
    const flight = c.takeOutgoing();
    expect(flight.map((r) => r[0])).toEqual([ContentType.Handshake, ContentType.ChangeCipherSpec, ContentType.ApplicationData]);
    for (const b of flight) s.receive(b);
    const retry = s.takeOutgoing();
    for (const b of retry) c.receive(b);
    // The second ClientHello is a plaintext handshake record, not sealed under the early key.
    const second = c.takeOutgoing();
    expect(second.map((r) => r[0])).toEqual([ContentType.Handshake]);
    expect(c.earlyDataRejected).toBe(true);
    for (const b of second) s.receive(b);
    pump(c, s);
    expect(c.info).toMatchObject({ helloRetried: true, resumed: true, earlyDataAccepted: false });
    expect(s.info).toMatchObject({ helloRetried: true, resumed: true, earlyDataAccepted: false });
    expect(dec(drain(s))).toBe("GET /early");
    c.writeApplicationData(new TextEncoder().encode(" then more"));
    pump(c, s);
    expect(dec(drain(s))).toBe(" then more");
  });

  test("a TlsStream client over TCP, our server forced to retry: resumed, the early data read once, the stream goes on", async () => {
    await using listener = await TlsListener.bind({ credentials, maxEarlyData: 4096, groups: ["secp256r1"] });
    const tcpClient = { serverName: "localhost", ca: pki.ca.certificatePem } as const;
    const first = TlsStream.connect({ port: listener.port, ...tcpClient });
    const s1 = await listener.accept();
    const c1 = await first;
    const session = await c1.waitForSession({ timeoutMs: 5000 });
    await c1.close();
    await s1.close();
    expect(session?.maxEarlyData).toBe(4096);

    const connecting = TlsStream.connect({
      port: listener.port,
      ...tcpClient,
      ...retrying,
      session,
      earlyData: true,
      earlyDataBytes: EARLY,
    });
    await using s = await listener.accept({ timeoutMs: 5000 });
    await using c = await connecting;
    expect(c.info).toMatchObject({ helloRetried: true, resumed: true, earlyDataAccepted: false });
    expect(s.info).toMatchObject({ helloRetried: true, resumed: true, earlyDataAccepted: false });
    await c.write(" then more");
    await c.end();
    let text = "";
    for (let chunk = await s.read({ timeoutMs: 5000 }); chunk !== null; chunk = await s.read({ timeoutMs: 5000 })) text += dec(chunk);
    expect(text).toBe("GET /early then more");
  });
});
