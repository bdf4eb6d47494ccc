/**
 * Published test vectors, run against BOTH providers. A wrong vector fails on
 * both; a wrong provider fails on one. Sources are named in each JSON file.
 */
import { describe, expect, it } from "vitest";
import type { AeadAlgorithm, HashAlgorithm, MacHash } from "../src/index.js";
import {
  AuthenticationError,
  createHeaderProtection,
  deriveSecret,
  hkdfExpandLabel,
  KeyAgreementError,
  recordNonce,
} from "../src/index.js";
import { hex, PROVIDERS, toHex, vectors } from "./support.js";

interface AeadCase {
  name: string;
  algorithm: AeadAlgorithm;
  key: string;
  nonce: string;
  aad: string;
  plaintext: string;
  ciphertext: string;
  tag: string;
}
interface HashCase {
  algorithm: HashAlgorithm;
  input?: string;
  inputRepeat?: { byte: string; count: number };
  outputLength?: number;
  digest: string;
}
interface HmacCase {
  name: string;
  key: string;
  data: string;
  sha256?: string;
  sha384?: string;
  sha512?: string;
}
interface HkdfCase {
  name: string;
  hash: MacHash;
  ikm: string;
  salt: string;
  info: string;
  length: number;
  prk: string;
  okm: string;
}
interface LabelCase {
  name: string;
  secret: string;
  label: string;
  context: string;
  length: number;
  output: string;
}

const aead = vectors<{ cases: AeadCase[] }>("aead").cases;
const chacha = vectors<{ cases: { name: string; key: string; nonce: string; counter: number; input: string; output: string }[] }>(
  "chacha20",
).cases;
const hashes = vectors<{ cases: HashCase[] }>("hash").cases;
const blake3 = vectors<{ cases: { inputLength: number; hash: string }[] }>("blake3").cases;
const hmacs = vectors<{ cases: HmacCase[] }>("hmac").cases;
const hkdfs = vectors<{ cases: HkdfCase[] }>("hkdf").cases;
const pbkdf2 = vectors<{ cases: { hash: MacHash; password: string; salt: string; iterations: number; length: number; output: string }[] }>(
  "pbkdf2",
).cases;
const argon2 = vectors<{
  cases: {
    password: string;
    salt: string;
    secret: string;
    associatedData: string;
    passes: number;
    memoryKiB: number;
    parallelism: number;
    length: number;
    tag: string;
  }[];
}>("argon2id").cases;
const x25519 = vectors<{
  scalarMult: { scalar: string; u: string; output: string }[];
  keyPairs: { name: string; secretKey: string; publicKey: string }[];
  sharedSecret: string;
  lowOrderPoints: string[];
}>("x25519");
const ed25519 = vectors<{ cases: { name: string; secretKey: string; publicKey: string; message: string; signature: string }[] }>(
  "ed25519",
).cases;
const ecdsa = vectors<{ secretKey: string; publicKey: string; cases: { message: string; r: string; s: string }[] }>("ecdsa-p256");
const tls = vectors<{
  hash: MacHash;
  extract: { name: string; salt: string; ikm: string; secret: string }[];
  expandLabel: (LabelCase & { info?: string })[];
}>("tls13-key-schedule");
const quic = vectors<{
  initialSalt: string;
  dcid: string;
  initialSecret: string;
  client: { label: string; secret: string; key: string; iv: string; hp: string };
  server: { label: string; secret: string; key: string; iv: string; hp: string };
  clientInitial: {
    cryptoFrame: string;
    payloadLength: number;
    header: string;
    packetNumber: number;
    packetNumberLength: number;
    sample: string;
    mask: string;
    protectedHeader: string;
    packet: string;
  };
  serverInitial: {
    payload: string;
    header: string;
    packetNumber: number;
    packetNumberLength: number;
    sample: string;
    mask: string;
    protectedHeader: string;
    packet: string;
  };
  chachaShortHeader: {
    secret: string;
    key: string;
    iv: string;
    hp: string;
    ku: string;
    packetNumber: number;
    nonce: string;
    header: string;
    plaintext: string;
    sealed: string;
    sample: string;
    mask: string;
    protectedHeader: string;
    packet: string;
  };
}>("rfc9001");

function blake3Input(length: number): Uint8Array {
  const input = new Uint8Array(length);
  for (let i = 0; i < length; i++) input[i] = i % 251;
  return input;
}

describe.each(PROVIDERS.map((provider) => [provider.name, provider] as const))("%s provider", (_name, provider) => {
  describe("AEAD", () => {
    it.each(aead.map((c) => [c.name, c] as const))("%s: seal matches and open round-trips", (_n, c) => {
      const key = provider.aead(c.algorithm, hex(c.key));
      const sealed = key.seal(hex(c.nonce), hex(c.plaintext), hex(c.aad));
      expect(toHex(sealed)).toBe(c.ciphertext + c.tag);
      expect(toHex(key.open(hex(c.nonce), sealed, hex(c.aad)))).toBe(c.plaintext);
    });

    it.each(aead.map((c) => [c.name, c] as const))("%s: a flipped tag bit is an AuthenticationError", (_n, c) => {
      const key = provider.aead(c.algorithm, hex(c.key));
      const sealed = hex(c.ciphertext + c.tag);
      sealed[sealed.length - 1] = (sealed[sealed.length - 1] as number) ^ 1;
      expect(() => key.open(hex(c.nonce), sealed, hex(c.aad))).toThrow(AuthenticationError);
    });
  });

  it.each(chacha.map((c) => [c.name, c] as const))("ChaCha20 %s", (_n, c) => {
    expect(toHex(provider.chacha20(hex(c.key), hex(c.nonce), c.counter, hex(c.input)))).toBe(c.output);
  });

  it.each(hashes.map((c, i) => [`${c.algorithm}#${i}`, c] as const))("hash %s", (_n, c) => {
    const input = c.inputRepeat ? new Uint8Array(c.inputRepeat.count).fill(Number.parseInt(c.inputRepeat.byte, 16)) : hex(c.input ?? "");
    const options = c.outputLength === undefined ? undefined : { outputLength: c.outputLength };
    expect(toHex(provider.hash(c.algorithm, input, options))).toBe(c.digest);
    // Incremental, split unevenly, must agree with one-shot.
    const hasher = provider.createHash(c.algorithm, options);
    const cut = Math.floor(input.length / 3);
    hasher.update(input.subarray(0, cut)).update(input.subarray(cut));
    expect(toHex(hasher.digest())).toBe(c.digest);
  });

  it.each(blake3.map((c) => [c.inputLength, c] as const))("BLAKE3 official vector, input length %i", (_n, c) => {
    const input = blake3Input(c.inputLength);
    expect(toHex(provider.hash("blake3", input))).toBe(c.hash.slice(0, 64));
    expect(toHex(provider.hash("blake3", input, { outputLength: c.hash.length / 2 }))).toBe(c.hash);
  });

  it.each(hmacs.map((c) => [c.name, c] as const))("HMAC RFC 4231 %s", (_n, c) => {
    for (const hash of ["sha256", "sha384", "sha512"] as const) {
      const expected = c[hash];
      if (expected === undefined) continue;
      expect(toHex(provider.hmac(hash, hex(c.key), hex(c.data)))).toBe(expected);
      const mac = provider.createHmac(hash, hex(c.key));
      const data = hex(c.data);
      mac.update(data.subarray(0, 3));
      const fork = mac.clone();
      mac.update(data.subarray(3));
      fork.update(data.subarray(3));
      expect(toHex(mac.digest())).toBe(expected);
      expect(toHex(fork.digest())).toBe(expected);
    }
  });

  it.each(hkdfs.map((c) => [c.name, c] as const))("HKDF RFC 5869 %s", (_n, c) => {
    const prk = provider.hkdfExtract(c.hash, hex(c.salt), hex(c.ikm));
    expect(toHex(prk)).toBe(c.prk);
    expect(toHex(provider.hkdfExpand(c.hash, prk, hex(c.info), c.length))).toBe(c.okm);
  });

  it.each(pbkdf2.map((c) => [`${c.hash} c=${c.iterations}`, c] as const))("PBKDF2 %s", async (_n, c) => {
    expect(toHex(await provider.pbkdf2(c.hash, hex(c.password), hex(c.salt), c.iterations, c.length))).toBe(c.output);
  });

  it("Argon2id RFC 9106 §5.3", async () => {
    for (const c of argon2) {
      const tag = await provider.argon2id(hex(c.password), hex(c.salt), {
        passes: c.passes,
        memoryKiB: c.memoryKiB,
        parallelism: c.parallelism,
        length: c.length,
        secret: hex(c.secret),
        associatedData: hex(c.associatedData),
      });
      expect(toHex(tag)).toBe(c.tag);
    }
  });

  describe("X25519 (RFC 7748)", () => {
    it.each(x25519.scalarMult.map((c) => [c.output.slice(0, 8), c] as const))("scalar multiplication %s", (_n, c) => {
      expect(toHex(provider.x25519.sharedSecret(hex(c.scalar), hex(c.u)))).toBe(c.output);
    });

    it("derives the published public keys and the shared secret of §6.1", () => {
      for (const pair of x25519.keyPairs) expect(toHex(provider.x25519.publicKey(hex(pair.secretKey)))).toBe(pair.publicKey);
      const [alice, bob] = x25519.keyPairs;
      if (!alice || !bob) throw new Error("vectors missing");
      expect(toHex(provider.x25519.sharedSecret(hex(alice.secretKey), hex(bob.publicKey)))).toBe(x25519.sharedSecret);
      expect(toHex(provider.x25519.sharedSecret(hex(bob.secretKey), hex(alice.publicKey)))).toBe(x25519.sharedSecret);
    });

    it.each(x25519.lowOrderPoints)("rejects the low-order point %s with KeyAgreementError", (point) => {
      const [alice] = x25519.keyPairs;
      expect(() => provider.x25519.sharedSecret(hex(alice?.secretKey ?? ""), hex(point))).toThrow(KeyAgreementError);
    });
  });

  describe("Ed25519 (RFC 8032)", () => {
    it.each(ed25519.map((c) => [c.name, c] as const))("%s", (_n, c) => {
      expect(toHex(provider.ed25519.publicKey(hex(c.secretKey)))).toBe(c.publicKey);
      expect(toHex(provider.ed25519.sign(hex(c.message), hex(c.secretKey)))).toBe(c.signature);
      expect(provider.ed25519.verify(hex(c.signature), hex(c.message), hex(c.publicKey))).toBe(true);
      const forged = hex(c.signature);
      forged[0] = (forged[0] as number) ^ 0x80;
      expect(provider.ed25519.verify(forged, hex(c.message), hex(c.publicKey))).toBe(false);
      expect(provider.ed25519.verify(hex(c.signature), new Uint8Array([1, 2, 3]), hex(c.publicKey))).toBe(false);
    });
  });

  describe("ECDSA P-256 (RFC 6979 A.2.5)", () => {
    it("derives the published public key", () => {
      expect(toHex(provider.ecdsaP256.publicKey(hex(ecdsa.secretKey)))).toBe(ecdsa.publicKey);
    });

    it.each(ecdsa.cases.map((c) => [Buffer.from(c.message, "hex").toString(), c] as const))(
      "verifies the deterministic signature of %j",
      (_n, c) => {
        const compact = hex(c.r + c.s);
        expect(provider.ecdsaP256.verify(compact, hex(c.message), hex(ecdsa.publicKey), { format: "compact" })).toBe(true);
        const tampered = compact.slice();
        tampered[40] = (tampered[40] as number) ^ 1;
        expect(provider.ecdsaP256.verify(tampered, hex(c.message), hex(ecdsa.publicKey), { format: "compact" })).toBe(false);
      },
    );

    it("signs in DER and compact form; both verify", () => {
      const message = new TextEncoder().encode("sample");
      for (const format of ["der", "compact"] as const) {
        const signature = provider.ecdsaP256.sign(message, hex(ecdsa.secretKey), { format });
        if (format === "compact") expect(signature.length).toBe(64);
        else expect(signature[0]).toBe(0x30);
        expect(provider.ecdsaP256.verify(signature, message, hex(ecdsa.publicKey), { format })).toBe(true);
      }
    });
  });

  describe("TLS 1.3 key schedule (RFC 8448 simple 1-RTT trace)", () => {
    it.each(tls.extract.map((c) => [c.name, c] as const))("HKDF-Extract %s secret", (_n, c) => {
      expect(toHex(provider.hkdfExtract(tls.hash, hex(c.salt), hex(c.ikm)))).toBe(c.secret);
    });

    it.each(tls.expandLabel.map((c) => [c.name, c] as const))("HKDF-Expand-Label %s", (_n, c) => {
      expect(toHex(hkdfExpandLabel(provider, tls.hash, hex(c.secret), c.label, hex(c.context), c.length))).toBe(c.output);
      if (c.info !== undefined) expect(toHex(provider.hkdfExpand(tls.hash, hex(c.secret), hex(c.info), c.length))).toBe(c.output);
    });

    it("Derive-Secret is Expand-Label with the hash length", () => {
      const c = tls.expandLabel.find((v) => v.name === "c hs traffic");
      if (!c) throw new Error("vector missing");
      expect(toHex(deriveSecret(provider, "sha256", hex(c.secret), c.label, hex(c.context)))).toBe(c.output);
    });
  });

  describe("QUIC v1 (RFC 9001 Appendix A)", () => {
    it("derives the initial secrets, keys, IVs and header-protection keys", () => {
      const initial = provider.hkdfExtract("sha256", hex(quic.initialSalt), hex(quic.dcid));
      expect(toHex(initial)).toBe(quic.initialSecret);
      for (const side of [quic.client, quic.server]) {
        const secret = hkdfExpandLabel(provider, "sha256", initial, side.label, new Uint8Array(0), 32);
        expect(toHex(secret)).toBe(side.secret);
        expect(toHex(hkdfExpandLabel(provider, "sha256", secret, "quic key", new Uint8Array(0), 16))).toBe(side.key);
        expect(toHex(hkdfExpandLabel(provider, "sha256", secret, "quic iv", new Uint8Array(0), 12))).toBe(side.iv);
        expect(toHex(hkdfExpandLabel(provider, "sha256", secret, "quic hp", new Uint8Array(0), 16))).toBe(side.hp);
      }
    });

    it("protects the client Initial packet byte for byte", () => {
      const c = quic.clientInitial;
      const payload = new Uint8Array(c.payloadLength);
      payload.set(hex(c.cryptoFrame));
      const header = hex(c.header);
      const key = provider.aead("aes-128-gcm", hex(quic.client.key));
      const sealed = key.seal(recordNonce(hex(quic.client.iv), c.packetNumber), payload, header);
      const sample = sealed.subarray(4 - c.packetNumberLength, 4 - c.packetNumberLength + 16);
      expect(toHex(sample)).toBe(c.sample);
      const mask = createHeaderProtection(provider, "aes-128-gcm", hex(quic.client.hp)).mask(sample);
      expect(toHex(mask)).toBe(c.mask);
      const packet = new Uint8Array(header.length + sealed.length);
      packet.set(header);
      packet.set(sealed, header.length);
      packet[0] = (packet[0] as number) ^ ((mask[0] as number) & 0x0f);
      for (let i = 0; i < c.packetNumberLength; i++) {
        const at = header.length - c.packetNumberLength + i;
        packet[at] = (packet[at] as number) ^ (mask[1 + i] as number);
      }
      expect(toHex(packet.subarray(0, header.length))).toBe(c.protectedHeader);
      expect(toHex(packet)).toBe(c.packet);
    });

    it("protects the server Initial packet byte for byte", () => {
      const s = quic.serverInitial;
      const header = hex(s.header);
      const sealed = provider
        .aead("aes-128-gcm", hex(quic.server.key))
        .seal(recordNonce(hex(quic.server.iv), s.packetNumber), hex(s.payload), header);
      const sample = sealed.subarray(4 - s.packetNumberLength, 4 - s.packetNumberLength + 16);
      expect(toHex(sample)).toBe(s.sample);
      expect(toHex(createHeaderProtection(provider, "aes-128-gcm", hex(quic.server.hp)).mask(sample))).toBe(s.mask);
      expect(toHex(sealed)).toBe(s.packet.slice(header.length * 2));
    });

    it("derives and applies the ChaCha20-Poly1305 short-header example", () => {
      const c = quic.chachaShortHeader;
      const secret = hex(c.secret);
      const label = (name: string, length: number) => toHex(hkdfExpandLabel(provider, "sha256", secret, name, new Uint8Array(0), length));
      expect(label("quic key", 32)).toBe(c.key);
      expect(label("quic iv", 12)).toBe(c.iv);
      expect(label("quic hp", 32)).toBe(c.hp);
      expect(label("quic ku", 32)).toBe(c.ku);
      const nonce = recordNonce(hex(c.iv), c.packetNumber);
      expect(toHex(nonce)).toBe(c.nonce);
      expect(toHex(provider.aead("chacha20-poly1305", hex(c.key)).seal(nonce, hex(c.plaintext), hex(c.header)))).toBe(c.sealed);
      const out = new Uint8Array(8).fill(0xee);
      const mask = createHeaderProtection(provider, "chacha20-poly1305", hex(c.hp)).mask(hex(c.sample), out);
      expect(toHex(mask)).toBe(c.mask);
      expect(out[5]).toBe(0xee); // writes exactly 5 bytes
    });
  });
});
