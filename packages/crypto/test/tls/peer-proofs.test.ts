/**
 * The two proofs each side checks of its peer, as the engines call them:
 * CertificateVerify (RFC 9846 §4.4.3: a scheme we offered, a signature over
 * the transcript whose context names the signer's side) and Finished
 * (§4.4.4: the MAC keyed by the peer's handshake traffic secret).
 */
import { describe, expect, test } from "vitest";
import { getProvider } from "../../src/index.js";
import { TlsProtocolError } from "../../src/tls/errors.js";
import { checkCertificateVerify, signCertificateVerify } from "../../src/tls/handshake/certificate-verify.js";
import { cipherSuiteByName } from "../../src/tls/handshake/cipher-suites.js";
import { KeySchedule } from "../../src/tls/handshake/key-schedule.js";
import { TrafficSecrets } from "../../src/tls/handshake/traffic-secrets.js";
import { sharedCertificateVerifier } from "../../src/tls/pki/certificates.js";
import { loadCredentials } from "../../src/tls/pki/credentials.js";
import { SignatureScheme } from "../../src/tls/wire/constants.js";
import { testPki } from "./support.js";

const provider = getProvider();
const pki = testPki();
const credentials = loadCredentials({ certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem });
const leafKey = sharedCertificateVerifier(pki.ca.certificatePem).verify([pki.leaf.certificateDer], {
  serverName: "localhost",
  now: new Date(),
});
const transcriptHash = provider.hash("sha256", new TextEncoder().encode("ClientHello..Certificate"));
const scheme = credentials.signer.schemes[0] as number;

function refusal(check: () => void): { alert: string | undefined; message: string } {
  try {
    check();
  } catch (error) {
    expect(error).toBeInstanceOf(TlsProtocolError);
    return { alert: (error as TlsProtocolError).alertName, message: (error as Error).message };
  }
  throw new Error("the check accepted it");
}

describe("CertificateVerify", () => {
  test("a server's signature verifies as the server's, over the same transcript only", () => {
    const message = signCertificateVerify("server", credentials, scheme, transcriptHash);
    const body = message.subarray(4);
    expect(() => checkCertificateVerify(provider, "server", leafKey, body, transcriptHash)).not.toThrow();
    const otherHash = provider.hash("sha256", new Uint8Array(1));
    expect(refusal(() => checkCertificateVerify(provider, "server", leafKey, body, otherHash))).toEqual({
      alert: "decrypt_error",
      message: "decrypt_error: server CertificateVerify signature does not verify",
    });
  });

  test("a server's signature is no client's: the context string differs (decrypt_error)", () => {
    const body = signCertificateVerify("server", credentials, scheme, transcriptHash).subarray(4);
    expect(refusal(() => checkCertificateVerify(provider, "client", leafKey, body, transcriptHash))).toEqual({
      alert: "decrypt_error",
      message: "decrypt_error: client CertificateVerify signature does not verify",
    });
  });

  test("a scheme we did not offer is illegal_parameter, before any signature check", () => {
    const body = signCertificateVerify("client", credentials, scheme, transcriptHash).subarray(4);
    const rsaPkcs1 = 0x0401; // rsa_pkcs1_sha256: never allowed in CertificateVerify
    body[0] = rsaPkcs1 >> 8;
    body[1] = rsaPkcs1 & 0xff;
    expect(refusal(() => checkCertificateVerify(provider, "client", leafKey, body, transcriptHash))).toEqual({
      alert: "illegal_parameter",
      message: "illegal_parameter: client CertificateVerify scheme 0x401 was not offered",
    });
    expect(scheme).toBe(SignatureScheme.ecdsa_secp256r1_sha256);
  });
});

describe("Finished", () => {
  function secrets(): TrafficSecrets {
    const schedule = new KeySchedule(provider, cipherSuiteByName("TLS_AES_128_GCM_SHA256"));
    schedule.inputPsk(undefined);
    const out = new TrafficSecrets(schedule, () => {});
    out.enterHandshake(new Uint8Array(32).fill(7), transcriptHash);
    return out;
  }

  test("each side's verify_data checks as that side's and no other", () => {
    const s = secrets();
    const client = s.finished("client", transcriptHash);
    const server = s.finished("server", transcriptHash);
    expect(client).not.toEqual(server);
    expect(() => s.checkFinished("client", transcriptHash, client)).not.toThrow();
    expect(() => s.checkFinished("server", transcriptHash, server)).not.toThrow();
    expect(refusal(() => s.checkFinished("client", transcriptHash, server))).toEqual({
      alert: "decrypt_error",
      message: "decrypt_error: client Finished does not verify",
    });
  });

  test("a flipped bit or a truncated MAC does not verify", () => {
    const s = secrets();
    const mac = s.finished("server", transcriptHash);
    const flipped = mac.slice();
    flipped[31] = (flipped[31] as number) ^ 1;
    expect(refusal(() => s.checkFinished("server", transcriptHash, flipped)).alert).toBe("decrypt_error");
    expect(refusal(() => s.checkFinished("server", transcriptHash, mac.subarray(0, 16))).alert).toBe("decrypt_error");
  });

  test("secrets asked for before the stage that derives them are a programming error, not a wrong key", () => {
    const schedule = new KeySchedule(provider, cipherSuiteByName("TLS_AES_128_GCM_SHA256"));
    schedule.inputPsk(undefined);
    const early = new TrafficSecrets(schedule, () => {});
    expect(() => early.handshake("client")).toThrow(RangeError);
    expect(() => early.application("server")).toThrow(RangeError);
    expect(() => early.update("client")).toThrow(RangeError);
  });
});
