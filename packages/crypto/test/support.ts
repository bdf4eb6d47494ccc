/** Test helpers: hex codec, vector loading, and the providers every suite runs against. */
import { readFileSync } from "node:fs";
import type { CryptoProvider } from "../src/index.js";
import { getProvider, nobleProvider } from "../src/index.js";

export function hex(value: string): Uint8Array {
  if (value.length % 2 !== 0) throw new Error(`odd-length hex: ${value.length}`);
  return Uint8Array.from(Buffer.from(value, "hex"));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

export function vectors<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./vectors/${name}.json`, import.meta.url), "utf8")) as T;
}

/** Both providers, so one suite checks both implementations against the same facts. */
export const PROVIDERS: readonly CryptoProvider[] = [getProvider("node"), nobleProvider];
