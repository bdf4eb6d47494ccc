/**
 * Stream ID arithmetic, RFC 9000 §2.1: the two low bits of a stream ID say
 * who opened it (bit 0: 0 client, 1 server) and whether it is bidirectional
 * (bit 1: 0 bidi, 1 uni); the rest is the stream's index among the streams
 * of that type. IDs are at most 2^62 - 1, so this module uses arithmetic,
 * not 32-bit bitwise operators.
 *
 * @example
 * ```ts
 * import { makeStreamId, streamDirection, streamIndex, streamInitiator } from "@zsync/quic/proto";
 * makeStreamId(1, "server", "uni"); // 7
 * streamInitiator(7); // "server"
 * streamDirection(7); // "uni"
 * streamIndex(7); // 1
 * ```
 * @module
 */
import type { StreamDirection } from "../events.js";

/** Which endpoint opened a stream. */
export type StreamInitiator = "client" | "server";

/** At most 2^60 streams of each type may be opened (RFC 9000 §4.6). */
export const MAX_STREAM_COUNT = 2 ** 60;

/** The endpoint that opened stream `id` (bit 0). */
export function streamInitiator(id: number): StreamInitiator {
  return id % 2 === 0 ? "client" : "server";
}

/** Whether stream `id` is bidirectional or unidirectional (bit 1). */
export function streamDirection(id: number): StreamDirection {
  return id % 4 < 2 ? "bidi" : "uni";
}

/** The stream's index among the streams of its type: `id >> 2`. */
export function streamIndex(id: number): number {
  return Math.floor(id / 4);
}

/** The ID of the `index`-th stream opened by `initiator` in `direction`. */
export function makeStreamId(index: number, initiator: StreamInitiator, direction: StreamDirection): number {
  if (!Number.isSafeInteger(index) || index < 0 || index >= MAX_STREAM_COUNT) throw new RangeError(`stream index out of range: ${index}`);
  return index * 4 + (initiator === "server" ? 1 : 0) + (direction === "uni" ? 2 : 0);
}

/** True when an endpoint playing `local` opened stream `id`. */
export function isLocalStream(id: number, local: StreamInitiator): boolean {
  return streamInitiator(id) === local;
}

/** True when `local` may send on stream `id`: any bidi stream, or a uni stream it opened (RFC 9000 §2.1). */
export function canSend(id: number, local: StreamInitiator): boolean {
  return streamDirection(id) === "bidi" || isLocalStream(id, local);
}

/** True when `local` may receive on stream `id`: any bidi stream, or a uni stream the peer opened. */
export function canReceive(id: number, local: StreamInitiator): boolean {
  return streamDirection(id) === "bidi" || !isLocalStream(id, local);
}
