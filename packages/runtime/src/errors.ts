/**
 * Error classes of the runtime. Each failure has its own class with a stable
 * `code` (safe to switch on across versions) and, where one exists, a `cause`.
 *
 * @example
 * ```ts
 * import { timeout, TimeoutError } from "@zsync/runtime";
 * declare function fetchSlowly(): Promise<string>;
 * try {
 *   await timeout(() => fetchSlowly(), 100);
 * } catch (error) {
 *   if (error instanceof TimeoutError) console.log(error.code); // "ZSYNC_TIMEOUT"
 * }
 * ```
 * @module
 */

/** Per-copy key under which a class keeps its brand symbol (never shared, never on instances). */
const kBrand: unique symbol = Symbol("zsync.errorBrand");

/**
 * Base class of every error thrown by zsync-ts packages.
 *
 * `code` is a literal type in every subclass, so `switch (error.code)` over a
 * union of error classes narrows.
 *
 * **Branding.** `instanceof` must keep working when two copies of
 * `@zsync/runtime` are installed (e.g. `@zsync/sqlite` resolved its own copy):
 * an error thrown by one copy's class is otherwise not an instance of the
 * other copy's class of the same name. Each class therefore declares a brand,
 * a registered symbol (`Symbol.for(key)`) that its prototype carries, and
 * `ZsyncError`'s `static [Symbol.hasInstance]` (inherited by every subclass)
 * answers `instanceof` by looking for the brand of the class on the right,
 * not for the class object itself (undici's pattern). A subclass in another
 * package brands itself with one line; the key must be unique to the class,
 * so prefix it with the package name:
 *
 * @example
 * ```ts
 * import { ZsyncError } from "@zsync/runtime";
 * export class WidgetJammedError extends ZsyncError<"ZSYNC_WIDGET_JAMMED"> {
 *   static {
 *     WidgetJammedError.brand("@zsync/widgets:WidgetJammedError");
 *   }
 *   constructor(message = "widget jammed") {
 *     super("ZSYNC_WIDGET_JAMMED", message);
 *   }
 * }
 * ```
 *
 * A subclass without a brand falls back to the ordinary prototype check.
 * Errors do not cross realms or threads by brand: the thread pool rebuilds
 * them on the receiving side.
 */
export class ZsyncError<C extends string = string> extends Error {
  static {
    ZsyncError.brand("@zsync/runtime:ZsyncError");
  }

  /** Stable machine-readable identifier, e.g. `ZSYNC_CANCELLED`. */
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /**
   * Declares this class's brand: `key` (e.g. `"@zsync/sqlite:SqliteError"`)
   * names it across every installed copy of the package that defines it.
   * Call it once, from the class's `static {}` block.
   */
  protected static brand(key: string): void {
    // `this` is the subclass being branded, not ZsyncError.
    // biome-ignore lint/complexity/noThisInStatic: the brand belongs to the calling subclass
    // biome-ignore lint/complexity/noUselessThisAlias: named for what it is
    const cls: object & { prototype: object } = this;
    if (Object.hasOwn(cls, kBrand)) throw new TypeError(`${(cls as { name?: string }).name} is already branded`);
    const symbol = Symbol.for(key);
    Object.defineProperty(cls, kBrand, { value: symbol });
    Object.defineProperty(cls.prototype, symbol, { value: true });
  }

  /** `instanceof` by brand (see the class comment); by prototype for unbranded subclasses. */
  static override [Symbol.hasInstance](instance: unknown): boolean {
    // `this` is the class on the right of `instanceof`, which may be any subclass.
    // biome-ignore lint/complexity/noThisInStatic: the check is for the class on the right of instanceof
    // biome-ignore lint/complexity/noUselessThisAlias: named for what it is
    const cls: object = this;
    const symbol = Object.hasOwn(cls, kBrand) ? (cls as { [kBrand]: symbol })[kBrand] : undefined;
    if (symbol === undefined) return Function.prototype[Symbol.hasInstance].call(cls, instance);
    return typeof instance === "object" && instance !== null && (instance as Record<symbol, unknown>)[symbol] === true;
  }
}

/**
 * The operation was cancelled: its task or future was cancelled, or the
 * `AbortSignal` passed to it was aborted. `reason` is what the canceller gave
 * (also available as `cause`).
 */
export class CancelledError extends ZsyncError<"ZSYNC_CANCELLED"> {
  static {
    CancelledError.brand("@zsync/runtime:CancelledError");
  }

  readonly reason: unknown;

  constructor(reason?: unknown, message = "operation cancelled") {
    super("ZSYNC_CANCELLED", message, reason === undefined ? undefined : { cause: reason });
    this.reason = reason;
  }

  /**
   * `reason` itself if it already is a `CancelledError`, else a new one
   * carrying it: what a wait rejects with when `reason` cancelled it.
   */
  static from(reason: unknown): CancelledError {
    return reason instanceof CancelledError ? reason : new CancelledError(reason);
  }
}

/** A deadline passed before the operation completed; the operation was cancelled. */
export class TimeoutError extends ZsyncError<"ZSYNC_TIMEOUT"> {
  static {
    TimeoutError.brand("@zsync/runtime:TimeoutError");
  }

  /** The deadline that elapsed, in milliseconds. */
  readonly ms: number;

  constructor(ms: number, message = `timed out after ${ms} ms`) {
    super("ZSYNC_TIMEOUT", message);
    this.ms = ms;
  }
}

/**
 * A channel was closed: `send` after `close()`, or `recv` on a closed channel
 * whose buffer is drained.
 */
export class ChannelClosedError extends ZsyncError<"ZSYNC_CHANNEL_CLOSED"> {
  static {
    ChannelClosedError.brand("@zsync/runtime:ChannelClosedError");
  }

  constructor(message = "channel closed") {
    super("ZSYNC_CHANNEL_CLOSED", message);
  }
}

/** Every input of `any()` failed; `errors` holds their reasons in input order. */
export class AllFailedError extends ZsyncError<"ZSYNC_ALL_FAILED"> {
  static {
    AllFailedError.brand("@zsync/runtime:AllFailedError");
  }

  readonly errors: readonly unknown[];

  constructor(errors: readonly unknown[]) {
    super("ZSYNC_ALL_FAILED", `all ${errors.length} inputs failed`, { cause: errors[0] });
    this.errors = errors;
  }
}

/** An operation needs a runtime state it is not in (e.g. `getRuntime()` before `init()`). */
export class RuntimeStateError extends ZsyncError<"ZSYNC_RUNTIME_STATE"> {
  static {
    RuntimeStateError.brand("@zsync/runtime:RuntimeStateError");
  }

  constructor(message: string) {
    super("ZSYNC_RUNTIME_STATE", message);
  }
}

/** A bounded queue or pool refused work because it was full. */
export class QueueFullError extends ZsyncError<"ZSYNC_QUEUE_FULL"> {
  static {
    QueueFullError.brand("@zsync/runtime:QueueFullError");
  }

  readonly capacity: number;

  constructor(capacity: number, message = `queue full (capacity ${capacity})`) {
    super("ZSYNC_QUEUE_FULL", message);
    this.capacity = capacity;
  }
}

/**
 * A broadcast receiver fell behind by more than the channel's capacity and
 * `missed` messages were overwritten before it could read them. The receiver
 * continues from the oldest message still buffered.
 */
export class LaggedError extends ZsyncError<"ZSYNC_LAGGED"> {
  static {
    LaggedError.brand("@zsync/runtime:LaggedError");
  }

  readonly missed: number;

  constructor(missed: number) {
    super("ZSYNC_LAGGED", `receiver lagged behind by ${missed} messages`);
    this.missed = missed;
  }
}

/** `true` for a {@link CancelledError}, including across realms (checks `code`). */
export function isCancelled(error: unknown): error is CancelledError {
  return error instanceof CancelledError || (error instanceof Error && (error as { code?: unknown }).code === "ZSYNC_CANCELLED");
}
