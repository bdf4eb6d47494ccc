/**
 * TLS 1.3 key-schedule helpers (RFC 8446 §7.1, unchanged in RFC 9846):
 * `HKDF-Expand-Label` and `Derive-Secret`, written once over any provider.
 * QUIC (RFC 9001 §5) uses the same function with "quic key", "quic iv",
 * "quic hp" and "quic ku" labels.
 *
 * @example
 * ```ts
 * import { getProvider, hkdfExpandLabel } from "@zsync/crypto";
 * declare const secret: Uint8Array;
 * const key = hkdfExpandLabel(getProvider(), "sha256", secret, "key", new Uint8Array(0), 16);
 * ```
 * @module
 */
import { assertBytes, assertInteger } from "../primitives/assert-input.js";
import type { CryptoProvider, MacHash } from "../primitives/provider.js";
import { MAC_HASH_LENGTH } from "../primitives/provider.js";
import { macHashLength } from "../primitives/provider-checks.js";

const PREFIX = [0x74, 0x6c, 0x73, 0x31, 0x33, 0x20]; // "tls13 "
const encoder = new TextEncoder();

/**
 * HKDF-Expand-Label(Secret, Label, Context, Length) =
 * HKDF-Expand(Secret, HkdfLabel, Length), where HkdfLabel is
 * uint16 length || opaque label<7..255> = "tls13 " + Label || opaque context<0..255>.
 * `label` is given without the "tls13 " prefix, as a string or bytes.
 */
export function hkdfExpandLabel(
  provider: CryptoProvider,
  hash: MacHash,
  secret: Uint8Array,
  label: string | Uint8Array,
  context: Uint8Array,
  length: number,
): Uint8Array {
  macHashLength(hash);
  assertBytes(secret, "secret");
  const labelBytes = typeof label === "string" ? encoder.encode(label) : label;
  assertBytes(labelBytes, "label");
  if (labelBytes.length + PREFIX.length > 255)
    throw new RangeError(`label must be at most ${255 - PREFIX.length} bytes, got ${labelBytes.length}`);
  assertBytes(context, "context");
  if (context.length > 255) throw new RangeError(`context must be at most 255 bytes, got ${context.length}`);
  assertInteger(length, "length", 1, 0xffff);
  const info = new Uint8Array(2 + 1 + PREFIX.length + labelBytes.length + 1 + context.length);
  info[0] = length >>> 8;
  info[1] = length & 0xff;
  info[2] = PREFIX.length + labelBytes.length;
  info.set(PREFIX, 3);
  info.set(labelBytes, 3 + PREFIX.length);
  info[3 + PREFIX.length + labelBytes.length] = context.length;
  info.set(context, 4 + PREFIX.length + labelBytes.length);
  return provider.hkdfExpand(hash, secret, info, length);
}

/**
 * Derive-Secret(Secret, Label, Messages) =
 * HKDF-Expand-Label(Secret, Label, Transcript-Hash(Messages), Hash.length).
 * Takes the transcript hash already computed, since the caller keeps a running hash.
 */
export function deriveSecret(
  provider: CryptoProvider,
  hash: MacHash,
  secret: Uint8Array,
  label: string | Uint8Array,
  transcriptHash: Uint8Array,
): Uint8Array {
  return hkdfExpandLabel(provider, hash, secret, label, transcriptHash, MAC_HASH_LENGTH[hash]);
}
