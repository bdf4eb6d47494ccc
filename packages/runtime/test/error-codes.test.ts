import { describe, expect, expectTypeOf, test } from "vitest";
import { CancelledError, ChannelClosedError, TimeoutError, ZsyncError } from "../src/errors.js";

describe("error codes", () => {
  test("each class's code is a literal type, so switch (error.code) narrows", () => {
    expectTypeOf(new TimeoutError(1).code).toEqualTypeOf<"ZSYNC_TIMEOUT">();
    expectTypeOf(new CancelledError().code).toEqualTypeOf<"ZSYNC_CANCELLED">();
    const describe = (error: TimeoutError | CancelledError | ChannelClosedError): string => {
      switch (error.code) {
        case "ZSYNC_TIMEOUT":
          return `timeout ${error.ms}`;
        case "ZSYNC_CANCELLED":
          return `cancelled ${String(error.reason)}`;
        case "ZSYNC_CHANNEL_CLOSED":
          return "closed";
        default:
          return error satisfies never;
      }
    };
    expect(describe(new TimeoutError(5))).toBe("timeout 5");
    expect(describe(new CancelledError("x"))).toBe("cancelled x");
    expect(describe(new ChannelClosedError())).toBe("closed");
  });

  test("instanceof still narrows and still follows the prototype chain within one copy", () => {
    const error: unknown = new TimeoutError(3);
    if (!(error instanceof TimeoutError)) throw new Error("expected a TimeoutError");
    expectTypeOf(error).toEqualTypeOf<TimeoutError>();
    expect(error.ms).toBe(3);
    expect(error instanceof ZsyncError).toBe(true);
    expect(error instanceof CancelledError).toBe(false);
    expect(error.name).toBe("TimeoutError");
  });

  test("a class is branded once", () => {
    class Twice extends ZsyncError<"ZSYNC_TWICE"> {
      static {
        Twice.brand("@zsync/test:Twice");
      }
      static again(): void {
        Twice.brand("@zsync/test:Twice");
      }
    }
    expect(() => Twice.again()).toThrow(TypeError);
  });
});
