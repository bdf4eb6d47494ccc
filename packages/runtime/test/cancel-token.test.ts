// The task cancellation token and the helpers every wait uses to watch a
// signal and a token together: listeners run once, in order, even when one
// throws; the lazily made AbortSignal agrees with the token; a watcher fires
// at most once and stops listening to both sources. Prompted by the mutation
// run on src/internal/cancel.ts (issue 14).
import { afterEach, describe, expect, it, vi } from "vitest";
import { CancelledError } from "../src/errors.js";
import { CancelToken, cancelledAlready, noop, reportError, toCancelledError, watchCancellation } from "../src/internal/cancel.js";

afterEach(() => {
  vi.unstubAllGlobals();
});

/** Captures what reportError hands to queueMicrotask, instead of letting it surface as an uncaught error. */
function captureReported(): unknown[] {
  const reported: unknown[] = [];
  vi.stubGlobal("queueMicrotask", (callback: () => void) => {
    try {
      callback();
    } catch (error) {
      reported.push(error);
    }
  });
  return reported;
}

describe("CancelToken", () => {
  it("starts not cancelled; cancel records the reason once and reports whether it changed anything", () => {
    const token = new CancelToken();
    expect([token.cancelled, token.reason]).toEqual([false, undefined]);
    expect(token.cancel("first")).toBe(true);
    expect([token.cancelled, token.reason]).toEqual([true, "first"]);
    expect(token.cancel("second")).toBe(false);
    expect(token.reason).toBe("first");
  });

  it("cancels with a CancelledError when no reason is given", () => {
    const token = new CancelToken();
    token.cancel();
    expect(token.reason).toBeInstanceOf(CancelledError);
  });

  it("runs each listener once, in registration order, with the reason", () => {
    const token = new CancelToken();
    const calls: string[] = [];
    token.onCancel((reason) => calls.push(`a:${String(reason)}`));
    token.onCancel((reason) => calls.push(`b:${String(reason)}`));
    token.cancel("why");
    token.cancel("again");
    expect(calls).toEqual(["a:why", "b:why"]);
  });

  it("does not run a listener that was unregistered", () => {
    const token = new CancelToken();
    const calls: string[] = [];
    const off = token.onCancel(() => calls.push("removed"));
    token.onCancel(() => calls.push("kept"));
    off();
    token.cancel();
    expect(calls).toEqual(["kept"]);
  });

  it("runs a listener registered after cancellation at once, and its unregister does nothing", () => {
    const token = new CancelToken();
    token.cancel("late");
    const calls: unknown[] = [];
    const off = token.onCancel((reason) => calls.push(reason));
    expect(calls).toEqual(["late"]);
    expect(off).toBe(noop);
  });

  it("a listener that throws is reported, and the others still run", () => {
    const reported = captureReported();
    const token = new CancelToken();
    const calls: string[] = [];
    token.onCancel(() => {
      throw new Error("listener broke");
    });
    token.onCancel(() => calls.push("after"));
    expect(token.cancel()).toBe(true);
    expect(calls).toEqual(["after"]);
    expect(reported).toEqual([new Error("listener broke")]);
  });

  it("signal: made on demand, the same object each time, aborted with the token's reason", () => {
    const token = new CancelToken();
    const signal = token.signal;
    expect(token.signal).toBe(signal);
    expect(signal.aborted).toBe(false);
    const seen: unknown[] = [];
    signal.addEventListener("abort", () => seen.push(signal.reason));
    token.cancel("stop");
    expect(signal.aborted).toBe(true);
    expect(seen).toEqual(["stop"]);
    expect(token.signal).toBe(signal);
  });

  it("signal asked for after cancellation is already aborted with the reason", () => {
    const token = new CancelToken();
    token.cancel("earlier");
    expect(token.signal.aborted).toBe(true);
    expect(token.signal.reason).toBe("earlier");
  });

  it("listeners run before the signal's abort event", () => {
    const token = new CancelToken();
    const order: string[] = [];
    token.signal.addEventListener("abort", () => order.push("signal"));
    token.onCancel(() => order.push("listener"));
    token.cancel();
    expect(order).toEqual(["listener", "signal"]);
  });
});

describe("reportError", () => {
  it("rethrows the error from a microtask, not from the caller", () => {
    const reported = captureReported();
    expect(() => reportError(new Error("later"))).not.toThrow();
    expect(reported).toEqual([new Error("later")]);
  });
});

describe("toCancelledError and cancelledAlready", () => {
  it("toCancelledError keeps a CancelledError and wraps anything else", () => {
    const existing = new CancelledError("x");
    expect(toCancelledError(existing)).toBe(existing);
    const wrapped = toCancelledError("plain");
    expect(wrapped).toBeInstanceOf(CancelledError);
    expect(wrapped.reason).toBe("plain");
  });

  it("reports an aborted signal first, then a cancelled token, else nothing", () => {
    const token = new CancelToken();
    expect(cancelledAlready(undefined, undefined)).toBeUndefined();
    expect(cancelledAlready(new AbortController().signal, token)).toBeUndefined();
    token.cancel("token");
    expect(cancelledAlready(undefined, token)?.reason).toBe("token");
    expect(cancelledAlready(AbortSignal.abort("signal"), token)?.reason).toBe("signal");
    expect(cancelledAlready(AbortSignal.abort("signal"), undefined)?.reason).toBe("signal");
  });
});

describe("watchCancellation", () => {
  it("returns undefined when there is nothing to watch", () => {
    expect(watchCancellation(undefined, undefined, () => {})).toBeUndefined();
  });

  it("an already-aborted signal fires at once and returns a no-op disposer", () => {
    const errors: CancelledError[] = [];
    const token = new CancelToken();
    const dispose = watchCancellation(AbortSignal.abort("gone"), token, (e) => errors.push(e));
    expect(dispose).toBe(noop);
    expect(errors.map((e) => e.reason)).toEqual(["gone"]);
    token.cancel("token too");
    expect(errors).toHaveLength(1);
  });

  it("fires once, on whichever source cancels first, with a CancelledError carrying its reason", () => {
    const controller = new AbortController();
    const token = new CancelToken();
    const errors: CancelledError[] = [];
    watchCancellation(controller.signal, token, (e) => errors.push(e));
    token.cancel("token first");
    controller.abort("signal second");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(CancelledError);
    expect(errors[0]?.reason).toBe("token first");

    const other = new AbortController();
    const otherToken = new CancelToken();
    const more: CancelledError[] = [];
    watchCancellation(other.signal, otherToken, (e) => more.push(e));
    other.abort("signal first");
    otherToken.cancel("token second");
    expect(more.map((e) => e.reason)).toEqual(["signal first"]);
  });

  it("after dispose, neither source fires", () => {
    const controller = new AbortController();
    const token = new CancelToken();
    const errors: CancelledError[] = [];
    const dispose = watchCancellation(controller.signal, token, (e) => errors.push(e));
    dispose?.();
    controller.abort();
    token.cancel();
    expect(errors).toEqual([]);
  });

  it("stops listening to both sources once one fires or it is disposed", () => {
    for (const trigger of ["signal", "token", "dispose"] as const) {
      const controller = new AbortController();
      const removed: string[] = [];
      const remove = controller.signal.removeEventListener.bind(controller.signal);
      controller.signal.removeEventListener = ((type: string, listener: EventListener) => {
        removed.push(type);
        remove(type, listener);
      }) as typeof controller.signal.removeEventListener;
      let tokenListener: ((reason: unknown) => void) | undefined;
      let tokenListeners = 0;
      const token = {
        onCancel(listener: (reason: unknown) => void) {
          tokenListener = listener;
          tokenListeners++;
          return () => {
            tokenListeners--;
          };
        },
      } as unknown as CancelToken;
      const dispose = watchCancellation(controller.signal, token, () => {});
      expect(tokenListeners).toBe(1);
      if (trigger === "signal") controller.abort();
      else if (trigger === "token") tokenListener?.("why");
      else dispose?.();
      expect([trigger, removed, tokenListeners]).toEqual([trigger, ["abort"], 0]);
    }
  });

  it("watches a token alone, or a signal alone", () => {
    const token = new CancelToken();
    const fromToken: unknown[] = [];
    watchCancellation(undefined, token, (e) => fromToken.push(e.reason));
    token.cancel("t");
    expect(fromToken).toEqual(["t"]);

    const controller = new AbortController();
    const fromSignal: unknown[] = [];
    watchCancellation(controller.signal, undefined, (e) => fromSignal.push(e.reason));
    controller.abort("s");
    expect(fromSignal).toEqual(["s"]);
  });
});
