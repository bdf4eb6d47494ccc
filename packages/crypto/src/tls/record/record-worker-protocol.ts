/**
 * The messages between `RecordWorker` (event loop) and its thread
 * (`record-worker-main.ts`), in one module both sides import, so a field
 * renamed on one side fails the build of the other. Types only, plus the
 * fixed sizes both sides compute with.
 * @module
 */
import { MAX_PLAINTEXT } from "../wire/constants.js";

/** OpenSSL cipher names of the TLS 1.3 AEADs. */
export type RecordCipher = "aes-128-gcm" | "aes-256-gcm" | "chacha20-poly1305";

/** Per-record overhead of a sealed record: 5-byte header, content type byte, 16-byte tag. */
export const RECORD_OVERHEAD = 5 + 1 + 16;
/** Largest protected record on the wire (5-byte header, 2^14 data, content type, 16-byte tag). */
export const MAX_SEALED_RECORD = MAX_PLAINTEXT + RECORD_OVERHEAD;

/** Seal `length` bytes of `data` as full records of `type`, numbered from `sequence`. */
export interface SealRequest {
  readonly id: number;
  readonly op: "seal";
  readonly cipher: RecordCipher;
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
  readonly sequence: number;
  readonly type: number;
  /** Transferred; comes back in the reply. */
  readonly data: ArrayBuffer;
  readonly length: number;
  /** Transferred; reused for the records if large enough. */
  readonly out: ArrayBuffer | undefined;
}

/** Open the `count` records at `offsets` in `data`, numbered from `sequence`, stopping at the first one not accepted. */
export interface OpenRequest {
  readonly id: number;
  readonly op: "open";
  readonly cipher: RecordCipher;
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
  readonly sequence: number;
  /** A view of a `SharedArrayBuffer`: see `RecordWorker.open`. */
  readonly data: Uint8Array;
  readonly offsets: Uint32Array;
  readonly count: number;
}

/** What the thread is asked to do. */
export type RecordRequest = SealRequest | OpenRequest;

/** The reply to a {@link SealRequest}: the records in `out[0, length)`, and the input buffer back. */
export interface SealReply {
  readonly id: number;
  readonly out: ArrayBuffer;
  readonly length: number;
  readonly data: ArrayBuffer;
}

/** The reply to an {@link OpenRequest}: the plaintext of the first `opened` records in `out`, back to back. */
export interface OpenReply {
  readonly id: number;
  readonly out: ArrayBuffer;
  readonly opened: number;
  readonly lengths: Uint32Array;
}

/** A request that threw on the thread (a bug or an unusable key, not an inauthentic record). */
export interface ErrorReply {
  readonly id: number;
  readonly error: string;
}

/** What the thread answers. */
export type RecordReply = SealReply | OpenReply | ErrorReply;
