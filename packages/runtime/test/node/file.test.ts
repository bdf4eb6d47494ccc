import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { CancelledError } from "../../src/errors.js";
import { FileNotFoundError, ResourceClosedError } from "../../src/node/errors.js";
import { File } from "../../src/node/file.js";
import { rejection } from "../observe.js";

const dir = mkdtempSync(join(tmpdir(), "zsync-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("File", () => {
  test("write, seek and read through the cursor; empty read at end of file", async () => {
    const path = join(dir, "a.txt");
    {
      await using file = await File.open(path, { flags: "w+" });
      expect(await file.write("hello ")).toBe(6);
      expect(await file.write(new TextEncoder().encode("world"))).toBe(5);
      expect(file.position).toBe(11);
      file.seek(0);
      expect(Buffer.from(await file.read(5)).toString()).toBe("hello");
      expect(Buffer.from(await file.read(100)).toString()).toBe(" world");
      expect((await file.read(10)).length).toBe(0);
      expect(Buffer.from(await file.read(5, { position: 6 })).toString()).toBe("world");
      expect(file.position).toBe(11);
    }
    expect(readFileSync(path, "utf8")).toBe("hello world");
  });

  test("operations run in call order even when not awaited one by one", async () => {
    const path = join(dir, "order.txt");
    await using file = await File.open(path, { flags: "w+" });
    await Promise.all(Array.from({ length: 20 }, (_, i) => file.write(`${i % 10}`)));
    file.seek(0);
    expect(Buffer.from(await file.readAll()).toString()).toBe("01234567890123456789");
  });

  test("append mode starts at the end; for await yields the rest of the file", async () => {
    const path = join(dir, "append.txt");
    {
      await using first = await File.open(path, { flags: "w" });
      await first.write("abc");
    }
    const file = await File.open(path, { flags: "a+" });
    await file.write("def");
    file.seek(0);
    let all = "";
    for await (const chunk of file) all += Buffer.from(chunk).toString();
    expect(all).toBe("abcdef");
    await file.close();
  });

  test("a cancelled read rejects with CancelledError and leaves the cursor in place", async () => {
    const path = join(dir, "cancel.txt");
    await using file = await File.open(path, { flags: "w+" });
    await file.write("0123456789");
    file.seek(2);
    expect(await rejection(file.read(4, { signal: AbortSignal.abort() }))).toBeInstanceOf(CancelledError);
    expect(await rejection(file.write("x", { signal: AbortSignal.abort() }))).toBeInstanceOf(CancelledError);
    expect(file.position).toBe(2);
    expect(Buffer.from(await file.read(4)).toString()).toBe("2345");
  });

  test("opening a missing file rejects with FileNotFoundError carrying ENOENT and the path", async () => {
    const missing = join(dir, "missing.txt");
    const error = (await rejection(File.open(missing))) as FileNotFoundError;
    expect(error).toBeInstanceOf(FileNotFoundError);
    expect(error.osCode).toBe("ENOENT");
    expect(error.path).toBe(missing);
  });

  test("operations after close reject with ResourceClosedError; close is idempotent", async () => {
    const file = await File.open(join(dir, "closed.txt"), { flags: "w+" });
    const write = file.write("queued before close");
    const closing = file.close();
    expect(await write).toBe(19);
    await closing;
    await file.close();
    expect(await rejection(file.read(1))).toBeInstanceOf(ResourceClosedError);
    expect(await rejection(file.write("x"))).toBeInstanceOf(ResourceClosedError);
  });

  test("bad arguments are TypeError / RangeError", async () => {
    await using file = await File.open(join(dir, "args.txt"), { flags: "w+" });
    expect(() => file.seek(-1)).toThrow(RangeError);
    expect(() => file.read(-5)).toThrow(RangeError);
    // @ts-expect-error: wrong type on purpose
    expect(() => file.write(42)).toThrow(TypeError);
  });
});
