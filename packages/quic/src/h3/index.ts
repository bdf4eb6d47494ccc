/**
 * `@zsync/quic/h3`: HTTP/3 (RFC 9114) as a sans-I/O core: frames, SETTINGS,
 * message rules, the request-stream and control-stream state machines and
 * `Http3Connection`, which ties them to QPACK (RFC 9204). It is fed QUIC
 * stream events and reports what to send; `Http3Server` and `Http3Client`
 * (`@zsync/quic`) drive it over the QUIC Node API.
 *
 * @example
 * ```ts
 * import { Http3Connection } from "@zsync/quic/h3";
 * const server = new Http3Connection({ role: "server" });
 * for (let t = server.pollTransmit(); t !== undefined; t = server.pollTransmit()) console.log(t.type);
 * ```
 * @module
 */
export { encodeDataFrameHeader, Http3Connection, type Http3ConnectionOptions, type Http3QpackStats } from "./connection.js";
export { ControlStreamReader, MAX_SETTINGS_PAYLOAD } from "./control-stream.js";
export {
  Http3ClosedCriticalStreamError,
  Http3ClosedError,
  Http3ConnectionClosedError,
  Http3Error,
  Http3ErrorCode,
  type Http3ErrorKind,
  Http3ExcessiveLoadError,
  Http3FrameError,
  Http3FrameUnexpectedError,
  Http3IdError,
  Http3MessageError,
  Http3MissingSettingsError,
  Http3QpackError,
  Http3RequestIncompleteError,
  Http3RequestRejectedError,
  Http3RequestResetError,
  Http3SettingsError,
  Http3StreamCreationError,
  http3ErrorName,
} from "./errors.js";
export type { CriticalStream, Http3Event, Http3Transmit } from "./events.js";
export {
  encodeFrame,
  encodeFrameHeader,
  encodeIdFrame,
  type FrameDecision,
  type FrameItem,
  FrameReader,
  FrameType,
  isHttp2FrameType,
  isReservedId,
  parseIdPayload,
} from "./frames.js";
export {
  BodyLength,
  checkRegularField,
  parseRequestFields,
  parseResponseFields,
  parseTrailerFields,
  type RequestHead,
  type ResponseHead,
} from "./message.js";
export type { Field } from "./qpack/field.js";
export { RequestStream, type RequestStreamHost, type RequestStreamLimits } from "./request-stream.js";
export { DEFAULT_SETTINGS, encodeSettingsFrame, type Http3Settings, parseSettings, SettingId } from "./settings.js";
