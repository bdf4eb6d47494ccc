/**
 * `holdShapes` keeps the node provider's seal path optimized across a full
 * collection that runs while no key object or node:crypto cipher is alive,
 * which is when a lane worker's forced collection runs. Without the anchors
 * V8 drops those objects' maps and deoptimizes the code built on them, and
 * every pooled call re-ran the path unoptimized and recompiled it.
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { heldShapes, holdShapes } from "../src/bulk/shape-anchors.js";
import { type AeadAlgorithm, type AeadKey, getProvider } from "../src/index.js";

setFlagsFromString("--allow-natives-syntax");
const natives = new Function(
  "f",
  "op",
  "if (op === 0) return %PrepareFunctionForOptimization(f); if (op === 1) return %OptimizeFunctionOnNextCall(f); return %GetOptimizationStatus(f);",
) as (f: unknown, op: number) => number;
setFlagsFromString("--no-allow-natives-syntax");
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
setFlagsFromString("--no-expose-gc");

/** V8's `kOptimized` bit of `%GetOptimizationStatus`: the function runs optimized code. */
const OPTIMIZED = 1 << 4;

/** Optimizes `f` (after warm-up calls); returns whether it is still optimized after two full collections. */
function stillOptimizedAfterCollection(f: () => unknown): boolean {
  natives(f, 0);
  for (let i = 0; i < 10; i++) f();
  natives(f, 1);
  f();
  expect(natives(f, 2) & OPTIMIZED).toBe(OPTIMIZED);
  gc();
  gc();
  return (natives(f, 2) & OPTIMIZED) !== 0;
}

/** Optimizes a fresh seal call site on a key that is then dropped; returns whether it is still optimized after two full collections. */
function optimizedAfterCollection(algorithm: AeadAlgorithm, keyLength: number, nonceLength: number): boolean {
  const probe = (key: AeadKey, nonce: Uint8Array, data: Uint8Array, out: Uint8Array) => key.seal(nonce, data, undefined, out);
  let key: AeadKey | undefined = getProvider("node").aead(algorithm, new Uint8Array(keyLength).fill(1));
  const nonce = new Uint8Array(nonceLength);
  const data = new Uint8Array(1024);
  const out = new Uint8Array(1040);
  natives(probe, 0);
  probe(key, nonce, data, out);
  probe(key, nonce, data, out);
  natives(probe, 1);
  probe(key, nonce, data, out);
  expect(natives(probe, 2) & OPTIMIZED).toBe(OPTIMIZED);
  key = undefined;
  gc();
  gc();
  return (natives(probe, 2) & OPTIMIZED) !== 0;
}

describe("holdShapes", () => {
  it("keeps the node seal path optimized through a full collection with no key or cipher alive", () => {
    holdShapes("node", "xchacha20-poly1305");
    holdShapes("node", "aes-128-gcm");
    expect(optimizedAfterCollection("xchacha20-poly1305", 32, 24)).toBe(true);
    expect(optimizedAfterCollection("aes-128-gcm", 16, 12)).toBe(true);
  });

  it("keeps code optimized on node:crypto's ciphers and deciphers (what the node provider creates per chunk)", () => {
    holdShapes("node", "chacha20-poly1305");
    const key = new Uint8Array(32).fill(2);
    const iv = new Uint8Array(12);
    const data = new Uint8Array(1024);
    const seal = () => {
      const cipher = createCipheriv("chacha20-poly1305", key, iv, { authTagLength: 16 });
      cipher.update(data);
      cipher.final();
      return cipher.getAuthTag();
    };
    const tag = seal();
    const body = createCipheriv("chacha20-poly1305", key, iv, { authTagLength: 16 }).update(data);
    const open = () => {
      const decipher = createDecipheriv("chacha20-poly1305", key, iv, { authTagLength: 16 });
      decipher.setAuthTag(tag);
      decipher.update(body);
      decipher.final();
    };
    expect(stillOptimizedAfterCollection(seal)).toBe(true);
    expect(stillOptimizedAfterCollection(open)).toBe(true);
  });

  it("holds one set of anchors per provider and algorithm", () => {
    const before = heldShapes();
    holdShapes("noble", "chacha20-poly1305");
    holdShapes("noble", "chacha20-poly1305");
    expect(heldShapes()).toBe(before + 1);
  });
});
