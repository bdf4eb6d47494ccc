/**
 * `QuicSession`: what a client keeps from one connection to resume the
 * next (RFC 9001 §4.5), as one opaque object the application saves and
 * hands back to `connect({ session })`.
 *
 * Why a class of our own and not crypto's `TlsSession`: the application
 * should not depend on what resumption needs: the TLS ticket (PSK, ticket,
 * age, lifetime, cipher suite, ALPN), and, for 0-RTT, the server's
 * transport parameters of the connection that received the ticket, which
 * a client sending early data must remember and obey (RFC 9000 §7.4.1;
 * `TlsSession` has no room for them). The saved form
 * ({@link QuicSession.encode}) starts with a format version so that a later
 * release can change it and still tell old files apart.
 *
 * A session holds the resumption PSK: treat it (and its saved bytes) as a
 * secret, as you would a private key. Each ticket should be used once
 * (RFC 9846 §C.4: reuse lets observers link connections); servers send
 * fresh ones on every connection.
 *
 * @example
 * ```ts
 * import { readFileSync, writeFileSync } from "node:fs";
 * import { connect, QuicSession } from "@zsync/quic";
 * declare const caPem: string;
 * const first = await connect("localhost", 4433, { alpn: "echo", ca: caPem });
 * writeFileSync("session.bin", (await first.sessionReady()).encode(), { mode: 0o600 });
 * await first.close();
 * const session = QuicSession.decode(readFileSync("session.bin"));
 * const second = await connect("localhost", 4433, { alpn: "echo", ca: caPem, session });
 * console.log(second.handshake?.resumed); // true
 * ```
 * @module
 */
import type { TlsSession } from "@zsync/crypto/tls";
import type { TransportParameters } from "../proto/index.js";
import { QuicSessionFormatError } from "./errors.js";

/**
 * The server's transport parameters a client remembers with a ticket and
 * applies to 0-RTT data (RFC 9000 §7.4.1 lists these; RFC 9221 §3 adds
 * max_datagram_frame_size). A server accepting 0-RTT must not have lowered
 * any of them.
 */
export interface RememberedTransportParameters {
  readonly activeConnectionIdLimit: number;
  readonly initialMaxData: number;
  readonly initialMaxStreamDataBidiLocal: number;
  readonly initialMaxStreamDataBidiRemote: number;
  readonly initialMaxStreamDataUni: number;
  readonly initialMaxStreamsBidi: number;
  readonly initialMaxStreamsUni: number;
  /** Absent: the server took no DATAGRAM frames. */
  readonly maxDatagramFrameSize: number | undefined;
}

/** The fields of {@link RememberedTransportParameters} in their saved order (numbers; the datagram size is handled apart). */
const REMEMBERED_NUMBERS = [
  "activeConnectionIdLimit",
  "initialMaxData",
  "initialMaxStreamDataBidiLocal",
  "initialMaxStreamDataBidiRemote",
  "initialMaxStreamDataUni",
  "initialMaxStreamsBidi",
  "initialMaxStreamsUni",
] as const satisfies readonly (keyof RememberedTransportParameters)[];

/** What §7.4.1 asks a client to remember, out of the server's full parameters. */
export function rememberTransportParameters(params: TransportParameters): RememberedTransportParameters {
  return {
    activeConnectionIdLimit: params.activeConnectionIdLimit,
    initialMaxData: params.initialMaxData,
    initialMaxStreamDataBidiLocal: params.initialMaxStreamDataBidiLocal,
    initialMaxStreamDataBidiRemote: params.initialMaxStreamDataBidiRemote,
    initialMaxStreamDataUni: params.initialMaxStreamDataUni,
    initialMaxStreamsBidi: params.initialMaxStreamsBidi,
    initialMaxStreamsUni: params.initialMaxStreamsUni,
    maxDatagramFrameSize: params.maxDatagramFrameSize,
  };
}

/** Transport parameter values are varints: at most 2^62 - 1, and the core reads them as safe integers. */
const MAX_PARAMETER = Number.MAX_SAFE_INTEGER;

/** "ZQS" + format version 1. */
const MAGIC = [0x5a, 0x51, 0x53] as const;
const FORMAT_VERSION = 1;

/** A resumable session; see the module comment. */
export class QuicSession {
  /** @internal the TLS ticket; read by `connect`. */
  readonly tls: TlsSession;
  /** The server's parameters remembered for 0-RTT (RFC 9000 §7.4.1); undefined when they were not known. */
  readonly transportParameters: RememberedTransportParameters | undefined;

  /** @internal made from a connection's `session` event, or by {@link decode}. */
  constructor(tls: TlsSession, transportParameters?: RememberedTransportParameters) {
    this.tls = tls;
    this.transportParameters = transportParameters;
  }

  /** The server name the ticket was issued for (SNI of the connection that received it). */
  get serverName(): string | undefined {
    return this.tls.serverName;
  }

  /** The ALPN protocol of the connection that received it; resumption keeps it. */
  get alpn(): string | undefined {
    return this.tls.alpnProtocol;
  }

  /** True when the server's ticket allows 0-RTT (its max_early_data_size is above 0, RFC 9001 §4.6.1). */
  get allowsEarlyData(): boolean {
    return this.tls.maxEarlyData > 0;
  }

  /** ms since the epoch after which the server no longer takes the ticket (RFC 9846 §4.6.1 lifetime). */
  get expiresAt(): number {
    return this.tls.receivedAt + this.tls.lifetime * 1000;
  }

  /**
   * The saved form, for a file or a database: a format version, then each
   * field length-prefixed. Secret (it holds the PSK).
   */
  encode(): Uint8Array {
    const s = this.tls;
    const name = optionalText(s.serverName);
    const alpn = optionalText(s.alpnProtocol);
    const tp = this.transportParameters;
    const tpLength = tp === undefined ? 1 : 1 + 8 * (REMEMBERED_NUMBERS.length + 1);
    const out = new Uint8Array(
      4 + 2 + 1 + s.psk.length + 2 + s.ticket.length + 4 + 8 + 4 + 4 + 2 + name.length + 1 + alpn.length + tpLength,
    );
    const view = new DataView(out.buffer);
    let at = 0;
    for (const b of MAGIC) out[at++] = b;
    out[at++] = FORMAT_VERSION;
    view.setUint16(at, s.cipherSuite);
    at += 2;
    out[at++] = s.psk.length;
    out.set(s.psk, at);
    at += s.psk.length;
    view.setUint16(at, s.ticket.length);
    at += 2;
    out.set(s.ticket, at);
    at += s.ticket.length;
    view.setUint32(at, s.ageAdd >>> 0);
    at += 4;
    view.setFloat64(at, s.receivedAt);
    at += 8;
    view.setUint32(at, s.lifetime);
    at += 4;
    view.setUint32(at, s.maxEarlyData);
    at += 4;
    // Names: a length byte pair (0xffff = absent) for SNI, one byte (0xff = absent) for ALPN (RFC 7301: at most 255).
    view.setUint16(at, s.serverName === undefined ? 0xffff : name.length);
    at += 2;
    out.set(name, at);
    at += name.length;
    out[at++] = s.alpnProtocol === undefined ? 0xff : alpn.length;
    out.set(alpn, at);
    at += alpn.length;
    // Remembered transport parameters: a presence byte, then each as a float64 (exact for safe integers),
    // the datagram size last with -1 for "absent".
    out[at++] = tp === undefined ? 0 : 1;
    if (tp !== undefined) {
      for (const key of REMEMBERED_NUMBERS) {
        view.setFloat64(at, tp[key]);
        at += 8;
      }
      view.setFloat64(at, tp.maxDatagramFrameSize ?? -1);
    }
    return out;
  }

  /** Reads what {@link encode} wrote. Throws {@link QuicSessionFormatError} for anything else. */
  static decode(bytes: Uint8Array): QuicSession {
    const r = new Reader(bytes);
    for (const b of MAGIC) if (r.u8() !== b) throw new QuicSessionFormatError("bad magic");
    const version = r.u8();
    if (version !== FORMAT_VERSION) throw new QuicSessionFormatError(`format version ${version}`);
    const cipherSuite = r.u16();
    const psk = r.bytes(r.u8());
    if (psk.length === 0) throw new QuicSessionFormatError("empty PSK");
    const ticket = r.bytes(r.u16());
    if (ticket.length === 0) throw new QuicSessionFormatError("empty ticket");
    const ageAdd = r.u32();
    const receivedAt = r.f64();
    if (!Number.isFinite(receivedAt) || receivedAt < 0) throw new QuicSessionFormatError("bad reception time");
    const lifetime = r.u32();
    const maxEarlyData = r.u32();
    const nameLength = r.u16();
    const serverName = nameLength === 0xffff ? undefined : r.text(nameLength);
    const alpnLength = r.u8();
    const alpnProtocol = alpnLength === 0xff ? undefined : r.text(alpnLength);
    const hasParameters = r.u8();
    if (hasParameters > 1) throw new QuicSessionFormatError("bad transport-parameter flag");
    let transportParameters: RememberedTransportParameters | undefined;
    if (hasParameters === 1) {
      const values: Record<string, number> = {};
      for (const key of REMEMBERED_NUMBERS) values[key] = r.parameter();
      const datagram = r.f64();
      if (datagram !== -1 && !(Number.isSafeInteger(datagram) && datagram >= 0))
        throw new QuicSessionFormatError("bad transport parameter");
      transportParameters = {
        ...(values as Omit<RememberedTransportParameters, "maxDatagramFrameSize">),
        maxDatagramFrameSize: datagram === -1 ? undefined : datagram,
      };
    }
    if (!r.done) throw new QuicSessionFormatError("trailing bytes");
    const tls = { serverName, cipherSuite, psk, ticket, ageAdd, receivedAt, lifetime, maxEarlyData, alpnProtocol };
    return new QuicSession(tls, transportParameters);
  }
}

function optionalText(text: string | undefined): Uint8Array {
  return text === undefined ? new Uint8Array(0) : new TextEncoder().encode(text);
}

/** Bounds-checked reads over untrusted bytes (a session file can be anything). */
class Reader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #at = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.#at === this.#bytes.length;
  }

  #take(n: number): number {
    if (this.#at + n > this.#bytes.length) throw new QuicSessionFormatError("truncated");
    const at = this.#at;
    this.#at += n;
    return at;
  }

  u8(): number {
    return this.#view.getUint8(this.#take(1));
  }
  u16(): number {
    return this.#view.getUint16(this.#take(2));
  }
  u32(): number {
    return this.#view.getUint32(this.#take(4));
  }
  f64(): number {
    return this.#view.getFloat64(this.#take(8));
  }
  /** A transport-parameter value: a non-negative safe integer. */
  parameter(): number {
    const value = this.f64();
    if (!Number.isSafeInteger(value) || value < 0 || value > MAX_PARAMETER) throw new QuicSessionFormatError("bad transport parameter");
    return value;
  }
  bytes(n: number): Uint8Array {
    const at = this.#take(n);
    return this.#bytes.slice(at, at + n);
  }
  text(n: number): string {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(this.bytes(n));
    } catch {
      throw new QuicSessionFormatError("name is not UTF-8");
    }
  }
}
