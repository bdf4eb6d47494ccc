/**
 * Generated certificates are strict DER, because OpenSSL's CLI (the interop
 * peer) refuses what node:crypto tolerates: a serial number must be a
 * positive INTEGER without a redundant leading zero byte.
 */
import { describe, expect, test } from "vitest";
import { generateCertificate } from "../../src/tls/pki/certificate-generator.js";

/** Tag, content start and end of the DER element at `at`. */
function element(der: Uint8Array, at: number): { tag: number; start: number; end: number } {
  const tag = der[at] as number;
  let length = der[at + 1] as number;
  let start = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (der[start + i] as number);
    start += n;
  }
  return { tag, start, end: start + length };
}

describe("generateCertificate", () => {
  test("serial numbers are positive minimal DER INTEGERs (512 certificates)", () => {
    const ca = generateCertificate({ commonName: "serial CA", isCa: true, subjectAltNames: [] });
    for (let i = 0; i < 512; i++) {
      const der = i % 2 === 0 ? generateCertificate({ issuer: ca }).certificateDer : generateCertificate().certificateDer;
      const certificate = element(der, 0);
      const tbs = element(der, certificate.start);
      const version = element(der, tbs.start);
      expect(version.tag).toBe(0xa0);
      const serial = element(der, version.end);
      expect(serial.tag).toBe(0x02);
      const first = der[serial.start] as number;
      expect(first & 0x80).toBe(0); // positive
      if (serial.end - serial.start > 1) expect(first === 0 && ((der[serial.start + 1] as number) & 0x80) === 0).toBe(false);
    }
  });
});
