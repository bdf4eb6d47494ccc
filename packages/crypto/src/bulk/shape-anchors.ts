/**
 * Keeps one live, zero-keyed instance of each kind of object a worker lane
 * creates per chunk, so that the lane worker's forced full collections
 * (`shared-memory-release.ts`) do not throw its optimized code away.
 *
 * Why: V8 keeps an object's hidden class (map) only while some live object
 * uses it, and a full collection that finds a map dead deoptimizes every
 * function whose optimized code was specialized on it (`--trace-deopt`:
 * "marking dependent code ... reason: weak objects"). A lane worker runs its
 * collection after the lane has returned, when no key object and no
 * node:crypto cipher is alive, so every pooled call found `sealTo`,
 * `sealChunkRange`, node's `createCipherWithIV`, `final`, `getAuthTag` and
 * their neighbours deoptimized, ran them unoptimized again and paid TurboFan
 * to recompile them: about ten deoptimizations per lane and 40-50 ms of
 * compiler CPU on V8's helper threads per 256 MiB call (2 cores, measured with
 * `perf`), while the lanes competed with it for the cores. Holding one
 * instance of each keeps their maps, and the code, alive (0 deoptimizations).
 *
 * The anchors hold no secret: keys, nonces and data are zeros. They are a few
 * hundred bytes per (provider, algorithm) a worker has run, for the worker's life.
 *
 * @example
 * ```ts
 * import { holdShapes } from "./shape-anchors.js";
 * holdShapes("node", "xchacha20-poly1305"); // at the start of a lane
 * ```
 * @internal
 * @module
 */
import type { AeadAlgorithm, ProviderName } from "../primitives/provider.js";
import { AEAD_PARAMS } from "../primitives/provider.js";
import { getProvider } from "../primitives/providers/select.js";

/** The slice of node:crypto whose per-chunk objects the node provider creates. */
interface NodeCipherModule {
  createCipheriv(name: string, key: Uint8Array, iv: Uint8Array, options: { authTagLength: number }): NodeCipher;
  createDecipheriv(name: string, key: Uint8Array, iv: Uint8Array, options: { authTagLength: number }): NodeDecipher;
}
interface NodeCipher {
  update(data: Uint8Array): Uint8Array;
  final(): Uint8Array;
  getAuthTag(): Uint8Array;
}
interface NodeDecipher {
  setAuthTag(tag: Uint8Array): void;
  update(data: Uint8Array): Uint8Array;
  final(): Uint8Array;
}

/** node:crypto's name for the AEAD the node provider runs per chunk (XChaCha: ChaCha20-Poly1305 under an HChaCha subkey). */
const NODE_CIPHER: Readonly<Record<AeadAlgorithm, string>> = {
  "aes-128-gcm": "aes-128-gcm",
  "aes-256-gcm": "aes-256-gcm",
  "chacha20-poly1305": "chacha20-poly1305",
  "xchacha20-poly1305": "chacha20-poly1305",
};

const held = new Map<string, readonly unknown[]>();

/** Anchors held so far in this thread (for tests). */
export function heldShapes(): number {
  return held.size;
}

/**
 * Makes sure this thread holds a zero-keyed key object of `provider` for
 * `algorithm`, used once each way, and, for the node provider, a node:crypto
 * cipher and decipher taken through their whole life (update, final, tag).
 */
export function holdShapes(provider: ProviderName, algorithm: AeadAlgorithm): void {
  const id = `${provider}:${algorithm}`;
  if (held.has(id)) return;
  const params = AEAD_PARAMS[algorithm];
  const key = getProvider(provider).aead(algorithm, new Uint8Array(params.keyLength));
  const nonce = new Uint8Array(params.nonceLength);
  const sealed = key.seal(nonce, new Uint8Array(16));
  key.open(nonce, sealed);
  const anchors: unknown[] = [key];
  if (provider === "node") anchors.push(...nodeCipherAnchors(NODE_CIPHER[algorithm]));
  held.set(id, anchors);
}

function nodeCipherAnchors(name: string): unknown[] {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const crypto = proc?.getBuiltinModule?.("node:crypto") as NodeCipherModule | undefined;
  if (crypto === undefined) return [];
  const key = new Uint8Array(name === "aes-128-gcm" ? 16 : 32);
  const iv = new Uint8Array(12);
  const cipher = crypto.createCipheriv(name, key, iv, { authTagLength: 16 });
  const body = cipher.update(new Uint8Array(16));
  cipher.final();
  const decipher = crypto.createDecipheriv(name, key, iv, { authTagLength: 16 });
  decipher.setAuthTag(cipher.getAuthTag());
  decipher.update(body);
  decipher.final();
  return [cipher, decipher];
}
