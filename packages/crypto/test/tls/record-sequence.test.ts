/**
 * Protected records past sequence number 0, checked against an independent
 * derivation written here with node:crypto only (HKDF-Expand-Label by hand,
 * nonce = IV XOR the big-endian sequence, AES-GCM / ChaCha20-Poly1305 over
 * content || type with the record header as additional data). The record
 * layer is driven through sequences 0..300 for real; far sequences (2^32,
 * 2^48, 2^53-1) go through the same nonce function the layer calls, since
 * sealing 2^32 records in a test is out of reach.
 */
import { createCipheriv, createHmac } from "node:crypto";
import { describe, expect, test } from "vitest";
import { getProvider, nobleProvider } from "../../src/index.js";
import { recordNonce } from "../../src/protocol/record-nonce.js";
import { type CipherSuiteName, cipherSuiteByName } from "../../src/tls/index.js";
import { RecordLayer } from "../../src/tls/record/record-layer.js";
import { ContentType } from "../../src/tls/wire/constants.js";

const SUITES: { name: CipherSuiteName; cipher: "aes-128-gcm" | "aes-256-gcm" | "chacha20-poly1305"; hash: string; keyLength: number }[] = [
  { name: "TLS_AES_128_GCM_SHA256", cipher: "aes-128-gcm", hash: "sha256", keyLength: 16 },
  { name: "TLS_AES_256_GCM_SHA384", cipher: "aes-256-gcm", hash: "sha384", keyLength: 32 },
  { name: "TLS_CHACHA20_POLY1305_SHA256", cipher: "chacha20-poly1305", hash: "sha256", keyLength: 32 },
];

/** HKDF-Expand-Label(secret, label, "", length) (RFC 9846 §7.1), from HMAC alone. */
function expandLabel(hash: string, secret: Uint8Array, label: string, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, "ascii");
  const info = Buffer.concat([Buffer.of(length >> 8, length & 0xff, full.length), full, Buffer.of(0)]);
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let i = 1; Buffer.concat(blocks).length < length; i++) {
    previous = createHmac(hash, secret)
      .update(Buffer.concat([previous, info, Buffer.of(i)]))
      .digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** The protected record carrying `data` as application_data at `sequence`, computed independently. */
function expectedRecord(suite: (typeof SUITES)[number], secret: Uint8Array, sequence: bigint, data: Uint8Array): Buffer {
  const key = expandLabel(suite.hash, secret, "key", suite.keyLength);
  const iv = expandLabel(suite.hash, secret, "iv", 12);
  const nonce = Buffer.from(iv);
  const seq = Buffer.alloc(8);
  seq.writeBigUInt64BE(sequence);
  for (let i = 0; i < 8; i++) nonce[4 + i] = (nonce[4 + i] as number) ^ (seq[i] as number);
  const length = data.length + 1 + 16;
  const header = Buffer.of(23, 3, 3, length >> 8, length & 0xff);
  const cipher = createCipheriv(suite.cipher as "aes-128-gcm", key, nonce, { authTagLength: 16 });
  cipher.setAAD(header);
  const body = Buffer.concat([
    cipher.update(Buffer.concat([data, Buffer.of(ContentType.ApplicationData)])),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  return Buffer.concat([header, body]);
}

const secret = new Uint8Array(48).map((_, i) => (i * 29 + 7) & 0xff);
const payload = (sequence: number): Uint8Array => new TextEncoder().encode(`record #${sequence}`);
const CHECKED = new Set([0, 1, 2, 3, 127, 128, 255, 256, 257, 300]);

describe.each([getProvider("node"), nobleProvider])("record protection at later sequence numbers ($name provider)", (provider) => {
  test.each(SUITES)("$name: records 0..300 seal byte-exact and open in order", (suite) => {
    const cs = cipherSuiteByName(suite.name);
    const hashLength = suite.hash === "sha384" ? 48 : 32;
    const trafficSecret = secret.subarray(0, hashLength);
    const writer = new RecordLayer(provider);
    const reader = new RecordLayer(provider);
    writer.setWriteKey(cs, trafficSecret);
    reader.setReadKey(cs, trafficSecret);
    for (let sequence = 0; sequence <= 300; sequence++) {
      expect(writer.writeSequence).toBe(sequence);
      const record = writer.seal(ContentType.ApplicationData, payload(sequence));
      if (CHECKED.has(sequence))
        expect(Buffer.from(record).toString("hex")).toBe(
          expectedRecord(suite, trafficSecret, BigInt(sequence), payload(sequence)).toString("hex"),
        );
      reader.push(record);
      expect(new TextDecoder().decode(reader.next()?.data)).toBe(`record #${sequence}`);
    }
  });

  test.each(SUITES)("$name: a record sealed for sequence 2 does not open at sequence 1", (suite) => {
    const cs = cipherSuiteByName(suite.name);
    const trafficSecret = secret.subarray(0, suite.hash === "sha384" ? 48 : 32);
    const reader = new RecordLayer(provider);
    reader.setReadKey(cs, trafficSecret);
    reader.push(expectedRecord(suite, trafficSecret, 0n, payload(0)));
    expect(reader.next()?.data).toEqual(payload(0));
    reader.push(expectedRecord(suite, trafficSecret, 2n, payload(2)));
    expect(() => reader.next()).toThrow(/authentication/);
  });
});

describe("nonces at far sequence numbers", () => {
  const suite = SUITES[0] as (typeof SUITES)[number];
  const key = expandLabel(suite.hash, secret.subarray(0, 32), "key", 16);
  const iv = expandLabel(suite.hash, secret.subarray(0, 32), "iv", 12);
  test.each([2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 48 + 5, Number.MAX_SAFE_INTEGER])("sequence %d", (sequence) => {
    const aead = getProvider("node").aead("aes-128-gcm", key);
    const data = payload(sequence);
    const inner = Buffer.concat([data, Buffer.of(ContentType.ApplicationData)]);
    const length = inner.length + 16;
    const header = Uint8Array.of(23, 3, 3, length >> 8, length & 0xff);
    const sealed = aead.seal(recordNonce(iv, sequence), inner, header);
    const expected = expectedRecord(suite, secret.subarray(0, 32), BigInt(sequence), data);
    expect(Buffer.from(sealed).toString("hex")).toBe(expected.subarray(5).toString("hex"));
    expect(recordNonce(iv, sequence)).toEqual(recordNonce(iv, BigInt(sequence)));
  });
});
