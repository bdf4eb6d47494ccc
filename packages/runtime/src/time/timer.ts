/**
 * `setTimer(callback, ms)` / `clearTimer(timer)`: `setTimeout` without its
 * overflow. Hosts store timer delays as signed 32-bit milliseconds: Node,
 * Deno, Bun and every browser fire a delay above 2^31-1 ms (about 24.8 days),
 * or `Infinity`, after about 1 ms instead. Every timer in zsync-ts goes
 * through this helper so that `Infinity` means "never" and a large finite
 * delay is honoured:
 *
 * - `ms <= MAX_TIMER_DELAY_MS`: one plain `setTimeout` (no extra allocation);
 * - larger finite delays: a chain of maximal timers, then one for the rest
 *   (timers only ever fire late, so the total is never shorter than `ms`);
 * - `Infinity`: the chain never ends, so the callback never runs. Like any
 *   pending timer it keeps a Node process alive unless `unrefTimer`ed.
 *
 * Bad delays are rejected, never coerced: a non-number or `NaN` throws a
 * `TypeError`, a negative delay a `RangeError` (both naming the argument).
 *
 * @example
 * ```ts
 * import { clearTimer, setTimer } from "@zsync/runtime";
 * const never = setTimer(() => console.log("unreachable"), Number.POSITIVE_INFINITY);
 * const month = setTimer(() => console.log("30 days later"), 30 * 24 * 3600 * 1000);
 * clearTimer(never);
 * clearTimer(month);
 * ```
 * @module
 */

/** The largest delay hosts honour in one `setTimeout` (2^31-1 ms, about 24.8 days). */
export const MAX_TIMER_DELAY_MS = 0x7fffffff;

type HostTimer = ReturnType<typeof setTimeout>;

/** A timer longer than one host timer can hold; `ref`/`unref` carry over to every hop (Node). */
export interface LongTimer {
  ref(): this;
  unref(): this;
  hasRef(): boolean;
}

/**
 * A pending timer from {@link setTimer}: the host's own handle for delays up
 * to {@link MAX_TIMER_DELAY_MS}, a {@link LongTimer} beyond. Pass it to
 * {@link clearTimer}; `ref()`/`unref()` work on both where the host has them.
 */
export type Timer = HostTimer | LongTimer;

/** Validates a delay argument: a number that is not `NaN` and not negative (`Infinity` is allowed). */
export function assertDelay(ms: number, name = "ms"): void {
  if (typeof ms !== "number" || Number.isNaN(ms))
    throw new TypeError(`${name} must be a number, got ${typeof ms === "number" ? "NaN" : typeof ms}`);
  if (ms < 0) throw new RangeError(`${name} must be >= 0, got ${ms}`);
}

/** Calls `callback` once after `ms` milliseconds (never if `ms` is `Infinity`). */
export function setTimer(callback: () => void, ms: number): Timer {
  assertDelay(ms);
  if (ms <= MAX_TIMER_DELAY_MS) return setTimeout(callback, ms);
  return new ChainedTimer(callback, ms);
}

/** Cancels a timer from {@link setTimer}; a no-op if it already fired or was cleared. */
export function clearTimer(timer: Timer | undefined): void {
  if (timer === undefined) return;
  if (timer instanceof ChainedTimer) timer.clear();
  else clearTimeout(timer as HostTimer);
}

/**
 * Counts the remaining delay down one maximal host timer at a time. It counts
 * hops rather than reading a clock, so it behaves the same under fake timers.
 */
class ChainedTimer implements LongTimer {
  #remaining: number;
  #callback: (() => void) | undefined;
  #host: HostTimer | undefined;
  #unref = false;

  constructor(callback: () => void, ms: number) {
    this.#callback = callback;
    this.#remaining = ms;
    this.#arm();
  }

  /** Lets the pending hop not keep a Node process alive (kept across hops). */
  unref(): this {
    this.#unref = true;
    hostUnref(this.#host, "unref");
    return this;
  }

  ref(): this {
    this.#unref = false;
    hostUnref(this.#host, "ref");
    return this;
  }

  hasRef(): boolean {
    return !this.#unref;
  }

  clear(): void {
    this.#callback = undefined;
    if (this.#host !== undefined) clearTimeout(this.#host);
    this.#host = undefined;
  }

  #arm(): void {
    if (this.#remaining <= MAX_TIMER_DELAY_MS) {
      const callback = this.#callback as () => void;
      this.#host = setTimeout(() => {
        this.#host = undefined;
        this.#callback = undefined;
        callback();
      }, this.#remaining);
    } else {
      // Infinity - MAX is Infinity: the chain goes on for ever.
      this.#remaining -= MAX_TIMER_DELAY_MS;
      this.#host = setTimeout(this.#hop, MAX_TIMER_DELAY_MS);
    }
    if (this.#unref) hostUnref(this.#host, "unref");
  }

  readonly #hop = (): void => {
    if (this.#callback !== undefined) this.#arm();
  };
}

function hostUnref(timer: HostTimer | undefined, method: "ref" | "unref"): void {
  const fn = (timer as { ref?: unknown; unref?: unknown } | undefined)?.[method];
  if (typeof fn === "function") fn.call(timer);
}
