/**
 * Crypto routes on `@zsync/crypto`: `POST /hash?algorithm=...` digests the
 * body with `AsyncHasher` (in slices that yield to the event loop),
 * `POST /seal` encrypts it with `AsyncCipher` (XChaCha20-Poly1305 under the
 * service's key; large bodies on the service's worker threads) and answers
 * the envelope, and `POST /open` decrypts an envelope back. An envelope that
 * was altered, cut short or is not one is a 400 naming the crypto error's
 * code (`ZSYNC_CRYPTO_AUTH`, `ZSYNC_CRYPTO_TRUNCATED`, `ZSYNC_CRYPTO_FORMAT`),
 * and no plaintext is released.
 *
 * @example
 * ```ts
 * import { AsyncCipher } from "@zsync/crypto";
 * import { CryptoApi } from "./crypto-api.js";
 * import { Router } from "./router.js";
 * const router = new CryptoApi(new AsyncCipher(AsyncCipher.generateKey()), 1 << 20).routes(new Router());
 * ```
 * @module
 */
import {
  type AsyncCipher,
  AsyncHasher,
  AuthenticationError,
  EnvelopeFormatError,
  type HashAlgorithm,
  TruncatedCiphertextError,
} from "@zsync/crypto";
import { jsonResponse, readBody } from "./body.js";
import { BadRequestError } from "./http-errors.js";
import type { Router } from "./router.js";

/** The hashes `POST /hash` offers (`algorithm` query parameter; default sha256). */
export const HASH_ALGORITHMS: readonly HashAlgorithm[] = ["sha256", "sha384", "sha512", "blake2b", "blake3"];
/** Bound to every envelope, so an envelope sealed for something else does not open here. */
const AAD = new TextEncoder().encode("zsync-demo/seal");

/** The crypto routes over one cipher. */
export class CryptoApi {
  readonly #cipher: AsyncCipher;
  readonly #maxBodyBytes: number;

  constructor(cipher: AsyncCipher, maxBodyBytes: number) {
    this.#cipher = cipher;
    this.#maxBodyBytes = maxBodyBytes;
  }

  /** Adds the routes to `router`. */
  routes(router: Router): Router {
    return router
      .on("POST", "/hash", (request) => this.#hash(request))
      .on("POST", "/seal", (request) => this.#seal(request))
      .on("POST", "/open", (request) => this.#open(request));
  }

  async #hash(request: Request): Promise<Response> {
    const name = new URL(request.url).searchParams.get("algorithm") ?? "sha256";
    const algorithm = HASH_ALGORITHMS.find((a) => a === name);
    if (algorithm === undefined)
      throw new BadRequestError("DEMO_BAD_ALGORITHM", `unknown hash ${JSON.stringify(name)} (one of ${HASH_ALGORITHMS.join(", ")})`);
    const body = await readBody(request, this.#maxBodyBytes);
    const digest = await new AsyncHasher(algorithm).hashLargeData(body);
    return jsonResponse(200, { algorithm, bytes: body.length, digest: Buffer.from(digest).toString("hex") });
  }

  async #seal(request: Request): Promise<Response> {
    const body = await readBody(request, this.#maxBodyBytes);
    const envelope = await this.#cipher.encrypt(body, { aad: AAD });
    return new Response(bodyOf(envelope), { status: 200, headers: { "content-type": "application/octet-stream" } });
  }

  async #open(request: Request): Promise<Response> {
    // An envelope is a little longer than its plaintext: allow for the chunk tags of the largest body.
    const envelope = await readBody(request, this.#cipher.encryptedLength(this.#maxBodyBytes));
    let plaintext: Uint8Array;
    try {
      plaintext = await this.#cipher.decrypt(envelope, { aad: AAD });
    } catch (error) {
      if (error instanceof AuthenticationError || error instanceof TruncatedCiphertextError || error instanceof EnvelopeFormatError)
        throw new BadRequestError("DEMO_SEAL_REJECTED", `the envelope was refused: ${error.code}`, { cause: error });
      throw error;
    }
    return new Response(bodyOf(plaintext), { status: 200, headers: { "content-type": "application/octet-stream" } });
  }
}

/**
 * A response body for `bytes`: the cipher may return a view of a
 * `SharedArrayBuffer` (its worker lanes write there), which `Response`
 * does not take, so that is copied once into an ordinary buffer.
 */
function bodyOf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}
