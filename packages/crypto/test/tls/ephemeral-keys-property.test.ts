/**
 * Property: with the node provider, the ephemeral X25519 keys of a TLS
 * handshake (alone or inside X25519MLKEM768) are generated and used inside
 * OpenSSL and never exist as bytes in JS: the provider's raw-bytes X25519
 * interface is not called, and no X25519 private key object is exported.
 * With the noble provider, the same handshake goes through that raw
 * interface (the control: the spies see it).
 */
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { afterEach, describe, expect, test, vi } from "vitest";
import { getProvider, nobleProvider } from "../../src/index.js";
import { type NamedGroupName, TlsClientEngine, TlsConnection, TlsServerEngine } from "../../src/tls/index.js";
import { pump, testPki } from "./support.js";

const pki = testPki();
const credentials = { certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem };
const privateKeyPrototype = Object.getPrototypeOf(generateKeyPairSync("x25519").privateKey) as KeyObject;

afterEach(() => {
  vi.restoreAllMocks();
});

describe.each(["x25519", "x25519mlkem768"] as const)("%s key shares", (group: NamedGroupName) => {
  test("node provider: no raw X25519 call and no X25519 private key exported during the handshake", () => {
    const provider = getProvider("node");
    const raw = (["generateKeyPair", "publicKey", "sharedSecret"] as const).map((m) => vi.spyOn(provider.x25519, m));
    const exports = vi.spyOn(privateKeyPrototype, "export");
    const c = new TlsConnection(new TlsClientEngine({ serverName: "localhost", ca: pki.ca.certificatePem, groups: [group], provider }));
    const s = new TlsConnection(new TlsServerEngine({ credentials, groups: [group], provider }));
    c.start();
    pump(c, s);
    expect(c.info?.group).toBe(group);
    for (const spy of raw) expect(spy).not.toHaveBeenCalled();
    const exported = exports.mock.contexts.map((key) => (key as KeyObject).asymmetricKeyType);
    expect(exported.filter((type) => type === "x25519")).toEqual([]);
  });

  test("noble provider: the same handshake uses the raw interface (the control)", () => {
    const generate = vi.spyOn(nobleProvider.x25519, "generateKeyPair");
    const agree = vi.spyOn(nobleProvider.x25519, "sharedSecret");
    const c = new TlsConnection(
      new TlsClientEngine({ serverName: "localhost", ca: pki.ca.certificatePem, groups: [group], provider: nobleProvider }),
    );
    const s = new TlsConnection(new TlsServerEngine({ credentials, groups: [group], provider: nobleProvider }));
    c.start();
    pump(c, s);
    expect(c.info?.group).toBe(group);
    expect(generate).toHaveBeenCalledTimes(2);
    expect(agree).toHaveBeenCalledTimes(2);
  });
});
