/** Test helpers: hex codec, RFC vector loading, and the crypto providers every protection test runs on. */
import { readFileSync } from "node:fs";
import type { CryptoProvider } from "@zsync/crypto";
import { getProvider, nobleProvider } from "@zsync/crypto";

export function hex(value: string): Uint8Array {
  if (value.length % 2 !== 0) throw new Error(`odd-length hex: ${value.length}`);
  return Uint8Array.from(Buffer.from(value, "hex"));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Loads `test/vectors/<name>.json`. */
export function vectors<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./${name}.json`, import.meta.url), "utf8")) as T;
}

/** Both providers (node:crypto and @noble), so every packet-protection fact is checked on each. */
export const PROVIDERS: readonly CryptoProvider[] = [getProvider("node"), nobleProvider];

interface Secrets {
  readonly secret: string;
  readonly key: string;
  readonly iv: string;
  readonly hp: string;
}

/** The shape of rfc9001.json and rfc9369.json (Appendix A of each RFC). */
export interface AppendixA {
  readonly source: string;
  readonly version: number;
  readonly dcid: string;
  readonly initialSecret: string;
  readonly client: Secrets;
  readonly server: Secrets;
  readonly clientInitial: {
    readonly packetNumber: number;
    readonly payloadPrefix: string;
    readonly payloadLength: number;
    readonly header: string;
    readonly sample: string;
    readonly mask: string;
    readonly protectedHeader: string;
    readonly packet: string;
  };
  readonly serverInitial: {
    readonly packetNumber: number;
    readonly payload: string;
    readonly header: string;
    readonly sample: string;
    readonly mask: string;
    readonly protectedHeader: string;
    readonly packet: string;
  };
  readonly retry: { readonly originalDcid: string; readonly packet: string };
  readonly chacha20ShortHeader: Secrets & {
    readonly ku: string;
    readonly packetNumber: number;
    readonly nonce: string;
    readonly header: string;
    readonly plaintext: string;
    readonly ciphertext: string;
    readonly sample: string;
    readonly mask: string;
    readonly protectedHeader: string;
    readonly packet: string;
  };
}

import { TransportError } from "../../src/proto/errors.js";

/** Runs `fn`, which must throw a `TransportError`, and returns that error (anything else fails the test). */
export function transportErrorOf(fn: () => unknown): TransportError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TransportError) return error;
    throw error;
  }
  throw new Error("expected a TransportError, but nothing was thrown");
}
