/**
 * The TLS 1.3 client state machine (RFC 9846 §2, §4): ClientHello with key
 * shares (and an optional resumption PSK and 0-RTT), HelloRetryRequest,
 * ServerHello, the encrypted server flight, client Finished, and the
 * post-handshake messages (NewSessionTicket, KeyUpdate). Sans-I/O; see
 * engine.ts for the driver contract.
 *
 * @example
 * ```ts
 * import { TlsClientEngine } from "@zsync/crypto/tls";
 * declare const caPem: string;
 * const client = new TlsClientEngine({ serverName: "localhost", ca: caPem });
 * client.start();
 * const [hello] = client.takeEvents(); // { type: "send", level: "initial", data: ClientHello }
 * ```
 * @module
 */

import { isIP } from "node:net";
import { bytesEqual } from "../../primitives/constant-time.js";
import type { CryptoProvider, ProviderName } from "../../primitives/provider.js";
import { resolveProvider } from "../../primitives/providers/select.js";
import { TlsCertificateError, TlsNegotiationError, TlsProtocolError } from "../errors.js";
import { type CertificateVerifier, sharedCertificateVerifier } from "../pki/certificates.js";
import { type CredentialsInput, type TlsCredentials, toCredentials } from "../pki/credentials.js";
import type { CertificateInput } from "../pki/pem.js";
import { type PeerPublicKey, VERIFY_SCHEMES } from "../pki/signatures.js";
import {
  AlertDescription,
  ExtensionType,
  HandshakeType,
  HELLO_RETRY_REQUEST_RANDOM,
  LEGACY_VERSION,
  NamedGroup,
  TLS13,
} from "../wire/constants.js";
import {
  decodeAlpn,
  decodeOpaque16,
  decodeServerKeyShare,
  decodeU16,
  decodeU16List,
  type Extension,
  encodeAlpn,
  encodeClientKeyShares,
  encodeClientVersions,
  encodeOfferedPsks,
  encodeOpaque16,
  encodeServerName,
  encodeU8List,
  encodeU16List,
} from "../wire/extensions.js";
import {
  decodeCertificate,
  decodeCertificateRequest,
  decodeExtensionsOnly,
  decodeNewSessionTicket,
  decodeServerHello,
  encodeCertificate,
  encodeClientHello,
  encodeEndOfEarlyData,
  encodeFinished,
  type HandshakeMessage,
} from "../wire/messages.js";
import { checkCertificateVerify, signCertificateVerify } from "./certificate-verify.js";
import { CIPHER_SUITES, type CipherSuite, type CipherSuiteName, cipherSuiteById, cipherSuiteByName } from "./cipher-suites.js";
import { type EngineOptions, HandshakeEngine, type KeyLogCallback, type TlsLevel, type TlsSession } from "./engine.js";
import { createKeyShare, groupName, type KeyShareOffer, type NamedGroupName } from "./key-exchange.js";
import { KeySchedule, ticketPsk } from "./key-schedule.js";
import { TrafficSecrets } from "./traffic-secrets.js";
import { Transcript } from "./transcript.js";

/** Client configuration. */
export interface TlsClientOptions {
  /** Host name for SNI and certificate checking (an IP address is checked against IP SANs and not sent as SNI). */
  readonly serverName?: string | undefined;
  readonly alpnProtocols?: readonly string[] | undefined;
  /** Offered suites in preference order (default: all three, AES-128-GCM first). */
  readonly cipherSuites?: readonly CipherSuiteName[] | undefined;
  /** Supported groups in preference order (default: x25519mlkem768, x25519, secp256r1). */
  readonly groups?: readonly NamedGroupName[] | undefined;
  /** Groups to send key shares for up front (default: the first group, plus x25519 if the first is the hybrid). */
  readonly keyShares?: readonly NamedGroupName[] | undefined;
  /** Trust anchors; default: system roots. Ignored when `verifier` is given. */
  readonly ca?: CertificateInput | undefined;
  /** Custom verifier, e.g. `dangerouslyAcceptAnyCertificateForTestsOnly()`. */
  readonly verifier?: CertificateVerifier | undefined;
  /** Presented if the server asks for a client certificate. */
  readonly clientCertificate?: TlsCredentials | CredentialsInput | undefined;
  /** A session from an earlier connection's `session` event, for PSK resumption. */
  readonly session?: TlsSession | undefined;
  /** Offer 0-RTT with `session` (if the ticket allows it); the driver sends the data. */
  readonly earlyData?: boolean | undefined;
  /** QUIC transport parameters to send (extension 0x39). */
  readonly transportParameters?: Uint8Array | undefined;
  /** Driving QUIC: no middlebox-compatibility CCS or session id, no EndOfEarlyData, transport parameters required. */
  readonly quic?: boolean | undefined;
  /** Send a legacy session id and dummy CCS (RFC 9846 §D.4); default true except for QUIC. */
  readonly middleboxCompatibility?: boolean | undefined;
  readonly provider?: CryptoProvider | ProviderName | undefined;
  readonly now?: (() => number) | undefined;
  readonly keyLog?: KeyLogCallback | undefined;
}

type State = "start" | "wait-sh" | "wait-ee" | "wait-cert-cr" | "wait-cert" | "wait-cv" | "wait-finished" | "connected";

const PSK_DHE_KE = 1;

export class TlsClientEngine extends HandshakeEngine {
  readonly side = "client" as const;
  readonly #options: TlsClientOptions;
  readonly #suites: readonly CipherSuite[];
  readonly #groups: readonly NamedGroupName[];
  readonly #verifier: CertificateVerifier;
  readonly #clientCredentials: TlsCredentials | undefined;
  readonly #random: Uint8Array;
  readonly #sessionId: Uint8Array;
  readonly #keyLog: KeyLogCallback | undefined;
  readonly #serverName: string | undefined;
  #state: State = "start";
  #shares: KeyShareOffer[] = [];
  #transcript = new Transcript();
  #secrets: TrafficSecrets | undefined;
  #suite: CipherSuite | undefined;
  #group: NamedGroupName | undefined;
  #hrrSuite: CipherSuite | undefined;
  #cookie: Uint8Array | undefined;
  #helloRetried = false;
  #offeredPsk: TlsSession | undefined;
  #pskAccepted = false;
  #earlyDataOffered = false;
  #earlyDataAccepted = false;
  #alpn: string | undefined;
  #peerKey: PeerPublicKey | undefined;
  #peerCertificates: readonly Uint8Array[] = [];
  #certificateRequest: { context: Uint8Array; schemes: number[] } | undefined;
  #resumptionSecret: Uint8Array | undefined;
  #ccsSent = false;

  constructor(options: TlsClientOptions = {}) {
    const provider = resolveProvider(options.provider);
    super({ provider, now: options.now } satisfies EngineOptions);
    if (
      options.serverName !== undefined &&
      (typeof options.serverName !== "string" || options.serverName.length === 0 || options.serverName.length > 253)
    ) {
      throw new TypeError("serverName must be a host name or IP address of 1..253 characters");
    }
    if (options.alpnProtocols !== undefined) {
      for (const p of options.alpnProtocols)
        if (typeof p !== "string" || p.length === 0 || p.length > 255)
          throw new TypeError("alpnProtocols entries must be 1..255-character strings");
    }
    this.#options = options;
    this.#suites = (options.cipherSuites ?? CIPHER_SUITES.map((s) => s.name)).map(cipherSuiteByName);
    if (this.#suites.length === 0) throw new RangeError("cipherSuites must not be empty");
    this.#groups = options.groups ?? ["x25519mlkem768", "x25519", "secp256r1"];
    for (const g of this.#groups) if (!(g in NamedGroup)) throw new TypeError(`unknown group ${String(g)}`);
    if (this.#groups.length === 0) throw new RangeError("groups must not be empty");
    this.#verifier = options.verifier ?? sharedCertificateVerifier(options.ca);
    this.#clientCredentials = options.clientCertificate === undefined ? undefined : toCredentials(options.clientCertificate, provider);
    this.#random = provider.randomBytes(32);
    const compat = options.middleboxCompatibility ?? !options.quic;
    this.#sessionId = compat ? provider.randomBytes(32) : new Uint8Array(0);
    this.#keyLog = options.keyLog;
    this.#serverName = options.serverName;
  }

  /** The ClientHello random (the key log's identifier for this connection). */
  get clientRandom(): Uint8Array {
    return this.#random;
  }

  /** Sends ClientHello (and, with 0-RTT, installs the early write secret). */
  start(): void {
    if (this.#state !== "start") throw new TlsProtocolError(AlertDescription.internal_error, "start() called twice");
    const firstShares =
      this.#options.keyShares ??
      (this.#groups[0] === "x25519mlkem768" && this.#groups.includes("x25519")
        ? ["x25519mlkem768", "x25519"]
        : [this.#groups[0] as NamedGroupName]);
    this.#shares = firstShares.map((g) => createKeyShare(this.provider, g));
    const session = this.#usableSession();
    this.#offeredPsk = session;
    this.#earlyDataOffered = session !== undefined && this.#options.earlyData === true && session.maxEarlyData > 0;
    const hello = this.#buildClientHello();
    this.send("initial", hello);
    this.#state = "wait-sh";
    if (this.#earlyDataOffered && session !== undefined) {
      const suite = cipherSuiteById(session.cipherSuite) as CipherSuite;
      const early = new KeySchedule(this.provider, suite);
      early.inputPsk(session.psk);
      const secret = early.derive("c e traffic", this.provider.hash(suite.hash, hello));
      this.#log("CLIENT_EARLY_TRAFFIC_SECRET", secret);
      if (!this.#options.quic) this.#sendCcsOnce();
      this.secret("write", "early", suite, secret);
    }
  }

  /** Whether 0-RTT data may be written now (offered and not yet known to be rejected). */
  get earlyDataOffered(): boolean {
    return this.#earlyDataOffered;
  }

  /** Sends a KeyUpdate (application level) and switches to the next write secret. */
  updateKeys(requestPeerUpdate: boolean): void {
    this.sendKeyUpdate(this.#secrets, requestPeerUpdate);
  }

  #usableSession(): TlsSession | undefined {
    const s = this.#options.session;
    if (s === undefined) return undefined;
    const suite = cipherSuiteById(s.cipherSuite);
    if (suite === undefined || !this.#suites.some((x) => x.hash === suite.hash)) return undefined;
    if (this.now() - s.receivedAt > s.lifetime * 1000) return undefined;
    if (s.serverName !== this.#serverName) return undefined;
    return s;
  }

  #buildClientHello(): Uint8Array {
    const o = this.#options;
    const ext: Extension[] = [];
    const name = this.#serverName;
    if (name !== undefined && isIP(name) === 0) ext.push({ type: ExtensionType.ServerName, data: encodeServerName(name) });
    ext.push({ type: ExtensionType.SupportedVersions, data: encodeClientVersions([TLS13]) });
    ext.push({ type: ExtensionType.SupportedGroups, data: encodeU16List(this.#groups.map((g) => NamedGroup[g])) });
    ext.push({ type: ExtensionType.SignatureAlgorithms, data: encodeU16List(VERIFY_SCHEMES) });
    ext.push({ type: ExtensionType.KeyShare, data: encodeClientKeyShares(this.#shares.map((s) => ({ group: s.id, key: s.publicKey }))) });
    if (o.alpnProtocols !== undefined && o.alpnProtocols.length > 0)
      ext.push({ type: ExtensionType.Alpn, data: encodeAlpn(o.alpnProtocols) });
    if (this.#cookie !== undefined) ext.push({ type: ExtensionType.Cookie, data: encodeOpaque16(this.#cookie) });
    if (o.transportParameters !== undefined) ext.push({ type: ExtensionType.QuicTransportParameters, data: o.transportParameters });
    ext.push({ type: ExtensionType.PskKeyExchangeModes, data: encodeU8List([PSK_DHE_KE]) });
    const psk = this.#offeredPsk;
    if (this.#earlyDataOffered && !this.#helloRetried) ext.push({ type: ExtensionType.EarlyData, data: new Uint8Array(0) });
    if (psk === undefined) {
      const hello = encodeClientHello(
        this.#random,
        this.#sessionId,
        this.#suites.map((s) => s.id),
        ext,
      );
      this.#transcript.add(hello);
      return hello;
    }
    // pre_shared_key must be last; binders are computed over the hello truncated before them.
    const suite = cipherSuiteById(psk.cipherSuite) as CipherSuite;
    const age = (Math.max(0, this.now() - psk.receivedAt) + psk.ageAdd) >>> 0;
    // The binder signs the ClientHello up to the binders list (RFC 9846 §4.2.11.2):
    // encode with a zeroed binder of the right length, then overwrite it below.
    const binderSlot = new Uint8Array(suite.hashLength);
    ext.push({
      type: ExtensionType.PreSharedKey,
      data: encodeOfferedPsks([{ identity: psk.ticket, obfuscatedTicketAge: age }], [binderSlot]),
    });
    const hello = encodeClientHello(
      this.#random,
      this.#sessionId,
      this.#suites.map((s) => s.id),
      ext,
    );
    const bindersLength = 2 + 1 + suite.hashLength;
    const truncated = hello.subarray(0, hello.length - bindersLength);
    const schedule = new KeySchedule(this.provider, suite);
    schedule.inputPsk(psk.psk);
    const truncatedHash = this.#helloRetried ? this.#transcript.hashWith(truncated) : this.provider.hash(suite.hash, truncated);
    const binder = schedule.finishedMac(schedule.resumptionBinderKey(), truncatedHash);
    hello.set(binder, hello.length - suite.hashLength);
    this.#transcript.add(hello);
    return hello;
  }

  #sendCcsOnce(): void {
    if (this.#ccsSent || this.#sessionId.length === 0) return;
    this.#ccsSent = true;
    this.events.push({ type: "change-cipher-spec" });
  }

  #log(label: string, secret: Uint8Array): void {
    this.#keyLog?.(label, this.#random, secret);
  }

  protected onMessage(level: TlsLevel, m: HandshakeMessage): void {
    switch (this.#state) {
      case "wait-sh":
        if (m.type !== HandshakeType.ServerHello) this.unexpected(m, this.#state);
        {
          this.#onServerHello(m);
          return;
        }
      case "wait-ee":
        if (m.type !== HandshakeType.EncryptedExtensions) this.unexpected(m, this.#state);
        {
          this.#onEncryptedExtensions(m);
          return;
        }
      case "wait-cert-cr":
        if (m.type === HandshakeType.CertificateRequest) {
          this.#onCertificateRequest(m);
          return;
        }
        if (m.type !== HandshakeType.Certificate) this.unexpected(m, this.#state);
        {
          this.#onCertificate(m);
          return;
        }
      case "wait-cert":
        if (m.type !== HandshakeType.Certificate) this.unexpected(m, this.#state);
        {
          this.#onCertificate(m);
          return;
        }
      case "wait-cv":
        if (m.type !== HandshakeType.CertificateVerify) this.unexpected(m, this.#state);
        {
          this.#onCertificateVerify(m);
          return;
        }
      case "wait-finished":
        if (m.type !== HandshakeType.Finished) this.unexpected(m, this.#state);
        {
          this.#onFinished(m);
          return;
        }
      case "connected":
        if (level !== "application") this.unexpected(m, this.#state);
        if (m.type === HandshakeType.NewSessionTicket) {
          this.#onNewSessionTicket(m);
          return;
        }
        if (m.type === HandshakeType.KeyUpdate) {
          this.receiveKeyUpdate(this.#secrets as TrafficSecrets, m);
          return;
        }
        {
          this.unexpected(m, this.#state);
          return;
        }
      default: {
        this.unexpected(m, this.#state);
        return;
      }
    }
  }

  #onServerHello(m: HandshakeMessage): void {
    const sh = decodeServerHello(m.body);
    const illegal = (why: string): never => {
      throw new TlsProtocolError(AlertDescription.illegal_parameter, why);
    };
    const versionData = sh.extensions.map.get(ExtensionType.SupportedVersions);
    if (versionData === undefined) throw new TlsNegotiationError(AlertDescription.protocol_version, "server does not speak TLS 1.3");
    if (decodeU16(versionData, "supported_versions") !== TLS13 || sh.legacyVersion !== LEGACY_VERSION)
      illegal("server selected a version other than TLS 1.3");
    if (!bytesEqual(sh.sessionId, this.#sessionId)) illegal("legacy_session_id_echo does not match");
    if (sh.compressionMethod !== 0) illegal("non-null compression method");
    const suite =
      this.#suites.find((s) => s.id === sh.cipherSuite) ??
      illegal(`server selected cipher suite 0x${sh.cipherSuite.toString(16)} that was not offered`);
    const isHrr = bytesEqual(sh.random, HELLO_RETRY_REQUEST_RANDOM);
    const allowed = isHrr
      ? [ExtensionType.KeyShare, ExtensionType.SupportedVersions, ExtensionType.Cookie]
      : [ExtensionType.KeyShare, ExtensionType.SupportedVersions, ExtensionType.PreSharedKey];
    for (const e of sh.extensions.list)
      if (!allowed.includes(e.type as never)) refuseExtension(e.type, isHrr ? "HelloRetryRequest" : "ServerHello");
    if (isHrr) {
      this.#onHelloRetryRequest(sh.extensions.map, suite, m);
      return;
    }
    if (this.#hrrSuite !== undefined && this.#hrrSuite !== suite) illegal("ServerHello cipher suite differs from HelloRetryRequest");
    const shareData = sh.extensions.map.get(ExtensionType.KeyShare);
    if (shareData === undefined)
      throw new TlsProtocolError(AlertDescription.missing_extension, "ServerHello without key_share (PSK-only is not offered)");
    const serverShare = decodeServerKeyShare(shareData);
    const offer =
      this.#shares.find((s) => s.id === serverShare.group) ??
      illegal(`server key share for group ${serverShare.group} that has no client share`);
    const shared = offer.complete(serverShare.key);
    this.#suite = suite;
    this.#group = offer.group;
    this.#transcript.selectHash(this.provider, suite.hash);
    this.#transcript.add(m.raw);
    this.#transcript.releaseHistory();
    const schedule = new KeySchedule(this.provider, suite);
    const pskData = sh.extensions.map.get(ExtensionType.PreSharedKey);
    if (pskData !== undefined) {
      const psk = this.#offeredPsk ?? illegal("server selected a PSK that was not offered");
      if (decodeU16(pskData, "selected_identity") !== 0) illegal("server selected an unknown PSK identity");
      if ((cipherSuiteById(psk.cipherSuite) as CipherSuite).hash !== suite.hash) illegal("PSK hash does not match the cipher suite");
      this.#pskAccepted = true;
      schedule.inputPsk(psk.psk);
    } else {
      schedule.inputPsk(undefined);
    }
    const secrets = new TrafficSecrets(schedule, (label, secret) => this.#log(label, secret));
    this.#secrets = secrets;
    secrets.enterHandshake(shared, this.#transcript.hash());
    this.secret("read", "handshake", suite, secrets.handshake("server"));
    // With 0-RTT in flight the client keeps its early key until the server's Finished.
    if (!this.#earlyDataOffered) this.secret("write", "handshake", suite, secrets.handshake("client"));
    this.#state = "wait-ee";
  }

  #onHelloRetryRequest(map: ReadonlyMap<number, Uint8Array>, suite: CipherSuite, m: HandshakeMessage): void {
    if (this.#helloRetried) throw new TlsProtocolError(AlertDescription.unexpected_message, "second HelloRetryRequest");
    this.#helloRetried = true;
    this.#hrrSuite = suite;
    const shareData = map.get(ExtensionType.KeyShare);
    const cookie = map.get(ExtensionType.Cookie);
    if (shareData === undefined && cookie === undefined)
      throw new TlsProtocolError(AlertDescription.illegal_parameter, "HelloRetryRequest would not change the ClientHello");
    if (shareData !== undefined) {
      const id = decodeU16(shareData, "selected_group");
      const name = groupName(id);
      if (name === undefined || !this.#groups.includes(name) || this.#shares.some((s) => s.id === id)) {
        throw new TlsProtocolError(
          AlertDescription.illegal_parameter,
          `HelloRetryRequest selected group ${id}, which is unsupported or already shared`,
        );
      }
      this.#shares = [createKeyShare(this.provider, name)];
    }
    if (cookie !== undefined) this.#cookie = decodeOpaque16(cookie, "cookie");
    this.#transcript.selectHash(this.provider, suite.hash);
    this.#transcript.replaceWithMessageHash();
    this.#transcript.add(m.raw);
    // 0-RTT is implicitly rejected by HRR; drop a PSK whose hash cannot match the suite.
    if (this.#earlyDataOffered) this.events.push({ type: "early-data", accepted: false });
    this.#earlyDataOffered = false;
    const psk = this.#offeredPsk;
    if (psk !== undefined && (cipherSuiteById(psk.cipherSuite) as CipherSuite).hash !== suite.hash) this.#offeredPsk = undefined;
    this.#sendCcsOnce();
    this.send("initial", this.#buildClientHello());
  }

  #onEncryptedExtensions(m: HandshakeMessage): void {
    const block = decodeExtensionsOnly(m.body, "EncryptedExtensions");
    const allowed: number[] = [
      ExtensionType.ServerName,
      ExtensionType.SupportedGroups,
      ExtensionType.Alpn,
      ExtensionType.EarlyData,
      ExtensionType.QuicTransportParameters,
    ];
    for (const e of block.list) {
      if (!allowed.includes(e.type)) refuseExtension(e.type, "EncryptedExtensions");
    }
    const sni = block.map.get(ExtensionType.ServerName);
    if (sni !== undefined && sni.length !== 0)
      throw new TlsProtocolError(AlertDescription.decode_error, "non-empty server_name acknowledgement");
    const alpn = block.map.get(ExtensionType.Alpn);
    if (alpn !== undefined) {
      const list = decodeAlpn(alpn);
      const chosen = list[0] as string;
      if (list.length !== 1 || !(this.#options.alpnProtocols ?? []).includes(chosen))
        throw new TlsProtocolError(AlertDescription.illegal_parameter, `server selected ALPN protocol ${chosen} that was not offered`);
      this.#alpn = chosen;
    }
    const tp = block.map.get(ExtensionType.QuicTransportParameters);
    if (tp !== undefined) {
      if (this.#options.transportParameters === undefined)
        throw new TlsProtocolError(AlertDescription.unsupported_extension, "unsolicited quic_transport_parameters");
      this.events.push({ type: "transport-parameters", data: tp.slice() });
    } else if (this.#options.quic) {
      throw new TlsProtocolError(AlertDescription.missing_extension, "server sent no quic_transport_parameters");
    }
    const early = block.map.get(ExtensionType.EarlyData);
    if (early !== undefined) {
      if (!this.#earlyDataOffered || !this.#pskAccepted || early.length !== 0)
        throw new TlsProtocolError(AlertDescription.illegal_parameter, "early_data accepted but not offered");
      this.#earlyDataAccepted = true;
    }
    if (this.#earlyDataOffered) {
      this.events.push({ type: "early-data", accepted: this.#earlyDataAccepted });
      if (!this.#earlyDataAccepted)
        this.secret("write", "handshake", this.#suite as CipherSuite, (this.#secrets as TrafficSecrets).handshake("client"));
    }
    this.#transcript.add(m.raw);
    this.#state = this.#pskAccepted ? "wait-finished" : "wait-cert-cr";
  }

  #onCertificateRequest(m: HandshakeMessage): void {
    const request = decodeCertificateRequest(m.body);
    const schemes = request.extensions.map.get(ExtensionType.SignatureAlgorithms);
    if (schemes === undefined)
      throw new TlsProtocolError(AlertDescription.missing_extension, "CertificateRequest without signature_algorithms");
    if (request.context.length !== 0)
      throw new TlsProtocolError(AlertDescription.illegal_parameter, "non-empty certificate_request_context in the handshake");
    this.#certificateRequest = { context: request.context, schemes: decodeU16List(schemes, "signature_algorithms") };
    this.#transcript.add(m.raw);
    this.#state = "wait-cert";
  }

  #onCertificate(m: HandshakeMessage): void {
    const cert = decodeCertificate(m.body);
    if (cert.context.length !== 0) throw new TlsProtocolError(AlertDescription.illegal_parameter, "non-empty certificate_request_context");
    if (cert.certificates.length === 0) throw new TlsCertificateError("no-certificate", "server sent an empty Certificate message");
    this.#peerKey = this.#verifier.verify(cert.certificates, { serverName: this.#serverName, now: new Date(this.now()) });
    this.#peerCertificates = cert.certificates.map((c) => c.slice());
    this.#transcript.add(m.raw);
    this.#state = "wait-cv";
  }

  #onCertificateVerify(m: HandshakeMessage): void {
    checkCertificateVerify(this.provider, "server", this.#peerKey as PeerPublicKey, m.body, this.#transcript.hash());
    this.#transcript.add(m.raw);
    this.#state = "wait-finished";
  }

  #onFinished(m: HandshakeMessage): void {
    const suite = this.#suite as CipherSuite;
    const secrets = this.#secrets as TrafficSecrets;
    secrets.checkFinished("server", this.#transcript.hash(), m.body);
    this.#transcript.add(m.raw);
    secrets.enterApplication(this.#transcript.hash());
    this.secret("read", "application", suite, secrets.application("server"));
    if (this.#earlyDataAccepted) {
      // RFC 9001 §8.3: over QUIC there is no EndOfEarlyData, in the flight or in the transcript (the server's has none).
      if (!this.#options.quic) {
        this.send("early", encodeEndOfEarlyData());
        this.#transcript.add(encodeEndOfEarlyData());
      }
      this.secret("write", "handshake", suite, secrets.handshake("client"));
    }
    if (!this.#options.quic) this.#sendCcsOnce();
    if (this.#certificateRequest !== undefined) this.#sendClientCertificate(this.#certificateRequest);
    const finished = encodeFinished(secrets.finished("client", this.#transcript.hash()));
    this.send("handshake", finished);
    this.#transcript.add(finished);
    this.#resumptionSecret = secrets.resumption(this.#transcript.hash());
    this.secret("write", "application", suite, secrets.application("client"));
    this.#state = "connected";
    this.complete({
      cipherSuite: suite,
      group: this.#group,
      alpnProtocol: this.#alpn,
      serverName: this.#serverName,
      peerCertificates: this.#peerCertificates,
      resumed: this.#pskAccepted,
      earlyDataAccepted: this.#earlyDataAccepted,
      helloRetried: this.#helloRetried,
    });
  }

  #sendClientCertificate(request: { context: Uint8Array; schemes: number[] }): void {
    const creds = this.#clientCredentials;
    const scheme = creds?.signer.schemes.find((s) => request.schemes.includes(s));
    if (creds === undefined || scheme === undefined) {
      const empty = encodeCertificate(request.context, []);
      this.send("handshake", empty);
      this.#transcript.add(empty);
      return;
    }
    const cert = encodeCertificate(request.context, creds.certificateChain);
    this.send("handshake", cert);
    this.#transcript.add(cert);
    const cv = signCertificateVerify("client", creds, scheme, this.#transcript.hash());
    this.send("handshake", cv);
    this.#transcript.add(cv);
  }

  #onNewSessionTicket(m: HandshakeMessage): void {
    const nst = decodeNewSessionTicket(m.body);
    if (nst.lifetime > 604800) throw new TlsProtocolError(AlertDescription.illegal_parameter, "ticket lifetime exceeds 7 days");
    const suite = this.#suite as CipherSuite;
    let maxEarlyData = 0;
    const early = nst.extensions.map.get(ExtensionType.EarlyData);
    if (early !== undefined) {
      if (early.length !== 4) throw new TlsProtocolError(AlertDescription.decode_error, "bad early_data in NewSessionTicket");
      maxEarlyData =
        (((early[0] as number) << 24) >>> 0) + (((early[1] as number) << 16) | ((early[2] as number) << 8) | (early[3] as number));
    }
    if (nst.lifetime === 0) return;
    this.events.push({
      type: "session",
      session: {
        serverName: this.#serverName,
        cipherSuite: suite.id,
        psk: ticketPsk(this.provider, suite, this.#resumptionSecret as Uint8Array, nst.nonce),
        ticket: nst.ticket.slice(),
        ageAdd: nst.ageAdd,
        receivedAt: this.now(),
        lifetime: nst.lifetime,
        maxEarlyData,
        alpnProtocol: this.#alpn,
      },
    });
  }
}

const KNOWN_EXTENSIONS: ReadonlySet<number> = new Set(Object.values(ExtensionType));

/**
 * RFC 9846 §4.2: an extension we know but that has no place in `message` is
 * illegal_parameter; one we do not know, we never offered, so the server
 * answered a request that was not made: unsupported_extension.
 */
function refuseExtension(type: number, message: string): never {
  if (KNOWN_EXTENSIONS.has(type))
    throw new TlsProtocolError(AlertDescription.illegal_parameter, `extension ${type} not allowed in ${message}`);
  throw new TlsProtocolError(AlertDescription.unsupported_extension, `unrequested extension ${type} in ${message}`);
}
