/**
 * QUIC header protection (RFC 9001 §5.4): a 5-byte mask computed from a
 * 16-byte ciphertext sample, with AES in single-block ECB mode for the AES-GCM
 * suites and raw ChaCha20 for ChaCha20-Poly1305. The AES key schedule is
 * computed once per key, so per-packet cost is one block encryption.
 *
 * @example
 * ```ts
 * import { createHeaderProtection, getProvider } from "@zsync/crypto";
 * declare const hpKey: Uint8Array;
 * declare const packet: Uint8Array;
 * declare const sampleOffset: number;
 * const hp = createHeaderProtection(getProvider(), "aes-128-gcm", hpKey);
 * const mask = hp.mask(packet.subarray(sampleOffset, sampleOffset + 16));
 * packet[0] = (packet[0] ?? 0) ^ ((mask[0] ?? 0) & 0x0f); // long header: the low 4 bits
 * ```
 * @module
 */
import { assertBytes, outputView } from "../primitives/assert-input.js";
import { copyBytes } from "../primitives/copy-bytes.js";
import type { AesBlockCipher, CryptoProvider } from "../primitives/provider.js";

/** The AEADs QUIC and TLS 1.3 pair with header protection. */
export type HeaderProtectionSuite = "aes-128-gcm" | "aes-256-gcm" | "chacha20-poly1305";

/** A keyed header-protection mask generator. */
export interface HeaderProtection {
  readonly suite: HeaderProtectionSuite;
  /** Sample size in bytes (always 16). */
  readonly sampleLength: 16;
  /** The 5-byte mask for `sample`; writes into `output` (≥ 5 bytes) if given. */
  mask(sample: Uint8Array, output?: Uint8Array): Uint8Array;
}

const ZEROS = new Uint8Array(5);

class AesHeaderProtection implements HeaderProtection {
  readonly sampleLength = 16 as const;
  readonly suite: HeaderProtectionSuite;
  readonly #block: AesBlockCipher;
  readonly #scratch = new Uint8Array(16);

  constructor(suite: HeaderProtectionSuite, block: AesBlockCipher) {
    this.suite = suite;
    this.#block = block;
  }

  mask(sample: Uint8Array, output?: Uint8Array): Uint8Array {
    assertBytes(sample, "sample", 16);
    const out = outputView(output, 5) ?? new Uint8Array(5);
    this.#block.encryptBlock(sample, this.#scratch);
    out.set(this.#scratch.subarray(0, 5));
    return out;
  }
}

class ChachaHeaderProtection implements HeaderProtection {
  readonly sampleLength = 16 as const;
  readonly suite = "chacha20-poly1305" as const;
  readonly #provider: CryptoProvider;
  readonly #key: Uint8Array;

  constructor(provider: CryptoProvider, key: Uint8Array) {
    this.#provider = provider;
    this.#key = copyBytes(key);
  }

  mask(sample: Uint8Array, output?: Uint8Array): Uint8Array {
    assertBytes(sample, "sample", 16);
    const out = outputView(output, 5);
    // counter = sample[0..4] little-endian, nonce = sample[4..16].
    const counter =
      ((sample[0] as number) | ((sample[1] as number) << 8) | ((sample[2] as number) << 16) | ((sample[3] as number) << 24)) >>> 0;
    return this.#provider.chacha20(this.#key, sample.subarray(4, 16), counter, ZEROS, out);
  }
}

/** Creates the header-protection function for `suite` keyed with `hpKey` (16 or 32 bytes per suite). */
export function createHeaderProtection(provider: CryptoProvider, suite: HeaderProtectionSuite, hpKey: Uint8Array): HeaderProtection {
  switch (suite) {
    case "aes-128-gcm":
      assertBytes(hpKey, "hpKey", 16);
      return new AesHeaderProtection(suite, provider.aesBlock(hpKey));
    case "aes-256-gcm":
      assertBytes(hpKey, "hpKey", 32);
      return new AesHeaderProtection(suite, provider.aesBlock(hpKey));
    case "chacha20-poly1305":
      assertBytes(hpKey, "hpKey", 32);
      return new ChachaHeaderProtection(provider, hpKey);
    default:
      throw new TypeError(`suite must be "aes-128-gcm", "aes-256-gcm" or "chacha20-poly1305", got ${String(suite)}`);
  }
}
