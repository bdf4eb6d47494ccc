/**
 * The protocol `select` uses to wait on anything channel-like.
 *
 * A source exposes a {@link RecvPort} under {@link RECV_PORT} (channels,
 * their receiver views, broadcast and watch receivers); a sink exposes a
 * {@link SendPort} under {@link SEND_PORT}. `select` first asks every port
 * whether it could complete *now* (a pure check), commits exactly one, and
 * otherwise parks one claimable waiter per branch.
 * @internal
 */
import type { RecvWaiter, SendWaiter } from "./waiters.js";

/** Outcome of a non-blocking receive. The failure values are shared constants (no allocation). */
export type TryRecvResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly closed: boolean };

/** `tryRecv()` found nothing buffered and the channel is open. */
export const EMPTY: { readonly ok: false; readonly closed: false } = Object.freeze({ ok: false, closed: false });
/** `tryRecv()` found nothing buffered and the channel is closed: nothing will ever arrive. */
export const CLOSED: { readonly ok: false; readonly closed: true } = Object.freeze({ ok: false, closed: true });

export const RECV_PORT: unique symbol = Symbol("zsync.recvPort");
export const SEND_PORT: unique symbol = Symbol("zsync.sendPort");

export interface RecvPort<T> {
  /** Whether {@link RecvPort.tryRecv} would settle now: a value is available or the source is closed (or lagged). */
  canRecvNow(): boolean;
  /** Non-blocking receive; may throw (e.g. `LaggedError` for broadcast). */
  tryRecv(): TryRecvResult<T>;
  /** Parks `waiter`; only called right after `canRecvNow()` returned false. */
  park(waiter: RecvWaiter<T>): void;
}

export interface SendPort<T> {
  /** Whether {@link SendPort.trySend} would settle now: space or a waiting receiver, or the sink is closed. */
  canSendNow(): boolean;
  /** Non-blocking send; throws `ChannelClosedError` when closed. */
  trySend(value: T): boolean;
  /** Parks `waiter`; only called right after `canSendNow()` returned false. */
  park(waiter: SendWaiter<T>): void;
}

/** Anything `onRecv` accepts. */
export interface RecvSelectable<T> {
  /**
   * How `select` reaches the source; not for direct use. Published on
   * purpose: stripped from the declarations, the interface was empty, so
   * `onRecv` accepted anything and inferred `unknown` for the message type.
   */
  readonly [RECV_PORT]: RecvPort<T>;
}

/** Anything `onSend` accepts. */
export interface SendSelectable<T> {
  /** How `select` reaches the sink; not for direct use (published for the same reason as `RecvSelectable`'s). */
  readonly [SEND_PORT]: SendPort<T>;
}
