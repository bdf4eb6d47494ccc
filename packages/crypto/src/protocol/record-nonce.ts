/**
 * Per-record nonces for TLS 1.3 (RFC 8446 §5.3) and QUIC (RFC 9001 §5.3):
 * the static IV XOR the 64-bit sequence / packet number, left-padded with
 * zeros to the IV length. Writing into a caller buffer keeps the per-packet
 * path allocation-free.
 *
 * @example
 * ```ts
 * import { type AeadKey, recordNonce } from "@zsync/crypto";
 * declare const iv: Uint8Array;
 * declare const packetNumber: number;
 * declare const key: AeadKey;
 * declare const payload: Uint8Array;
 * declare const header: Uint8Array;
 * const nonce = new Uint8Array(12);
 * recordNonce(iv, packetNumber, nonce);
 * key.seal(nonce, payload, header);
 * ```
 * @module
 */
import { assertBytes, outputView } from "../primitives/assert-input.js";

const TWO_POW_32 = 0x1_0000_0000;

/**
 * `iv XOR sequence` (big-endian, right-aligned). `sequence` is a safe
 * integer or a bigint below 2^64.
 */
export function recordNonce(iv: Uint8Array, sequence: number | bigint, output?: Uint8Array): Uint8Array {
  assertBytes(iv, "iv");
  if (iv.length < 8) throw new RangeError(`iv must be at least 8 bytes, got ${iv.length}`);
  let high: number;
  let low: number;
  if (typeof sequence === "number") {
    if (!Number.isSafeInteger(sequence) || sequence < 0)
      throw new RangeError(`sequence must be a non-negative safe integer, got ${sequence}`);
    high = Math.floor(sequence / TWO_POW_32);
    low = sequence >>> 0;
  } else if (typeof sequence === "bigint") {
    if (sequence < 0n || sequence >= 1n << 64n) throw new RangeError("sequence must be in [0, 2^64)");
    high = Number(sequence >> 32n);
    low = Number(sequence & 0xffffffffn);
  } else {
    throw new TypeError(`sequence must be a number or bigint, got ${typeof sequence}`);
  }
  const out = outputView(output, iv.length) ?? new Uint8Array(iv.length);
  out.set(iv);
  const n = iv.length;
  out[n - 8] = (out[n - 8] as number) ^ (high >>> 24);
  out[n - 7] = (out[n - 7] as number) ^ ((high >>> 16) & 0xff);
  out[n - 6] = (out[n - 6] as number) ^ ((high >>> 8) & 0xff);
  out[n - 5] = (out[n - 5] as number) ^ (high & 0xff);
  out[n - 4] = (out[n - 4] as number) ^ (low >>> 24);
  out[n - 3] = (out[n - 3] as number) ^ ((low >>> 16) & 0xff);
  out[n - 2] = (out[n - 2] as number) ^ ((low >>> 8) & 0xff);
  out[n - 1] = (out[n - 1] as number) ^ (low & 0xff);
  return out;
}
