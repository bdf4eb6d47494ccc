/**
 * Monotonic time and the macrotask hop used by the cooperative budget.
 * Only web-standard APIs, with `setImmediate` preferred where the host has it
 * (it runs after I/O polling, so timers and sockets get their turn first).
 * @internal
 */
export const now: () => number =
  typeof performance !== "undefined" && typeof performance.now === "function" ? () => performance.now() : () => Date.now();

type Immediate = (callback: () => void) => unknown;

function pickMacrotask(): (callback: () => void) => void {
  const setImmediateFn = (globalThis as { setImmediate?: Immediate }).setImmediate;
  if (typeof setImmediateFn === "function") return (callback) => void setImmediateFn(callback);
  if (typeof MessageChannel === "function") {
    // MessageChannel is not clamped like nested setTimeout (4 ms in browsers).
    const channel = new MessageChannel();
    const queue: Array<() => void> = [];
    channel.port1.onmessage = () => {
      const callback = queue.shift();
      callback?.();
    };
    return (callback) => {
      queue.push(callback);
      channel.port2.postMessage(null);
    };
  }
  return (callback) => void setTimeout(callback, 0);
}

/** Runs `callback` in a later macrotask, after pending timers and I/O can run. */
export const macrotask: (callback: () => void) => void = pickMacrotask();

/** Lets a timer not keep a Node process alive; no-op elsewhere. */
export function unrefTimer(timer: unknown): void {
  if (typeof timer === "object" && timer !== null && typeof (timer as { unref?: unknown }).unref === "function") {
    (timer as { unref: () => void }).unref();
  }
}
