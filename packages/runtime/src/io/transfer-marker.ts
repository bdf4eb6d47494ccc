/**
 * A worker task may wrap its result as `withTransfer(value, transferList)`
 * (see `@zsync/runtime/node`) so that buffers move to the caller's thread
 * without a copy. On the in-thread models there is nothing to transfer, so
 * the marker is unwrapped; this keeps a worker task colorblind.
 * @internal
 */
export const TRANSFER_KEY: unique symbol = Symbol.for("zsync.transfer") as never;

/** The value inside a transfer marker, or `value` itself. */
export function unwrapTransferMarker<T>(value: T): T {
  if (typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[TRANSFER_KEY] === true) {
    return (value as unknown as { value: T }).value;
  }
  return value;
}
