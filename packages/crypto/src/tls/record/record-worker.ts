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
 * The thread is `record-worker-main.ts`, an ordinary module of this package
 * compiled beside this one and started by URL (the repository's worker
 * entry-point convention); the messages are typed once in
 * `record-worker-protocol.ts`.
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
import type { OpenReply, RecordCipher, RecordReply, RecordRequest, SealReply } from "./record-worker-protocol.js";

export { MAX_SEALED_RECORD, type RecordCipher } from "./record-worker-protocol.js";

/**
 * The thread's module. From the TypeScript sources (under vitest) the
 * compiled twin in dist/ is used: a worker thread cannot load `.ts`, and the
 * test setup builds dist/ first.
 */
const RECORD_WORKER_URL = import.meta.url.endsWith(".ts")
  ? new URL("../../../dist/tls/record/record-worker-main.js", import.meta.url)
  : new URL("./record-worker-main.js", import.meta.url);

/** What a batch is protected with: the traffic key and IV of one direction, and the first record's sequence number. */
export interface RecordKeys {
  readonly cipher: RecordCipher;
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
  readonly sequence: number;
}

/** Largest sealed batch, in plaintext bytes: 64 full records (the unit `TlsConnection` seals in). */
export const SEAL_BATCH_BYTES = 64 * MAX_PLAINTEXT;

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

interface Waiter {
  readonly resolve: (reply: SealReply | OpenReply) => void;
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
    this.#worker = new Worker(RECORD_WORKER_URL, { name: "zsync-tls-records" });
    this.#worker.unref();
    this.#worker.on("message", (reply: RecordReply) => {
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

  #request(message: RecordRequest, transfer: ArrayBuffer[]): Promise<SealReply | OpenReply> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise<SealReply | OpenReply>((resolve, reject) => {
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
    const r = reply as SealReply;
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
    const r = reply as OpenReply;
    let plain = 0;
    for (let i = 0; i < r.opened; i++) plain += r.lengths[i] as number;
    return { records: data, offsets, plaintext: new Uint8Array(r.out, 0, plain), opened: r.opened, lengths: r.lengths };
  }
}
