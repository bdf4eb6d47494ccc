/**
 * What the client and server state machines share: encryption levels, the
 * events they emit, handshake results, sessions, and the base class that
 * reassembles handshake messages per level. The state machines never touch
 * sockets, records or timers; a driver (TLS records over TCP, or QUIC CRYPTO
 * frames) feeds them bytes with `handle(level, data)` and acts on the events
 * from `takeEvents()` in order.
 *
 * @example
 * ```ts
 * import { TlsClientEngine, type TlsLevel } from "@zsync/crypto/tls";
 * declare const transport: {
 *   send(level: TlsLevel, data: Uint8Array): void;
 *   install(direction: "read" | "write", level: TlsLevel, suite: unknown, secret: Uint8Array): void;
 * };
 * const client = new TlsClientEngine({ serverName: "localhost" });
 * client.start();
 * for (const event of client.takeEvents()) {
 *   if (event.type === "send") transport.send(event.level, event.data);
 *   if (event.type === "secret") transport.install(event.direction, event.level, event.suite, event.secret);
 * }
 * ```
 * @module
 */
import type { CryptoProvider } from "../../primitives/provider.js";
import { TlsError, TlsProtocolError } from "../errors.js";
import { AlertDescription } from "../wire/constants.js";
import { decodeKeyUpdate, encodeKeyUpdate, HandshakeFramer, type HandshakeMessage } from "../wire/messages.js";
import type { CipherSuite } from "./cipher-suites.js";
import type { NamedGroupName } from "./key-exchange.js";
import type { TrafficSecrets } from "./traffic-secrets.js";

/** Encryption levels, named after QUIC's packet number spaces (RFC 9001 §4.1.4). */
export type TlsLevel = "initial" | "early" | "handshake" | "application";

/** Output of the state machines, to be acted on in order. */
export type TlsEvent =
  | { readonly type: "send"; readonly level: TlsLevel; readonly data: Uint8Array }
  /** Middlebox compatibility: a TCP driver sends a dummy change_cipher_spec record here; QUIC ignores it. */
  | { readonly type: "change-cipher-spec" }
  | {
      readonly type: "secret";
      readonly direction: "read" | "write";
      readonly level: TlsLevel;
      readonly suite: CipherSuite;
      readonly secret: Uint8Array;
    }
  | { readonly type: "handshake-complete"; readonly info: HandshakeInfo }
  /** The peer's quic_transport_parameters extension (0x39), opaque to TLS. */
  | { readonly type: "transport-parameters"; readonly data: Uint8Array }
  /** Client only: a NewSessionTicket, usable for resumption. */
  | { readonly type: "session"; readonly session: TlsSession }
  /** Client only: whether the server accepted the 0-RTT data it sent. */
  | { readonly type: "early-data"; readonly accepted: boolean };

/** What the handshake settled on. */
export interface HandshakeInfo {
  readonly cipherSuite: CipherSuite;
  /** Key-exchange group; undefined only for a pure-PSK handshake (not offered by this engine). */
  readonly group: NamedGroupName | undefined;
  readonly alpnProtocol: string | undefined;
  /** SNI as sent (client) or received (server). */
  readonly serverName: string | undefined;
  /** DER certificates of the peer, leaf first (empty after resumption or for an anonymous client). */
  readonly peerCertificates: readonly Uint8Array[];
  readonly resumed: boolean;
  readonly earlyDataAccepted: boolean;
  readonly helloRetried: boolean;
}

/** A resumable session from a NewSessionTicket (client side). Treat as secret. */
export interface TlsSession {
  readonly serverName: string | undefined;
  readonly cipherSuite: number;
  readonly psk: Uint8Array;
  readonly ticket: Uint8Array;
  readonly ageAdd: number;
  /** ms since the epoch at reception. */
  readonly receivedAt: number;
  /** Lifetime in seconds (at most 7 days). */
  readonly lifetime: number;
  /** 0 when the server does not accept early data with this ticket. */
  readonly maxEarlyData: number;
  readonly alpnProtocol: string | undefined;
}

/** Callback receiving key material in NSS key log terms (see keylog.ts). */
export type KeyLogCallback = (label: string, clientRandom: Uint8Array, secret: Uint8Array) => void;

/** Options common to both sides. */
export interface EngineOptions {
  readonly provider: CryptoProvider;
  /** ms since the epoch; default `Date.now`. Injected for certificate expiry and ticket ages. */
  readonly now?: (() => number) | undefined;
  readonly keyLog?: KeyLogCallback | undefined;
}

/** Base of `TlsClientEngine` and `TlsServerEngine`: per-level reassembly and the event queue. */
export abstract class HandshakeEngine {
  readonly provider: CryptoProvider;
  abstract readonly side: "client" | "server";
  protected readonly now: () => number;
  protected events: TlsEvent[] = [];
  protected readLevel: TlsLevel = "initial";
  #framers = new Map<TlsLevel, HandshakeFramer>();
  #failed: TlsError | undefined;
  #complete = false;

  constructor(options: EngineOptions) {
    this.provider = options.provider;
    this.now = options.now ?? Date.now;
  }

  /** True once the handshake has completed on this side. */
  get handshakeComplete(): boolean {
    return this.#complete;
  }

  /**
   * Bytes of a handshake message begun but not finished at the current read
   * level. A record driver must see nothing but handshake records while this
   * is non-zero (RFC 9846 §5.1: no interleaving).
   */
  get partialMessageBytes(): number {
    return this.#framers.get(this.readLevel)?.buffered ?? 0;
  }

  /** Events produced since the last call, in the order they must be acted on. */
  takeEvents(): TlsEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  /**
   * Feeds handshake bytes received at `level`. Throws a `TlsError` whose
   * `alert` the driver sends before closing; after that, the engine refuses
   * further input with the same error.
   */
  handle(level: TlsLevel, data: Uint8Array): void {
    if (this.#failed !== undefined) throw this.#failed;
    try {
      if (level !== this.readLevel)
        throw new TlsProtocolError(
          AlertDescription.unexpected_message,
          `handshake data at ${level} level while expecting ${this.readLevel}`,
        );
      let framer = this.#framers.get(level);
      if (framer === undefined) {
        framer = new HandshakeFramer();
        this.#framers.set(level, framer);
      }
      framer.push(data);
      for (let message = framer.next(); message !== undefined; message = framer.next()) {
        const before = this.readLevel;
        this.onMessage(level, message);
        // A key change must fall on a record boundary: leftover bytes would be read under the wrong key.
        if (this.readLevel !== before && framer.buffered > 0)
          throw new TlsProtocolError(AlertDescription.unexpected_message, "handshake message spans a key change");
      }
    } catch (error) {
      this.#failed =
        error instanceof TlsError ? error : new TlsProtocolError(AlertDescription.internal_error, "internal error", { cause: error });
      throw this.#failed;
    }
  }

  /** Marks the engine failed (e.g. after a record-layer error) so it accepts no more input. */
  fail(error: TlsError): void {
    this.#failed ??= error;
  }

  protected abstract onMessage(level: TlsLevel, message: HandshakeMessage): void;

  protected send(level: TlsLevel, data: Uint8Array): void {
    this.events.push({ type: "send", level, data });
  }

  protected secret(direction: "read" | "write", level: TlsLevel, suite: CipherSuite, secret: Uint8Array): void {
    if (direction === "read") this.readLevel = level;
    this.events.push({ type: "secret", direction, level, suite, secret });
  }

  protected complete(info: HandshakeInfo): void {
    this.#complete = true;
    this.events.push({ type: "handshake-complete", info });
  }

  /**
   * @internal
   * Sends a KeyUpdate (RFC 9846 §4.6.3), asking the peer to update too when
   * `requestPeerUpdate`, and moves to our next application write secret; only
   * once the handshake has completed (`secrets` exist from ServerHello on).
   */
  protected sendKeyUpdate(secrets: TrafficSecrets | undefined, requestPeerUpdate: boolean): void {
    if (!this.#complete || secrets === undefined)
      throw new TlsProtocolError(AlertDescription.internal_error, "KeyUpdate before the handshake completed");
    this.send("application", encodeKeyUpdate(requestPeerUpdate));
    this.secret("write", "application", secrets.suite, secrets.update(this.side));
  }

  /**
   * @internal
   * The peer's KeyUpdate: moves to its next application read secret and, if
   * it asked, answers with a KeyUpdate of ours that asks for nothing back.
   */
  protected receiveKeyUpdate(secrets: TrafficSecrets, message: HandshakeMessage): void {
    const requested = decodeKeyUpdate(message.body);
    this.secret("read", "application", secrets.suite, secrets.update(this.side === "client" ? "server" : "client"));
    if (requested) this.sendKeyUpdate(secrets, false);
  }

  protected unexpected(message: HandshakeMessage, state: string): never {
    throw new TlsProtocolError(AlertDescription.unexpected_message, `handshake message type ${message.type} in state ${state}`);
  }
}
