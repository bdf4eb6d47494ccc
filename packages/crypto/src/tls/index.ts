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
  TlsWriteCancelledError,
  TlsWriteTimeoutError,
} from "./errors.js";
export { CIPHER_SUITES, type CipherSuite, type CipherSuiteName, cipherSuiteById, cipherSuiteByName } from "./handshake/cipher-suites.js";
export { TlsClientEngine, type TlsClientOptions } from "./handshake/client.js";
export type { HandshakeInfo, KeyLogCallback, TlsEvent, TlsLevel, TlsSession } from "./handshake/engine.js";
export type { NamedGroupName } from "./handshake/key-exchange.js";
export { keyLogFile, keyLogFromEnvironment, keyLogLine } from "./handshake/keylog.js";
export { TlsServerEngine, type TlsServerOptions } from "./handshake/server.js";
export { SessionTicketer } from "./handshake/session-tickets.js";
export {
  type CertificateOptions,
  type GeneratedCertificate,
  generateCertificate,
  generateSelfSignedCertificate,
} from "./pki/certificate-generator.js";
export {
  type CertificateVerifier,
  type CertificateVerifierOptions,
  createCertificateVerifier,
  dangerouslyAcceptAnyCertificateForTestsOnly,
  sharedCertificateVerifier,
  type VerificationContext,
} from "./pki/certificates.js";
export { type CredentialsInput, loadCredentials, type TlsCredentials } from "./pki/credentials.js";
export { type CertificateInput, pemCertificates, toPem } from "./pki/pem.js";
export type { PeerPublicKey, TlsSigner } from "./pki/signatures.js";
export { TlsConnection, type TlsConnectionOptions } from "./stream/tls-connection.js";
export {
  type TlsAcceptOptions,
  type TlsConnectOptions,
  TlsListener,
  type TlsListenerStats,
  type TlsListenOptions,
  TlsStream,
  type TlsStreamOptions,
} from "./stream/tls-stream.js";
export { AlertDescription, alertName } from "./wire/constants.js";
