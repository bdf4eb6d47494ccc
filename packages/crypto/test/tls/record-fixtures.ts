/**
 * Records built by hand for the record-layer unit tests: protected records
 * with any inner plaintext (padding, odd content types, oversized bodies)
 * that `RecordLayer.seal` would never produce, and plaintext records with any
 * header. Keys come from `trafficKeys`, which record-sequence.test.ts checks
 * against an independent HKDF derivation.
 */
import { expect } from "vitest";
import { getProvider } from "../../src/index.js";
import { recordNonce } from "../../src/protocol/record-nonce.js";
import { trafficKeys } from "../../src/tls/handshake/key-schedule.js";
import { cipherSuiteByName, type TlsError } from "../../src/tls/index.js";
import { RecordLayer } from "../../src/tls/record/record-layer.js";

export const provider = getProvider("node");
export const suite = cipherSuiteByName("TLS_AES_128_GCM_SHA256");
export const secret = new Uint8Array(32).map((_, i) => (i * 13 + 5) & 0xff);
export const otherSecret = new Uint8Array(32).fill(0x5c);

/** A plaintext record: `type`, version bytes `major.minor`, then `body` (the length field says `length`). */
export function plainRecord(type: number, body: Uint8Array, options: { major?: number; minor?: number; length?: number } = {}): Uint8Array {
  const length = options.length ?? body.length;
  return Uint8Array.of(type, options.major ?? 3, options.minor ?? 3, length >>> 8, length & 0xff, ...body);
}

/** The protected record (outer type application_data) whose inner plaintext is `inner`, sealed at `sequence`. */
export function protectedRecord(inner: Uint8Array, sequence: number, key: Uint8Array = secret): Uint8Array {
  const keys = trafficKeys(provider, suite, key);
  const aead = provider.aead(suite.aead, keys.key);
  const length = inner.length + aead.tagLength;
  const header = Uint8Array.of(23, 3, 3, length >>> 8, length & 0xff);
  const body = aead.seal(recordNonce(keys.iv, sequence), inner, header);
  const out = new Uint8Array(5 + body.length);
  out.set(header);
  out.set(body, 5);
  return out;
}

/** `content || type || zeros` (RFC 9846 §5.2 TLSInnerPlaintext). */
export function innerPlaintext(content: Uint8Array, type: number, padding = 0): Uint8Array {
  const inner = new Uint8Array(content.length + 1 + padding);
  inner.set(content);
  inner[content.length] = type;
  return inner;
}

export function reader(options: { plaintextAlerts?: boolean } = {}): RecordLayer {
  const r = new RecordLayer(provider);
  if (options.plaintextAlerts === undefined) r.setReadKey(suite, secret);
  else r.setReadKey(suite, secret, options.plaintextAlerts);
  return r;
}

export function writer(): RecordLayer {
  const w = new RecordLayer(provider);
  w.setWriteKey(suite, secret);
  return w;
}

/** Every record `layer` yields from the bytes pushed so far. */
export function drainRecords(layer: RecordLayer): { type: number; data: Uint8Array }[] {
  const out: { type: number; data: Uint8Array }[] = [];
  for (let r = layer.next(); r !== undefined; r = layer.next()) out.push({ type: r.type, data: Uint8Array.from(r.data) });
  return out;
}

/** The error `fn` throws (failing the test when it returns). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  expect.fail("expected a throw");
}

/** Expects `fn` to throw a TLS error of `cls` carrying `alert`, with a message matching `message`. */
export function expectTlsError(fn: () => unknown, cls: new (...args: never[]) => TlsError, alert: number, message: RegExp): TlsError {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(cls);
  expect((error as TlsError).alert).toBe(alert);
  expect((error as TlsError).message).toMatch(message);
  return error as TlsError;
}
