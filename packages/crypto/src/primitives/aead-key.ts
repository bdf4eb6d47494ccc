/**
 * The argument checks every `AeadKey` shares, so the two providers only
 * implement the cipher calls. Checks are a handful of comparisons: cheap
 * enough for QUIC's per-packet path.
 *
 * @example
 * ```ts
 * import { CheckedAeadKey } from "./aead-key.js";
 * // Your AEAD implementation; seal/open have already checked every argument.
 * declare function sealAesGcm(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
 * declare function openAesGcm(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array;
 * class MyKey extends CheckedAeadKey {
 *   readonly #key: Uint8Array;
 *   constructor(key: Uint8Array) {
 *     super("aes-256-gcm", key);
 *     this.#key = key;
 *   }
 *   protected sealTo(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, output: Uint8Array | undefined): Uint8Array {
 *     const sealed = sealAesGcm(this.#key, nonce, plaintext, aad);
 *     if (output === undefined) return sealed;
 *     output.set(sealed);
 *     return output;
 *   }
 *   protected openTo(nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array, output: Uint8Array | undefined): Uint8Array {
 *     const plaintext = openAesGcm(this.#key, nonce, sealed, aad); // throws AuthenticationError
 *     if (output === undefined) return plaintext;
 *     output.set(plaintext);
 *     return output;
 *   }
 * }
 * ```
 * @internal
 * @module
 */
import { assertBytes, assertOptionalBytes, outputView } from "./assert-input.js";
import type { AeadAlgorithm, AeadKey } from "./provider.js";
import { AEAD_PARAMS } from "./provider.js";

const EMPTY = new Uint8Array(0);

/** Base class validating `seal`/`open` arguments before delegating. */
export abstract class CheckedAeadKey implements AeadKey {
  readonly algorithm: AeadAlgorithm;
  readonly keyLength: number;
  readonly nonceLength: number;
  readonly tagLength: number;

  protected constructor(algorithm: AeadAlgorithm, key: Uint8Array) {
    const params = AEAD_PARAMS[algorithm];
    assertBytes(key, "key", params.keyLength);
    this.algorithm = algorithm;
    this.keyLength = params.keyLength;
    this.nonceLength = params.nonceLength;
    this.tagLength = params.tagLength;
  }

  seal(nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array, output?: Uint8Array): Uint8Array {
    assertBytes(nonce, "nonce", this.nonceLength);
    assertBytes(plaintext, "plaintext");
    assertOptionalBytes(aad, "aad");
    const out = outputView(output, plaintext.length + this.tagLength);
    return this.sealTo(nonce, plaintext, aad ?? EMPTY, out);
  }

  open(nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array, output?: Uint8Array): Uint8Array {
    assertBytes(nonce, "nonce", this.nonceLength);
    assertBytes(sealed, "sealed");
    if (sealed.length < this.tagLength) {
      throw new RangeError(`sealed must be at least ${this.tagLength} bytes (the tag), got ${sealed.length}`);
    }
    assertOptionalBytes(aad, "aad");
    const out = outputView(output, sealed.length - this.tagLength);
    return this.openTo(nonce, sealed, aad ?? EMPTY, out);
  }

  /** `output`, when given, is exactly `plaintext.length + tagLength` bytes. */
  protected abstract sealTo(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, output: Uint8Array | undefined): Uint8Array;
  /** Must throw `AuthenticationError` before touching `output` when the tag is wrong. */
  protected abstract openTo(nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array, output: Uint8Array | undefined): Uint8Array;
}
