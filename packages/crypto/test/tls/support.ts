/** Shared fixtures for the TLS tests: a CA, leaves issued by it, and in-memory pumping between two connections. */
import { type GeneratedCertificate, generateCertificate } from "../../src/tls/pki/certificate-generator.js";
import type { TlsConnection } from "../../src/tls/stream/tls-connection.js";

export interface Pki {
  readonly ca: GeneratedCertificate;
  readonly leaf: GeneratedCertificate;
  readonly expired: GeneratedCertificate;
  readonly otherCa: GeneratedCertificate;
  readonly otherLeaf: GeneratedCertificate;
}

let pki: Pki | undefined;

/** One CA with a localhost leaf and an expired leaf, and an unrelated CA with its own leaf. Built once per file. */
export function testPki(): Pki {
  pki ??= (() => {
    const ca = generateCertificate({ commonName: "zsync test CA", isCa: true, subjectAltNames: [] });
    const leaf = generateCertificate({ issuer: ca });
    const day = 86_400_000;
    const expired = generateCertificate({ issuer: ca, notBefore: new Date(Date.now() - 30 * day), notAfter: new Date(Date.now() - day) });
    const otherCa = generateCertificate({ commonName: "unrelated CA", isCa: true, subjectAltNames: [] });
    const otherLeaf = generateCertificate({ issuer: otherCa });
    return { ca, leaf, expired, otherCa, otherLeaf };
  })();
  return pki;
}

/** Moves bytes between two connections until neither has output; returns the number of rounds. */
export function pump(a: TlsConnection, b: TlsConnection, maxRounds = 50): number {
  for (let round = 0; round < maxRounds; round++) {
    const ab = a.takeOutgoing();
    const ba = b.takeOutgoing();
    if (ab.length === 0 && ba.length === 0) return round;
    for (const chunk of ab) b.receive(chunk);
    for (const chunk of ba) a.receive(chunk);
  }
  throw new Error("pump did not settle");
}

export function drain(c: TlsConnection): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let d = c.readApplicationData(); d !== undefined; d = c.readApplicationData()) parts.push(d);
  return Buffer.concat(parts);
}
