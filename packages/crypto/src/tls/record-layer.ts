/**
 * The TLS-over-TCP record layer (RFC 9846 §5): splits the byte stream into
 * records, removes protection (AEAD with a per-record nonce of IV XOR
 * sequence number, the 5-byte header as additional data, content type and
 * padding inside), and protects outgoing data. It knows nothing of the
 * handshake; the connection driver installs keys as the engine derives them.
 *
 * @example
 * ```ts
 * const records = new RecordLayer(provider);
 * records.setWriteKey(suite, secret);
 * const wire = records.seal(ContentType.ApplicationData, data);
 * ```
 * @module
 */
import { AuthenticationError } from "../errors.js";
import type { AeadKey, CryptoProvider } from "../provider.js";
import { recordNonce } from "../record-nonce.js";
import type { CipherSuite } from "./cipher-suites.js";
import { TlsBadRecordMacError, TlsProtocolError } from "./errors.js";
import { trafficKeys } from "./key-schedule.js";
import { AlertDescription, ContentType, MAX_CIPHERTEXT, MAX_PLAINTEXT } from "./wire/constants.js";

/** A record after protection was removed. */
export interface PlainRecord {
  readonly type: number;
  readonly data: Uint8Array;
}

class Protection {
  readonly key: AeadKey;
  readonly iv: Uint8Array;
  readonly nonce = new Uint8Array(12);
  readonly suite: CipherSuite;
  sequence = 0;

  constructor(provider: CryptoProvider, suite: CipherSuite, secret: Uint8Array) {
    const { key, iv } = trafficKeys(provider, suite, secret);
    this.key = provider.aead(suite.aead, key);
    this.iv = iv;
    this.suite = suite;
  }

  nextNonce(): Uint8Array {
    return recordNonce(this.iv, this.sequence++, this.nonce);
  }
}

/** Splits, unprotects and protects TLS records. */
export class RecordLayer {
  readonly #provider: CryptoProvider;
  #read: Protection | undefined;
  #write: Protection | undefined;
  #buf = new Uint8Array(0);
  #start = 0;
  #end = 0;
  #skipBudget = 0;

  constructor(provider: CryptoProvider) {
    this.#provider = provider;
  }

  setReadKey(suite: CipherSuite, secret: Uint8Array): void {
    this.#read = new Protection(this.#provider, suite, secret);
  }

  setWriteKey(suite: CipherSuite, secret: Uint8Array): void {
    this.#write = new Protection(this.#provider, suite, secret);
  }

  get hasWriteKey(): boolean {
    return this.#write !== undefined;
  }

  /** Records sealed under the current write key. */
  get writeSequence(): number {
    return this.#write?.sequence ?? 0;
  }

  /** Records the current write key may still protect before it must be updated. */
  get writeRecordsLeft(): number {
    const w = this.#write;
    return w === undefined ? Number.POSITIVE_INFINITY : w.suite.recordLimit - w.sequence;
  }

  /** Bytes received but not yet forming a whole record. */
  get bufferedBytes(): number {
    return this.#end - this.#start;
  }

  /**
   * A server refusing 0-RTT skips records it cannot decrypt (and, before
   * its handshake keys, application_data records), up to `bytes` in total
   * (RFC 9846 §4.2.10).
   */
  skipEarlyData(bytes: number): void {
    this.#skipBudget = bytes;
  }

  push(data: Uint8Array): void {
    if (data.length === 0) return;
    if (this.#start === this.#end) {
      this.#start = 0;
      this.#end = 0;
    }
    if (this.#end + data.length > this.#buf.length) {
      const live = this.#end - this.#start;
      if (live + data.length <= this.#buf.length && this.#start > 0) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        const next = new Uint8Array(Math.max(live + data.length, this.#buf.length * 2, 1 << 14));
        next.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = next;
      }
      this.#start = 0;
      this.#end = live;
    }
    this.#buf.set(data, this.#end);
    this.#end += data.length;
  }

  /** The next record with protection removed, or undefined when no whole record is buffered. */
  next(): PlainRecord | undefined {
    for (;;) {
      const b = this.#buf;
      const at = this.#start;
      if (this.#end - at < 5) return undefined;
      const type = b[at] as number;
      const length = ((b[at + 3] as number) << 8) | (b[at + 4] as number);
      if (type < 20 || type > 23) throw new TlsProtocolError(AlertDescription.unexpected_message, `unknown record content type ${type}`);
      if ((b[at + 1] as number) !== 3) throw new TlsProtocolError(AlertDescription.decode_error, "record version is not 3.x");
      if (length > MAX_CIPHERTEXT) throw new TlsProtocolError(AlertDescription.record_overflow, `record of ${length} bytes`);
      if (this.#end - at < 5 + length) return undefined;
      const header = b.subarray(at, at + 5);
      const body = b.subarray(at + 5, at + 5 + length);
      this.#start = at + 5 + length;
      if (type === ContentType.ChangeCipherSpec) {
        if (length !== 1 || body[0] !== 1) throw new TlsProtocolError(AlertDescription.unexpected_message, "malformed change_cipher_spec");
        return { type, data: body.slice() };
      }
      const read = this.#read;
      if (read === undefined) {
        if (type === ContentType.ApplicationData && this.#skip(length)) continue;
        if (length > MAX_PLAINTEXT) throw new TlsProtocolError(AlertDescription.record_overflow, `plaintext record of ${length} bytes`);
        if (length === 0 && type !== ContentType.ApplicationData)
          throw new TlsProtocolError(AlertDescription.unexpected_message, "empty handshake or alert record");
        return { type, data: body.slice() };
      }
      if (type !== ContentType.ApplicationData) {
        if (type === ContentType.Alert && length === 2) return { type, data: body.slice() }; // a peer alerting before it has our keys
        throw new TlsProtocolError(AlertDescription.unexpected_message, `unprotected record of type ${type} after keys were installed`);
      }
      if (length < 17) {
        if (this.#skip(length)) continue;
        throw new TlsBadRecordMacError("protected record shorter than its tag");
      }
      let inner: Uint8Array;
      try {
        inner = read.key.open(recordNonce(read.iv, read.sequence, read.nonce), body, header);
      } catch (error) {
        if (!(error instanceof AuthenticationError)) throw error;
        if (this.#skip(length)) continue;
        throw new TlsBadRecordMacError("record failed authentication (tampered, or wrong key)", { cause: error });
      }
      read.sequence++;
      this.#skipBudget = 0;
      let end = inner.length - 1;
      while (end >= 0 && inner[end] === 0) end--;
      if (end < 0) throw new TlsProtocolError(AlertDescription.unexpected_message, "protected record without a content type");
      if (end > MAX_PLAINTEXT) throw new TlsProtocolError(AlertDescription.record_overflow, "inner plaintext exceeds 2^14 bytes");
      const innerType = inner[end] as number;
      if (innerType === ContentType.ChangeCipherSpec || innerType < 20 || innerType > 23)
        throw new TlsProtocolError(AlertDescription.unexpected_message, `protected record of type ${innerType}`);
      if (end === 0 && innerType !== ContentType.ApplicationData)
        throw new TlsProtocolError(AlertDescription.unexpected_message, "empty handshake or alert record");
      return { type: innerType, data: inner.subarray(0, end) };
    }
  }

  #skip(length: number): boolean {
    if (this.#skipBudget <= 0) return false;
    if (length > this.#skipBudget) throw new TlsBadRecordMacError("more undecryptable early data than allowed");
    this.#skipBudget -= length;
    return true;
  }

  /** One record of `type` carrying `data` (at most 2^14 bytes), protected if a write key is set. */
  seal(type: number, data: Uint8Array, dataEnd = data.length, dataStart = 0): Uint8Array {
    const n = dataEnd - dataStart;
    if (n > MAX_PLAINTEXT) throw new RangeError(`record payload of ${n} bytes exceeds 2^14`);
    const w = this.#write;
    if (w === undefined) {
      const out = new Uint8Array(5 + n);
      out[0] = type;
      out[1] = 3;
      out[2] = type === ContentType.Handshake ? 1 : 3;
      out[3] = n >>> 8;
      out[4] = n & 0xff;
      out.set(data.subarray(dataStart, dataEnd), 5);
      return out;
    }
    if (w.sequence >= w.suite.recordLimit)
      throw new TlsProtocolError(AlertDescription.internal_error, "write key exhausted; KeyUpdate was not performed");
    const length = n + 1 + w.key.tagLength;
    const out = new Uint8Array(5 + length);
    out[0] = ContentType.ApplicationData;
    out[1] = 3;
    out[2] = 3;
    out[3] = length >>> 8;
    out[4] = length & 0xff;
    out.set(data.subarray(dataStart, dataEnd), 5);
    out[5 + n] = type;
    const body = out.subarray(5);
    w.key.seal(w.nextNonce(), body.subarray(0, n + 1), out.subarray(0, 5), body);
    return out;
  }

  /** `data` split into as few records as possible. */
  sealAll(type: number, data: Uint8Array, out: Uint8Array[]): void {
    for (let at = 0; at < data.length; at += MAX_PLAINTEXT) out.push(this.seal(type, data, Math.min(data.length, at + MAX_PLAINTEXT), at));
  }
}
