/**
 * Handshake message codecs (RFC 9846 §4) and the framer that cuts a byte
 * stream of one encryption level into whole messages. Encoders return the
 * full message including its 4-byte header, since that is what the
 * transcript hashes and what gets sent.
 *
 * @example
 * ```ts
 * import { HandshakeFramer } from "./messages.js";
 * declare const bytes: Uint8Array;
 * const framer = new HandshakeFramer();
 * framer.push(bytes);
 * for (let m = framer.next(); m !== undefined; m = framer.next()) console.log(m.type);
 * ```
 * @module
 */
import { decodeError, TlsLimitError, TlsProtocolError } from "../errors.js";
import { ByteReader, ByteWriter } from "./bytes.js";
import { AlertDescription, HandshakeType, LEGACY_VERSION } from "./constants.js";
import { decodeExtensions, type Extension, type ExtensionBlock, encodeExtensions } from "./extensions.js";

/** Largest handshake message accepted (certificate chains included); bigger is refused, never buffered. */
export const MAX_HANDSHAKE_MESSAGE = 1 << 17;

/**
 * Most records (or CRYPTO frames) one handshake message may arrive in. A
 * peer cutting records at 2^14 bytes needs 9 for the largest message; this
 * leaves room for small-record senders and stops a peer from making us
 * process a message one byte per record.
 */
export const MAX_HANDSHAKE_FRAGMENTS = 1024;

/** A whole handshake message: type, body, and the raw bytes (header included) for the transcript. */
export interface HandshakeMessage {
  readonly type: number;
  readonly body: Uint8Array;
  readonly raw: Uint8Array;
}

/**
 * Reassembles handshake messages from fragments (records or CRYPTO frames).
 * Each fragment is copied once into a list and each message once out of it
 * (none if it lies within one fragment), so reassembly is linear in the bytes
 * received however the peer cuts them; a message's length is checked as soon
 * as its 4-byte header is in, before its body is buffered.
 */
export class HandshakeFramer {
  /** Owned copies of the fragments not yet fully returned, oldest first from `#head`. */
  #chunks: Uint8Array[] = [];
  #head = 0;
  /** Bytes of `#chunks[#head]` already returned. */
  #offset = 0;
  #buffered = 0;
  /** Body length of the message at the front, once its header is complete; -1 before. */
  #length = -1;
  /** Fragments the message at the front has arrived in so far. */
  #fragments = 0;

  /** Bytes buffered that do not yet form a whole message. */
  get buffered(): number {
    return this.#buffered;
  }

  push(data: Uint8Array): void {
    if (data.length === 0) return;
    if (++this.#fragments > MAX_HANDSHAKE_FRAGMENTS)
      throw new TlsLimitError(
        "handshake-fragments",
        AlertDescription.unexpected_message,
        `handshake message split into more than ${MAX_HANDSHAKE_FRAGMENTS} fragments`,
      );
    // A real copy: `data` may be a Buffer, whose slice() is a view of memory the caller reuses.
    const copy = new Uint8Array(data.length);
    copy.set(data);
    this.#chunks.push(copy);
    this.#buffered += data.length;
  }

  /** The next whole message, or undefined. Throws for an oversized length before buffering its body. */
  next(): HandshakeMessage | undefined {
    if (this.#buffered < 4) return undefined;
    if (this.#length < 0) {
      const length = (this.#peek(1) << 16) | (this.#peek(2) << 8) | this.#peek(3);
      if (length > MAX_HANDSHAKE_MESSAGE)
        throw new TlsLimitError(
          "handshake-message-size",
          AlertDescription.decode_error,
          `handshake message of ${length} bytes exceeds ${MAX_HANDSHAKE_MESSAGE}`,
        );
      this.#length = length;
    }
    const size = 4 + this.#length;
    if (this.#buffered < size) return undefined;
    const raw = this.#take(size);
    this.#buffered -= size;
    this.#length = -1;
    // What is left starts the next message; it arrived in (part of) one fragment.
    this.#fragments = this.#buffered > 0 ? 1 : 0;
    return { type: raw[0] as number, body: raw.subarray(4), raw };
  }

  /** The byte `i` positions into the buffered bytes (i < 4, so this walks at most four fragments). */
  #peek(i: number): number {
    let at = this.#offset + i;
    for (let c = this.#head; ; c++) {
      const chunk = this.#chunks[c] as Uint8Array;
      if (at < chunk.length) return chunk[at] as number;
      at -= chunk.length;
    }
  }

  /** Removes `size` buffered bytes: a view if they lie in one fragment, else one copy. */
  #take(size: number): Uint8Array {
    const first = this.#chunks[this.#head] as Uint8Array;
    let out: Uint8Array;
    if (first.length - this.#offset >= size) {
      out = first.subarray(this.#offset, this.#offset + size);
      this.#offset += size;
    } else {
      out = new Uint8Array(size);
      for (let at = 0; at < size; ) {
        const chunk = this.#chunks[this.#head] as Uint8Array;
        const n = Math.min(size - at, chunk.length - this.#offset);
        out.set(chunk.subarray(this.#offset, this.#offset + n), at);
        at += n;
        this.#offset += n;
        if (this.#offset === chunk.length) this.#advance();
      }
    }
    if (this.#head < this.#chunks.length && this.#offset === (this.#chunks[this.#head] as Uint8Array).length) this.#advance();
    return out;
  }

  #advance(): void {
    this.#chunks[this.#head++] = EMPTY;
    this.#offset = 0;
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    } else if (this.#head >= 64 && this.#head * 2 >= this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }
}

const EMPTY = new Uint8Array(0);

function message(type: number, body: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter(512);
  w.u8(type);
  w.vector24(() => body(w));
  return w.finish().slice();
}

export interface ClientHello {
  readonly random: Uint8Array;
  readonly sessionId: Uint8Array;
  readonly cipherSuites: readonly number[];
  readonly compressionMethods: Uint8Array;
  readonly extensions: ExtensionBlock;
}

export function encodeClientHello(
  random: Uint8Array,
  sessionId: Uint8Array,
  suites: readonly number[],
  extensions: readonly Extension[],
): Uint8Array {
  return message(HandshakeType.ClientHello, (w) => {
    w.u16(LEGACY_VERSION).bytes(random).opaque8(sessionId);
    w.vector16(() => {
      for (const s of suites) w.u16(s);
    });
    w.opaque8(Uint8Array.of(0));
    encodeExtensions(w, extensions);
  });
}

export function decodeClientHello(body: Uint8Array): ClientHello & { readonly legacyVersion: number } {
  const r = new ByteReader(body);
  const legacyVersion = r.u16("legacy_version");
  const random = r.take(32, "random");
  const sessionId = r.opaque8("legacy_session_id");
  if (sessionId.length > 32) throw decodeError("legacy_session_id longer than 32 bytes");
  const cipherSuites = r.u16List("cipher_suites", 1);
  const compressionMethods = r.opaque8("legacy_compression_methods", 1);
  // A ClientHello without extensions is a pre-1.3 hello; TLS 1.3 needs supported_versions.
  const extensions = r.remaining === 0 ? { list: [], map: new Map<number, Uint8Array>() } : decodeExtensions(r.vector16("extensions"));
  r.done("ClientHello");
  return { legacyVersion, random, sessionId, cipherSuites, compressionMethods, extensions };
}

export interface ServerHello {
  readonly legacyVersion: number;
  readonly random: Uint8Array;
  readonly sessionId: Uint8Array;
  readonly cipherSuite: number;
  readonly compressionMethod: number;
  readonly extensions: ExtensionBlock;
}

export function encodeServerHello(random: Uint8Array, sessionId: Uint8Array, suite: number, extensions: readonly Extension[]): Uint8Array {
  return message(HandshakeType.ServerHello, (w) => {
    w.u16(LEGACY_VERSION).bytes(random).opaque8(sessionId).u16(suite).u8(0);
    encodeExtensions(w, extensions);
  });
}

export function decodeServerHello(body: Uint8Array): ServerHello {
  const r = new ByteReader(body);
  const legacyVersion = r.u16("legacy_version");
  const random = r.take(32, "random");
  const sessionId = r.opaque8("legacy_session_id_echo");
  if (sessionId.length > 32) throw decodeError("legacy_session_id_echo longer than 32 bytes");
  const cipherSuite = r.u16("cipher_suite");
  const compressionMethod = r.u8("legacy_compression_method");
  const extensions = r.remaining === 0 ? { list: [], map: new Map<number, Uint8Array>() } : decodeExtensions(r.vector16("extensions"));
  r.done("ServerHello");
  return { legacyVersion, random, sessionId, cipherSuite, compressionMethod, extensions };
}

export function encodeEncryptedExtensions(extensions: readonly Extension[]): Uint8Array {
  return message(HandshakeType.EncryptedExtensions, (w) => encodeExtensions(w, extensions));
}

export function decodeExtensionsOnly(body: Uint8Array, what: string): ExtensionBlock {
  const r = new ByteReader(body);
  const block = decodeExtensions(r.vector16(what));
  r.done(what);
  return block;
}

export interface CertificateRequest {
  readonly context: Uint8Array;
  readonly extensions: ExtensionBlock;
}

export function encodeCertificateRequest(context: Uint8Array, extensions: readonly Extension[]): Uint8Array {
  return message(HandshakeType.CertificateRequest, (w) => {
    w.opaque8(context);
    encodeExtensions(w, extensions);
  });
}

export function decodeCertificateRequest(body: Uint8Array): CertificateRequest {
  const r = new ByteReader(body);
  const context = r.opaque8("certificate_request_context");
  const extensions = decodeExtensions(r.vector16("extensions"));
  r.done("CertificateRequest");
  return { context, extensions };
}

export interface CertificateMessage {
  readonly context: Uint8Array;
  /** DER certificates, leaf first. */
  readonly certificates: readonly Uint8Array[];
}

export function encodeCertificate(context: Uint8Array, chain: readonly Uint8Array[]): Uint8Array {
  return message(HandshakeType.Certificate, (w) => {
    w.opaque8(context);
    w.vector24(() => {
      for (const der of chain) w.opaque24(der).u16(0);
    });
  });
}

export function decodeCertificate(body: Uint8Array): CertificateMessage {
  const r = new ByteReader(body);
  const context = r.opaque8("certificate_request_context");
  const list = r.vector24("certificate_list");
  r.done("Certificate");
  const certificates: Uint8Array[] = [];
  while (list.remaining > 0) {
    certificates.push(list.opaque24("cert_data", 1));
    // Per-entry extensions (OCSP, SCT) are parsed for validity and otherwise ignored.
    decodeExtensions(list.vector16("certificate entry extensions"));
  }
  return { context, certificates };
}

export function encodeCertificateVerify(scheme: number, signature: Uint8Array): Uint8Array {
  return message(HandshakeType.CertificateVerify, (w) => w.u16(scheme).opaque16(signature));
}

export function decodeCertificateVerify(body: Uint8Array): { readonly scheme: number; readonly signature: Uint8Array } {
  const r = new ByteReader(body);
  const scheme = r.u16("signature scheme");
  const signature = r.opaque16("signature", 1);
  r.done("CertificateVerify");
  return { scheme, signature };
}

export function encodeFinished(verifyData: Uint8Array): Uint8Array {
  return message(HandshakeType.Finished, (w) => w.bytes(verifyData));
}

export interface NewSessionTicket {
  readonly lifetime: number;
  readonly ageAdd: number;
  readonly nonce: Uint8Array;
  readonly ticket: Uint8Array;
  readonly extensions: ExtensionBlock;
}

export function encodeNewSessionTicket(
  lifetime: number,
  ageAdd: number,
  nonce: Uint8Array,
  ticket: Uint8Array,
  extensions: readonly Extension[],
): Uint8Array {
  return message(HandshakeType.NewSessionTicket, (w) => {
    w.u32(lifetime).u32(ageAdd).opaque8(nonce).opaque16(ticket);
    encodeExtensions(w, extensions);
  });
}

export function decodeNewSessionTicket(body: Uint8Array): NewSessionTicket {
  const r = new ByteReader(body);
  const lifetime = r.u32("ticket_lifetime");
  const ageAdd = r.u32("ticket_age_add");
  const nonce = r.opaque8("ticket_nonce");
  const ticket = r.opaque16("ticket", 1);
  const extensions = decodeExtensions(r.vector16("extensions"));
  r.done("NewSessionTicket");
  return { lifetime, ageAdd, nonce, ticket, extensions };
}

export function encodeKeyUpdate(requestUpdate: boolean): Uint8Array {
  return message(HandshakeType.KeyUpdate, (w) => w.u8(requestUpdate ? 1 : 0));
}

export function decodeKeyUpdate(body: Uint8Array): boolean {
  const r = new ByteReader(body);
  const v = r.u8("request_update");
  r.done("KeyUpdate");
  if (v > 1) throw new TlsProtocolError(AlertDescription.illegal_parameter, `KeyUpdate request_update ${v}`);
  return v === 1;
}

export function encodeEndOfEarlyData(): Uint8Array {
  return message(HandshakeType.EndOfEarlyData, () => {});
}

/** The synthetic message_hash message that replaces ClientHello1 in the transcript after HRR. */
export function encodeMessageHash(hash: Uint8Array): Uint8Array {
  return message(HandshakeType.MessageHash, (w) => w.bytes(hash));
}
