/**
 * Property: with nothing configured, a connection updates its write key
 * (KeyUpdate) before the AES-GCM confidentiality limit of 2^24.5 records per
 * key (RFC 9846 §5.5), close enough to it that the limit, not some smaller
 * default, is what sets the pace; ChaCha20-Poly1305 has no such limit and is
 * not updated there. The peer follows the update.
 *
 * Sealing 2^24.5 records in a test is out of reach, so the record counter is
 * driven through the seam the record worker uses: `reserveWriteBatch` takes
 * sequence numbers for a batch of full records (running a due KeyUpdate
 * first, exactly as `writeApplicationData` does), and `acceptReadBatch`
 * counts the same records as opened on the peer. Real records are sealed and
 * opened before and after.
 */
import { describe, expect, test } from "vitest";
import { type CipherSuiteName, TlsClientEngine, TlsConnection, TlsServerEngine } from "../../src/tls/index.js";
import { drain, pump, testPki } from "./support.js";

const pki = testPki();
const credentials = { certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem };
const AES_GCM_LIMIT = Math.floor(2 ** 24.5);
const FULL_BATCH = new Uint8Array(64 * 16384);
const EMPTY = new Uint8Array(0);
const NO_LENGTHS = new Uint32Array(64);
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function connected(suite: CipherSuiteName): { c: TlsConnection; s: TlsConnection; labels: string[] } {
  const labels: string[] = [];
  const c = new TlsConnection(
    new TlsClientEngine({ serverName: "localhost", ca: pki.ca.certificatePem, cipherSuites: [suite], keyLog: (l) => labels.push(l) }),
  );
  const s = new TlsConnection(new TlsServerEngine({ credentials }));
  c.start();
  pump(c, s);
  c.writeApplicationData(enc("before"));
  pump(c, s);
  expect(new TextDecoder().decode(drain(s))).toBe("before");
  return { c, s, labels };
}

/**
 * Reserves full batches (the peer counting each as opened) until a KeyUpdate record
 * comes out or `cap` records were reserved; returns the records under the first key
 * (the one already sent included) and the KeyUpdate record, if any.
 */
function driveUntilKeyUpdate(c: TlsConnection, s: TlsConnection, cap: number): { records: number; keyUpdate: Uint8Array[] } {
  let records = 1; // "before"
  while (records < cap) {
    const batch = c.reserveWriteBatch(FULL_BATCH, 0);
    if (batch === undefined) throw new Error("no batch reserved");
    const keyUpdate = c.takeOutgoing();
    const count = Math.ceil(batch.end / 16384);
    if (keyUpdate.length > 0) {
      // The KeyUpdate was sealed before this batch, which is already numbered under the new key.
      expect(batch.keys.sequence).toBe(0);
      for (const r of keyUpdate) s.receive(r);
      s.acceptReadBatch(count, EMPTY, NO_LENGTHS, EMPTY);
      return { records, keyUpdate };
    }
    // A plain check: an expect() per batch would dominate the run time.
    if (batch.keys.sequence !== records) throw new Error(`batch numbered from ${batch.keys.sequence}, expected ${records}`);
    s.acceptReadBatch(count, EMPTY, NO_LENGTHS, EMPTY);
    records += count;
  }
  return { records, keyUpdate: [] };
}

describe("the default KeyUpdate limit", () => {
  test.each(["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"] as const)(
    "%s: the write key is updated before 2^24.5 records, within 1024 + a batch of it; the peer follows",
    (suite) => {
      const { c, s, labels } = connected(suite);
      const { records, keyUpdate } = driveUntilKeyUpdate(c, s, AES_GCM_LIMIT + 1);
      expect(keyUpdate).toHaveLength(1);
      expect(records).toBeLessThanOrEqual(AES_GCM_LIMIT);
      expect(records).toBeGreaterThanOrEqual(AES_GCM_LIMIT - 1024 - 64);
      expect(labels.filter((l) => l.startsWith("CLIENT_TRAFFIC_SECRET_"))).toEqual(["CLIENT_TRAFFIC_SECRET_0", "CLIENT_TRAFFIC_SECRET_1"]);
      // Real records under the new key open on the peer.
      c.writeApplicationData(enc("after"));
      pump(c, s);
      expect(new TextDecoder().decode(drain(s))).toBe("after");
    },
  );

  test("TLS_CHACHA20_POLY1305_SHA256: no KeyUpdate at 2^24.5 records", () => {
    const { c, s, labels } = connected("TLS_CHACHA20_POLY1305_SHA256");
    const { records, keyUpdate } = driveUntilKeyUpdate(c, s, AES_GCM_LIMIT + 64);
    expect(keyUpdate).toHaveLength(0);
    expect(records).toBeGreaterThan(AES_GCM_LIMIT);
    expect(labels.filter((l) => l.startsWith("CLIENT_TRAFFIC_SECRET_"))).toEqual(["CLIENT_TRAFFIC_SECRET_0"]);
    c.writeApplicationData(enc("after"));
    pump(c, s);
    expect(new TextDecoder().decode(drain(s))).toBe("after");
  });
});
