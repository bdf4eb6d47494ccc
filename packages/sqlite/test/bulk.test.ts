import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AsyncDatabase, quoteIdentifier } from "../src/index.js";
import { tempDbPath, tempDir } from "./helpers.js";

const dir = tempDir();
let db: AsyncDatabase;

beforeAll(async () => {
  db = await AsyncDatabase.open(tempDbPath(dir));
});
afterAll(() => db.close());

describe("batchInsert, maintenance, backup, close", () => {
  it("batchInsert inserts every row in one transaction, across chunks", async () => {
    await db.exec('CREATE TABLE "odd ""name""" ("the id" INTEGER PRIMARY KEY, v TEXT)');
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ "the id": i, v: `v${i}` }));
    expect(await db.batchInsert('odd "name"', rows)).toBe(10_000);
    expect(await db.get('SELECT count(*) AS n, sum("the id") AS s FROM "odd ""name"""')).toEqual({ n: 10_000, s: 49_995_000 });
  });

  it("batchInsert is all or nothing and rejects malformed rows before writing", async () => {
    await db.exec("CREATE TABLE u (id INTEGER PRIMARY KEY)");
    await expect(db.batchInsert("u", [{ id: 1 }, { id: 1 }])).rejects.toThrow(/UNIQUE|PRIMARY KEY/);
    await expect(db.batchInsert("u", [{ id: 2 }, { id: 3, extra: 1 }])).rejects.toThrow(/rows\[1\] has column "extra"/);
    await expect(db.batchInsert("u", [{ id: 2 }, {}])).rejects.toThrow(/rows\[1\] has no column "id"/);
    await expect(db.batchInsert("", [{ id: 2 }])).rejects.toThrow(TypeError);
    expect(await db.get("SELECT count(*) AS n FROM u")).toEqual({ n: 0 });
  });

  it("batchInsert of many rows is all or nothing when a row deep in the batch fails", async () => {
    await db.exec("CREATE TABLE wide (id INTEGER PRIMARY KEY, a, b, c)");
    const rows = Array.from({ length: 5000 }, (_, i) => ({ id: i, a: i * 0.5, b: `s${i}`, c: new Uint8Array([i & 255]) }));
    rows[4321] = { id: 17, a: 0, b: "dup", c: new Uint8Array(0) };
    await expect(db.batchInsert("wide", rows)).rejects.toThrow(/UNIQUE|PRIMARY KEY/);
    expect(await db.get("SELECT count(*) AS n FROM wide")).toEqual({ n: 0 });
    rows[4321] = { id: 4321, a: 4321 * 0.5, b: "s4321", c: new Uint8Array([4321 & 255]) };
    expect(await db.batchInsert("wide", rows)).toBe(5000);
    expect(await db.get("SELECT sum(id) AS s, count(DISTINCT b) AS d, typeof(id) AS t FROM wide")).toEqual({
      s: 12_497_500,
      d: 5000,
      t: "integer",
    });
    expect(await db.get("SELECT a, b, c FROM wide WHERE id = 4999")).toEqual({ a: 2499.5, b: "s4999", c: new Uint8Array([4999 & 255]) });
  });

  it("batchInsert with a signal watches it once per call, however many chunks are in flight", async () => {
    await db.exec("CREATE TABLE many (id INTEGER PRIMARY KEY)");
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning.name);
    };
    process.on("warning", onWarning);
    try {
      const controller = new AbortController();
      const rows = Array.from({ length: 200_000 }, (_, i) => ({ id: i }));
      expect(await db.batchInsert("many", rows, { signal: controller.signal })).toBe(200_000);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on a later tick
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings).not.toContain("MaxListenersExceededWarning");
  });

  it("batchInsert aborted part-way inserts nothing, and the writer takes the next write", async () => {
    const controller = new AbortController();
    const rows = Array.from({ length: 200_000 }, (_, i) => ({ id: 1_000_000 + i }));
    const insert = db.batchInsert("many", rows, { signal: controller.signal });
    setTimeout(() => controller.abort("enough"), 5);
    await expect(insert).rejects.toMatchObject({ name: "CancelledError" });
    expect(await db.get("SELECT count(*) AS n FROM many WHERE id >= 1000000")).toEqual({ n: 0 });
    await db.run("INSERT INTO many (id) VALUES (-1)");
    expect(await db.get("SELECT count(*) AS n FROM many WHERE id < 0")).toEqual({ n: 1 });
  });

  it("identifiers cannot inject SQL (property)", async () => {
    await db.exec("CREATE TABLE guard (id INTEGER)");
    // SQLite compares table names case-insensitively (ASCII) and reserves "sqlite_"; a generated name equal
    // to a table another test made (e.g. "u") is a collision, not an injection, so it is not a case here.
    const existing = new Set(((await db.all("SELECT name FROM sqlite_master")) as { name: string }[]).map((r) => r.name.toLowerCase()));
    await fc.assert(
      fc.asyncProperty(
        // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what quoteIdentifier rejects.
        fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/[\u0000-\u001f]/.test(s)),
        async (name) => {
          fc.pre(!existing.has(name.toLowerCase()) && !name.toLowerCase().startsWith("sqlite_"));
          const quoted = quoteIdentifier(name, "table");
          await db.exec(`CREATE TABLE ${quoted} (x)`);
          await db.batchInsert(name, [{ x: 1 }]);
          expect(await db.get(`SELECT x FROM ${quoted}`)).toEqual({ x: 1 });
          await db.exec(`DROP TABLE ${quoted}`);
        },
      ),
      { numRuns: 40 },
    );
    expect(await db.get("SELECT count(*) AS n FROM sqlite_master WHERE name = 'guard'")).toEqual({ n: 1 });
  });

  it("runMaintenance runs each step and checkpoints the WAL", async () => {
    const report = await db.runMaintenance();
    expect(report.steps.map((s) => s.name)).toEqual(["optimize", "analyze", "reindex", "vacuum", "checkpoint"]);
    expect(report.checkpoint?.busy).toBe(0);
    expect(await db.get("SELECT count(*) AS n FROM u")).toEqual({ n: 0 });
  });

  it("backup writes a consistent copy that opens on its own", async () => {
    const target = join(dir, "backup.sqlite");
    const pages = await db.backup(target);
    expect(pages).toBeGreaterThan(0);
    expect(statSync(target).size).toBeGreaterThan(0);
    const copy = await AsyncDatabase.open(target);
    expect(await copy.get('SELECT count(*) AS n FROM "odd ""name"""')).toEqual({ n: 10_000 });
    await copy.close();
  });

  it("close waits for in-flight work, then closes every connection and removes the WAL", async () => {
    const path = tempDbPath(dir);
    const other = await AsyncDatabase.open(path);
    await other.exec("CREATE TABLE w (n)");
    const pending = Array.from({ length: 50 }, (_, i) => other.run("INSERT INTO w VALUES (?)", [i]));
    const closing = other.close();
    expect((await Promise.all(pending)).every((r) => r.changes === 1)).toBe(true);
    await closing;
    expect(existsSync(`${path}-wal`)).toBe(false);
    const reopened = await AsyncDatabase.open(path);
    expect(await reopened.get("SELECT count(*) AS n FROM w")).toEqual({ n: 50 });
    await reopened.close();
  });

  it(":memory: databases run everything on one connection", async () => {
    const mem = await AsyncDatabase.open(":memory:");
    await mem.exec("CREATE TABLE m (x)");
    await mem.run("INSERT INTO m VALUES (1)");
    expect(await mem.all("SELECT x FROM m")).toEqual([{ x: 1 }]);
    expect(mem.stats().readers).toBe(0);
    await mem.close();
  });
});
