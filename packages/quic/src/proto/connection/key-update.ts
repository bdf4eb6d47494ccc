/**
 * Key update for 1-RTT packets (RFC 9001 §6): the Key Phase bit of a short
 * header says which generation of keys protected the packet. Either side
 * may move to the next generation (secret_n+1 = HKDF-Expand-Label(secret_n,
 * "quic ku", ...), crypto/packet-keys.ts); the other side follows as soon
 * as a packet with the flipped bit authenticates with the next keys.
 *
 * Why keys are chosen before decrypting: packets are opened in place, so a
 * failed attempt leaves the payload unusable and there is no second try.
 * The header-protection key never changes (§6.1), so the Key Phase bit and
 * packet number are read first, then exactly one key generation is tried:
 * the current one when the bit matches, the previous one (kept for three
 * PTOs, §6.5) for a reordered packet numbered below the current phase's
 * first packet, else the next one, which on success becomes current.
 *
 * When the peer moved first, our sending keys follow at once (§6.2). We
 * initiate only after a packet sent with the current keys was
 * acknowledged (§6.1), and only once the handshake is confirmed (§6.1).
 *
 * @module
 */
import type { CryptoProvider } from "@zsync/crypto";
import { type PacketKeys, updatePacketKeys } from "../crypto/packet-keys.js";
import { decryptPayload, type OpenedPacket, removeHeaderProtection } from "../crypto/packet-protection.js";
import { decodePacketNumber, readTruncatedPacketNumber } from "../wire/packet-number.js";

/** The mutable 1-RTT keys of a connection (the application space's current read and write keys). */
export interface OneRttKeys {
  readKeys: PacketKeys | undefined;
  writeKeys: PacketKeys | undefined;
}

/** See the module comment. */
export class KeyUpdateState {
  readonly #provider: CryptoProvider;
  /** Key Phase bit of the current read keys. */
  #readPhase = false;
  /** Key Phase bit we send. */
  #writePhase = false;
  /** The previous read generation, for reordered packets, until `#prevUntil`. */
  #readPrev: PacketKeys | undefined;
  #prevUntil = 0;
  /** The next read generation, derived once (not per forged packet with a flipped bit). */
  #readNext: PacketKeys | undefined;
  /** Smallest packet number received in the current read phase. */
  #readPhaseStart = 0;
  /** First packet number we sent in the current write phase; undefined until one is sent. */
  #writePhaseStart: number | undefined = 0;
  /** Completed generations (for stats and tests). */
  updates = 0;

  constructor(provider: CryptoProvider) {
    this.#provider = provider;
  }

  /** The Key Phase bit for the next 1-RTT packet we send. */
  get writePhase(): boolean {
    return this.#writePhase;
  }

  /**
   * Removes header protection and decrypts the 1-RTT packet
   * `buffer[start, end)` in place with the generation its Key Phase bit
   * selects; fills `out`. Returns false when the packet must be dropped.
   * A packet that authenticates with the next generation completes a key
   * update (and, if the peer initiated it, updates `keys.writeKeys` too).
   */
  open(
    keys: OneRttKeys,
    buffer: Uint8Array,
    start: number,
    pnOffset: number,
    end: number,
    largestReceived: number,
    out: OpenedPacket,
    now: number,
    ptoPeriod: number,
  ): boolean {
    const current = keys.readKeys;
    if (current === undefined) return false;
    if (this.#readPrev !== undefined && now >= this.#prevUntil) this.#readPrev = undefined;
    const pnLength = removeHeaderProtection(current, buffer, start, pnOffset, end);
    if (pnLength < 0) return false;
    const phase = ((buffer[start] as number) & 0x04) !== 0;
    const pn = decodePacketNumber(largestReceived, readTruncatedPacketNumber(buffer, pnOffset, pnLength), pnLength);
    let chosen: PacketKeys;
    let next = false;
    if (phase === this.#readPhase) chosen = current;
    else if (pn < this.#readPhaseStart) {
      if (this.#readPrev === undefined) return false; // older than anything we still hold keys for
      chosen = this.#readPrev;
    } else {
      this.#readNext ??= updatePacketKeys(this.#provider, current);
      chosen = this.#readNext;
      next = true;
    }
    const payloadEnd = decryptPayload(chosen, buffer, start, pnOffset, pnLength, pn, end);
    if (payloadEnd < 0) return false;
    out.firstByte = buffer[start] as number;
    out.packetNumber = pn;
    out.payloadStart = pnOffset + pnLength;
    out.payloadEnd = payloadEnd;
    if (next) {
      this.#readPrev = current;
      this.#prevUntil = now + 3 * ptoPeriod; // §6.5: keep the old keys about three PTOs
      keys.readKeys = chosen;
      this.#readNext = undefined;
      this.#readPhase = phase;
      this.#readPhaseStart = pn;
      this.updates++;
      if (this.#writePhase !== phase) {
        // The peer initiated (§6.2): follow with our sending keys.
        keys.writeKeys = keys.writeKeys === undefined ? undefined : updatePacketKeys(this.#provider, keys.writeKeys);
        this.#writePhase = phase;
        this.#writePhaseStart = undefined;
      }
    } else if (phase === this.#readPhase && pn < this.#readPhaseStart) {
      this.#readPhaseStart = pn;
    }
    return true;
  }

  /** Records a 1-RTT packet sent (the first of a write phase gates the next update). */
  onPacketSent(packetNumber: number): void {
    this.#writePhaseStart ??= packetNumber;
  }

  /**
   * Whether we may initiate an update now (§6.1): the peer has moved to our
   * current write phase, and a packet sent in it was acknowledged.
   */
  canInitiate(largestAcked: number): boolean {
    return this.#writePhase === this.#readPhase && this.#writePhaseStart !== undefined && largestAcked >= this.#writePhaseStart;
  }

  /** Moves our sending keys to the next generation; the peer's reply completes the update. */
  initiate(keys: OneRttKeys): void {
    if (keys.writeKeys === undefined) throw new RangeError("no 1-RTT keys to update");
    keys.writeKeys = updatePacketKeys(this.#provider, keys.writeKeys);
    this.#writePhase = !this.#writePhase;
    this.#writePhaseStart = undefined;
  }
}
