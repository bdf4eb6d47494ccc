/**
 * 0-RTT state of one connection (RFC 9001 §4.6, RFC 9000 §7.4.1).
 *
 * A client resuming with a ticket that allows early data, and knowing the
 * server's transport parameters from the connection that issued it, sends
 * stream data in 0-RTT packets (long header, Application Data packet number
 * space) under keys from the TLS engine's `early` secret, within the
 * remembered limits. A server whose TLS engine accepted early data opens
 * those packets with the same keys. This module holds the keys, the record
 * of what the client sent under them (to requeue it when the server refuses,
 * RFC 9001 §4.6.2) and the §7.4.1 check; the connection does the packets.
 *
 * @module
 */

import type { PacketKeys } from "../crypto/packet-keys.js";
import { TransportError, TransportErrorCode } from "../errors.js";
import { DEFAULT_TRANSPORT_PARAMETERS, type TransportParameters } from "../wire/transport-parameters.js";
import type { SentFrames } from "./sent-frames.js";

/**
 * The server's transport parameters a client remembers with a ticket (the
 * §7.4.1 list; `@zsync/quic`'s `QuicSession` saves them). 0-RTT is only
 * sent when the connection is given these.
 */
export interface EarlyTransportParameters {
  readonly activeConnectionIdLimit: number;
  readonly initialMaxData: number;
  readonly initialMaxStreamDataBidiLocal: number;
  readonly initialMaxStreamDataBidiRemote: number;
  readonly initialMaxStreamDataUni: number;
  readonly initialMaxStreamsBidi: number;
  readonly initialMaxStreamsUni: number;
  readonly maxDatagramFrameSize?: number | undefined;
}

/** The §7.4.1 limits a server that accepted 0-RTT must not lower (its new values are checked against the remembered ones). */
const LIMITS = [
  "activeConnectionIdLimit",
  "initialMaxData",
  "initialMaxStreamDataBidiLocal",
  "initialMaxStreamDataBidiRemote",
  "initialMaxStreamDataUni",
  "initialMaxStreamsBidi",
  "initialMaxStreamsUni",
] as const satisfies readonly (keyof EarlyTransportParameters)[];

/** Full transport parameters for the stream layer of a 0-RTT client: the remembered limits, defaults elsewhere. */
export function earlyPeerParameters(remembered: EarlyTransportParameters): TransportParameters {
  const out: { -readonly [K in keyof TransportParameters]: TransportParameters[K] } = { ...DEFAULT_TRANSPORT_PARAMETERS };
  for (const key of LIMITS) out[key] = remembered[key];
  return out;
}

/**
 * The first remembered limit the server's new parameters lower, or undefined.
 * With 0-RTT accepted, a lowered limit is a PROTOCOL_VIOLATION (RFC 9000 §7.4.1).
 */
export function loweredLimit(remembered: EarlyTransportParameters, actual: TransportParameters): string | undefined {
  for (const key of LIMITS) if (actual[key] < remembered[key]) return key;
  const datagram = remembered.maxDatagramFrameSize;
  if (datagram !== undefined && datagram > 0 && (actual.maxDatagramFrameSize ?? 0) < datagram) return "maxDatagramFrameSize";
  return undefined;
}

/**
 * Client, once both the server's parameters and TLS's early-data outcome are known. A server that accepted
 * 0-RTT and lowered a remembered limit broke RFC 9000 §7.4.1: PROTOCOL_VIOLATION. A refusing server may lower
 * them, but the stream layer already counted what it opened and sent in 0-RTT (resent in 1-RTT) against the
 * remembered limits and cannot take credit back, so that connection ends too (PROTOCOL_VIOLATION, with a reason
 * saying so) rather than break the server's flow control: rare (the server's configuration changed), and a new
 * connection without the ticket works.
 */
export function checkEarlyLimits(remembered: EarlyTransportParameters, actual: TransportParameters, accepted: boolean): void {
  const lowered = loweredLimit(remembered, actual);
  if (lowered === undefined) return;
  throw new TransportError(
    TransportErrorCode.PROTOCOL_VIOLATION,
    accepted
      ? `0-RTT accepted but the server lowered ${lowered} (RFC 9000 §7.4.1)`
      : `0-RTT refused and the server lowered ${lowered}: not supported`,
  );
}

/** See the module comment. */
export class EarlyData {
  /** Client: 0-RTT write keys, while 0-RTT packets may be sent. Server: 0-RTT read keys, while they may be opened. */
  keys: PacketKeys | undefined;
  /** Client: the remembered parameters (0-RTT is only sent with them). */
  readonly remembered: EarlyTransportParameters | undefined;
  /** Client: what each 0-RTT packet carried, to requeue when the server refuses (RFC 9001 §4.6.2). */
  #sent: SentFrames[] = [];
  /** "accepted"/"refused" once TLS said so; "none" before (or when never offered). */
  outcome: "none" | "accepted" | "refused" = "none";
  /** The keys were dropped (RFC 9001 §4.9.3): later 0-RTT packets are ignored. */
  discarded = false;

  constructor(remembered?: EarlyTransportParameters | undefined) {
    this.remembered = remembered;
  }

  /** Whether 0-RTT packets can be sealed (client) or opened (server) now. */
  get active(): boolean {
    return this.keys !== undefined && !this.discarded;
  }

  /** Client: records a sealed 0-RTT packet's frames. */
  onSent(frames: SentFrames): void {
    this.#sent.push(frames);
  }

  /**
   * Client, server refused: the frames of every 0-RTT packet, each once
   * (RFC 9001 §4.6.2: they are lost). Later acknowledgements or losses of
   * those packets find an emptied record (`SentFrames` fields reset by the caller).
   */
  takeRefused(): SentFrames[] {
    const sent = this.#sent;
    this.#sent = [];
    return sent;
  }

  /** RFC 9001 §4.9.3: drops the keys (client: once it has 1-RTT keys; server: once 1-RTT packets arrive). */
  discard(): void {
    this.keys = undefined;
    this.discarded = true;
    this.#sent = [];
  }
}
