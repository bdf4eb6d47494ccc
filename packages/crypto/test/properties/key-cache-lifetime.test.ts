/**
 * Property: the node provider's caches of OpenSSL key objects follow the
 * caller's key arrays. The object made from a secret array is reused while
 * that array lives (so the cache is real) and becomes collectable as soon as
 * the array does: the provider never keeps a secret alive on its own.
 *
 * Observed from outside: the node:crypto factory the provider calls is
 * wrapped to keep only a `WeakRef` to what it returns (never its argument),
 * and full collections are run through the flagged-context `gc` the package
 * itself uses (see flagged-builtin.ts), so no command-line flag is needed.
 */
import type * as NodeCrypto from "node:crypto";
import { afterEach, describe, expect, test } from "vitest";
import { getProvider } from "../../src/index.js";
import { builtinFromFlaggedContext } from "../../src/primitives/providers/flagged-builtin.js";

type Factory = "createSecretKey" | "createPrivateKey" | "createECDH";

const gc = builtinFromFlaggedContext("expose-gc", "gc") as (() => void) | undefined;
const crypto = process.getBuiltinModule("node:crypto") as typeof NodeCrypto;
/** The same module object the provider holds, seen as the factories this test wraps. */
const factories = crypto as unknown as Record<Factory, (...args: unknown[]) => object>;
const node = getProvider("node");
const peer = node.x25519.generateKeyPair().publicKey;
const p256Peer = node.p256.generateKeyPair().publicKey;
const ed25519Message = new Uint8Array(8);

const CASES: readonly (readonly [string, Factory, number, (key: Uint8Array) => void])[] = [
  ["an HMAC key", "createSecretKey", 32, (key) => node.hmac("sha256", key, ed25519Message)],
  ["an HKDF pseudorandom key", "createSecretKey", 32, (key) => node.hkdfExpand("sha256", key, ed25519Message, 32)],
  ["an X25519 secret key", "createPrivateKey", 32, (key) => node.x25519.sharedSecret(key, peer)],
  ["an Ed25519 secret key", "createPrivateKey", 32, (key) => node.ed25519.sign(ed25519Message, key)],
  ["a P-256 scalar", "createECDH", 32, (key) => node.p256.sharedSecret(key, p256Peer)],
];

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

/** Wraps `name` so that each object it makes is recorded by a WeakRef only. */
function watch(name: Factory): { readonly made: WeakRef<object>[] } {
  const original = factories[name];
  const made: WeakRef<object>[] = [];
  factories[name] = function (this: unknown, ...args: unknown[]): object {
    const result = original.apply(this, args);
    made.push(new WeakRef(result));
    return result;
  };
  restore = () => {
    factories[name] = original;
  };
  return { made };
}

/** Full collections, each in a later task: a WeakRef target lives at least until its creating job ends. */
async function collect(rounds: number, until: () => boolean = () => false): Promise<void> {
  for (let i = 0; i < rounds && !until(); i++) {
    await new Promise((resolve) => setImmediate(resolve));
    (gc as () => void)();
  }
}

/** A fresh secret array, used once; returned inside a holder so the caller can drop its only reference. */
function freshKey(length: number, use: (key: Uint8Array) => void): { key: Uint8Array | undefined } {
  const holder: { key: Uint8Array | undefined } = { key: crypto.randomFillSync(new Uint8Array(length)) };
  use(holder.key as Uint8Array);
  return holder;
}

describe("the node provider's key-object cache", () => {
  test("a gc function is available (the control for the collections below)", () => {
    expect(typeof gc).toBe("function");
  });

  test.each(CASES)("%s: one import while the array lives, collectable once it is gone", async (_name, factory, length, use) => {
    const { made } = watch(factory);
    const holder = freshKey(length, use);
    expect(made).toHaveLength(1);
    const object = made[0] as WeakRef<object>;

    // Alive and reused while the caller keeps its array, across full collections.
    await collect(2);
    expect(object.deref()).toBeDefined();
    use(holder.key as Uint8Array);
    expect(made).toHaveLength(1);

    holder.key = undefined;
    await collect(10, () => object.deref() === undefined);
    expect(object.deref()).toBeUndefined();
  });
});
