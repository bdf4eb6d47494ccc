/**
 * NSS key log format (`SSLKEYLOGFILE`), so Wireshark and similar tools can
 * decrypt captures: one `LABEL <client_random hex> <secret hex>` line per
 * secret. Enabled only when asked: pass `keyLog: keyLogFile(path)` or
 * `keyLog: keyLogFromEnvironment()` (reads `SSLKEYLOGFILE`).
 *
 * @example
 * ```ts
 * import { keyLogFromEnvironment, TlsStream } from "@zsync/crypto/tls";
 * const host = "localhost";
 * const port = 8443;
 * await TlsStream.connect({ host, port, keyLog: keyLogFromEnvironment() });
 * ```
 * @module
 */
import { appendFileSync } from "node:fs";
import type { KeyLogCallback } from "./engine.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");

/** One key log line (without newline). */
export function keyLogLine(label: string, clientRandom: Uint8Array, secret: Uint8Array): string {
  return `${label} ${hex(clientRandom)} ${hex(secret)}`;
}

/** A callback appending lines to `path` (synchronously, so lines are never lost or interleaved). */
export function keyLogFile(path: string): KeyLogCallback {
  if (typeof path !== "string" || path.length === 0) throw new TypeError("keyLogFile: path must be a non-empty string");
  return (label, clientRandom, secret) => appendFileSync(path, `${keyLogLine(label, clientRandom, secret)}\n`, { mode: 0o600 });
}

/** `keyLogFile(process.env.SSLKEYLOGFILE)` when the variable is set, else undefined (no logging). */
export function keyLogFromEnvironment(): KeyLogCallback | undefined {
  const path = process.env.SSLKEYLOGFILE;
  return path === undefined || path === "" ? undefined : keyLogFile(path);
}
