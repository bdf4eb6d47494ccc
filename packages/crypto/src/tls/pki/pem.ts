/**
 * PEM helpers: split a PEM bundle into DER certificates, and render DER as PEM.
 *
 * @example
 * ```ts
 * import { readFileSync } from "node:fs";
 * import { pemCertificates } from "@zsync/crypto/tls";
 * const chain = pemCertificates(readFileSync("chain.pem", "utf8")); // Uint8Array[] leaf first
 * ```
 * @module
 */

const CERT_RE = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/** Every certificate in a PEM bundle, as DER, in order. TypeError if there are none. */
export function pemCertificates(pem: string, what = "certificate"): Uint8Array[] {
  if (typeof pem !== "string") throw new TypeError(`${what} must be a PEM string`);
  const out: Uint8Array[] = [];
  for (const match of pem.matchAll(CERT_RE)) out.push(new Uint8Array(Buffer.from((match[1] as string).replace(/\s+/g, ""), "base64")));
  if (out.length === 0) throw new TypeError(`${what} contains no PEM CERTIFICATE block`);
  return out;
}

/** DER bytes as a PEM block of `label`. */
export function toPem(der: Uint8Array, label = "CERTIFICATE"): string {
  const b64 = Buffer.from(der).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** Certificates given as PEM text (one or many) or DER bytes (one or many), as DER. */
export type CertificateInput = string | Uint8Array | readonly (string | Uint8Array)[];

export function certificatesFromInput(input: CertificateInput, what: string): Uint8Array[] {
  const items = typeof input === "string" || input instanceof Uint8Array ? [input] : input;
  if (!Array.isArray(items)) throw new TypeError(`${what} must be PEM text, DER bytes or an array of them`);
  const out: Uint8Array[] = [];
  for (const item of items) {
    if (typeof item === "string") out.push(...pemCertificates(item, what));
    else if (item instanceof Uint8Array) out.push(item);
    else throw new TypeError(`${what} must be PEM text, DER bytes or an array of them`);
  }
  return out;
}
