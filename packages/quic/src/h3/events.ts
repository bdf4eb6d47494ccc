/**
 * What an {@link Http3Connection} reports (`pollEvent`) and what it asks its
 * driver to do (`pollTransmit`). Both are plain data, consumed in order.
 *
 * @example
 * ```ts
 * import type { Http3Event } from "@zsync/quic/h3";
 * declare const event: Http3Event;
 * if (event.type === "data") console.log(event.streamId, event.bytes.length);
 * ```
 * @module
 */
import type { Http3Error } from "./errors.js";
import type { RequestHead, ResponseHead } from "./message.js";
import type { Field } from "./qpack/field.js";
import type { Http3Settings } from "./settings.js";

/** Events for the application, per request stream or for the connection. */
export type Http3Event =
  /** Server: a request's header section arrived and is well formed. */
  | { readonly type: "request"; readonly streamId: number; readonly head: RequestHead }
  /** Client: a response's header section; `interim` for 1xx (more follow, §4.1). */
  | { readonly type: "response"; readonly streamId: number; readonly head: ResponseHead; readonly interim: boolean }
  /** Content bytes of the message (DATA payloads; a view, consume before feeding more input). */
  | { readonly type: "data"; readonly streamId: number; readonly bytes: Uint8Array }
  /** The trailer section. */
  | { readonly type: "trailers"; readonly streamId: number; readonly fields: Field[] }
  /** The message ended (FIN) and was well formed (content-length checked). */
  | { readonly type: "end"; readonly streamId: number }
  /** We found the stream's message malformed (or too large) and reset the stream with `error.h3ErrorCode`. */
  | { readonly type: "stream-error"; readonly streamId: number; readonly error: Http3Error }
  /** The peer reset its sending side of a request stream (RESET_STREAM). */
  | { readonly type: "stream-reset"; readonly streamId: number; readonly errorCode: number }
  /** The peer asked us to stop sending on a request stream (STOP_SENDING). */
  | { readonly type: "stop-sending"; readonly streamId: number; readonly errorCode: number }
  /** The peer's SETTINGS arrived. */
  | { readonly type: "settings"; readonly settings: Http3Settings }
  /** The peer sent GOAWAY (§5.2): a client sends no request on a stream >= `id`; those already sent were not processed. */
  | { readonly type: "goaway"; readonly id: number }
  /** A connection error: the connection must close (the `close` transmit says how). */
  | { readonly type: "closed"; readonly error: Http3Error };

/** The critical unidirectional streams an endpoint opens (§6.2). */
export type CriticalStream = "control" | "encoder" | "decoder";

/** What the driver must do on the QUIC connection. */
export type Http3Transmit =
  /** Append bytes to one of our critical streams; the first write to each opens it (its type byte is included). */
  | { readonly type: "write"; readonly stream: CriticalStream; readonly bytes: Uint8Array }
  /** Reset the sending side of a stream (RESET_STREAM) with `errorCode`. */
  | { readonly type: "reset"; readonly streamId: number; readonly errorCode: number }
  /** Stop reading a stream (STOP_SENDING) with `errorCode`. */
  | { readonly type: "stop-sending"; readonly streamId: number; readonly errorCode: number }
  /** Close the QUIC connection with an application error (CONNECTION_CLOSE 0x1d). */
  | { readonly type: "close"; readonly errorCode: number; readonly reason: string };
