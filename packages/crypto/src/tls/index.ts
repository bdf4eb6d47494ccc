/**
 * TLS 1.3 for zsync: the sans-I/O client and server engines (also meant to
 * drive QUIC), the TCP record layer, `TlsStream`/`TlsListener` over the
 * runtime's TCP, certificate validation and generation, and key logging.
 *
 * @example
 * ```ts
 * import { generateSelfSignedCertificate, TlsListener, TlsStream } from "@zsync/crypto/tls";
 * const cert = generateSelfSignedCertificate();
 * await using listener = await TlsListener.bind({ credentials: { certificate: cert.certificatePem, privateKey: cert.privateKeyPem } });
 * const connecting = TlsStream.connect({ port: listener.port, ca: cert.certificatePem });
 * await using server = await listener.accept();
 * await using client = await connecting;
 * ```
 * @module
 */
export {
  type CertificateOptions,
  type GeneratedCertificate,
  generateCertificate,
  generateSelfSignedCertificate,
} from "./certificate-generator.js";
export {
  type CertificateVerifier,
  type CertificateVerifierOptions,
  createCertificateVerifier,
  dangerouslyAcceptAnyCertificateForTestsOnly,
  sharedCertificateVerifier,
  type VerificationContext,
} from "./certificates.js";
export { CIPHER_SUITES, type CipherSuite, type CipherSuiteName, cipherSuiteById, cipherSuiteByName } from "./cipher-suites.js";
export { TlsClientEngine, type TlsClientOptions } from "./client.js";
export { type CredentialsInput, loadCredentials, type TlsCredentials } from "./credentials.js";
export type { HandshakeInfo, KeyLogCallback, TlsEvent, TlsLevel, TlsSession } from "./engine.js";
export {
  type CertificateFailureReason,
  TlsBadRecordMacError,
  TlsCertificateError,
  TlsClosedError,
  TlsError,
  type TlsErrorCode,
  type TlsLimit,
  TlsLimitError,
  TlsNegotiationError,
  TlsPeerAlertError,
  TlsProtocolError,
  TlsTruncatedError,
} from "./errors.js";
export type { NamedGroupName } from "./key-exchange.js";
export { keyLogFile, keyLogFromEnvironment, keyLogLine } from "./keylog.js";
export { type CertificateInput, pemCertificates, toPem } from "./pem.js";
export { TlsServerEngine, type TlsServerOptions } from "./server.js";
export { SessionTicketer } from "./session-tickets.js";
export type { PeerPublicKey, TlsSigner } from "./signatures.js";
export { TlsConnection, type TlsConnectionOptions } from "./tls-connection.js";
export {
  type TlsAcceptOptions,
  type TlsConnectOptions,
  TlsListener,
  type TlsListenerStats,
  type TlsListenOptions,
  TlsStream,
  type TlsStreamOptions,
} from "./tls-stream.js";
export { AlertDescription, alertName } from "./wire/constants.js";
