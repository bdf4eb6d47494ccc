/**
 * Provider selection: `node` where node:crypto exists, `noble` elsewhere,
 * or whichever the caller names. The choice is per call site, never global
 * mutable state, so libraries cannot change each other's provider.
 *
 * @example
 * ```ts
 * import { getProvider } from "@zsync/crypto";
 * getProvider().name;        // "node" on Node.js
 * getProvider("noble").name; // "noble" everywhere
 * ```
 * @module
 */
import { ProviderUnavailableError } from "../errors.js";
import type { CryptoProvider, ProviderName } from "../provider.js";
import { nobleProvider } from "./noble.js";
import { createNodeProvider } from "./node.js";

let node: CryptoProvider | undefined | null = null;

/** The node provider, or `undefined` outside Node.js. Built once, on first use. */
export function nodeProviderIfAvailable(): CryptoProvider | undefined {
  if (node === null) node = createNodeProvider();
  return node;
}

/**
 * Returns the named provider, or the default (`node` if available, else
 * `noble`). Throws `ProviderUnavailableError` if `node` is named where
 * node:crypto is missing, `TypeError` for an unknown name.
 */
export function getProvider(name?: ProviderName): CryptoProvider {
  if (name === undefined) return nodeProviderIfAvailable() ?? nobleProvider;
  if (name === "noble") return nobleProvider;
  if (name === "node") {
    const provider = nodeProviderIfAvailable();
    if (provider === undefined) throw new ProviderUnavailableError("node");
    return provider;
  }
  throw new TypeError(`provider must be "node" or "noble", got ${String(name)}`);
}

/** Names of the providers usable in this environment, default first. */
export function availableProviders(): ProviderName[] {
  return nodeProviderIfAvailable() === undefined ? ["noble"] : ["node", "noble"];
}

/** Accepts a provider object or name, as option bags across the package do. */
export function resolveProvider(provider: CryptoProvider | ProviderName | undefined): CryptoProvider {
  if (provider === undefined || typeof provider === "string") return getProvider(provider);
  if (typeof provider !== "object" || provider === null || typeof provider.aead !== "function") {
    throw new TypeError('provider must be a CryptoProvider or one of "node", "noble"');
  }
  return provider;
}
