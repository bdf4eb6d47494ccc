/**
 * The TLS 1.3 key schedule (RFC 9846 §7.1): Early Secret → Handshake Secret
 * → Master Secret, the traffic secrets derived from each, Finished keys,
 * PSK binder keys, resumption and KeyUpdate. Pure functions of secrets and
 * transcript hashes, so the same code serves TLS over TCP and QUIC.
 *
 * @example
 * ```ts
 * import { getProvider } from "@zsync/crypto";
 * import { cipherSuiteByName } from "@zsync/crypto/tls";
 * import { KeySchedule } from "./key-schedule.js";
 * declare const ecdhe: Uint8Array;
 * declare const transcriptHash: Uint8Array;
 * const provider = getProvider();
 * const suite = cipherSuiteByName("TLS_AES_128_GCM_SHA256");
 * const ks = new KeySchedule(provider, suite);
 * ks.inputPsk(undefined);
 * ks.inputSharedSecret(ecdhe);
 * const cHs = ks.derive("c hs traffic", transcriptHash);
 * ```
 * @module
 */
import type { CryptoProvider } from "../../primitives/provider.js";
import { deriveSecret, hkdfExpandLabel } from "../../protocol/hkdf-label.js";
import type { CipherSuite } from "./cipher-suites.js";

/** Per-direction traffic keys derived from a traffic secret. */
export interface TrafficKeys {
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
}

/** Walks the three extraction stages; `secret` is the current stage's secret. */
export class KeySchedule {
  readonly provider: CryptoProvider;
  readonly suite: CipherSuite;
  #secret: Uint8Array;
  readonly #emptyHash: Uint8Array;

  constructor(provider: CryptoProvider, suite: CipherSuite) {
    this.provider = provider;
    this.suite = suite;
    this.#emptyHash = provider.hash(suite.hash, new Uint8Array(0));
    this.#secret = new Uint8Array(0);
  }

  /** The secret of the current stage (early, handshake or master). */
  get secret(): Uint8Array {
    return this.#secret;
  }

  /** Early Secret = HKDF-Extract(0, PSK or zeros). */
  inputPsk(psk: Uint8Array | undefined): void {
    this.#secret = this.provider.hkdfExtract(
      this.suite.hash,
      new Uint8Array(this.suite.hashLength),
      psk ?? new Uint8Array(this.suite.hashLength),
    );
  }

  /** Handshake Secret = HKDF-Extract(Derive-Secret(early, "derived", ""), (EC)DHE). */
  inputSharedSecret(shared: Uint8Array): void {
    this.#secret = this.provider.hkdfExtract(this.suite.hash, this.derive("derived", this.#emptyHash), shared);
  }

  /** Master Secret = HKDF-Extract(Derive-Secret(handshake, "derived", ""), 0). */
  toMaster(): void {
    this.#secret = this.provider.hkdfExtract(
      this.suite.hash,
      this.derive("derived", this.#emptyHash),
      new Uint8Array(this.suite.hashLength),
    );
  }

  /** Derive-Secret(current stage, label, transcript hash). */
  derive(label: string, transcriptHash: Uint8Array): Uint8Array {
    return deriveSecret(this.provider, this.suite.hash, this.#secret, label, transcriptHash);
  }

  /** Binder key for resumption PSKs: Derive-Secret(early, "res binder", ""). */
  resumptionBinderKey(): Uint8Array {
    return this.derive("res binder", this.#emptyHash);
  }

  /** verify_data = HMAC(finished_key(baseKey), transcriptHash). */
  finishedMac(baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
    return finishedMac(this.provider, this.suite, baseKey, transcriptHash);
  }
}

/** HMAC(HKDF-Expand-Label(baseKey, "finished", "", Hash.length), transcriptHash). */
export function finishedMac(provider: CryptoProvider, suite: CipherSuite, baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  const finishedKey = hkdfExpandLabel(provider, suite.hash, baseKey, "finished", new Uint8Array(0), suite.hashLength);
  return provider.hmac(suite.hash, finishedKey, transcriptHash);
}

/** The write key and IV of a traffic secret. */
export function trafficKeys(provider: CryptoProvider, suite: CipherSuite, secret: Uint8Array): TrafficKeys {
  const empty = new Uint8Array(0);
  return {
    key: hkdfExpandLabel(provider, suite.hash, secret, "key", empty, suite.keyLength),
    iv: hkdfExpandLabel(provider, suite.hash, secret, "iv", empty, 12),
  };
}

/** application_traffic_secret_N+1 (KeyUpdate, §7.2). */
export function nextTrafficSecret(provider: CryptoProvider, suite: CipherSuite, secret: Uint8Array): Uint8Array {
  return hkdfExpandLabel(provider, suite.hash, secret, "traffic upd", new Uint8Array(0), suite.hashLength);
}

/** The PSK of a ticket: HKDF-Expand-Label(resumption_master_secret, "resumption", nonce, Hash.length). */
export function ticketPsk(provider: CryptoProvider, suite: CipherSuite, resumptionSecret: Uint8Array, nonce: Uint8Array): Uint8Array {
  return hkdfExpandLabel(provider, suite.hash, resumptionSecret, "resumption", nonce, suite.hashLength);
}
