/**
 * The per-packet-number-space state of a connection (RFC 9000 §12.3):
 * Initial, Handshake and ApplicationData each have their own keys, packet
 * numbers, received-packet set (what our ACK frames report), CRYPTO stream
 * halves and pending-ACK timer. Loss detection keeps the sent side (see
 * recovery/loss-detection.ts); this is everything else.
 *
 * The ACK policy of RFC 9000 §13.2 lives in recovery/ack-manager.ts.
 *
 * @module
 */
import type { PacketKeys } from "../crypto/packet-keys.js";
import { TransportErrorCode } from "../errors.js";
import { AckManager } from "../recovery/ack-manager.js";
import type { PacketNumberSpace } from "../recovery/loss-detection.js";
import { Assembler } from "../streams/assembler.js";
import { CryptoSendStream } from "./crypto-send.js";

const CRYPTO_FRAME = 0x06;

/** One packet number space; see the module comment. */
export class PacketSpace {
  readKeys: PacketKeys | undefined;
  writeKeys: PacketKeys | undefined;
  /** Keys discarded (RFC 9001 §4.9): the space neither sends nor accepts packets any more. */
  discarded = false;
  /** Next packet number to send. */
  nextPacketNumber = 0;
  /** Received packet numbers, duplicates and when our ACK is due (recovery/ack-manager.ts). */
  readonly acks: AckManager;
  /** PTO probes to send in this space (RFC 9002 §6.2.4). */
  probes = 0;
  readonly cryptoSend = new CryptoSendStream();
  /** Out-of-order CRYPTO data, bounded (RFC 9000 §7.5: CRYPTO_BUFFER_EXCEEDED beyond `maxCryptoBuffer`). */
  readonly cryptoReceive: Assembler;

  constructor(space: PacketNumberSpace, maxCryptoBuffer: number, maxAckDelay: number) {
    this.acks = new AckManager(space, { maxAckDelay });
    this.cryptoReceive = new Assembler({
      window: maxCryptoBuffer,
      errorCode: TransportErrorCode.CRYPTO_BUFFER_EXCEEDED,
      frameType: CRYPTO_FRAME,
    });
  }

  /** Forgets keys and pending work (RFC 9001 §4.9). */
  discard(): void {
    this.discarded = true;
    this.readKeys = undefined;
    this.writeKeys = undefined;
    this.probes = 0;
  }
}
