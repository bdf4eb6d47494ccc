/**
 * Property: the sans-I/O TLS engines (`TlsClientEngine`, `TlsServerEngine`,
 * and `TlsConnection` around them) read the time only through their
 * injectable `now`, and create no timers or deferred work of any kind.
 *
 * A full handshake with client certificates, a ticket, a resumption with
 * 0-RTT and a KeyUpdate runs with every timer and clock of the process faked:
 * the system clock is set to 1990, before the certificates' validity, while
 * the engines' `now` says today. Anything reading the clock directly would
 * refuse the certificates or misjudge the ticket's age; anything scheduling
 * work would leave a fake timer pending or call a timer function.
 */
import { afterEach, describe, expect, test, vi } from "vitest";
import { getProvider } from "../../src/index.js";
import {
  generateCertificate,
  SessionTicketer,
  TlsCertificateError,
  TlsClientEngine,
  TlsConnection,
  TlsServerEngine,
  type TlsServerOptions,
} from "../../src/tls/index.js";
import { drain, pump, testPki } from "./support.js";

const pki = testPki();
const clientLeaf = generateCertificate({ issuer: pki.ca, commonName: "client" });
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const TIMER_FUNCTIONS = ["setTimeout", "setInterval", "setImmediate", "queueMicrotask"] as const;

/** Handshake, ticket, 0-RTT resumption and KeyUpdate, all on clocks given as `now`. */
function conversation(now: () => number): { resumedWithEarlyData: boolean; echoed: string } {
  const server: TlsServerOptions = {
    credentials: { certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem },
    clientAuthentication: "require",
    clientCa: pki.ca.certificatePem,
    sessionTickets: new SessionTicketer(getProvider("node")),
    maxEarlyData: 1024,
    now,
  };
  const clientOptions = {
    serverName: "localhost",
    ca: pki.ca.certificatePem,
    clientCertificate: { certificate: clientLeaf.certificatePem, privateKey: clientLeaf.privateKeyPem },
    now,
  };
  const c1 = new TlsConnection(new TlsClientEngine(clientOptions));
  const s1 = new TlsConnection(new TlsServerEngine(server));
  c1.start();
  pump(c1, s1);
  const [session] = c1.takeSessions();
  if (session === undefined) throw new Error("no ticket");

  const c2 = new TlsConnection(new TlsClientEngine({ ...clientOptions, session, earlyData: true }));
  const s2 = new TlsConnection(new TlsServerEngine(server));
  c2.start();
  c2.writeApplicationData(enc("early"));
  pump(c2, s2);
  c2.updateKeys(true);
  s2.writeApplicationData(enc(`${dec(drain(s2))} and back`));
  pump(c2, s2);
  return { resumedWithEarlyData: s2.info?.resumed === true && s2.info.earlyDataAccepted, echoed: dec(drain(c2)) };
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("the engines' clock and timers", () => {
  test("the conversation completes with real clocks (the control)", () => {
    expect(conversation(Date.now)).toEqual({ resumedWithEarlyData: true, echoed: "early and back" });
  });

  test("the engines' now decides: set to 1990, the certificates are not yet valid", () => {
    const then = Date.UTC(1990, 0, 1);
    expect(() => conversation(() => then)).toThrow(TlsCertificateError);
  });

  test("with the process clock in 1990 and every timer faked, nothing reads the clock and nothing is scheduled", () => {
    const today = Date.now();
    vi.useFakeTimers({
      toFake: [...TIMER_FUNCTIONS, "clearTimeout", "clearInterval", "clearImmediate", "Date", "performance"],
      now: Date.UTC(1990, 0, 1),
    });
    const timers = TIMER_FUNCTIONS.map((name) => vi.spyOn(globalThis, name));
    const clocks = [vi.spyOn(Date, "now"), vi.spyOn(performance, "now")];
    let reads = 0;
    const result = conversation(() => {
      reads++;
      return today;
    });
    expect(result).toEqual({ resumedWithEarlyData: true, echoed: "early and back" });
    expect(reads).toBeGreaterThan(0);
    expect(vi.getTimerCount()).toBe(0);
    for (const spy of [...timers, ...clocks]) expect(spy).not.toHaveBeenCalled();
  });
});
