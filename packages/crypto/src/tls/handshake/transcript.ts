/**
 * The running handshake transcript hash. Messages seen before the cipher
 * suite (and so the hash) is known are kept and replayed; HelloRetryRequest
 * replaces ClientHello1 with the synthetic message_hash (RFC 9846 §4.4.1).
 *
 * @example
 * ```ts
 * import { getProvider } from "@zsync/crypto";
 * import { Transcript } from "./transcript.js";
 * declare const clientHello: Uint8Array;
 * declare const serverHello: Uint8Array;
 * const provider = getProvider();
 * const t = new Transcript();
 * t.add(clientHello);
 * t.selectHash(provider, "sha256");
 * t.add(serverHello);
 * t.hash(); // Transcript-Hash(ClientHello, ServerHello)
 * ```
 * @module
 */
import type { CryptoProvider, Hasher, MacHash } from "../../primitives/provider.js";
import { encodeMessageHash } from "../wire/messages.js";

export class Transcript {
  #pending: Uint8Array[] = [];
  #hasher: Hasher | undefined;
  #provider: CryptoProvider | undefined;
  #hash: MacHash | undefined;

  /** Fixes the hash function, absorbing everything added so far. */
  selectHash(provider: CryptoProvider, hash: MacHash): void {
    if (this.#hash === hash && this.#hasher !== undefined) return;
    this.#provider = provider;
    this.#hash = hash;
    this.#hasher = provider.createHash(hash);
    for (const m of this.#pending) this.#hasher.update(m);
  }

  add(message: Uint8Array): void {
    this.#pending.push(message);
    this.#hasher?.update(message);
  }

  /** The hash over everything added; the transcript continues. */
  hash(): Uint8Array {
    if (this.#hasher === undefined) throw new RangeError("transcript hash function not selected yet");
    return this.#hasher.clone().digest();
  }

  /** Hash of everything added plus `extra` (not added): PSK binders hash a truncated ClientHello. */
  hashWith(extra: Uint8Array): Uint8Array {
    if (this.#hasher === undefined) throw new RangeError("transcript hash function not selected yet");
    return this.#hasher.clone().update(extra).digest();
  }

  /** Replaces the transcript so far (ClientHello1) by message_hash(Hash(ClientHello1)). */
  replaceWithMessageHash(): void {
    const provider = this.#provider;
    const hash = this.#hash;
    if (provider === undefined || hash === undefined) throw new RangeError("transcript hash function not selected yet");
    const digest = this.hash();
    this.#pending = [];
    this.#hasher = provider.createHash(hash);
    this.add(encodeMessageHash(digest));
  }

  /** Messages are only needed until the hash is fixed; drop them after. */
  releaseHistory(): void {
    if (this.#hasher !== undefined) this.#pending = [];
  }
}
