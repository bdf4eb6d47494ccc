/**
 * The TLS-over-TCP record layer (RFC 9846 §5): splits the byte stream into
 * records, removes protection (AEAD with a per-record nonce of IV XOR
 * sequence number, the 5-byte header as additional data, content type and
 * padding inside), and protects outgoing data. It knows nothing of the
 * handshake; the connection driver installs keys as the engine derives them.
 *
 * @example
 * ```ts
 * import { getProvider } from "@zsync/crypto";
 * import { cipherSuiteByName } from "@zsync/crypto/tls";
 * import { RecordLayer } from "./record-layer.js";
 * import { ContentType } from "../wire/constants.js";
 * declare const secret: Uint8Array;
 * declare const data: Uint8Array;
 * const provider = getProvider();
 * const suite = cipherSuiteByName("TLS_AES_128_GCM_SHA256");
 * const records = new RecordLayer(provider);
 * records.setWriteKey(suite, secret);
 * const wire = records.seal(ContentType.ApplicationData, data);
 * ```
 * @module
 */
import { AuthenticationError } from "../../primitives/errors.js";
import type { AeadKey, CryptoProvider } from "../../primitives/provider.js";
import { recordNonce } from "../../protocol/record-nonce.js";
import { TlsBadRecordMacError, TlsLimitError, TlsProtocolError } from "../errors.js";
import type { CipherSuite } from "../handshake/cipher-suites.js";
import { trafficKeys } from "../handshake/key-schedule.js";
import { AlertDescription, ContentType, MAX_CIPHERTEXT, MAX_PLAINTEXT } from "../wire/constants.js";
import type { RecordCipher, RecordKeys } from "./record-worker.js";

const EMPTY = new Uint8Array(0);

/** An owned copy (a Buffer's `slice()` would be a view of the transport's chunk). */
function copyOf(b: Uint8Array): Uint8Array {
  return Uint8Array.prototype.slice.call(b);
}

/** Empty application_data records accepted in a row (the figure BoringSSL uses). */
export const MAX_EMPTY_RECORDS = 32;

/** A record after protection was removed. */
export interface PlainRecord {
  readonly type: number;
  readonly data: Uint8Array;
}

class Protection {
  readonly key: AeadKey;
  /** The raw traffic key, for a record worker (see `RecordWorker`). */
  readonly rawKey: Uint8Array;
  readonly iv: Uint8Array;
  readonly nonce = new Uint8Array(12);
  readonly suite: CipherSuite;
  /** Read side only: a plaintext alert may still arrive (until the first record opens under this key). */
  readonly plaintextAlerts: boolean;
  sequence = 0;

  constructor(provider: CryptoProvider, suite: CipherSuite, secret: Uint8Array, plaintextAlerts = false) {
    const { key, iv } = trafficKeys(provider, suite, secret);
    this.key = provider.aead(suite.aead, key);
    this.rawKey = key;
    this.iv = iv;
    this.suite = suite;
    this.plaintextAlerts = plaintextAlerts;
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
  // Records are parsed in place from the caller's chunk (`#borrowed`); only a
  // record split across chunks is copied, into `#own`, and only its bytes.
  #buf: Uint8Array = new Uint8Array(0);
  #start = 0;
  #end = 0;
  #borrowed = false;
  #own = new Uint8Array(0);
  /** The rest of a pushed chunk, waiting behind the record completed from its head. */
  #queued: Uint8Array | undefined;
  #skipBudget = 0;
  /** Empty protected records read since the last non-empty one. */
  #emptyRun = 0;

  constructor(provider: CryptoProvider) {
    this.#provider = provider;
  }

  /**
   * Installs the key that protects every record read from here on. Once a
   * read key is set, only change_cipher_spec may still arrive unprotected;
   * with `plaintextAlerts`, an unprotected alert is also taken until the
   * first record opens under this key. That is the one legitimate case: a
   * server's handshake read key is installed before its client has even
   * seen the ServerHello, and a client refusing the ServerHello can only
   * alert in plaintext. Never set it for a key the peer has already used:
   * an unprotected close_notify is exactly what a truncation attacker
   * injects.
   */
  setReadKey(suite: CipherSuite, secret: Uint8Array, plaintextAlerts = false): void {
    this.#read = new Protection(this.#provider, suite, secret, plaintextAlerts);
  }

  setWriteKey(suite: CipherSuite, secret: Uint8Array): void {
    this.#write = new Protection(this.#provider, suite, secret);
  }

  /**
   * Goes back to unprotected writes. Only a client whose 0-RTT was refused
   * by a HelloRetryRequest needs it: its second ClientHello is plaintext,
   * and the early key must protect nothing more (RFC 9846 §4.2.10).
   */
  dropWriteKey(): void {
    this.#write = undefined;
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

  /**
   * Whether the layer may still read a pushed chunk in place. While false,
   * no chunk passed to `push` is referenced any more (a partial record was
   * copied into owned memory), so the caller may reuse or free them all.
   */
  get holdsTransportBytes(): boolean {
    return this.#borrowed || this.#queued !== undefined;
  }

  /** Bytes received but not yet forming a whole record. */
  get bufferedBytes(): number {
    return this.#end - this.#start + (this.#queued?.length ?? 0);
  }

  /**
   * A server refusing 0-RTT skips records it cannot decrypt (and, before
   * its handshake keys, application_data records), up to `bytes` in total
   * (RFC 9846 §4.2.10).
   */
  skipEarlyData(bytes: number): void {
    this.#skipBudget = bytes;
  }

  /**
   * Adds bytes from the transport. `data` is read in place until `next()`
   * returns undefined (all whole records taken); after that the layer keeps
   * no reference to it, so the caller may reuse its buffer.
   */
  push(data: Uint8Array): void {
    if (data.length === 0) return;
    if (this.#queued !== undefined) {
      // Pushed again before the previous chunk was consumed: keep order by copying.
      const queued = this.#queued;
      this.#queued = undefined;
      this.#append(queued, 0, queued.length);
      this.#append(data, 0, data.length);
      return;
    }
    if (this.#end === this.#start) {
      this.#buf = data;
      this.#start = 0;
      this.#end = data.length;
      this.#borrowed = true;
      return;
    }
    // Complete the split record from the head of `data`, then read the rest in place.
    let used = 0;
    while (used < data.length) {
      const live = this.#end - this.#start;
      const need = this.#recordSize() - live;
      if (need <= 0) break;
      const take = Math.min(need, data.length - used);
      this.#append(data, used, used + take);
      used += take;
    }
    if (used < data.length) this.#queued = data.subarray(used);
  }

  /** Bytes the record at `#start` occupies (5 while its header is incomplete); never more than the largest legal record. */
  #recordSize(): number {
    const live = this.#end - this.#start;
    if (live < 5) return 5;
    const b = this.#buf;
    const length = ((b[this.#start + 3] as number) << 8) | (b[this.#start + 4] as number);
    return 5 + Math.min(length, MAX_CIPHERTEXT);
  }

  /** Copies `data[from, to)` after the live bytes, into owned memory. */
  #append(data: Uint8Array, from: number, to: number): void {
    const live = this.#end - this.#start;
    const n = to - from;
    if (this.#borrowed || this.#end + n > this.#buf.length) {
      let own = this.#own;
      if (live + n > own.length) own = new Uint8Array(Math.max(live + n, own.length * 2, 5 + MAX_CIPHERTEXT));
      own.set(this.#buf.subarray(this.#start, this.#end));
      this.#own = own;
      this.#buf = own;
      this.#start = 0;
      this.#end = live;
      this.#borrowed = false;
    }
    this.#buf.set(data.subarray(from, to), this.#end);
    this.#end += n;
  }

  /** Out of whole records: switch to the queued chunk, or keep the partial record in owned memory. */
  #refill(): boolean {
    const queued = this.#queued;
    if (queued !== undefined && this.#end === this.#start) {
      this.#queued = undefined;
      this.#buf = queued;
      this.#start = 0;
      this.#end = queued.length;
      this.#borrowed = true;
      return true;
    }
    if (queued !== undefined) {
      this.#queued = undefined;
      this.#append(queued, 0, queued.length);
      return true;
    }
    if (this.#borrowed) {
      if (this.#end > this.#start) this.#append(EMPTY, 0, 0);
      else {
        this.#buf = this.#own;
        this.#start = 0;
        this.#end = 0;
        this.#borrowed = false;
      }
    }
    return false;
  }

  /** The next record with protection removed, or undefined when no whole record is buffered. */
  next(): PlainRecord | undefined {
    for (;;) {
      const b = this.#buf;
      const at = this.#start;
      if (this.#end - at < 5) {
        if (this.#refill()) continue;
        return undefined;
      }
      const type = b[at] as number;
      const length = ((b[at + 3] as number) << 8) | (b[at + 4] as number);
      if (type < 20 || type > 23) throw new TlsProtocolError(AlertDescription.unexpected_message, `unknown record content type ${type}`);
      if ((b[at + 1] as number) !== 3) throw new TlsProtocolError(AlertDescription.decode_error, "record version is not 3.x");
      if (length > MAX_CIPHERTEXT) throw new TlsProtocolError(AlertDescription.record_overflow, `record of ${length} bytes`);
      if (this.#end - at < 5 + length) {
        if (this.#refill()) continue;
        return undefined;
      }
      const header = b.subarray(at, at + 5);
      const body = b.subarray(at + 5, at + 5 + length);
      this.#start = at + 5 + length;
      if (type === ContentType.ChangeCipherSpec) {
        if (length !== 1 || body[0] !== 1) throw new TlsProtocolError(AlertDescription.unexpected_message, "malformed change_cipher_spec");
        return { type, data: copyOf(body) };
      }
      const read = this.#read;
      if (read === undefined) {
        if (type === ContentType.ApplicationData && this.#skip(length)) continue;
        if (length > MAX_PLAINTEXT) throw new TlsProtocolError(AlertDescription.record_overflow, `plaintext record of ${length} bytes`);
        if (length === 0 && type !== ContentType.ApplicationData)
          throw new TlsProtocolError(AlertDescription.unexpected_message, "empty handshake or alert record");
        return { type, data: copyOf(body) };
      }
      if (type !== ContentType.ApplicationData) {
        // A peer alerting before it has our keys (see setReadKey); anything else unprotected is an injection.
        if (type === ContentType.Alert && length === 2 && read.plaintextAlerts && read.sequence === 0) return { type, data: copyOf(body) };
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
      if (end === 0) {
        if (innerType !== ContentType.ApplicationData)
          throw new TlsProtocolError(AlertDescription.unexpected_message, "empty handshake or alert record");
        // Legal (traffic-analysis padding), but a stream of them is work for nothing.
        if (++this.#emptyRun > MAX_EMPTY_RECORDS)
          throw new TlsLimitError(
            "empty-records",
            AlertDescription.unexpected_message,
            `more than ${MAX_EMPTY_RECORDS} empty records in a row`,
          );
      } else this.#emptyRun = 0;
      return { type: innerType, data: inner.subarray(0, end) };
    }
  }

  #skip(length: number): boolean {
    if (this.#skipBudget <= 0) return false;
    if (length > this.#skipBudget) throw new TlsBadRecordMacError("more undecryptable early data than allowed");
    this.#skipBudget -= length;
    return true;
  }

  /**
   * Reserves the next `records` write sequence numbers for a batch sealed
   * elsewhere (a record worker) and returns the keys to seal it with.
   * Records sealed here afterwards are numbered after the batch, so the
   * batch must reach the transport before them.
   */
  reserveWrite(records: number): RecordKeys {
    const w = this.#write;
    if (w === undefined) throw new TlsProtocolError(AlertDescription.internal_error, "no write key to reserve records under");
    if (w.sequence + records > w.suite.recordLimit)
      throw new TlsProtocolError(AlertDescription.internal_error, "write key exhausted; KeyUpdate was not performed");
    const keys = { cipher: w.suite.aead as RecordCipher, key: w.rawKey, iv: w.iv, sequence: w.sequence };
    w.sequence += records;
    return keys;
  }

  /**
   * Copies the whole protected records buffered at the front (outer type
   * application_data, 17 to 2^14+256 bytes) into `dest` from `at`, at most
   * `maxRecords` and as many as fit, for a record worker to open; returns
   * how many, with each one's offset in `offsets` from `offsets[first]`.
   * Each record lands at an offset congruent to its source's modulo 8
   * (up to 7 bytes of gap): V8 copies into a `SharedArrayBuffer` word by
   * word only between co-aligned addresses, and byte by byte otherwise. Nothing is taken while records may still be skipped as
   * refused 0-RTT, and anything else (a partial or malformed record, a
   * plaintext record) stops the copy and is left for `next()`.
   */
  takeProtected(dest: Uint8Array, at: number, maxRecords: number, offsets: Uint32Array, first: number): { records: number; end: number } {
    let records = 0;
    if (this.#read === undefined || this.#skipBudget > 0) return { records, end: at };
    for (;;) {
      const b = this.#buf;
      const start = this.#start;
      if (this.#end - start < 5) {
        if (this.#queued !== undefined && this.#refill()) continue;
        break;
      }
      const length = ((b[start + 3] as number) << 8) | (b[start + 4] as number);
      if (b[start] !== ContentType.ApplicationData || b[start + 1] !== 3 || length < 17 || length > MAX_CIPHERTEXT) break;
      if (this.#end - start < 5 + length) {
        if (this.#queued !== undefined && this.#refill()) continue;
        break;
      }
      const to = at + ((b.byteOffset + start - dest.byteOffset - at) & 7);
      if (records >= maxRecords || to + 5 + length > dest.length) break;
      dest.set(b.subarray(start, start + 5 + length), to);
      offsets[first + records] = to;
      at = to + 5 + length;
      this.#start = start + 5 + length;
      records++;
    }
    // As after next(): keep no reference to the caller's chunk.
    if (this.#borrowed && this.#queued === undefined) this.#refill();
    return { records, end: at };
  }

  /** The read key and the sequence number of the next record to open, for a record worker. */
  readKeys(): RecordKeys | undefined {
    const r = this.#read;
    return r === undefined ? undefined : { cipher: r.suite.aead as RecordCipher, key: r.rawKey, iv: r.iv, sequence: r.sequence };
  }

  /**
   * Counts `records` records as opened elsewhere (by a record worker, under
   * `readKeys()`): each authentic, non-empty application data.
   */
  acceptOpened(records: number): void {
    const r = this.#read;
    if (r === undefined) throw new TlsProtocolError(AlertDescription.internal_error, "no read key");
    if (records === 0) return;
    r.sequence += records;
    this.#skipBudget = 0;
    this.#emptyRun = 0;
  }

  /** Puts whole records taken by `takeProtected` (and not opened) back in front of the buffered bytes. */
  unshift(records: Uint8Array): void {
    if (records.length === 0) return;
    const live = this.#buf.subarray(this.#start, this.#end);
    const queued = this.#queued;
    const own = new Uint8Array(Math.max(records.length + live.length, 5 + MAX_CIPHERTEXT));
    own.set(records);
    own.set(live, records.length);
    this.#own = own;
    this.#buf = own;
    this.#start = 0;
    this.#end = records.length + live.length;
    this.#borrowed = false;
    this.#queued = queued;
  }

  /** Wire size of one record carrying `n` bytes of payload under the current write key. */
  sealedSize(n: number): number {
    const w = this.#write;
    return w === undefined ? 5 + n : 5 + n + 1 + w.key.tagLength;
  }

  /** One record of `type` carrying `data` (at most 2^14 bytes), protected if a write key is set. */
  seal(type: number, data: Uint8Array, dataEnd = data.length, dataStart = 0): Uint8Array {
    const out = new Uint8Array(this.sealedSize(dataEnd - dataStart));
    this.sealInto(type, data, dataStart, dataEnd, out, 0);
    return out;
  }

  /**
   * Writes one record of `type` carrying `data[dataStart, dataEnd)` into
   * `out` at `at` (which must have `sealedSize(dataEnd - dataStart)` bytes
   * there) and returns the offset after it. Sealing runs in place, so a
   * batch of records fills one buffer with no per-record allocation here.
   */
  sealInto(type: number, data: Uint8Array, dataStart: number, dataEnd: number, out: Uint8Array, at: number): number {
    const n = dataEnd - dataStart;
    if (n > MAX_PLAINTEXT) throw new RangeError(`record payload of ${n} bytes exceeds 2^14`);
    const w = this.#write;
    if (w === undefined) {
      out[at] = type;
      out[at + 1] = 3;
      out[at + 2] = type === ContentType.Handshake ? 1 : 3;
      out[at + 3] = n >>> 8;
      out[at + 4] = n & 0xff;
      out.set(data.subarray(dataStart, dataEnd), at + 5);
      return at + 5 + n;
    }
    if (w.sequence >= w.suite.recordLimit)
      throw new TlsProtocolError(AlertDescription.internal_error, "write key exhausted; KeyUpdate was not performed");
    const length = n + 1 + w.key.tagLength;
    out[at] = ContentType.ApplicationData;
    out[at + 1] = 3;
    out[at + 2] = 3;
    out[at + 3] = length >>> 8;
    out[at + 4] = length & 0xff;
    out.set(data.subarray(dataStart, dataEnd), at + 5);
    out[at + 5 + n] = type;
    const body = out.subarray(at + 5, at + 5 + length);
    w.key.seal(w.nextNonce(), body.subarray(0, n + 1), out.subarray(at, at + 5), body);
    return at + 5 + length;
  }

  /** `data` split into as few records as possible. */
  sealAll(type: number, data: Uint8Array, out: Uint8Array[]): void {
    for (let at = 0; at < data.length; at += MAX_PLAINTEXT) out.push(this.seal(type, data, Math.min(data.length, at + MAX_PLAINTEXT), at));
  }
}
