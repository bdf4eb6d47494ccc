import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

// Two installed copies of @zsync/runtime (e.g. one under @zsync/sqlite's own
// node_modules): the package is compiled once, as users get it from dist/,
// copied twice, and both copies are imported side by side.
type Runtime = typeof import("../../src/index.js");
type RuntimeNode = typeof import("../../src/node/index.js");

const packageDir = fileURLToPath(new URL("../..", import.meta.url));
const tsc = fileURLToPath(new URL("../../../../node_modules/.bin/tsc", import.meta.url));
let root = "";
let a: Runtime;
let b: Runtime;
let aNode: RuntimeNode;
let bNode: RuntimeNode;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "zsync-two-copies-"));
  const built = join(root, "built");
  const result = spawnSync(
    tsc,
    ["-p", "tsconfig.build.json", "--outDir", built, "--declaration", "false", "--declarationMap", "false", "--sourceMap", "false"],
    { cwd: packageDir, encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`tsc failed: ${result.stdout}${result.stderr}`);
  for (const copy of ["a", "b"]) {
    cpSync(built, join(root, copy, "dist"), { recursive: true });
    writeFileSync(join(root, copy, "package.json"), JSON.stringify({ name: "@zsync/runtime", type: "module" }));
  }
  const load = (copy: string, entry: string): Promise<unknown> => import(pathToFileURL(join(root, copy, "dist", entry)).href);
  a = (await load("a", "index.js")) as Runtime;
  b = (await load("b", "index.js")) as Runtime;
  aNode = (await load("a", "node/index.js")) as RuntimeNode;
  bNode = (await load("b", "node/index.js")) as RuntimeNode;
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

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
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      for (const [error, name] of make(from)) {
        expect(error instanceof to[name], `${name} into the other copy`).toBe(true);
        expect(error instanceof to.ZsyncError).toBe(true);
        expect(error instanceof Error).toBe(true);
        // ...and only its own class: the brands are per class.
        for (const [, other] of make(to)) if (other !== name) expect(error instanceof to[other], `${name} vs ${other}`).toBe(false);
      }
    }
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
