/**
 * Server-side session tickets: the resumption state sealed under a server
 * key (AES-256-GCM), so the server stays stateless across resumptions, plus
 * a single-use register so a ticket enables 0-RTT at most once (the replay
 * defence of RFC 9846 §8.1, within one process).
 *
 * @example
 * ```ts
 * import { getProvider } from "@zsync/crypto";
 * import { SessionTicketer, type TlsCredentials, TlsServerEngine } from "@zsync/crypto/tls";
 * declare const credentials: TlsCredentials;
 * const provider = getProvider();
 * const tickets = new SessionTicketer(provider); // share one across connections
 * const server = new TlsServerEngine({ credentials, sessionTickets: tickets });
 * ```
 * @module
 */

import { AuthenticationError } from "../../primitives/errors.js";
import type { AeadKey, CryptoProvider } from "../../primitives/provider.js";
import { ByteReader, ByteWriter } from "../wire/bytes.js";

/** What a ticket carries. */
export interface TicketState {
  readonly cipherSuite: number;
  readonly psk: Uint8Array;
  readonly issuedAt: number;
  readonly lifetime: number;
  readonly ageAdd: number;
  readonly maxEarlyData: number;
  readonly alpnProtocol: string | undefined;
  readonly serverName: string | undefined;
}

const VERSION = 1;
const latin1 = (b: Uint8Array): string => String.fromCharCode(...b);
const fromLatin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

/** Seals and opens tickets; holds the ticket key and the 0-RTT single-use register. */
export class SessionTicketer {
  readonly #provider: CryptoProvider;
  readonly #key: AeadKey;
  readonly #used = new Map<string, number>();
  /** Ticket lifetime in seconds (default 2 hours, at most 7 days). */
  readonly lifetime: number;

  constructor(provider: CryptoProvider, options: { readonly key?: Uint8Array; readonly lifetime?: number } = {}) {
    this.#provider = provider;
    const key = options.key ?? provider.randomBytes(32);
    if (!(key instanceof Uint8Array) || key.length !== 32) throw new RangeError("ticket key must be 32 bytes");
    this.#key = provider.aead("aes-256-gcm", key);
    const lifetime = options.lifetime ?? 7200;
    if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > 604800)
      throw new RangeError("lifetime must be an integer in 1..604800 seconds");
    this.lifetime = lifetime;
  }

  seal(state: TicketState): Uint8Array {
    const w = new ByteWriter(128);
    w.u8(VERSION)
      .u16(state.cipherSuite)
      .u32(Math.floor(state.issuedAt / 0x100000000))
      .u32(state.issuedAt >>> 0);
    w.u32(state.lifetime).u32(state.ageAdd).u32(state.maxEarlyData).opaque8(state.psk);
    w.opaque8(fromLatin1(state.alpnProtocol ?? "")).opaque16(fromLatin1(state.serverName ?? ""));
    const nonce = this.#provider.randomBytes(12);
    const sealed = this.#key.seal(nonce, w.finish());
    const out = new Uint8Array(12 + sealed.length);
    out.set(nonce);
    out.set(sealed, 12);
    return out;
  }

  /** The state in `ticket`, or undefined if it is not one of ours (or was tampered with). */
  open(ticket: Uint8Array): TicketState | undefined {
    if (ticket.length < 12 + 16) return undefined;
    let plain: Uint8Array;
    try {
      plain = this.#key.open(ticket.subarray(0, 12), ticket.subarray(12));
    } catch (error) {
      if (error instanceof AuthenticationError) return undefined;
      throw error;
    }
    try {
      const r = new ByteReader(plain);
      if (r.u8() !== VERSION) return undefined;
      const cipherSuite = r.u16();
      const issuedAt = r.u32() * 0x100000000 + r.u32();
      const lifetime = r.u32();
      const ageAdd = r.u32();
      const maxEarlyData = r.u32();
      const psk = r.opaque8().slice();
      const alpn = latin1(r.opaque8());
      const sni = latin1(r.opaque16());
      return {
        cipherSuite,
        issuedAt,
        lifetime,
        ageAdd,
        maxEarlyData,
        psk,
        alpnProtocol: alpn === "" ? undefined : alpn,
        serverName: sni === "" ? undefined : sni,
      };
    } catch {
      return undefined;
    }
  }

  /** True the first time a ticket is used for 0-RTT; false on every replay. */
  claimEarlyData(ticket: Uint8Array, now: number): boolean {
    for (const [k, expiry] of this.#used) if (expiry < now) this.#used.delete(k);
    const id = Buffer.from(this.#provider.hash("sha256", ticket)).toString("base64");
    if (this.#used.has(id)) return false;
    this.#used.set(id, now + this.lifetime * 1000);
    return true;
  }
}
