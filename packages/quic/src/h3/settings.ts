/**
 * The SETTINGS frame (RFC 9114 §7.2.4) with the QPACK settings (RFC 9204
 * §5): parsing with validation and writing.
 *
 * Parsing refuses what §7.2.4.1 forbids with {@link Http3SettingsError}
 * (H3_SETTINGS_ERROR): a setting twice, or one of HTTP/2's settings that
 * HTTP/3 reserved (0x02-0x05); a payload that ends inside a setting is
 * {@link Http3FrameError}. Unknown and reserved (grease) identifiers are
 * ignored, as the RFC requires. Values are 62-bit; above 2^53 they are
 * limits too large to matter and read as `Number.MAX_SAFE_INTEGER`.
 *
 * @example
 * ```ts
 * import { encodeSettingsFrame, parseSettings } from "@zsync/quic/h3";
 * const frame = encodeSettingsFrame({ qpackMaxTableCapacity: 4096, qpackBlockedStreams: 16, maxFieldSectionSize: 65536 });
 * const settings = parseSettings(frame.subarray(2)); // the payload, after the 2-byte header of this small frame
 * ```
 * @module
 */
import { decodeVarint, varintLength, varintLengthOfFirstByte, writeVarint } from "../proto/wire/varint.js";
import { Http3FrameError, Http3SettingsError } from "./errors.js";
import { encodeFrame, FrameType } from "./frames.js";

/** Setting identifiers we understand. */
export const SettingId = {
  QPACK_MAX_TABLE_CAPACITY: 0x01,
  MAX_FIELD_SECTION_SIZE: 0x06,
  QPACK_BLOCKED_STREAMS: 0x07,
} as const;

/** A peer's settings, with RFC defaults for those it did not send. */
export interface Http3Settings {
  /** SETTINGS_QPACK_MAX_TABLE_CAPACITY (default 0). */
  readonly qpackMaxTableCapacity: number;
  /** SETTINGS_QPACK_BLOCKED_STREAMS (default 0). */
  readonly qpackBlockedStreams: number;
  /** SETTINGS_MAX_FIELD_SECTION_SIZE (default unlimited: `Infinity`). */
  readonly maxFieldSectionSize: number;
}

/** The settings of a peer that sent none yet (§7.2.4.2: the initial values). */
export const DEFAULT_SETTINGS: Http3Settings = {
  qpackMaxTableCapacity: 0,
  qpackBlockedStreams: 0,
  maxFieldSectionSize: Number.POSITIVE_INFINITY,
};

/** Parses a SETTINGS payload (see the module comment for what it refuses). */
export function parseSettings(payload: Uint8Array): Http3Settings {
  const seen = new Set<number>();
  let qpackMaxTableCapacity = 0;
  let qpackBlockedStreams = 0;
  let maxFieldSectionSize = Number.POSITIVE_INFINITY;
  let at = 0;
  while (at < payload.length) {
    const id = decodeVarint(payload, at);
    if (id < 0) throw new Http3FrameError("SETTINGS payload ends inside a setting identifier");
    at += varintLengthOfFirstByte(payload[at]!);
    const raw = decodeVarint(payload, at);
    if (raw < 0) throw new Http3FrameError("SETTINGS payload ends inside a setting value");
    at += varintLengthOfFirstByte(payload[at]!);
    if (seen.has(id)) throw new Http3SettingsError(`setting 0x${id.toString(16)} appears twice`);
    seen.add(id);
    if (id >= 0x02 && id <= 0x05) throw new Http3SettingsError(`setting 0x${id.toString(16)} is HTTP/2-only and reserved in HTTP/3`);
    const value = Math.min(raw, Number.MAX_SAFE_INTEGER);
    if (id === SettingId.QPACK_MAX_TABLE_CAPACITY) qpackMaxTableCapacity = value;
    else if (id === SettingId.QPACK_BLOCKED_STREAMS) qpackBlockedStreams = value;
    else if (id === SettingId.MAX_FIELD_SECTION_SIZE) maxFieldSectionSize = value;
  }
  return { qpackMaxTableCapacity, qpackBlockedStreams, maxFieldSectionSize };
}

/**
 * A whole SETTINGS frame: the settings that differ from their defaults, then
 * one reserved identifier (§7.2.4.1 asks for one, so that peers keep ignoring
 * unknown settings), chosen by `grease` (N of `0x1f * N + 0x21`, default 0).
 */
export function encodeSettingsFrame(settings: Partial<Http3Settings>, grease = 0): Uint8Array {
  const pairs: [number, number][] = [];
  if (settings.qpackMaxTableCapacity) pairs.push([SettingId.QPACK_MAX_TABLE_CAPACITY, settings.qpackMaxTableCapacity]);
  if (settings.maxFieldSectionSize !== undefined && Number.isFinite(settings.maxFieldSectionSize))
    pairs.push([SettingId.MAX_FIELD_SECTION_SIZE, settings.maxFieldSectionSize]);
  if (settings.qpackBlockedStreams) pairs.push([SettingId.QPACK_BLOCKED_STREAMS, settings.qpackBlockedStreams]);
  pairs.push([0x1f * grease + 0x21, 0]);
  for (const [id, value] of pairs) {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new RangeError(`setting 0x${id.toString(16)}: ${value} is not a non-negative integer`);
  }
  const payload = new Uint8Array(pairs.reduce((n, [id, value]) => n + varintLength(id) + varintLength(value), 0));
  let at = 0;
  for (const [id, value] of pairs) at = writeVarint(payload, writeVarint(payload, at, id), value);
  return encodeFrame(FrameType.SETTINGS, payload);
}
