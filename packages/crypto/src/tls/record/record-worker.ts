/**
 * Seals and opens batches of TLS 1.3 records on a worker thread, so the
 * event loop's per-record node:crypto calls (about 8 µs per 16 KiB record
 * each way) move off it. The record layer reserves a range of sequence
 * numbers for each batch before it is sent, so nonces never repeat and
 * records stay in order; the worker only does the AEAD work.
 *
 * Opening stops at the first record that fails authentication, carries
 * anything but non-empty application data, or exceeds 2^14 bytes: the
 * plaintext goes to a separate buffer, so that record and those after it
 * are still intact ciphertext, and the record layer handles them inline, exactly as without the worker. So an
 * authentication failure is still fatal before any later plaintext is
 * released, and a KeyUpdate changes the key before the next record opens.
 *
 * The thread runs `recordWorkerMain`'s source (`eval`), so it needs no
 * separate file next to the compiled module, and uses node:crypto only.
 *
 * @example
 * ```ts
 * import { RecordWorker } from "./record-worker.js";
 * declare const key: Uint8Array;
 * declare const iv: Uint8Array;
 * declare const plaintext: Uint8Array;
 * const worker = RecordWorker.shared();
 * const keys = { cipher: "aes-128-gcm", key, iv, sequence: 0 } as const;
 * const { records } = await worker.seal(keys, 23, plaintext); // plaintext owns its ArrayBuffer (transferred)
 * ```
 * @module
 */
import { Worker } from "node:worker_threads";
import { MAX_PLAINTEXT } from "../wire/constants.js";

/** OpenSSL cipher names of the TLS 1.3 AEADs. */
export type RecordCipher = "aes-128-gcm" | "aes-256-gcm" | "chacha20-poly1305";

/** What a batch is protected with: the traffic key and IV of one direction, and the first record's sequence number. */
export interface RecordKeys {
  readonly cipher: RecordCipher;
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
  readonly sequence: number;
}

/** Largest sealed batch, in plaintext bytes: 64 full records (the unit `TlsConnection` seals in). */
export const SEAL_BATCH_BYTES = 64 * MAX_PLAINTEXT;
/** Largest protected record on the wire (5-byte header, 2^14 data, content type, 16-byte tag). */
export const MAX_SEALED_RECORD = 5 + MAX_PLAINTEXT + 1 + 16;

/** The result of {@link RecordWorker.open}. */
export interface OpenedBatch {
  /** The records as passed to `open` (still ciphertext), and where each starts. */
  readonly records: Uint8Array;
  readonly offsets: Uint32Array;
  /** The content of the opened records, back to back. */
  readonly plaintext: Uint8Array;
  /** Records opened and accepted (authentic, non-empty application data). */
  readonly opened: number;
  /** Content length of each opened record. */
  readonly lengths: Uint32Array;
}

interface SealRequest {
  readonly id: number;
  readonly op: "seal";
  readonly cipher: RecordCipher;
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
  readonly sequence: number;
  readonly type: number;
  readonly data: ArrayBuffer;
  readonly length: number;
  readonly out: ArrayBuffer | undefined;
}

interface OpenRequest {
  readonly id: number;
  readonly op: "open";
  readonly cipher: RecordCipher;
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
  readonly sequence: number;
  /** A view of a `SharedArrayBuffer`: see `RecordWorker.open`. */
  readonly data: Uint8Array;
  readonly offsets: Uint32Array;
  readonly count: number;
}

type Reply =
  | { readonly id: number; readonly out: ArrayBuffer; readonly length: number; readonly data: ArrayBuffer }
  | { readonly id: number; readonly out: ArrayBuffer; readonly opened: number; readonly lengths: Uint32Array }
  | { readonly id: number; readonly error: string };

/**
 * The worker's body. Self-contained (it is stringified): no imports, no
 * references to this module, node:crypto through `require`.
 */
function recordWorkerMain(): void {
  // An eval'd worker runs as CommonJS: `require` is in scope there (not in this ES module).
  const crypto: typeof import("node:crypto") = require("node:crypto");
  const { parentPort }: typeof import("node:worker_threads") = require("node:worker_threads");
  if (parentPort === null) throw new Error("recordWorkerMain runs only in a worker");
  const MAX = 16384;
  // One KeyObject per key (a raw key costs an import per record on Node 24); a connection uses few keys.
  const keys = new Map<string, import("node:crypto").KeyObject>();
  const keyObject = (key: Uint8Array): import("node:crypto").KeyObject => {
    const id = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("base64");
    let k = keys.get(id);
    if (k === undefined) {
      if (keys.size >= 64) keys.clear();
      k = crypto.createSecretKey(key);
      keys.set(id, k);
    }
    return k;
  };
  const nonce = new Uint8Array(12);
  const setNonce = (iv: Uint8Array, sequence: number): Uint8Array => {
    nonce.set(iv);
    const high = Math.floor(sequence / 4294967296);
    const low = sequence >>> 0;
    nonce[4] = (nonce[4] as number) ^ (high >>> 24);
    nonce[5] = (nonce[5] as number) ^ ((high >>> 16) & 0xff);
    nonce[6] = (nonce[6] as number) ^ ((high >>> 8) & 0xff);
    nonce[7] = (nonce[7] as number) ^ (high & 0xff);
    nonce[8] = (nonce[8] as number) ^ (low >>> 24);
    nonce[9] = (nonce[9] as number) ^ ((low >>> 16) & 0xff);
    nonce[10] = (nonce[10] as number) ^ ((low >>> 8) & 0xff);
    nonce[11] = (nonce[11] as number) ^ (low & 0xff);
    return nonce;
  };

  const seal = (m: SealRequest): void => {
    const input = new Uint8Array(m.data, 0, m.length);
    const records = Math.ceil(m.length / MAX);
    const size = m.length + records * 22;
    const outBuffer: ArrayBuffer = m.out !== undefined && m.out.byteLength >= size ? m.out : Buffer.allocUnsafeSlow(size).buffer;
    const out = new Uint8Array(outBuffer);
    const key = keyObject(m.key);
    const inner = new Uint8Array(MAX + 1);
    let at = 0;
    for (let i = 0; i < records; i++) {
      const from = i * MAX;
      const n = Math.min(MAX, m.length - from);
      const length = n + 17;
      out[at] = 23;
      out[at + 1] = 3;
      out[at + 2] = 3;
      out[at + 3] = length >>> 8;
      out[at + 4] = length & 0xff;
      inner.set(input.subarray(from, from + n));
      inner[n] = m.type;
      const cipher = crypto.createCipheriv(m.cipher as "aes-128-gcm", key, setNonce(m.iv, m.sequence + i), { authTagLength: 16 });
      cipher.setAAD(out.subarray(at, at + 5));
      out.set(cipher.update(inner.subarray(0, n + 1)), at + 5);
      cipher.final();
      out.set(cipher.getAuthTag(), at + 5 + n + 1);
      at += 5 + length;
    }
    parentPort.postMessage({ id: m.id, out: outBuffer, length: at, data: m.data }, [outBuffer, m.data]);
  };

  const open = (m: OpenRequest): void => {
    const data = m.data;
    const key = keyObject(m.key);
    const lengths = new Uint32Array(m.count);
    // Plaintext goes to its own buffer (handed to the reader), so `data` stays intact ciphertext.
    // Not zero-filled (every byte handed out is written first); its own ArrayBuffer, so it can be transferred.
    const outBuffer: ArrayBuffer = Buffer.allocUnsafeSlow(data.length).buffer;
    const out = new Uint8Array(outBuffer);
    let opened = 0;
    let written = 0;
    for (; opened < m.count; opened++) {
      const at = m.offsets[opened] as number;
      const length = ((data[at + 3] as number) << 8) | (data[at + 4] as number);
      const bodyLength = length - 16;
      const decipher = crypto.createDecipheriv(m.cipher as "aes-128-gcm", key, setNonce(m.iv, m.sequence + opened), { authTagLength: 16 });
      decipher.setAAD(data.subarray(at, at + 5));
      decipher.setAuthTag(data.subarray(at + 5 + bodyLength, at + 5 + length));
      const body: Uint8Array = decipher.update(data.subarray(at + 5, at + 5 + bodyLength));
      try {
        decipher.final();
      } catch {
        body.fill(0);
        break; // not authentic: for the record layer to refuse
      }
      let end = body.length - 1;
      while (end >= 0 && body[end] === 0) end--;
      // Only non-empty application data is taken here; anything else goes back to the record layer.
      if (end <= 0 || end > MAX || body[end] !== 23) {
        body.fill(0);
        break;
      }
      out.set(body.subarray(0, end), written);
      body.fill(0);
      written += end;
      lengths[opened] = end;
    }
    parentPort.postMessage({ id: m.id, out: outBuffer, opened, lengths }, [outBuffer, lengths.buffer]);
  };

  parentPort.on("message", (m: SealRequest | OpenRequest) => {
    try {
      if (m.op === "seal") seal(m);
      else open(m);
    } catch (error) {
      parentPort.postMessage({ id: m.id, error: String((error as Error)?.stack ?? error) });
    }
  });
}

interface Waiter {
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: unknown) => void;
}

/** A worker thread sealing and opening record batches; one is shared by the process ({@link RecordWorker.shared}). */
export class RecordWorker {
  static #shared: RecordWorker | undefined;
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiter>();
  #nextId = 1;
  #failure: Error | undefined;

  /** The process-wide record worker, started on first use; it keeps the process alive only while a batch is in it. */
  static shared(): RecordWorker {
    let shared = RecordWorker.#shared;
    if (shared === undefined || shared.#failure !== undefined) {
      shared = new RecordWorker();
      RecordWorker.#shared = shared;
    }
    return shared;
  }

  constructor() {
    this.#worker = new Worker(`(${recordWorkerMain.toString()})()`, { eval: true, name: "zsync-tls-records" });
    this.#worker.unref();
    this.#worker.on("message", (reply: Reply) => {
      const waiter = this.#waiting.get(reply.id);
      if (waiter === undefined) return;
      this.#waiting.delete(reply.id);
      if (this.#waiting.size === 0) this.#worker.unref();
      if ("error" in reply) waiter.reject(new Error(`TLS record worker: ${reply.error}`));
      else waiter.resolve(reply);
    });
    const fail = (error: Error): void => {
      this.#failure ??= error;
      for (const w of this.#waiting.values()) w.reject(this.#failure);
      this.#waiting.clear();
    };
    this.#worker.on("error", fail);
    this.#worker.on("exit", (code) => fail(new Error(`TLS record worker exited with code ${code}`)));
  }

  #request(message: SealRequest | OpenRequest, transfer: ArrayBuffer[]): Promise<Reply> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise<Reply>((resolve, reject) => {
      if (this.#waiting.size === 0) this.#worker.ref();
      this.#waiting.set(message.id, { resolve, reject });
      this.#worker.postMessage(message, transfer);
    });
  }

  /**
   * Seals `data` (at most {@link SEAL_BATCH_BYTES}) as full records of
   * `type`, numbered from `keys.sequence`. `data` must own its whole
   * `ArrayBuffer` (it is transferred and comes back as `input`); `out`, if
   * given, is transferred and reused when large enough.
   */
  async seal(
    keys: RecordKeys,
    type: number,
    data: Uint8Array,
    out?: ArrayBuffer,
  ): Promise<{ readonly records: Uint8Array; readonly input: ArrayBuffer }> {
    const transfer = out === undefined ? [data.buffer as ArrayBuffer] : [data.buffer as ArrayBuffer, out];
    const reply = await this.#request(
      {
        id: this.#nextId++,
        op: "seal",
        cipher: keys.cipher,
        key: keys.key,
        iv: keys.iv,
        sequence: keys.sequence,
        type,
        data: data.buffer as ArrayBuffer,
        length: data.length,
        out,
      },
      transfer,
    );
    const r = reply as { out: ArrayBuffer; length: number; data: ArrayBuffer };
    return { records: new Uint8Array(r.out, 0, r.length), input: r.data };
  }

  /**
   * Opens the `count` whole protected records at `offsets` in `data`,
   * numbered from `keys.sequence`, stopping at the first one not accepted.
   * `data` must be a view of a `SharedArrayBuffer`, which the worker reads
   * in place; the caller must not change it until the promise settles.
   * (Tried and dropped: transferring an ArrayBuffer back and forth, which
   * V8 counts as new external memory on each arrival, so full GCs ran 3-4x
   * as often; and a structured-clone copy, ~10 % of the event loop.)
   */
  async open(keys: RecordKeys, data: Uint8Array, offsets: Uint32Array, count: number): Promise<OpenedBatch> {
    const reply = await this.#request(
      {
        id: this.#nextId++,
        op: "open",
        cipher: keys.cipher,
        key: keys.key,
        iv: keys.iv,
        sequence: keys.sequence,
        data,
        offsets,
        count,
      },
      [],
    );
    const r = reply as { out: ArrayBuffer; opened: number; lengths: Uint32Array };
    let plain = 0;
    for (let i = 0; i < r.opened; i++) plain += r.lengths[i] as number;
    return { records: data, offsets, plaintext: new Uint8Array(r.out, 0, plain), opened: r.opened, lengths: r.lengths };
  }
}
