import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AsyncDatabase, DatabaseClosedError, SqliteBindError, SqliteConstraintError, SqliteError } from "../src/index.js";
import { tempDbPath, tempDir } from "./helpers.js";

const dir = tempDir();
let db: AsyncDatabase;

beforeAll(async () => {
  db = await AsyncDatabase.open(tempDbPath(dir));
  await db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)");
  await db.run("INSERT INTO t VALUES (1, 'a')");
});
afterAll(() => db.close());

describe("errors", () => {
  it("bad SQL rejects with SqliteError carrying SQLite's code and the SQL", async () => {
    const error = await db.all("SELEC * FROM t").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SqliteError);
    expect(error).toMatchObject({ code: "ZSYNC_SQLITE", sqliteCode: "SQLITE_ERROR", sql: "SELEC * FROM t" });
    await expect(db.get("SELECT * FROM missing")).rejects.toThrow(/no such table: missing/);
  });

  it("constraint violations reject with SqliteConstraintError and write nothing", async () => {
    const error = await db.run("INSERT INTO t VALUES (2, 'a')").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SqliteConstraintError);
    expect(error).toMatchObject({ sqliteCode: "SQLITE_CONSTRAINT_UNIQUE", code: "ZSYNC_SQLITE_CONSTRAINT" });
    expect(await db.get("SELECT count(*) AS n FROM t")).toEqual({ n: 1 });
  });

  it("wrong parameter counts and missing names reject with SqliteBindError", async () => {
    await expect(db.get("SELECT * FROM t WHERE id = ?", [])).rejects.toBeInstanceOf(SqliteBindError);
    await expect(db.get("SELECT * FROM t WHERE id = ?", [1, 2])).rejects.toThrow(/Too many parameter values/);
    await expect(db.get("SELECT * FROM t WHERE id = :id", { other: 1 })).rejects.toThrow(/Missing named parameter "id"/);
  });

  it("values SQLite cannot store are rejected before anything runs, naming the parameter", async () => {
    await expect(db.get("SELECT ?", [true as never])).rejects.toThrow(
      new TypeError("params[0] must be a number, bigint, string, Uint8Array or null, got boolean"),
    );
    await expect(db.get("SELECT :x", { x: undefined as never })).rejects.toThrow(/params\.x/);
    await expect(db.get(42 as never)).rejects.toBeInstanceOf(TypeError);
  });

  it("get()/all() on a statement without rows, and two statements in one call, are explained", async () => {
    await expect(db.all("DELETE FROM t WHERE id = 99")).rejects.toThrow(/use run\(\)/);
    await expect(db.run("SELECT 1; SELECT 2")).rejects.toThrow(/more than one statement/);
  });

  it("the database stays usable after every kind of error", async () => {
    expect(await db.get("SELECT name FROM t WHERE id = 1")).toEqual({ name: "a" });
  });

  it("calls after close() reject with DatabaseClosedError", async () => {
    const other = await AsyncDatabase.open(":memory:");
    await other.close();
    await expect(other.get("SELECT 1")).rejects.toBeInstanceOf(DatabaseClosedError);
    await expect(other.beginTransaction()).rejects.toBeInstanceOf(DatabaseClosedError);
    // Every method rejects rather than throwing synchronously.
    await expect(other.runMaintenance()).rejects.toBeInstanceOf(DatabaseClosedError);
    await expect(other.batchInsert("t", [{ id: 1 }])).rejects.toBeInstanceOf(DatabaseClosedError);
    await expect(other.backup("copy.db")).rejects.toBeInstanceOf(DatabaseClosedError);
  });
});
