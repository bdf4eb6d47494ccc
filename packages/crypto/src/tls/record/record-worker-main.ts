/**
 * The record worker's thread (started by `RecordWorker` in
 * `record-worker.ts`): seals and opens batches of TLS 1.3 records with
 * node:crypto. The event loop has already reserved the sequence numbers, so
 * this side only does the AEAD work; opening stops at the first record it
 * does not accept and leaves that record and the rest as ciphertext for the
 * record layer (see `record-worker.ts`).
 *
 * Only meaningful on a worker thread: importing it on the main thread throws.
 * Loaded by URL from the compiled package (`dist/tls/record/record-worker-main.js`).
 * @module
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from "node:crypto";
import { parentPort } from "node:worker_threads";
import { releaseMemory } from "../../primitives/providers/release-memory.js";
import { ContentType, MAX_PLAINTEXT } from "../wire/constants.js";
import { type OpenRequest, RECORD_OVERHEAD, type RecordReply, type RecordRequest, type SealRequest } from "./record-worker-protocol.js";

if (parentPort === null) throw new Error("record-worker-main.js runs only on a worker thread (RecordWorker starts it)");
const port = parentPort;

/** Keys cached as KeyObjects, at most this many (a connection uses few keys; a raw key costs an import per record on Node 24). */
const MAX_KEYS = 64;
const keys = new Map<string, KeyObject>();

function keyObject(key: Uint8Array): KeyObject {
  const id = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("base64");
  let k = keys.get(id);
  if (k === undefined) {
    if (keys.size >= MAX_KEYS) keys.clear();
    k = createSecretKey(key);
    keys.set(id, k);
  }
  return k;
}

const nonce = new Uint8Array(12);

/** The per-record nonce (RFC 8446 §5.3): the IV XOR the 64-bit sequence number, left-padded. */
function setNonce(iv: Uint8Array, sequence: number): Uint8Array {
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
}

const inner = new Uint8Array(MAX_PLAINTEXT + 1);

function seal(m: SealRequest): void {
  const input = new Uint8Array(m.data, 0, m.length);
  const records = Math.ceil(m.length / MAX_PLAINTEXT);
  const size = m.length + records * RECORD_OVERHEAD;
  const outBuffer: ArrayBuffer = m.out !== undefined && m.out.byteLength >= size ? m.out : Buffer.allocUnsafeSlow(size).buffer;
  const out = new Uint8Array(outBuffer);
  const key = keyObject(m.key);
  let at = 0;
  for (let i = 0; i < records; i++) {
    const from = i * MAX_PLAINTEXT;
    const n = Math.min(MAX_PLAINTEXT, m.length - from);
    const length = n + 17;
    out[at] = ContentType.ApplicationData;
    out[at + 1] = 3;
    out[at + 2] = 3;
    out[at + 3] = length >>> 8;
    out[at + 4] = length & 0xff;
    inner.set(input.subarray(from, from + n));
    inner[n] = m.type;
    const cipher = createCipheriv(m.cipher as "aes-128-gcm", key, setNonce(m.iv, m.sequence + i), { authTagLength: 16 });
    cipher.setAAD(out.subarray(at, at + 5));
    const sealed = cipher.update(inner.subarray(0, n + 1));
    out.set(sealed, at + 5);
    releaseMemory(sealed); // copied: free it now, not at this thread's next sweep
    cipher.final();
    out.set(cipher.getAuthTag(), at + 5 + n + 1);
    at += 5 + length;
  }
  const reply: RecordReply = { id: m.id, out: outBuffer, length: at, data: m.data };
  port.postMessage(reply, [outBuffer, m.data]);
}

function open(m: OpenRequest): void {
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
    const decipher = createDecipheriv(m.cipher as "aes-128-gcm", key, setNonce(m.iv, m.sequence + opened), { authTagLength: 16 });
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
    if (end <= 0 || end > MAX_PLAINTEXT || body[end] !== ContentType.ApplicationData) {
      body.fill(0);
      break;
    }
    out.set(body.subarray(0, end), written);
    body.fill(0);
    releaseMemory(body);
    written += end;
    lengths[opened] = end;
  }
  const reply: RecordReply = { id: m.id, out: outBuffer, opened, lengths };
  port.postMessage(reply, [outBuffer, lengths.buffer]);
}

port.on("message", (m: RecordRequest) => {
  try {
    if (m.op === "seal") seal(m);
    else open(m);
  } catch (error) {
    const reply: RecordReply = { id: m.id, error: String((error as Error)?.stack ?? error) };
    port.postMessage(reply);
  }
});
