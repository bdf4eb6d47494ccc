/**
 * The receiving half of one encryption level's CRYPTO stream (RFC 9000
 * §19.6, §7.5): CRYPTO frames may arrive out of order, duplicated or
 * overlapping; TLS must see the bytes in order, each once.
 *
 * Memory is bounded by `limit`: data more than `limit` bytes past what TLS
 * has consumed is refused with CRYPTO_BUFFER_EXCEEDED (§7.5 allows closing
 * then). A level's whole handshake is a few KB, so the bytes live in one
 * buffer indexed by absolute offset that grows on demand up to the bound.
 *
 * @module
 */
import { TransportError, TransportErrorCode } from "../errors.js";
import { RangeSet } from "../wire/range-set.js";

const CRYPTO_FRAME = 0x06;

/** See the module comment. */
export class CryptoReceiveStream {
  readonly #limit: number;
  #buffer = new Uint8Array(0);
  readonly #have = new RangeSet();
  /** Bytes handed to TLS so far. */
  #read = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Offset up to which bytes were delivered. */
  get readOffset(): number {
    return this.#read;
  }

  /**
   * Stores a CRYPTO frame's data. Throws TransportError
   * CRYPTO_BUFFER_EXCEEDED past the bound.
   */
  insert(offset: number, data: Uint8Array): void {
    const end = offset + data.length;
    if (end <= this.#read || data.length === 0) return;
    if (end > this.#read + this.#limit)
      throw new TransportError(
        TransportErrorCode.CRYPTO_BUFFER_EXCEEDED,
        `CRYPTO data up to offset ${end} exceeds the ${this.#limit}-byte buffer`,
        CRYPTO_FRAME,
      );
    if (end > this.#buffer.length) {
      const grown = new Uint8Array(Math.min(Math.max(end, this.#buffer.length * 2, 4096), this.#read + this.#limit));
      grown.set(this.#buffer);
      this.#buffer = grown;
    }
    const from = Math.max(offset, this.#read);
    this.#buffer.set(data.subarray(from - offset), from);
    this.#have.insert(from, end);
  }

  /** The next in-order bytes not yet delivered (a view; consumed by this call), or undefined. */
  read(): Uint8Array | undefined {
    if (this.#have.isEmpty || this.#have.startAt(0) > this.#read) return undefined;
    const end = this.#have.endAt(0);
    if (end <= this.#read) return undefined;
    const out = this.#buffer.subarray(this.#read, end);
    this.#read = end;
    return out;
  }
}
