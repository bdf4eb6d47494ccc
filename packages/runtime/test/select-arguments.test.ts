// Every argument check of select and its branch builders, with the exact error
// class and message a caller sees, and the unusual-but-valid arguments those
// checks must let through (a callable thenable, an options object in the
// handler's place). Prompted by the mutation run on src/select.ts (issue 14):
// the other tests asserted the class or nothing, so a removed check or an
// emptied message went unnoticed.
import { describe, expect, it } from "vitest";
import { bounded } from "../src/channel/channel.js";
import { onFuture, onRecv, onSend, onTimeout, type SelectBranch, select } from "../src/select.js";

/** The error `fn` throws (synchronously) or the select it returns rejects with. */
async function errorOf(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

/** The error `fn` throws synchronously. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

const ch = bounded<number>(1);
const branch = onTimeout(0);

describe("select(branches, options)", () => {
  it.each([
    [null, "null"],
    [undefined, "undefined"],
    [7, "number"],
    ["branches", "string"],
    [{ length: 1 }, "object"],
  ])("branches %o: TypeError naming its type (%s)", async (branches, type) => {
    expect(await errorOf(() => select(branches as never))).toEqual(new TypeError(`select: branches must be an array, got ${type}`));
  });

  it("an empty array: RangeError", async () => {
    expect(await errorOf(() => select([]))).toEqual(new RangeError("select: branches must not be empty"));
  });

  it("an element that is not a branch: TypeError naming its index", async () => {
    expect(await errorOf(() => select([branch, {} as SelectBranch<unknown>]))).toEqual(
      new TypeError("select: branches[1] is not a select branch (build branches with onRecv, onSend, onFuture or onTimeout)"),
    );
  });

  it("options must be an object with an AbortSignal and a boolean biased", async () => {
    expect(await errorOf(() => select([branch], null as never))).toEqual(new TypeError("select: options must be an object, got null"));
    expect(await errorOf(() => select([branch], { signal: {} as AbortSignal }))).toEqual(
      new TypeError("select: options.signal must be an AbortSignal"),
    );
    expect(await errorOf(() => select([branch], { biased: "yes" as never }))).toEqual(
      new TypeError("select: options.biased must be a boolean"),
    );
  });

  it("reports bad arguments as a rejection, not a synchronous throw", () => {
    const result = select([]);
    expect(result).toBeInstanceOf(Promise);
    result.catch(() => {});
  });
});

describe("onRecv(source, onValue, onClosed)", () => {
  it.each([null, undefined, 3, "channel", {}])("source %o: TypeError", (source) => {
    expect(thrown(() => onRecv(source as never))).toEqual(
      new TypeError("onRecv: source must be a channel, a Receiver, a BroadcastReceiver or a WatchReceiver"),
    );
  });

  it("handlers must be functions when given", () => {
    expect(thrown(() => onRecv(ch, 1 as never))).toEqual(new TypeError("onRecv: onValue must be a function, got number"));
    expect(thrown(() => onRecv(ch, undefined as never, "x" as never))).toEqual(
      new TypeError("onRecv: onClosed must be a function, got string"),
    );
  });
});

describe("onSend(sink, value, onSent)", () => {
  it.each([null, undefined, 3, {}])("sink %o: TypeError", (sink) => {
    expect(thrown(() => onSend(sink as never, 1))).toEqual(new TypeError("onSend: sink must be a channel or a Sender"));
  });

  it("onSent must be a function when given", () => {
    expect(thrown(() => onSend(ch, 1, {} as never))).toEqual(new TypeError("onSend: onSent must be a function, got object"));
  });
});

describe("onFuture(future, onValue, options)", () => {
  // biome-ignore lint/suspicious/noThenProperty: a then that is not a function is what is being refused.
  it.each([null, undefined, 3, "promise", {}, { then: 1 }])("future %o: TypeError", (future) => {
    expect(thrown(() => onFuture(future as never))).toEqual(new TypeError("onFuture: future must be a Future, a promise or a thenable"));
  });

  it("accepts a callable thenable (a function with a then method)", async () => {
    const thenable = Object.assign(() => {}, {
      // biome-ignore lint/suspicious/noThenProperty: the point is a function that is also a thenable.
      then(resolve: (value: string) => void) {
        resolve("called back");
      },
    });
    expect(await select([onFuture(thenable as unknown as PromiseLike<string>)])).toBe("called back");
  });

  it("options must be an object, and cancelOnLose a boolean", () => {
    const p = Promise.resolve(1);
    expect(thrown(() => onFuture(p, null as never))).toEqual(new TypeError("onFuture: options must be an object"));
    expect(thrown(() => onFuture(p, (v) => v, 5 as never))).toEqual(new TypeError("onFuture: options must be an object"));
    expect(thrown(() => onFuture(p, { cancelOnLose: "yes" as never }))).toEqual(
      new TypeError("onFuture: options.cancelOnLose must be a boolean"),
    );
  });

  it("options in the handler's place are options, not a handler", async () => {
    expect(await select([onFuture(Promise.resolve(41), { cancelOnLose: false })])).toBe(41);
    expect(await select([onFuture(Promise.resolve(41), (v) => v + 1, { cancelOnLose: false })])).toBe(42);
  });
});

describe("onTimeout(ms, onElapsed)", () => {
  it("ms must be a non-negative number; onElapsed a function when given", () => {
    expect(thrown(() => onTimeout("1" as never))).toEqual(new TypeError("onTimeout: ms must be a number, got string"));
    expect(thrown(() => onTimeout(Number.NaN))).toEqual(new TypeError("onTimeout: ms must be a number, got NaN"));
    expect(thrown(() => onTimeout(-1))).toEqual(new RangeError("onTimeout: ms must be >= 0, got -1"));
    expect(thrown(() => onTimeout(1, 2 as never))).toEqual(new TypeError("onTimeout: onElapsed must be a function, got number"));
  });
});
