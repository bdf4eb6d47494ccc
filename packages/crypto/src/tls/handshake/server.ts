/**
 * The TLS 1.3 server state machine (RFC 9846 §2, §4): ClientHello checks and
 * negotiation (version, suite, group with HelloRetryRequest, signature
 * scheme, ALPN, SNI), PSK resumption with binder verification, 0-RTT
 * acceptance or refusal, the server flight, optional client authentication,
 * NewSessionTicket and KeyUpdate. Sans-I/O; see engine.ts.
 *
 * @example
 * ```ts
 * import { loadCredentials, type TlsEvent, TlsServerEngine } from "@zsync/crypto/tls";
 * declare const certificate: string;
 * declare const privateKey: string;
 * declare const clientHelloBytes: Uint8Array;
 * declare const driver: { apply(event: TlsEvent): void };
 * const server = new TlsServerEngine({ credentials: loadCredentials({ certificate, privateKey }) });
 * server.handle("initial", clientHelloBytes);
 * for (const event of server.takeEvents()) driver.apply(event);
 * ```
 * @module
 */

import { bytesEqual } from "../../primitives/constant-time.js";
import type { CryptoProvider, ProviderName } from "../../primitives/provider.js";
import { resolveProvider } from "../../primitives/providers/select.js";
import { TlsCertificateError, TlsNegotiationError, TlsProtocolError } from "../errors.js";
import { type CertificateVerifier, sharedCertificateVerifier } from "../pki/certificates.js";
import { type CredentialsInput, type TlsCredentials, toCredentials } from "../pki/credentials.js";
import type { CertificateInput } from "../pki/pem.js";
import { type PeerPublicKey, VERIFY_SCHEMES } from "../pki/signatures.js";
import { AlertDescription, ExtensionType, HandshakeType, HELLO_RETRY_REQUEST_RANDOM, NamedGroup, TLS13 } from "../wire/constants.js";
import {
  decodeAlpn,
  decodeClientKeyShares,
  decodeClientVersions,
  decodeOfferedPsks,
  decodeServerName,
  decodeU8List,
  decodeU16List,
  type Extension,
  encodeAlpn,
  encodeServerKeyShare,
  encodeU16,
  encodeU16List,
  type KeyShareEntry,
} from "../wire/extensions.js";
import {
  type ClientHello,
  decodeCertificate,
  decodeClientHello,
  encodeCertificate,
  encodeCertificateRequest,
  encodeEncryptedExtensions,
  encodeFinished,
  encodeNewSessionTicket,
  encodeServerHello,
  type HandshakeMessage,
} from "../wire/messages.js";
import { checkCertificateVerify, signCertificateVerify } from "./certificate-verify.js";
import { CIPHER_SUITES, type CipherSuite, type CipherSuiteName, cipherSuiteById, cipherSuiteByName } from "./cipher-suites.js";
import { HandshakeEngine, type KeyLogCallback, type TlsLevel } from "./engine.js";
import { acceptKeyShare, groupName, type NamedGroupName } from "./key-exchange.js";
import { KeySchedule, ticketPsk } from "./key-schedule.js";
import { SessionTicketer, type TicketState } from "./session-tickets.js";
import { TrafficSecrets } from "./traffic-secrets.js";
import { Transcript } from "./transcript.js";

/** Server configuration; share one object (and so one ticket key) across connections. */
export interface TlsServerOptions {
  /** Certificate chain and key, loaded or as PEM. Or a function choosing by SNI. */
  readonly credentials: TlsCredentials | CredentialsInput | ((serverName: string | undefined) => TlsCredentials | undefined);
  /** Server-preferred ALPN protocols; a client offering none of them gets no_application_protocol. */
  readonly alpnProtocols?: readonly string[] | undefined;
  /** Suites in server preference order (default all three). */
  readonly cipherSuites?: readonly CipherSuiteName[] | undefined;
  /** Groups in server preference order (default x25519mlkem768, x25519, secp256r1). */
  readonly groups?: readonly NamedGroupName[] | undefined;
  /** Ask for a client certificate. "require" refuses clients without one (certificate_required). */
  readonly clientAuthentication?: "request" | "require" | undefined;
  /** Trust anchors for client certificates (default system roots), or a custom verifier. */
  readonly clientCa?: CertificateInput | undefined;
  readonly clientVerifier?: CertificateVerifier | undefined;
  /** Ticket issuer, or false to disable resumption. Default: one per options object. */
  readonly sessionTickets?: SessionTicketer | false | undefined;
  /** Tickets sent after each full handshake (default 1). */
  readonly ticketCount?: number | undefined;
  /** Largest 0-RTT payload accepted; 0 (default) refuses early data. */
  readonly maxEarlyData?: number | undefined;
  /** QUIC transport parameters to send (extension 0x39). */
  readonly transportParameters?: Uint8Array | undefined;
  /** Driving QUIC: no CCS, no EndOfEarlyData, transport parameters required. */
  readonly quic?: boolean | undefined;
  readonly provider?: CryptoProvider | ProviderName | undefined;
  readonly now?: (() => number) | undefined;
  readonly keyLog?: KeyLogCallback | undefined;
  /** Replay hooks for published traces only: fixed ServerHello random and key share secret. */
  readonly deterministicForTests?: { readonly random: Uint8Array; readonly keyShareSecretKey: Uint8Array } | undefined;
}

type State = "wait-ch" | "wait-ch2" | "wait-eoed" | "wait-cert" | "wait-cv" | "wait-finished" | "connected";

const defaultTicketers = new WeakMap<object, SessionTicketer>();
const MAX_TICKET_AGE_SKEW_MS = 10_000;

export class TlsServerEngine extends HandshakeEngine {
  readonly side = "server" as const;
  readonly #options: TlsServerOptions;
  readonly #suites: readonly CipherSuite[];
  readonly #groups: readonly NamedGroupName[];
  readonly #ticketer: SessionTicketer | undefined;
  readonly #keyLog: KeyLogCallback | undefined;
  #state: State = "wait-ch";
  #transcript = new Transcript();
  #suite: CipherSuite | undefined;
  #group: NamedGroupName | undefined;
  #secrets: TrafficSecrets | undefined;
  #clientRandom = new Uint8Array(32);
  #sessionId = new Uint8Array(0);
  #helloRetried = false;
  #serverName: string | undefined;
  #alpn: string | undefined;
  #psk: TicketState | undefined;
  #earlyDataAccepted = false;
  #resumptionSecret: Uint8Array | undefined;
  #clientCertificates: readonly Uint8Array[] = [];
  #clientKey: PeerPublicKey | undefined;
  #ticketNonce = 0;

  constructor(options: TlsServerOptions) {
    const provider = resolveProvider(options?.provider);
    super({ provider, now: options.now });
    if (options.credentials === undefined) throw new TypeError("TlsServerOptions.credentials is required");
    this.#options = options;
    this.#suites = (options.cipherSuites ?? CIPHER_SUITES.map((s) => s.name)).map(cipherSuiteByName);
    this.#groups = options.groups ?? ["x25519mlkem768", "x25519", "secp256r1"];
    for (const g of this.#groups) if (!(g in NamedGroup)) throw new TypeError(`unknown group ${String(g)}`);
    if (options.sessionTickets === false) this.#ticketer = undefined;
    else if (options.sessionTickets !== undefined) this.#ticketer = options.sessionTickets;
    else {
      let t = defaultTicketers.get(options);
      if (t === undefined) {
        t = new SessionTicketer(provider);
        defaultTicketers.set(options, t);
      }
      this.#ticketer = t;
    }
    this.#keyLog = options.keyLog;
  }

  /**
   * The ALPN protocol chosen from the ClientHello (RFC 7301), as soon as it was processed: undefined before, or
   * when no ALPN was negotiated. `HandshakeInfo` carries it at completion; QUIC needs it earlier, to serve the
   * 0-RTT requests of a connection before its handshake completes (RFC 9001 §4.1.1).
   */
  get alpnProtocol(): string | undefined {
    return this.#alpn;
  }

  /** Sends a KeyUpdate and switches to the next write secret. */
  updateKeys(requestPeerUpdate: boolean): void {
    this.sendKeyUpdate(this.#secrets, requestPeerUpdate);
  }

  #log(label: string, secret: Uint8Array): void {
    this.#keyLog?.(label, this.#clientRandom, secret);
  }

  protected onMessage(level: TlsLevel, m: HandshakeMessage): void {
    switch (this.#state) {
      case "wait-ch":
      case "wait-ch2":
        if (m.type !== HandshakeType.ClientHello) this.unexpected(m, this.#state);
        {
          this.#onClientHello(m);
          return;
        }
      case "wait-eoed":
        if (m.type !== HandshakeType.EndOfEarlyData || m.body.length !== 0) this.unexpected(m, this.#state);
        this.#transcript.add(m.raw);
        this.secret("read", "handshake", this.#suite as CipherSuite, (this.#secrets as TrafficSecrets).handshake("client"));
        this.#state = this.#options.clientAuthentication !== undefined && this.#psk === undefined ? "wait-cert" : "wait-finished";
        return;
      case "wait-cert":
        if (m.type !== HandshakeType.Certificate) this.unexpected(m, this.#state);
        {
          this.#onClientCertificate(m);
          return;
        }
      case "wait-cv":
        if (m.type !== HandshakeType.CertificateVerify) this.unexpected(m, this.#state);
        {
          this.#onClientCertificateVerify(m);
          return;
        }
      case "wait-finished":
        if (m.type !== HandshakeType.Finished) this.unexpected(m, this.#state);
        {
          this.#onFinished(m);
          return;
        }
      case "connected":
        if (level !== "application" || m.type !== HandshakeType.KeyUpdate) this.unexpected(m, this.#state);
        {
          this.receiveKeyUpdate(this.#secrets as TrafficSecrets, m);
          return;
        }
    }
  }

  #onClientHello(m: HandshakeMessage): void {
    const ch = decodeClientHello(m.body);
    const ext = ch.extensions.map;
    const versions = ext.get(ExtensionType.SupportedVersions);
    if (versions === undefined || !decodeClientVersions(versions).includes(TLS13))
      throw new TlsNegotiationError(AlertDescription.protocol_version, "client does not offer TLS 1.3");
    if (ch.compressionMethods.length !== 1 || ch.compressionMethods[0] !== 0)
      throw new TlsProtocolError(AlertDescription.illegal_parameter, "ClientHello compression methods must be exactly [null]");
    const last = ch.extensions.list[ch.extensions.list.length - 1];
    if (ext.has(ExtensionType.PreSharedKey) && last?.type !== ExtensionType.PreSharedKey)
      throw new TlsProtocolError(AlertDescription.illegal_parameter, "pre_shared_key is not the last extension");
    if (this.#state === "wait-ch2") {
      this.#onSecondClientHello(ch, m);
      return;
    }

    this.#clientRandom = ch.random.slice();
    this.#sessionId = ch.sessionId.slice();
    const suite = this.#suites.find((s) => ch.cipherSuites.includes(s.id));
    if (suite === undefined) throw new TlsNegotiationError(AlertDescription.handshake_failure, "no cipher suite in common");
    this.#suite = suite;
    const groupsData = ext.get(ExtensionType.SupportedGroups);
    const sharesData = ext.get(ExtensionType.KeyShare);
    if (groupsData === undefined || sharesData === undefined)
      throw new TlsProtocolError(
        AlertDescription.missing_extension,
        "ClientHello lacks supported_groups or key_share (PSK-only is not supported)",
      );
    const clientGroups = decodeU16List(groupsData, "supported_groups");
    const shares = decodeClientKeyShares(sharesData);
    for (const s of shares)
      if (!clientGroups.includes(s.group))
        throw new TlsProtocolError(AlertDescription.illegal_parameter, `key share for group ${s.group} not in supported_groups`);
    const schemesData = ext.get(ExtensionType.SignatureAlgorithms);
    if (schemesData === undefined && !ext.has(ExtensionType.PreSharedKey))
      throw new TlsProtocolError(AlertDescription.missing_extension, "ClientHello lacks signature_algorithms");
    const schemes = schemesData === undefined ? [] : decodeU16List(schemesData, "signature_algorithms");
    const sni = ext.get(ExtensionType.ServerName);
    this.#serverName = sni === undefined ? undefined : decodeServerName(sni);
    this.#negotiateAlpn(ext.get(ExtensionType.Alpn));
    this.#checkTransportParameters(ext.get(ExtensionType.QuicTransportParameters));

    // Group: the first server-preferred group the client sent a share for; else HRR to the first it supports.
    const mutual = this.#groups.filter((g) => clientGroups.includes(NamedGroup[g]));
    if (mutual.length === 0) throw new TlsNegotiationError(AlertDescription.handshake_failure, "no key-exchange group in common");
    const shared = mutual.find((g) => shares.some((s) => s.group === NamedGroup[g]));
    this.#transcript.selectHash(this.provider, suite.hash);
    this.#schemes = schemes;
    if (shared === undefined) {
      this.#transcript.add(m.raw);
      this.#sendHelloRetryRequest(mutual[0] as NamedGroupName);
      // RFC 9846 §4.2.10: a HelloRetryRequest refuses 0-RTT; the driver must skip the client's early records.
      if (ext.has(ExtensionType.EarlyData)) this.events.push({ type: "early-data", accepted: false });
      return;
    }
    const share = shares.find((s) => s.group === NamedGroup[shared]) as KeyShareEntry;
    this.#continueHandshake(ch, m, shared, share);
  }

  #schemes: number[] = [];

  #sendHelloRetryRequest(group: NamedGroupName): void {
    this.#helloRetried = true;
    this.#group = group;
    const suite = this.#suite as CipherSuite;
    const hrr = encodeServerHello(HELLO_RETRY_REQUEST_RANDOM, this.#sessionId, suite.id, [
      { type: ExtensionType.KeyShare, data: encodeU16(NamedGroup[group]) },
      { type: ExtensionType.SupportedVersions, data: encodeU16(TLS13) },
    ]);
    this.#transcript.replaceWithMessageHash();
    this.#transcript.add(hrr);
    this.send("initial", hrr);
    if (this.#sessionId.length > 0 && !this.#options.quic) this.events.push({ type: "change-cipher-spec" });
    this.#state = "wait-ch2";
  }

  #onSecondClientHello(ch: ClientHello, m: HandshakeMessage): void {
    const ext = ch.extensions.map;
    if (!bytesEqual(ch.random, this.#clientRandom) || !bytesEqual(ch.sessionId, this.#sessionId))
      throw new TlsProtocolError(AlertDescription.illegal_parameter, "second ClientHello changed random or session id");
    if (!ch.cipherSuites.includes((this.#suite as CipherSuite).id))
      throw new TlsProtocolError(AlertDescription.illegal_parameter, "second ClientHello dropped the selected suite");
    if (ext.has(ExtensionType.EarlyData))
      throw new TlsProtocolError(AlertDescription.illegal_parameter, "early_data in the second ClientHello");
    const sharesData = ext.get(ExtensionType.KeyShare);
    const shares = sharesData === undefined ? [] : decodeClientKeyShares(sharesData);
    const group = this.#group as NamedGroupName;
    const first = shares[0];
    if (shares.length !== 1 || first === undefined || first.group !== NamedGroup[group])
      throw new TlsProtocolError(AlertDescription.illegal_parameter, `second ClientHello must carry exactly one ${group} key share`);
    const schemesData = ext.get(ExtensionType.SignatureAlgorithms);
    if (schemesData !== undefined) this.#schemes = decodeU16List(schemesData, "signature_algorithms");
    const sni = ext.get(ExtensionType.ServerName);
    if ((sni === undefined ? undefined : decodeServerName(sni)) !== this.#serverName)
      throw new TlsProtocolError(AlertDescription.illegal_parameter, "second ClientHello changed server_name");
    this.#continueHandshake(ch, m, group, first);
  }

  #negotiateAlpn(data: Uint8Array | undefined): void {
    if (data === undefined) return;
    const offered = decodeAlpn(data);
    const ours = this.#options.alpnProtocols;
    if (ours === undefined || ours.length === 0) return;
    const chosen = ours.find((p) => offered.includes(p));
    if (chosen === undefined)
      throw new TlsNegotiationError(
        AlertDescription.no_application_protocol,
        `client offered ${offered.join(", ")}; server supports ${ours.join(", ")}`,
      );
    this.#alpn = chosen;
  }

  #checkTransportParameters(data: Uint8Array | undefined): void {
    if (data !== undefined && this.#options.transportParameters !== undefined)
      this.events.push({ type: "transport-parameters", data: data.slice() });
    else if (data === undefined && this.#options.quic)
      throw new TlsProtocolError(AlertDescription.missing_extension, "client sent no quic_transport_parameters");
  }

  /** Finds an acceptable PSK among the offered identities and verifies its binder. */
  #selectPsk(
    ch: ClientHello,
    raw: Uint8Array,
  ): { index: number; identity: Uint8Array; state: TicketState; schedule: KeySchedule; ageOk: boolean } | undefined {
    const ext = ch.extensions.map;
    const pskData = ext.get(ExtensionType.PreSharedKey);
    if (pskData === undefined) return undefined;
    const modes = ext.get(ExtensionType.PskKeyExchangeModes);
    if (modes === undefined)
      throw new TlsProtocolError(AlertDescription.missing_extension, "pre_shared_key without psk_key_exchange_modes");
    const offered = decodeOfferedPsks(pskData);
    if (!decodeU8List(modes, "psk_key_exchange_modes").includes(1) || this.#ticketer === undefined) return undefined;
    const suite = this.#suite as CipherSuite;
    const now = this.now();
    for (let index = 0; index < offered.identities.length; index++) {
      const id = offered.identities[index] as { identity: Uint8Array; obfuscatedTicketAge: number };
      const state = this.#ticketer.open(id.identity);
      if (state === undefined) continue;
      const ticketSuite = cipherSuiteById(state.cipherSuite);
      if (ticketSuite === undefined || ticketSuite.hash !== suite.hash) continue;
      if (now - state.issuedAt > state.lifetime * 1000 || now < state.issuedAt) continue;
      if (state.serverName !== this.#serverName) continue;
      const schedule = new KeySchedule(this.provider, suite);
      schedule.inputPsk(state.psk);
      const truncated = raw.subarray(0, raw.length - offered.bindersLength);
      const binder = schedule.finishedMac(schedule.resumptionBinderKey(), this.#transcript.hashWith(truncated));
      if (!bytesEqual(binder, offered.binders[index] as Uint8Array))
        throw new TlsProtocolError(AlertDescription.decrypt_error, "PSK binder does not verify");
      const clientAge = (id.obfuscatedTicketAge - state.ageAdd) >>> 0;
      const ageOk = Math.abs(now - state.issuedAt - clientAge) <= MAX_TICKET_AGE_SKEW_MS;
      return { index, identity: id.identity, state, schedule, ageOk };
    }
    return undefined;
  }

  #continueHandshake(ch: ClientHello, m: HandshakeMessage, group: NamedGroupName, share: KeyShareEntry): void {
    const suite = this.#suite as CipherSuite;
    // The binder covers the transcript so far plus this hello truncated before the binders.
    const psk = this.#selectPsk(ch, m.raw);
    this.#transcript.add(m.raw);
    const fixed = this.#options.deterministicForTests;
    const { serverShare, sharedSecret } = acceptKeyShare(this.provider, group, share.key, fixed?.keyShareSecretKey);
    this.#group = group;
    let schedule: KeySchedule;
    let credentials: TlsCredentials | undefined;
    let scheme: number | undefined;
    if (psk !== undefined) {
      schedule = psk.schedule;
      this.#psk = psk.state;
    } else {
      schedule = new KeySchedule(this.provider, suite);
      schedule.inputPsk(undefined);
      credentials = this.#credentials();
      scheme = credentials.signer.schemes.find((s) => this.#schemes.includes(s));
      if (scheme === undefined)
        throw new TlsNegotiationError(AlertDescription.handshake_failure, "no signature scheme in common with the certificate key");
    }
    const secrets = new TrafficSecrets(schedule, (label, secret) => this.#log(label, secret));
    this.#secrets = secrets;
    const earlyOffered = ch.extensions.map.has(ExtensionType.EarlyData);
    if (earlyOffered) {
      const st = psk?.state;
      this.#earlyDataAccepted =
        psk !== undefined &&
        st !== undefined &&
        psk.index === 0 &&
        psk.ageOk &&
        !this.#helloRetried &&
        (this.#options.maxEarlyData ?? 0) > 0 &&
        st.maxEarlyData > 0 &&
        st.cipherSuite === suite.id &&
        st.alpnProtocol === this.#alpn &&
        (this.#ticketer as SessionTicketer).claimEarlyData(psk.identity, this.now());
      if (this.#earlyDataAccepted) {
        const secret = schedule.derive("c e traffic", this.#transcript.hash());
        this.#log("CLIENT_EARLY_TRAFFIC_SECRET", secret);
        this.#clientEarly = secret;
      }
    }
    const shExt: Extension[] = [
      { type: ExtensionType.KeyShare, data: encodeServerKeyShare({ group: NamedGroup[group], key: serverShare }) },
      { type: ExtensionType.SupportedVersions, data: encodeU16(TLS13) },
    ];
    if (psk !== undefined) shExt.push({ type: ExtensionType.PreSharedKey, data: encodeU16(psk.index) });
    const random = fixed?.random ?? this.provider.randomBytes(32);
    const sh = encodeServerHello(random, this.#sessionId, suite.id, shExt);
    this.#transcript.add(sh);
    this.#transcript.releaseHistory();
    this.send("initial", sh);
    if (this.#sessionId.length > 0 && !this.#helloRetried && !this.#options.quic) this.events.push({ type: "change-cipher-spec" });
    secrets.enterHandshake(sharedSecret, this.#transcript.hash());
    this.secret("write", "handshake", suite, secrets.handshake("server"));

    const ee: Extension[] = [];
    if (this.#serverName !== undefined) ee.push({ type: ExtensionType.ServerName, data: new Uint8Array(0) });
    if (this.#alpn !== undefined) ee.push({ type: ExtensionType.Alpn, data: encodeAlpn([this.#alpn]) });
    if (this.#earlyDataAccepted) ee.push({ type: ExtensionType.EarlyData, data: new Uint8Array(0) });
    if (this.#options.transportParameters !== undefined)
      ee.push({ type: ExtensionType.QuicTransportParameters, data: this.#options.transportParameters });
    this.#sendHandshake(encodeEncryptedExtensions(ee));
    const auth = this.#options.clientAuthentication;
    if (credentials !== undefined && scheme !== undefined) {
      if (auth !== undefined)
        this.#sendHandshake(
          encodeCertificateRequest(new Uint8Array(0), [{ type: ExtensionType.SignatureAlgorithms, data: encodeU16List(VERIFY_SCHEMES) }]),
        );
      this.#sendHandshake(encodeCertificate(new Uint8Array(0), credentials.certificateChain));
      this.#sendHandshake(signCertificateVerify("server", credentials, scheme, this.#transcript.hash()));
    }
    this.#sendHandshake(encodeFinished(secrets.finished("server", this.#transcript.hash())));
    secrets.enterApplication(this.#transcript.hash());
    this.secret("write", "application", suite, secrets.application("server"));
    if (earlyOffered) this.events.push({ type: "early-data", accepted: this.#earlyDataAccepted });
    if (this.#earlyDataAccepted && !this.#options.quic) {
      this.secret("read", "early", suite, this.#clientEarly as Uint8Array);
      this.#state = "wait-eoed";
    } else {
      if (this.#earlyDataAccepted) this.secret("read", "early", suite, this.#clientEarly as Uint8Array);
      this.secret("read", "handshake", suite, secrets.handshake("client"));
      this.#state = auth !== undefined && psk === undefined ? "wait-cert" : "wait-finished";
    }
  }

  #clientEarly: Uint8Array | undefined;

  #credentials(): TlsCredentials {
    const c = this.#options.credentials;
    if (typeof c === "function") {
      const chosen = c(this.#serverName);
      if (chosen === undefined)
        throw new TlsNegotiationError(AlertDescription.unrecognized_name, `no certificate for server name ${this.#serverName ?? "(none)"}`);
      return chosen;
    }
    return toCredentials(c, this.provider);
  }

  #sendHandshake(message: Uint8Array): void {
    this.#transcript.add(message);
    this.send("handshake", message);
  }

  #onClientCertificate(m: HandshakeMessage): void {
    const cert = decodeCertificate(m.body);
    this.#transcript.add(m.raw);
    if (cert.certificates.length === 0) {
      if (this.#options.clientAuthentication === "require") throw new TlsCertificateError("no-certificate", "client sent no certificate");
      this.#state = "wait-finished";
      return;
    }
    const verifier = this.#options.clientVerifier ?? sharedCertificateVerifier(this.#options.clientCa);
    this.#clientKey = verifier.verify(cert.certificates, { now: new Date(this.now()), role: "client" });
    this.#clientCertificates = cert.certificates.map((c) => c.slice());
    this.#state = "wait-cv";
  }

  #onClientCertificateVerify(m: HandshakeMessage): void {
    checkCertificateVerify(this.provider, "client", this.#clientKey as PeerPublicKey, m.body, this.#transcript.hash());
    this.#transcript.add(m.raw);
    this.#state = "wait-finished";
  }

  #onFinished(m: HandshakeMessage): void {
    const suite = this.#suite as CipherSuite;
    const secrets = this.#secrets as TrafficSecrets;
    secrets.checkFinished("client", this.#transcript.hash(), m.body);
    this.#transcript.add(m.raw);
    this.#resumptionSecret = secrets.resumption(this.#transcript.hash());
    this.secret("read", "application", suite, secrets.application("client"));
    this.#state = "connected";
    this.complete({
      cipherSuite: suite,
      group: this.#group,
      alpnProtocol: this.#alpn,
      serverName: this.#serverName,
      peerCertificates: this.#clientCertificates,
      resumed: this.#psk !== undefined,
      earlyDataAccepted: this.#earlyDataAccepted,
      helloRetried: this.#helloRetried,
    });
    const count = this.#options.ticketCount ?? 1;
    if (this.#ticketer !== undefined) for (let i = 0; i < count; i++) this.#sendTicket(this.#ticketer);
  }

  /** Issues one NewSessionTicket (application level). Called automatically after the handshake. */
  #sendTicket(ticketer: SessionTicketer): void {
    const suite = this.#suite as CipherSuite;
    const nonce = Uint8Array.of(this.#ticketNonce >>> 8, this.#ticketNonce & 0xff);
    this.#ticketNonce++;
    const psk = ticketPsk(this.provider, suite, this.#resumptionSecret as Uint8Array, nonce);
    const ageAddBytes = this.provider.randomBytes(4);
    const ageAdd =
      (((ageAddBytes[0] as number) << 24) |
        ((ageAddBytes[1] as number) << 16) |
        ((ageAddBytes[2] as number) << 8) |
        (ageAddBytes[3] as number)) >>>
      0;
    const maxEarlyData = this.#options.maxEarlyData ?? 0;
    const ticket = ticketer.seal({
      cipherSuite: suite.id,
      psk,
      issuedAt: this.now(),
      lifetime: ticketer.lifetime,
      ageAdd,
      maxEarlyData,
      alpnProtocol: this.#alpn,
      serverName: this.#serverName,
    });
    const ext: Extension[] =
      maxEarlyData > 0
        ? [
            {
              type: ExtensionType.EarlyData,
              data: Uint8Array.of(maxEarlyData >>> 24, (maxEarlyData >>> 16) & 0xff, (maxEarlyData >>> 8) & 0xff, maxEarlyData & 0xff),
            },
          ]
        : [];
    this.send("application", encodeNewSessionTicket(ticketer.lifetime, ageAdd, nonce, ticket, ext));
  }
}

export { groupName };
