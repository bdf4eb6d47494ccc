/**
 * What a connection tells its driver, as discriminated unions (switch on
 * `type`; TypeScript checks exhaustiveness). Events are edge-triggered hints
 * queued in order by `Connection.pollEvent()`: "stream 4 became readable",
 * not "stream 4 holds N bytes", so a driver that reads lazily loses nothing
 * by coalescing them, and the core never allocates per byte.
 *
 * Why the close reason is a union and not an error: a connection ending is
 * an outcome, not an exception. The driver maps it onto its `closed`
 * promise and typed errors (idle timeout, the peer's application code, a
 * transport error we detected) without parsing messages.
 *
 * @example
 * ```ts
 * import { type CloseReason, type Connection } from "@zsync/quic/proto";
 * declare const conn: Connection;
 * declare function readAll(streamId: number): void;
 * declare function report(reason: CloseReason): void;
 * for (let e = conn.pollEvent(); e !== undefined; e = conn.pollEvent()) {
 *   if (e.type === "stream-readable") readAll(e.id);
 *   else if (e.type === "closed") report(e.reason);
 * }
 * ```
 * @module
 */
import type { HandshakeInfo, TlsSession } from "@zsync/crypto/tls";

/** Stream direction: bidirectional or unidirectional (RFC 9000 §2.1). */
export type StreamDirection = "bidi" | "uni";

/** Why a connection ended. `remote` says which side decided. */
export type CloseReason =
  /** A transport error (RFC 9000 §20.1); `frameType` is the frame that caused it, when known. */
  | {
      readonly kind: "transport";
      readonly remote: boolean;
      readonly errorCode: number;
      readonly frameType: number | undefined;
      readonly reason: string;
    }
  /** The application closed with its own error space (CONNECTION_CLOSE 0x1d, §19.19). */
  | { readonly kind: "application"; readonly remote: boolean; readonly errorCode: number; readonly reason: string }
  /** No packet for the negotiated idle timeout (§10.1): closed silently on both ends. */
  | { readonly kind: "idle-timeout" }
  /** Client: the server answered with Version Negotiation listing `versions`, none of them the one we used (RFC 9000 §6.2). */
  | { readonly kind: "version-mismatch"; readonly versions: readonly number[] }
  /** A stateless reset from the peer (§10.3). */
  | { readonly kind: "stateless-reset" };

/** Connection-level events. */
export type ConnectionEvent =
  /** The TLS handshake completed on this side (1-RTT keys installed both ways). */
  | { readonly type: "connected"; readonly info: HandshakeInfo }
  /**
   * TLS settled 0-RTT (RFC 9001 §4.6.1, §4.6.2), before the handshake completes. Server: it took (`accepted`) or
   * refused the client's early data; once accepted, 0-RTT streams arrive and what we write on them leaves at once
   * as 0.5-RTT data (RFC 9001 §4.1.1). Client: the server's answer to our offer. Not emitted when none was offered.
   */
  | { readonly type: "early-data"; readonly accepted: boolean }
  /** Handshake confirmed (RFC 9001 §4.1.2): HANDSHAKE_DONE received (client) or sent after completion (server). */
  | { readonly type: "handshake-confirmed" }
  /** The peer opened one or more streams of this direction: call `acceptStream`. */
  | { readonly type: "stream-opened"; readonly direction: StreamDirection }
  /** The peer raised our stream limit: `openStream` may succeed again. */
  | { readonly type: "streams-available"; readonly direction: StreamDirection }
  /** Data (or the end of the stream) can be read from stream `id`. */
  | { readonly type: "stream-readable"; readonly id: number }
  /** Stream `id` accepts more data after being blocked by flow control. */
  | { readonly type: "stream-writable"; readonly id: number }
  /** All data we sent on `id`, FIN included, was acknowledged (send side "Data Recvd", §3.1). */
  | { readonly type: "stream-finished"; readonly id: number }
  /** The peer abandoned its sending side of `id` with RESET_STREAM (§19.4). */
  | { readonly type: "stream-reset"; readonly id: number; readonly errorCode: number }
  /** The peer asked us to stop sending on `id` with STOP_SENDING (§19.5); we reset it with its code. */
  | { readonly type: "stream-stopped"; readonly id: number; readonly errorCode: number }
  /**
   * Client: the server gave us an address-validation token (NEW_TOKEN,
   * RFC 9000 §8.1.3). Remember it for this server (by name) and pass it
   * once as `token` to a later connection: that connection then skips a
   * Retry round trip and the anti-amplification limit.
   */
  | { readonly type: "new-token"; readonly token: Uint8Array }
  /**
   * Client: the server sent a session ticket (RFC 9001 §4.5). Keep it (it is
   * secret) and pass it as `tls.session` to a later connection to the same
   * server: that handshake resumes (no certificate exchange,
   * `HandshakeInfo.resumed`). Servers may send several; any one works once.
   */
  | { readonly type: "session"; readonly session: TlsSession }
  /** An unreliable datagram from the peer (RFC 9221; only when `maxDatagramFrameSize` allows them). `data` is ours to keep. */
  | { readonly type: "datagram"; readonly data: Uint8Array }
  /**
   * The connection now sends from `local` (undefined: the endpoint's own socket) to `remote` (RFC 9000 §9):
   * `migrated` after our own `migrate` validated the new path, `peer-migrated` when the peer moved (NAT
   * rebinding or its migration), `reverted` when a new peer address failed validation and the last validated
   * one is used again (§9.3.2).
   */
  | {
      readonly type: "path-changed";
      readonly reason: "migrated" | "peer-migrated" | "reverted";
      readonly local: { readonly address: string; readonly port: number } | undefined;
      readonly remote: { readonly address: string; readonly port: number };
    }
  /** Client: the path `migrate` probed from `local` did not validate in time (§8.2.4); the connection stays where it was. */
  | { readonly type: "migration-failed"; readonly local: { readonly address: string; readonly port: number } }
  /** The connection is closing or draining (no more application data); `reason` says why. */
  | { readonly type: "closed"; readonly reason: CloseReason }
  /** The closing/draining period is over: the driver may forget this connection (§10.2). */
  | { readonly type: "drained" };
