/**
 * The peer's control stream (RFC 9114 §6.2.1): SETTINGS first and once,
 * then GOAWAY, MAX_PUSH_ID and CANCEL_PUSH; frames that belong on request
 * streams, and HTTP/2's frame types, are H3_FRAME_UNEXPECTED; unknown and
 * reserved types are skipped without being held. Every error here is a
 * connection error.
 *
 * Push (§4.6): we never send MAX_PUSH_ID, so as a client any push id the
 * server names (CANCEL_PUSH) is H3_ID_ERROR; as a server we track the
 * client's MAX_PUSH_ID (it must not decrease) and never push.
 *
 * @example
 * ```ts
 * import { ControlStreamReader } from "@zsync/quic/h3";
 * const control = new ControlStreamReader("client", (event) => console.log(event));
 * control.receive(new Uint8Array([0x04, 0x00])); // an empty SETTINGS frame: a "settings" event with the defaults
 * ```
 * @module
 */
import { Http3ExcessiveLoadError, Http3FrameUnexpectedError, Http3IdError, Http3MissingSettingsError } from "./errors.js";
import type { Http3Event } from "./events.js";
import { type FrameDecision, type FrameItem, FrameReader, FrameType, isHttp2FrameType, parseIdPayload } from "./frames.js";
import { parseSettings } from "./settings.js";

/** The largest SETTINGS payload we hold (nghttp3 and quiche send a few dozen bytes). */
export const MAX_SETTINGS_PAYLOAD = 4096;

/** Reads the peer's control stream; `role` is ours. */
export class ControlStreamReader {
  readonly #role: "client" | "server";
  readonly #emit: (event: Http3Event) => void;
  readonly #reader: FrameReader;
  readonly #items: FrameItem[] = [];
  #settingsBegun = false;
  #goaway = Number.POSITIVE_INFINITY;
  #maxPushId = -1;

  constructor(role: "client" | "server", emit: (event: Http3Event) => void) {
    this.#role = role;
    this.#emit = emit;
    this.#reader = new FrameReader((type, length) => this.#decide(type, length));
  }

  /** The peer's MAX_PUSH_ID (server side), -1 when none came. */
  get maxPushId(): number {
    return this.#maxPushId;
  }

  /** Takes the next bytes of the stream (after its type byte). */
  receive(bytes: Uint8Array): void {
    const items = this.#items;
    items.length = 0;
    this.#reader.push(bytes, items);
    for (const item of items) if (item.kind === "frame") this.#frame(item.type, item.payload);
    items.length = 0;
  }

  #decide(type: number, length: number): FrameDecision {
    // Decided in order as headers arrive, before earlier frames of the same input are processed: track SETTINGS here.
    if (!this.#settingsBegun && type !== FrameType.SETTINGS) {
      throw new Http3MissingSettingsError(`the control stream began with frame 0x${type.toString(16)}, not SETTINGS`);
    }
    switch (type) {
      case FrameType.SETTINGS:
        if (this.#settingsBegun) throw new Http3FrameUnexpectedError("a second SETTINGS frame");
        this.#settingsBegun = true;
        if (length > MAX_SETTINGS_PAYLOAD) {
          throw new Http3ExcessiveLoadError("connection", `SETTINGS of ${length} bytes (we hold at most ${MAX_SETTINGS_PAYLOAD})`);
        }
        return "buffer";
      case FrameType.GOAWAY:
      case FrameType.MAX_PUSH_ID:
      case FrameType.CANCEL_PUSH:
        // One varint: at most 8 bytes; a longer payload is an H3_FRAME_ERROR once read, so hold at most 9.
        if (length > 8)
          throw new Http3ExcessiveLoadError("connection", `frame 0x${type.toString(16)} of ${length} bytes (one varint expected)`);
        return "buffer";
      case FrameType.DATA:
      case FrameType.HEADERS:
      case FrameType.PUSH_PROMISE:
        throw new Http3FrameUnexpectedError(`frame 0x${type.toString(16)} on the control stream`);
      default:
        if (isHttp2FrameType(type)) throw new Http3FrameUnexpectedError(`HTTP/2 frame type 0x${type.toString(16)}`);
        return "skip";
    }
  }

  #frame(type: number, payload: Uint8Array): void {
    switch (type) {
      case FrameType.SETTINGS:
        this.#emit({ type: "settings", settings: parseSettings(payload) });
        return;
      case FrameType.GOAWAY: {
        const id = parseIdPayload(payload, "GOAWAY");
        // A server's GOAWAY names a client-initiated bidirectional stream; a client's names a push id (§5.2, §7.2.6).
        if (this.#role === "client" && id % 4 !== 0)
          throw new Http3IdError(`GOAWAY id ${id} is not a client-initiated bidirectional stream`);
        if (id > this.#goaway) throw new Http3IdError(`GOAWAY id grew from ${this.#goaway} to ${id}`);
        this.#goaway = id;
        this.#emit({ type: "goaway", id });
        return;
      }
      case FrameType.MAX_PUSH_ID: {
        const id = parseIdPayload(payload, "MAX_PUSH_ID");
        if (this.#role === "client") throw new Http3FrameUnexpectedError("MAX_PUSH_ID from a server");
        if (id < this.#maxPushId) throw new Http3IdError(`MAX_PUSH_ID decreased from ${this.#maxPushId} to ${id}`);
        this.#maxPushId = id;
        return;
      }
      case FrameType.CANCEL_PUSH: {
        const id = parseIdPayload(payload, "CANCEL_PUSH");
        // We never push and never allow pushes: the id must at least be one the client allowed (§7.2.3).
        if (this.#role === "client") throw new Http3IdError(`CANCEL_PUSH for push ${id}, but we never sent MAX_PUSH_ID`);
        if (id > this.#maxPushId) throw new Http3IdError(`CANCEL_PUSH for push ${id}, above MAX_PUSH_ID ${this.#maxPushId}`);
        return;
      }
    }
  }
}
