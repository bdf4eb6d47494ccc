/**
 * The "Simple 1-RTT Handshake" and "Resumed 0-RTT Handshake" example traces
 * reproduced value by value: our transcript and key schedule over the
 * trace's messages give the trace's secrets, keys, IVs, Finished values and
 * PSK binder; our record layer decrypts the trace's protected records; and
 * our server engine, given the trace's ClientHello, server random and
 * server key share, emits the trace's ServerHello and handshake secrets.
 */
import { describe, expect, test } from "vitest";
import { cipherSuiteByName } from "../../src/tls/handshake/cipher-suites.js";
import type { TlsEvent } from "../../src/tls/handshake/engine.js";
import { finishedMac, KeySchedule, ticketPsk, trafficKeys } from "../../src/tls/handshake/key-schedule.js";
import { TlsServerEngine } from "../../src/tls/handshake/server.js";
import { Transcript } from "../../src/tls/handshake/transcript.js";
import { RecordLayer } from "../../src/tls/record/record-layer.js";
import { decodeCertificate, decodeNewSessionTicket } from "../../src/tls/wire/messages.js";
import { PROVIDERS, toHex } from "../support.js";
import { field, traceSection } from "./trace.js";

const suite = cipherSuiteByName("TLS_AES_128_GCM_SHA256");
const simple = traceSection("3.  Simple 1-RTT Handshake");
const resumed = traceSection("4.  Resumed 0-RTT Handshake");

const S = (title: string, name: string, skip = 0): Uint8Array => field(simple, "server", title, name, skip);
const C = (title: string, name: string, skip = 0): Uint8Array => field(simple, "client", title, name, skip);

describe.each(PROVIDERS)("RFC 8448 traces on the $name provider", (provider) => {
  const hex = toHex;

  test("Simple 1-RTT: every secret, key, IV and Finished", () => {
    const ch = C("construct a ClientHello", "ClientHello");
    const sh = S("construct a ServerHello", "ServerHello");
    const ee = S("construct a EncryptedExtensions", "EncryptedExtensions");
    const cert = S("construct a Certificate", "Certificate");
    const cv = S("construct a CertificateVerify", "CertificateVerify");
    const sfin = S("construct a Finished", "Finished");
    const cfin = C("construct a Finished", "Finished");
    const shared = provider.x25519.sharedSecret(
      C("create an ephemeral x25519", "private key"),
      S("create an ephemeral x25519", "public key"),
    );

    const t = new Transcript();
    t.add(ch);
    t.selectHash(provider, "sha256");
    t.add(sh);
    const ks = new KeySchedule(provider, suite);
    ks.inputPsk(undefined);
    expect(hex(ks.secret)).toBe(hex(S('extract secret "early"', "secret")));
    ks.inputSharedSecret(shared);
    expect(hex(ks.secret)).toBe(hex(S('extract secret "handshake"', "secret")));
    const cHs = ks.derive("c hs traffic", t.hash());
    const sHs = ks.derive("s hs traffic", t.hash());
    expect(hex(cHs)).toBe(hex(S('derive secret "tls13 c hs traffic"', "expanded")));
    expect(hex(sHs)).toBe(hex(S('derive secret "tls13 s hs traffic"', "expanded")));
    const hsKeys = trafficKeys(provider, suite, sHs);
    expect(hex(hsKeys.key)).toBe(hex(S("derive write traffic keys for handshake data", "key expanded")));
    expect(hex(hsKeys.iv)).toBe(hex(S("derive write traffic keys for handshake data", "iv expanded")));
    for (const m of [ee, cert, cv]) t.add(m);
    expect(hex(finishedMac(provider, suite, sHs, t.hash()))).toBe(hex(sfin.subarray(4)));
    t.add(sfin);
    ks.toMaster();
    expect(hex(ks.secret)).toBe(hex(S('extract secret "master"', "secret")));
    const cAp = ks.derive("c ap traffic", t.hash());
    const sAp = ks.derive("s ap traffic", t.hash());
    expect(hex(cAp)).toBe(hex(S('derive secret "tls13 c ap traffic"', "expanded")));
    expect(hex(sAp)).toBe(hex(S('derive secret "tls13 s ap traffic"', "expanded")));
    expect(hex(ks.derive("exp master", t.hash()))).toBe(hex(S('derive secret "tls13 exp master"', "expanded")));
    const apKeys = trafficKeys(provider, suite, sAp);
    expect(hex(apKeys.key)).toBe(hex(S("derive write traffic keys for application data", "key expanded")));
    expect(hex(apKeys.iv)).toBe(hex(S("derive write traffic keys for application data", "iv expanded")));
    expect(hex(finishedMac(provider, suite, cHs, t.hash()))).toBe(hex(cfin.subarray(4)));
    t.add(cfin);
    const res = ks.derive("res master", t.hash());
    expect(hex(res)).toBe(hex(C('derive secret "tls13 res master"', "expanded")));
    const nst = decodeNewSessionTicket(S("construct a NewSessionTicket", "NewSessionTicket").subarray(4));
    expect(hex(ticketPsk(provider, suite, res, nst.nonce))).toBe(hex(S('generate resumption secret "tls13 resumption"', "expanded")));
  });

  test("Simple 1-RTT: the record layer opens the trace's protected records", () => {
    const records = new RecordLayer(provider);
    records.setReadKey(suite, S('derive secret "tls13 s hs traffic"', "expanded"));
    records.push(S("send handshake record", "complete record", 1));
    const flight = records.next();
    expect(flight?.type).toBe(22);
    expect(hex(flight?.data ?? new Uint8Array())).toBe(hex(S("send handshake record", "payload", 1)));
    const client = new RecordLayer(provider);
    client.setWriteKey(suite, S('derive secret "tls13 c hs traffic"', "expanded"));
    expect(hex(client.seal(22, C("construct a Finished", "Finished")))).toBe(hex(C("send handshake record", "complete record", 1)));
    const app = new RecordLayer(provider);
    app.setReadKey(suite, S('derive secret "tls13 c ap traffic"', "expanded"));
    app.push(C("send application_data record", "complete record"));
    expect(hex(app.next()?.data ?? new Uint8Array())).toBe(hex(C("send application_data record", "payload")));
  });

  test("Simple 1-RTT: our server engine, replaying the trace's randomness, emits its ServerHello and handshake secrets", () => {
    const ch = C("construct a ClientHello", "ClientHello");
    const chain = decodeCertificate(S("construct a Certificate", "Certificate").subarray(4)).certificates;
    const recordedSignature = S("construct a CertificateVerify", "CertificateVerify").subarray(8);
    const sh = S("construct a ServerHello", "ServerHello");
    const server = new TlsServerEngine({
      provider,
      cipherSuites: ["TLS_AES_128_GCM_SHA256"],
      groups: ["x25519"],
      sessionTickets: false,
      // The trace's server signs with RSA-PSS, which is randomized; replay its recorded signature.
      credentials: { certificateChain: chain, signer: { schemes: [0x0804], sign: () => recordedSignature } },
      deterministicForTests: { random: sh.subarray(6, 38), keyShareSecretKey: S("create an ephemeral x25519", "private key") },
    });
    server.handle("initial", ch);
    const events = server.takeEvents();
    const first = events[0] as Extract<TlsEvent, { type: "send" }>;
    expect(first.level).toBe("initial");
    expect(hex(first.data)).toBe(hex(sh));
    const secrets = events.filter((e): e is Extract<TlsEvent, { type: "secret" }> => e.type === "secret");
    expect(hex(secrets.find((e) => e.direction === "write" && e.level === "handshake")?.secret ?? new Uint8Array())).toBe(
      hex(S('derive secret "tls13 s hs traffic"', "expanded")),
    );
    expect(hex(secrets.find((e) => e.direction === "read" && e.level === "handshake")?.secret ?? new Uint8Array())).toBe(
      hex(S('derive secret "tls13 c hs traffic"', "expanded")),
    );
  });

  test("Resumed 0-RTT: PSK, binder, early secrets and the resumed handshake", () => {
    const R = (actor: "client" | "server", title: string, name: string, skip = 0): Uint8Array => field(resumed, actor, title, name, skip);
    const psk = S('generate resumption secret "tls13 resumption"', "expanded");
    const ks = new KeySchedule(provider, suite);
    ks.inputPsk(psk);
    expect(hex(ks.secret)).toBe(hex(R("client", 'extract secret "early"', "secret")));
    const prefix = R("client", "calculate PSK binder", "ClientHello prefix");
    const binder = finishedMac(provider, suite, ks.resumptionBinderKey(), provider.hash("sha256", prefix));
    expect(hex(binder)).toBe(hex(R("client", "calculate PSK binder", "finished")));
    // "construct a ClientHello" shows the hello before its binder was filled in; the sent record carries the final one.
    const ch = R("client", "send handshake record", "payload");
    expect(hex(ch.subarray(ch.length - 32))).toBe(hex(binder));
    const t = new Transcript();
    t.add(ch);
    t.selectHash(provider, "sha256");
    expect(hex(ks.derive("c e traffic", t.hash()))).toBe(hex(R("client", 'derive secret "tls13 c e traffic"', "expanded")));
    expect(hex(ks.derive("e exp master", t.hash()))).toBe(hex(R("client", 'derive secret "tls13 e exp master"', "expanded")));
    t.add(R("server", "construct a ServerHello", "ServerHello"));
    ks.inputSharedSecret(
      provider.x25519.sharedSecret(
        R("client", "create an ephemeral x25519", "private key"),
        R("server", "create an ephemeral x25519", "public key"),
      ),
    );
    expect(hex(ks.secret)).toBe(hex(R("server", 'extract secret "handshake"', "secret")));
    const sHs = ks.derive("s hs traffic", t.hash());
    expect(hex(sHs)).toBe(hex(R("server", 'derive secret "tls13 s hs traffic"', "expanded")));
    const cHs = ks.derive("c hs traffic", t.hash());
    t.add(R("server", "construct a EncryptedExtensions", "EncryptedExtensions"));
    const sfin = R("server", "construct a Finished", "Finished");
    expect(hex(finishedMac(provider, suite, sHs, t.hash()))).toBe(hex(sfin.subarray(4)));
    t.add(sfin);
    ks.toMaster();
    expect(hex(ks.derive("c ap traffic", t.hash()))).toBe(hex(R("server", 'derive secret "tls13 c ap traffic"', "expanded")));
    t.add(R("client", "construct a EndOfEarlyData", "EndOfEarlyData"));
    const cfin = R("client", "construct a Finished", "Finished");
    expect(hex(finishedMac(provider, suite, cHs, t.hash()))).toBe(hex(cfin.subarray(4)));
    t.add(cfin);
    expect(hex(ks.derive("res master", t.hash()))).toBe(hex(R("client", 'derive secret "tls13 res master"', "expanded")));
  });
});
