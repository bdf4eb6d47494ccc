/**
 * AEAD usage limits (RFC 9001 §6.6): how many packets one key may seal
 * (confidentiality) and how many forged packets a connection may see fail
 * to open (integrity) before an attacker's advantage stops being
 * negligible. TLS closes on the first bad record; QUIC drops bad packets
 * silently, so it must count them instead.
 *
 * {@link AeadUsage} is the counter a connection keeps for its 1-RTT keys:
 *
 * - `onSealed()` after every packet sealed with the current write keys
 *   answers `"ok"`, then `"update-keys"` once the count passes the update
 *   threshold (a key update must be *initiated* before the limit, §6.6, and
 *   it needs a round trip: §6.1 allows one only after a packet of the
 *   current phase was acknowledged), then `"exhausted"` at the limit: these
 *   keys must not seal another packet, and without a completed update the
 *   connection must close with AEAD_LIMIT_REACHED.
 * - `onKeysUpdated()` when the write keys move to the next generation
 *   (the count is per key).
 * - `onAuthenticationFailed()` for every received packet that fails to
 *   open, across all keys of the connection; past the integrity limit it
 *   throws `TransportError(AEAD_LIMIT_REACHED)`, which closes the
 *   connection (§6.6: "MUST immediately close ... and not process any more
 *   packets").
 *
 * The limits are the suite's (crypto/suite.ts: 2^23 sealed and 2^52 failed
 * for AES-GCM, 2^62 and 2^36 for ChaCha20-Poly1305); tests and cautious
 * deployments may lower them. Counts are JavaScript numbers, exact up to
 * 2^53, beyond every limit that can be reached in practice.
 *
 * @example
 * ```ts
 * import { AeadUsage } from "@zsync/quic/proto";
 * declare const keyUpdate: { initiate(): void };
 * declare const opened: boolean;
 * const usage = new AeadUsage("aes-128-gcm");
 * if (usage.onSealed() === "update-keys") keyUpdate.initiate();
 * if (!opened) usage.onAuthenticationFailed(); // may throw AEAD_LIMIT_REACHED
 * ```
 * @module
 */
import { TransportError, TransportErrorCode } from "../errors.js";
import { type PacketProtectionSuite, SUITES } from "./suite.js";

/** What the sender must do after sealing one more packet. */
export type SealVerdict = "ok" | "update-keys" | "exhausted";

/** Overrides of {@link AeadUsage}'s limits (lower only: the RFC's are maxima). */
export interface AeadUsageOptions {
  /** Packets one write key may seal (default: the suite's confidentiality limit). */
  readonly confidentialityLimit?: number;
  /** Failed openings tolerated over the connection (default: the suite's integrity limit). */
  readonly integrityLimit?: number;
  /** Fraction of the confidentiality limit after which a key update is asked for (default 0.75). */
  readonly updateAt?: number;
}

/** The per-connection counters of RFC 9001 §6.6; see the module comment. */
export class AeadUsage {
  readonly confidentialityLimit: number;
  readonly integrityLimit: number;
  /** Packets sealed with the current write keys. */
  sealed = 0;
  /** Packets that failed to open, over the whole connection. */
  failed = 0;
  readonly #updateThreshold: number;

  constructor(suite: PacketProtectionSuite, options: AeadUsageOptions = {}) {
    const info = SUITES[suite];
    this.confidentialityLimit = limit("confidentialityLimit", options.confidentialityLimit, info.confidentialityLimit);
    this.integrityLimit = limit("integrityLimit", options.integrityLimit, info.integrityLimit);
    const updateAt = options.updateAt ?? 0.75;
    if (!(updateAt > 0 && updateAt <= 1)) throw new RangeError(`updateAt must be in (0, 1], got ${updateAt}`);
    this.#updateThreshold = Math.floor(this.confidentialityLimit * updateAt);
  }

  /** True while the current write keys may seal another packet. */
  get canSeal(): boolean {
    return this.sealed < this.confidentialityLimit;
  }

  /** Counts one packet sealed with the current write keys; see {@link SealVerdict}. */
  onSealed(): SealVerdict {
    this.sealed++;
    if (this.sealed >= this.confidentialityLimit) return "exhausted";
    return this.sealed >= this.#updateThreshold ? "update-keys" : "ok";
  }

  /** The write keys moved to the next generation: the confidentiality count restarts. */
  onKeysUpdated(): void {
    this.sealed = 0;
  }

  /** Counts one packet that failed authentication; throws AEAD_LIMIT_REACHED past the integrity limit. */
  onAuthenticationFailed(): void {
    this.failed++;
    if (this.failed > this.integrityLimit)
      throw new TransportError(
        TransportErrorCode.AEAD_LIMIT_REACHED,
        `${this.failed} packets failed authentication, over the integrity limit of ${this.integrityLimit} (RFC 9001 §6.6)`,
      );
  }
}

function limit(name: string, value: number | undefined, max: number): number {
  if (value === undefined) return max;
  if (!(Number.isInteger(value) && value >= 1 && value <= max))
    throw new RangeError(`${name} must be an integer in [1, ${max}], got ${value}`);
  return value;
}
