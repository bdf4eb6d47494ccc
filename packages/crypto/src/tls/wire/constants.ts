/**
 * TLS 1.3 code points (RFC 9846 §B, RFC 8701-free): content types, handshake
 * types, extensions, alerts, groups, signature schemes and cipher suites.
 * Plain numeric constants so the wire codecs stay allocation-free.
 *
 * @example
 * ```ts
 * import { HandshakeType } from "./constants.js";
 * HandshakeType.ClientHello; // 1
 * ```
 * @module
 */

/** Record content types. */
export const ContentType = {
  ChangeCipherSpec: 20,
  Alert: 21,
  Handshake: 22,
  ApplicationData: 23,
} as const;

/** Handshake message types. */
export const HandshakeType = {
  ClientHello: 1,
  ServerHello: 2,
  NewSessionTicket: 4,
  EndOfEarlyData: 5,
  EncryptedExtensions: 8,
  Certificate: 11,
  CertificateRequest: 13,
  CertificateVerify: 15,
  Finished: 20,
  KeyUpdate: 24,
  MessageHash: 254,
} as const;

/** Extension code points this implementation reads or writes. */
export const ExtensionType = {
  ServerName: 0,
  SupportedGroups: 10,
  SignatureAlgorithms: 13,
  Alpn: 16,
  PreSharedKey: 41,
  EarlyData: 42,
  SupportedVersions: 43,
  Cookie: 44,
  PskKeyExchangeModes: 45,
  CertificateAuthorities: 47,
  SignatureAlgorithmsCert: 50,
  KeyShare: 51,
  QuicTransportParameters: 0x39,
} as const;

/** Alert descriptions (RFC 9846 §6). */
export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;

/** Name of an alert description, e.g. `alertName(20) === "bad_record_mac"`. */
export function alertName(description: number): string {
  for (const [name, value] of Object.entries(AlertDescription)) if (value === description) return name;
  return `alert_${description}`;
}

/** Named groups for key exchange. */
export const NamedGroup = {
  secp256r1: 0x0017,
  x25519: 0x001d,
  x25519mlkem768: 0x11ec,
} as const;

/** Signature schemes. */
export const SignatureScheme = {
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
} as const;

/** Cipher suites. */
export const CipherSuiteId = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
} as const;

/** TLS 1.3's `supported_versions` value; `legacy_version` is always TLS 1.2. */
export const TLS13 = 0x0304;
export const LEGACY_VERSION = 0x0303;

/** ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest"). */
export const HELLO_RETRY_REQUEST_RANDOM = Uint8Array.from([
  0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c,
  0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
]);

/** Largest TLSPlaintext fragment (2^14). */
export const MAX_PLAINTEXT = 16384;
/** Largest TLSCiphertext fragment (2^14 + 256). */
export const MAX_CIPHERTEXT = 16384 + 256;
