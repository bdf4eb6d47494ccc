import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { assertBrandsAcrossCopies, importTwoCopies, type TwoCopies } from "../../../../tools/test-support/error-brands.mjs";

// Two installed copies of @zsync/runtime (e.g. one under @zsync/sqlite's own
// node_modules): the package is compiled once, as users get it from dist/,
// copied twice, and both copies are imported side by side.
type Runtime = typeof import("../../src/index.js");
type RuntimeNode = typeof import("../../src/node/index.js");

let copies: TwoCopies | undefined;
let a: Runtime;
let b: Runtime;
let aNode: RuntimeNode;
let bNode: RuntimeNode;

beforeAll(async () => {
  copies = await importTwoCopies(fileURLToPath(new URL("../..", import.meta.url)), "@zsync/runtime", ["index.js", "node/index.js"]);
  [a, aNode] = copies.a as [Runtime, RuntimeNode];
  [b, bNode] = copies.b as [Runtime, RuntimeNode];
}, 60_000);

afterAll(() => copies?.dispose());

describe("instanceof across two copies of the package", () => {
  test("the copies are distinct modules", () => {
    expect(a.TimeoutError).not.toBe(b.TimeoutError);
    expect(a.ZsyncError).not.toBe(b.ZsyncError);
  });

  test("every runtime error class recognises the other copy's instances, both ways", () => {
    const make = (r: Runtime) =>
      [
        [new r.CancelledError("why"), "CancelledError"],
        [new r.TimeoutError(5), "TimeoutError"],
        [new r.ChannelClosedError(), "ChannelClosedError"],
        [new r.AllFailedError([1]), "AllFailedError"],
        [new r.RuntimeStateError("state"), "RuntimeStateError"],
        [new r.QueueFullError(1), "QueueFullError"],
        [new r.LaggedError(2), "LaggedError"],
        [new r.SemaphoreClosedError(), "SemaphoreClosedError"],
        [new r.LockReleasedError(), "LockReleasedError"],
      ] as const;
    // ...and only its own class: the brands are per class.
    assertBrandsAcrossCopies(a, b, make, (to) => [to.ZsyncError, Error]);
  });

  test("Node error classes keep their hierarchy across copies", () => {
    const reset = new aNode.ConnectionResetError("reset");
    expect(reset instanceof bNode.ConnectionResetError).toBe(true);
    expect(reset instanceof bNode.IoError).toBe(true);
    expect(reset instanceof b.ZsyncError).toBe(true);
    expect(reset instanceof bNode.ConnectionRefusedError).toBe(false);
    expect(new bNode.IoError("io") instanceof aNode.ConnectionResetError).toBe(false);
    expect(new bNode.WorkerCrashedError("exit", 1) instanceof aNode.WorkerCrashedError).toBe(true);
  });

  test("a branded subclass compiled against one copy is a ZsyncError of the other (crypto or sqlite with its own runtime)", () => {
    class WidgetJammedError extends a.ZsyncError<"ZSYNC_WIDGET_JAMMED"> {
      static {
        WidgetJammedError.brand("@zsync/test:WidgetJammedError");
      }
      constructor() {
        super("ZSYNC_WIDGET_JAMMED", "jammed");
      }
    }
    const error = new WidgetJammedError();
    expect(error instanceof b.ZsyncError).toBe(true);
    expect(error instanceof WidgetJammedError).toBe(true);
    expect(error instanceof b.TimeoutError).toBe(false);
    expect(new b.TimeoutError(1) instanceof WidgetJammedError).toBe(false);
  });

  test("CancelledError.from keeps the other copy's CancelledError instead of wrapping it", () => {
    const original = new b.CancelledError("stop");
    expect(a.CancelledError.from(original)).toBe(original);
    expect(a.isCancelled(original)).toBe(true);
  });
});

describe("unrelated classes with equal names do not match", () => {
  test("a plain Error subclass named TimeoutError", () => {
    class TimeoutError extends Error {}
    expect(new TimeoutError() instanceof a.TimeoutError).toBe(false);
    expect(new TimeoutError() instanceof a.ZsyncError).toBe(false);
    expect(new a.TimeoutError(1) instanceof TimeoutError).toBe(false);
  });

  test("an unbranded ZsyncError subclass with the same name and code", () => {
    class TimeoutError extends a.ZsyncError<"ZSYNC_TIMEOUT"> {
      constructor() {
        super("ZSYNC_TIMEOUT", "not the runtime's");
      }
    }
    const mine = new TimeoutError();
    expect(mine instanceof a.TimeoutError).toBe(false);
    expect(mine instanceof b.TimeoutError).toBe(false);
    // Unbranded subclasses fall back to the prototype chain.
    expect(mine instanceof TimeoutError).toBe(true);
    expect(mine instanceof a.ZsyncError).toBe(true);
    expect(mine instanceof b.ZsyncError).toBe(true);
    expect(new a.TimeoutError(1) instanceof TimeoutError).toBe(false);
  });

  test("an object that merely claims a name or code", () => {
    const impostor = Object.assign(new Error("x"), { name: "TimeoutError", code: "ZSYNC_TIMEOUT" });
    expect(impostor instanceof a.TimeoutError).toBe(false);
    expect((null as unknown) instanceof a.ZsyncError).toBe(false);
    expect((1 as unknown) instanceof a.ZsyncError).toBe(false);
  });
});
